//! Resident memory per parked tasklet: 100,000 tasklets blocked on one channel.
//! Prints KiB per tasklet, measured from /proc/self/statm before and after (Linux only).

use stackmail::rt::{self, Channel};

fn rss_kib() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4
}

fn main() {
    const N: usize = 100_000;
    let ch: Channel<u32> = Channel::new();
    // Warm the allocator and the stack pool path once so that the baseline is fair.
    {
        let rx = ch.clone();
        rt::spawn(move || rx.receive().ok());
        rt::run();
        ch.send(0).unwrap();
        rt::run();
    }
    let before = rss_kib();
    for _ in 0..N {
        let rx = ch.clone();
        rt::spawn(move || {
            let _ = rx.receive();
        });
    }
    rt::run();
    assert_eq!(ch.balance(), -(N as isize));
    let after = rss_kib();
    let per = (after - before) as f64 / N as f64;
    println!(
        "parked native tasklets: {N}, RSS grew {} KiB, {per:.2} KiB per tasklet",
        after - before
    );
    ch.close();
    rt::run();
}
