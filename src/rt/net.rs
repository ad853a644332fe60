//! TCP sockets whose accept, connect, read and write park the calling tasklet until the
//! socket is ready, with an optional deadline per operation.
//!
//! mio registrations are edge-triggered: an operation is always tried first and the tasklet
//! parks only on `WouldBlock`, so a readiness edge that came before the park is never needed.
//! Outside a tasklet an operation that would block fails with `WouldBlock` instead.

use std::io::{self, Read, Write};
use std::marker::PhantomData;
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, Instant};

use mio::{Interest, Token};
use socket2::{Domain, Protocol, SockRef, Socket, TcpKeepalive, Type};

use super::sched;
use super::slab::Key;
use super::task::{State, Task, Wake};
use super::{CancelTimer, sleep};

/// Listener options; the defaults suit an SMTP server.
#[derive(Debug, Clone)]
pub struct ListenOptions {
    /// Let several sockets (one per scheduler thread) bind the same address; the kernel
    /// spreads connections among them.
    pub reuse_port: bool,
    pub backlog: i32,
}

impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions {
            reuse_port: false,
            backlog: 1024,
        }
    }
}

/// Registers a socket with this thread's reactor under a fresh key.
fn register(source: &mut impl mio::event::Source) -> io::Result<Key> {
    sched::with(|s| {
        let mut reactor = s.reactor().borrow_mut();
        let reactor = reactor
            .as_mut()
            .map_err(|kind| io::Error::new(*kind, "this thread has no reactor"))?;
        let key = reactor.io.insert(Default::default());
        let token = Token(key.to_u64() as usize);
        if let Err(e) =
            reactor
                .poll
                .registry()
                .register(source, token, Interest::READABLE | Interest::WRITABLE)
        {
            reactor.io.remove(key);
            return Err(e);
        }
        Ok(key)
    })
}

fn deregister(source: &mut impl mio::event::Source, key: Key) {
    sched::with(|s| {
        if let Ok(mut reactor) = s.reactor().try_borrow_mut()
            && let Ok(reactor) = reactor.as_mut()
        {
            let _ = reactor.poll.registry().deregister(source);
            if let Some(entry) = reactor.io.remove(key) {
                reactor.waiting -=
                    usize::from(entry.reader.is_some()) + usize::from(entry.writer.is_some());
            }
        }
    });
}

/// Parks the current tasklet until the socket under `key` is ready (or `deadline` passes).
fn wait(key: Key, write: bool, deadline: Option<Instant>) -> io::Result<()> {
    sched::with(|s| {
        // A script tasklet has no stack to park: to it, as outside a tasklet, a socket that
        // is not ready is `WouldBlock`.
        let Some(me) = s.current().filter(|t| !t.is_script) else {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "socket not ready outside a tasklet",
            ));
        };
        if me.state.get() == State::Dying {
            return Err(io::Error::other("the tasklet is being killed"));
        }
        let seq = me.seq.get();
        {
            let mut reactor = s.reactor().borrow_mut();
            let Ok(reactor) = reactor.as_mut() else {
                return Err(io::Error::other("this thread has no reactor"));
            };
            let Some(entry) = reactor.io.get_mut(key) else {
                return Err(io::Error::other("socket is not registered"));
            };
            let slot = if write {
                &mut entry.writer
            } else {
                &mut entry.reader
            };
            if slot.is_some() {
                return Err(io::Error::other(
                    "another tasklet is already waiting on this socket",
                ));
            }
            *slot = Some((me.clone(), seq));
            reactor.waiting += 1;
        }
        let _clear = ClearWaiter {
            key,
            write,
            task: me.clone(),
        };
        let _timer =
            deadline.map(|d| CancelTimer(s.timers.borrow_mut().insert(d, (me.clone(), seq))));
        match s.park() {
            Ok(Wake::Normal) => Ok(()),
            Ok(Wake::Timeout) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "socket operation timed out",
            )),
            Err(_) => Err(io::Error::other("the tasklet cannot wait")),
        }
    })
}

/// Takes the tasklet off the socket's waiter slot when it left by timeout or kill.
struct ClearWaiter {
    key: Key,
    write: bool,
    task: Rc<Task>,
}

impl Drop for ClearWaiter {
    fn drop(&mut self) {
        sched::with(|s| {
            let Ok(mut reactor) = s.reactor().try_borrow_mut() else {
                return;
            };
            let Ok(reactor) = reactor.as_mut() else {
                return;
            };
            let Some(entry) = reactor.io.get_mut(self.key) else {
                return;
            };
            let slot = if self.write {
                &mut entry.writer
            } else {
                &mut entry.reader
            };
            if slot
                .as_ref()
                .is_some_and(|(t, _)| Rc::ptr_eq(t, &self.task))
            {
                *slot = None;
                reactor.waiting -= 1;
            }
        });
    }
}

fn deadline_after(timeout: Option<Duration>) -> Option<Instant> {
    timeout.map(|t| super::timer::deadline_after(Instant::now(), t))
}

/// Out of descriptors or kernel memory: retrying at once would only spin.
fn resources_exhausted(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

pub struct TcpListener {
    inner: mio::net::TcpListener,
    key: Key,
    accept_timeout: Option<Duration>,
    _thread_bound: PhantomData<Rc<()>>,
}

impl TcpListener {
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        TcpListener::bind_with(addr, &ListenOptions::default())
    }

    pub fn bind_with(addr: SocketAddr, options: &ListenOptions) -> io::Result<TcpListener> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_reuse_address(true)?;
        if options.reuse_port {
            #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
            socket.set_reuse_port(true)?;
        }
        if addr.is_ipv6() {
            socket.set_only_v6(true)?;
        }
        socket.set_nonblocking(true)?;
        socket.bind(&addr.into())?;
        socket.listen(options.backlog)?;
        let mut inner = mio::net::TcpListener::from_std(socket.into());
        let key = register(&mut inner)?;
        Ok(TcpListener {
            inner,
            key,
            accept_timeout: None,
            _thread_bound: PhantomData,
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// `accept` fails with `TimedOut` if no connection arrives within `timeout`.
    pub fn set_accept_timeout(&mut self, timeout: Option<Duration>) {
        self.accept_timeout = timeout;
    }

    /// Waits for a connection. When the process is out of descriptors it backs off (10 ms
    /// doubling to 1 s) until one is freed, instead of spinning on the pending connection.
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let mut backoff = Duration::from_millis(10);
        let deadline = deadline_after(self.accept_timeout);
        loop {
            match self.inner.accept() {
                Ok((stream, peer)) => {
                    stream.set_nodelay(true)?;
                    return Ok((TcpStream::from_mio(stream)?, peer));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => wait(self.key, false, deadline)?,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) => {}
                Err(e) if resources_exhausted(&e) => {
                    if !sched::with(|s| s.in_tasklet()) {
                        return Err(e);
                    }
                    tracing::warn!(addr = ?self.inner.local_addr().ok(), "accept: {e}; retrying in {backoff:?}");
                    sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        deregister(&mut self.inner, self.key);
    }
}

pub struct TcpStream {
    inner: mio::net::TcpStream,
    key: Key,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    _thread_bound: PhantomData<Rc<()>>,
}

impl TcpStream {
    fn from_mio(mut inner: mio::net::TcpStream) -> io::Result<TcpStream> {
        let key = register(&mut inner)?;
        Ok(TcpStream {
            inner,
            key,
            read_timeout: None,
            write_timeout: None,
            _thread_bound: PhantomData,
        })
    }

    pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        TcpStream::connect_timeout(addr, None)
    }

    pub fn connect_timeout(addr: SocketAddr, timeout: Option<Duration>) -> io::Result<TcpStream> {
        let stream = TcpStream::from_mio(mio::net::TcpStream::connect(addr)?)?;
        let deadline = deadline_after(timeout);
        loop {
            if let Some(e) = stream.inner.take_error()? {
                return Err(e);
            }
            match stream.inner.peer_addr() {
                Ok(_) => break,
                Err(e)
                    if e.kind() == io::ErrorKind::NotConnected
                        || e.raw_os_error() == Some(libc::EINPROGRESS) =>
                {
                    wait(stream.key, true, deadline)?
                }
                Err(e) => return Err(e),
            }
        }
        stream.inner.set_nodelay(true)?;
        Ok(stream)
    }

    /// Each read fails with `TimedOut` if no byte arrives within `timeout`.
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) {
        self.read_timeout = timeout;
    }

    /// Each write fails with `TimedOut` if the peer accepts no byte within `timeout`.
    pub fn set_write_timeout(&mut self, timeout: Option<Duration>) {
        self.write_timeout = timeout;
    }

    pub fn read_timeout(&self) -> Option<Duration> {
        self.read_timeout
    }

    pub fn write_timeout(&self) -> Option<Duration> {
        self.write_timeout
    }

    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.inner.set_nodelay(on)
    }

    /// TCP keepalive probes after `idle` without traffic; None turns them off.
    pub fn set_keepalive(&self, idle: Option<Duration>) -> io::Result<()> {
        let sock = SockRef::from(&self.inner);
        match idle {
            Some(idle) => sock.set_tcp_keepalive(&TcpKeepalive::new().with_time(idle)),
            None => sock.set_keepalive(false),
        }
    }

    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    fn retry<R>(
        &self,
        write: bool,
        mut op: impl FnMut(&mio::net::TcpStream) -> io::Result<R>,
    ) -> io::Result<R> {
        let deadline = deadline_after(if write {
            self.write_timeout
        } else {
            self.read_timeout
        });
        loop {
            match op(&self.inner) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => wait(self.key, write, deadline)?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                result => return result,
            }
        }
    }
}

impl Read for &TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.retry(false, |mut s| s.read(buf))
    }
}

impl Write for &TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.retry(true, |mut s| s.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Write for TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for TcpStream {
    fn drop(&mut self) {
        deregister(&mut self.inner, self.key);
    }
}
