//! Out of file descriptors on accept: the listener backs off instead of spinning, and serves
//! the pending connection once a descriptor is free. Its own test binary, because it lowers
//! the process-wide descriptor limit.

#![allow(unsafe_code)] // setrlimit and the thread CPU clock have no safe std wrapper.

use std::time::Duration;

use stackmail::rt::{self, net::TcpListener};

fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[test]
fn accept_backs_off_on_emfile_and_recovers() {
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    // The kernel completes this handshake; the connection waits in the backlog.
    let _client = std::net::TcpStream::connect(addr).unwrap();

    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid resource id and out-pointer.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(rc, 0);
    let lowered = libc::rlimit {
        rlim_cur: 256,
        rlim_max: limit.rlim_max,
    };
    // SAFETY: valid resource id and pointer; lowering the soft limit is always allowed.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lowered) }, 0);
    let mut hog = Vec::new();
    while let Ok(f) = std::fs::File::open("/dev/null") {
        hog.push(f);
    }
    assert!(!hog.is_empty());

    let accepted = rt::spawn(move || {
        let cpu_before = thread_cpu_time();
        let result = listener.accept().map(|(_, peer)| peer);
        (
            result.map_err(|e| e.to_string()),
            thread_cpu_time() - cpu_before,
        )
    });
    rt::spawn(move || {
        rt::sleep(Duration::from_millis(300));
        drop(hog);
    });
    let (result, cpu) = accepted.join().unwrap();
    // SAFETY: as above; restores the original soft limit.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    assert!(result.is_ok(), "{result:?}");
    // A spinning accept would burn the whole 300 ms; backing off costs a few wake-ups.
    assert!(
        cpu < Duration::from_millis(100),
        "accept used {cpu:?} of CPU while out of descriptors"
    );
}
