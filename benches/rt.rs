//! Runtime micro-benchmarks: tasklet switch, channel round trip, spawn + finish, and timer
//! insertion with a million timers pending. Peer comparisons live in `bench/`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stackmail::rt::{self, Channel, timer::Timers};

fn switch(c: &mut Criterion) {
    c.bench_function("tasklet switch (schedule between 2 tasklets)", |b| {
        b.iter_custom(|iters| {
            for _ in 0..2 {
                rt::spawn(move || {
                    for _ in 0..iters / 2 {
                        rt::schedule();
                    }
                });
            }
            let start = Instant::now();
            rt::run();
            start.elapsed()
        })
    });
}

fn round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("channel");
    group.throughput(Throughput::Elements(1));
    group.bench_function("round trip (2 native tasklets)", |b| {
        b.iter_custom(|iters| {
            let ping: Channel<u64> = Channel::new();
            let pong: Channel<u64> = Channel::new();
            let (ping2, pong2) = (ping.clone(), pong.clone());
            rt::spawn(move || {
                for i in 0..iters {
                    ping.send(i).unwrap();
                    black_box(pong.receive().unwrap());
                }
            });
            rt::spawn(move || {
                for _ in 0..iters {
                    let v = ping2.receive().unwrap();
                    pong2.send(v).unwrap();
                }
            });
            let start = Instant::now();
            rt::run();
            start.elapsed()
        })
    });
    group.finish();
}

fn spawn_finish(c: &mut Criterion) {
    c.bench_function("spawn + finish", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            let mut left = iters;
            while left > 0 {
                let n = left.min(1000);
                for _ in 0..n {
                    rt::spawn(|| black_box(1));
                }
                rt::run();
                left -= n;
            }
            start.elapsed()
        })
    });
}

fn timer_insert(c: &mut Criterion) {
    let now = Instant::now();
    let mut timers = Timers::new();
    for i in 0..1_000_000u64 {
        timers.insert(now + Duration::from_micros(i * 37 % 60_000_000), i);
    }
    c.bench_function("timer insert + cancel, 1M pending", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            let key = timers.insert(now + Duration::from_secs(30) + Duration::from_nanos(i), i);
            black_box(timers.cancel(key));
        })
    });
    assert_eq!(timers.len(), 1_000_000);
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = switch, round_trip, spawn_finish, timer_insert
}
criterion_main!(benches);
