//! Sockets on 127.0.0.1: an echo server under 1,000 concurrent clients, deadlines, and the
//! typed errors of a peer that resets or goes away.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use stackmail::rt::net::{ListenOptions, TcpListener, TcpStream};
use stackmail::rt::{self, Runtime};

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn echo(stream: TcpStream) {
    let mut buf = [0u8; 4096];
    loop {
        match (&stream).read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if (&stream).write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

#[test]
fn echo_server_serves_a_thousand_concurrent_clients() {
    const CLIENTS: usize = 1000;
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let server = Runtime::new()
        .threads(1)
        .start(move |_| {
            let listener = TcpListener::bind(loopback()).unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                rt::spawn(move || echo(stream));
            }
        })
        .unwrap();
    let addr = addr_rx.recv().unwrap();

    // The clients are tasklets of this thread: all connect first, then all talk at once.
    let connected = Rc::new(std::cell::Cell::new(0usize));
    let gate: rt::Channel<()> = rt::Channel::new();
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let (connected, gate) = (connected.clone(), gate.clone());
        clients.push(rt::spawn(move || {
            let mut s = TcpStream::connect(addr).expect("connect");
            s.set_read_timeout(Some(Duration::from_secs(20)));
            connected.set(connected.get() + 1);
            let _ = gate.receive();
            let msg = format!("hello from client {i}\n").repeat(1 + i % 7);
            (&s).write_all(msg.as_bytes()).unwrap();
            s.shutdown(Shutdown::Write).unwrap();
            let mut back = Vec::new();
            (&s).read_to_end(&mut back).unwrap();
            back == msg.as_bytes()
        }));
    }
    let opener = rt::spawn(move || {
        while gate.balance() > -(CLIENTS as isize) {
            rt::sleep(Duration::from_millis(1));
        }
        // Every client is connected and waiting: release them together.
        gate.close();
    });
    let ok = clients
        .into_iter()
        .map(|c| c.join().unwrap())
        .filter(|&ok| ok)
        .count();
    opener.join().unwrap();
    server.stop();
    assert_eq!(connected.get(), CLIENTS);
    assert_eq!(ok, CLIENTS);
}

#[test]
fn a_read_deadline_gives_timed_out() {
    let h = rt::spawn(|| {
        let listener = TcpListener::bind(loopback()).unwrap();
        let addr = listener.local_addr().unwrap();
        let server = rt::spawn(move || {
            let (s, _) = listener.accept().unwrap();
            rt::sleep(Duration::from_millis(300));
            drop(s);
        });
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(20)));
        let err = (&s).read(&mut [0u8; 8]).unwrap_err();
        server.join().unwrap();
        err.kind()
    });
    assert_eq!(h.join(), Ok(ErrorKind::TimedOut));
}

#[test]
fn an_accept_deadline_gives_timed_out() {
    let h = rt::spawn(|| {
        let mut listener = TcpListener::bind(loopback()).unwrap();
        listener.set_accept_timeout(Some(Duration::from_millis(20)));
        listener.accept().err().map(|e| e.kind())
    });
    assert_eq!(h.join(), Ok(Some(ErrorKind::TimedOut)));
}

#[test]
fn connecting_to_a_closed_port_is_refused() {
    let addr = {
        let l = std::net::TcpListener::bind(loopback()).unwrap();
        l.local_addr().unwrap()
    };
    let h = rt::spawn(move || TcpStream::connect(addr).err().map(|e| e.kind()));
    assert_eq!(h.join(), Ok(Some(ErrorKind::ConnectionRefused)));
}

/// Accepts one connection from a plain std client; `reset` closes that client with linger 0,
/// which sends a reset instead of a FIN.
fn accept_from_closed_client(reset: bool) -> TcpStream {
    let listener = TcpListener::bind(loopback()).unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server_side, _) = listener.accept().unwrap();
    if reset {
        socket2::SockRef::from(&client)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
    }
    drop(client);
    server_side
}

#[test]
fn a_peer_reset_is_a_typed_error() {
    let h = rt::spawn(|| {
        let s = accept_from_closed_client(true);
        rt::sleep(Duration::from_millis(10));
        (&s).read(&mut [0u8; 16]).map_err(|e| e.kind())
    });
    assert_eq!(h.join().unwrap(), Err(ErrorKind::ConnectionReset));
}

#[test]
fn writing_to_a_closed_socket_is_a_typed_error() {
    let h = rt::spawn(|| {
        let s = accept_from_closed_client(false);
        let eof = (&s).read(&mut [0u8; 16]).map_err(|e| e.kind());
        let mut write_error = None;
        for _ in 0..100 {
            if let Err(e) = (&s).write_all(&[b'x'; 65536]) {
                write_error = Some(e.kind());
                break;
            }
            rt::sleep(Duration::from_millis(1));
        }
        (eof, write_error)
    });
    let (eof, write_error) = h.join().unwrap();
    assert_eq!(eof, Ok(0));
    assert!(
        matches!(
            write_error,
            Some(ErrorKind::BrokenPipe | ErrorKind::ConnectionReset)
        ),
        "{write_error:?}"
    );
}

#[test]
fn reuse_port_listeners_share_one_address_across_threads() {
    let probe = std::net::TcpListener::bind(loopback()).unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let s = served.clone();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let server = Runtime::new()
        .threads(2)
        .start(move |_| {
            let opts = ListenOptions {
                reuse_port: true,
                ..Default::default()
            };
            let listener = TcpListener::bind_with(addr, &opts).unwrap();
            ready_tx.send(()).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                s.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                rt::spawn(move || echo(stream));
            }
        })
        .unwrap();
    ready_rx.recv().unwrap();
    ready_rx.recv().unwrap();
    for _ in 0..20 {
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.write_all(b"ping").unwrap();
        let mut buf = [0u8; 4];
        c.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ping");
    }
    server.stop();
    assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 20);
}
