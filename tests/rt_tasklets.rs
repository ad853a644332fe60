//! Tasklet lifecycle, kill and panic containment, timers, blocking work, channels closing,
//! cross-thread hand-off and the multi-thread runtime.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use stackmail::rt::{self, Channel, JoinError, KillError, RecvError, Runtime, SendError};

#[test]
fn join_returns_the_result_inside_and_outside_tasklets() {
    let inner = rt::spawn(|| 6 * 7);
    let outer = rt::spawn(move || inner.join().unwrap() + 1);
    assert_eq!(outer.join(), Ok(43));
}

#[test]
fn current_is_the_running_tasklet() {
    assert!(rt::current().is_none());
    let h = rt::spawn(|| rt::current().unwrap().id());
    let id = h.tasklet().id();
    assert_eq!(h.join(), Ok(id));
}

#[test]
fn a_panic_ends_only_its_own_tasklet() {
    let progress = Rc::new(Cell::new(0));
    let p = progress.clone();
    let steady = rt::spawn(move || {
        for _ in 0..5 {
            p.set(p.get() + 1);
            rt::schedule();
        }
    });
    let bad = rt::spawn(|| {
        rt::schedule();
        let v: Vec<u8> = Vec::new();
        v[3]
    });
    rt::run();
    match bad.join() {
        Err(JoinError::Panicked(msg)) => assert!(msg.contains("index out of bounds"), "{msg}"),
        other => panic!("expected a contained panic, got {other:?}"),
    }
    assert_eq!(steady.join(), Ok(()));
    assert_eq!(progress.get(), 5);
    assert_eq!(rt::stats().alive, 0);
}

#[test]
fn kill_runs_destructors_and_reports_finished_tasklets() {
    struct Flag(Rc<Cell<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let dropped = Rc::new(Cell::new(false));
    let d = dropped.clone();
    let ch: Channel<()> = Channel::new();
    let rx = ch.clone();
    let sleeper = rt::spawn(move || {
        let _flag = Flag(d);
        rx.receive().unwrap();
        unreachable!("never sent to");
    });
    rt::run();
    assert!(sleeper.tasklet().is_blocked());
    let t = sleeper.tasklet().clone();
    assert_eq!(t.kill(), Ok(()));
    assert!(dropped.get(), "the killed tasklet's destructors ran");
    assert_eq!(ch.balance(), 0, "the killed receiver left the channel");
    assert_eq!(t.kill(), Err(KillError::Finished));
    assert_eq!(sleeper.join(), Err(JoinError::Killed));

    // A tasklet killed before it ever ran drops its closure.
    let flag = Rc::new(Cell::new(false));
    let f = Flag(flag.clone());
    let never = rt::spawn(move || drop(f));
    never.tasklet().kill().unwrap();
    assert!(flag.get());
    assert_eq!(never.join(), Err(JoinError::Killed));
}

#[test]
fn a_tasklet_can_kill_itself() {
    let after = Rc::new(Cell::new(false));
    let a = after.clone();
    let h = rt::spawn(move || {
        let _ = rt::current().unwrap().kill();
        a.set(true);
    });
    assert_eq!(h.join(), Err(JoinError::Killed));
    assert!(!after.get());
}

#[test]
fn killed_sender_takes_its_message_back() {
    let ch: Channel<String> = Channel::new();
    let (a, b) = (ch.clone(), ch.clone());
    let s1 = rt::spawn(move || a.send("first".into()).unwrap());
    let s2 = rt::spawn(move || b.send("second".into()).unwrap());
    rt::run();
    assert_eq!(ch.balance(), 2);
    s1.tasklet().kill().unwrap();
    assert_eq!(ch.balance(), 1);
    let rx = ch.clone();
    let got = rt::spawn(move || rx.receive().unwrap());
    assert_eq!(got.join().unwrap(), "second");
    assert_eq!(s2.join(), Ok(()));
}

#[test]
fn a_killed_waiter_leaves_the_others_queued_in_order() {
    let ch: Channel<u32> = Channel::new();
    let senders: Vec<_> = (1..=4)
        .map(|v| {
            let tx = ch.clone();
            rt::spawn(move || tx.send(v).unwrap())
        })
        .collect();
    rt::run();
    assert_eq!(ch.balance(), 4);
    // The middle, then the last: both ends of the queue's links are mended.
    senders[1].tasklet().kill().unwrap();
    senders[3].tasklet().kill().unwrap();
    assert_eq!(ch.balance(), 2);
    let rx = ch.clone();
    let got = rt::spawn(move || [rx.receive(), rx.receive()]);
    assert_eq!(got.join(), Ok([Ok(1), Ok(3)]));
    assert_eq!(ch.balance(), 0);
    let queued: Vec<_> = (0..3)
        .map(|_| {
            let rx = ch.clone();
            rt::spawn(move || rx.receive())
        })
        .collect();
    rt::run();
    assert_eq!(ch.balance(), -3);
    queued[0].tasklet().kill().unwrap();
    ch.close();
    let results: Vec<_> = queued.into_iter().map(|h| h.join()).collect();
    assert_eq!(
        results,
        [
            Err(JoinError::Killed),
            Ok(Err(RecvError::Closed)),
            Ok(Err(RecvError::Closed))
        ]
    );
}

#[test]
fn joining_a_deadlocked_tasklet_from_outside_reports_it() {
    let ch: Channel<()> = Channel::new();
    let rx = ch.clone();
    let h = rt::spawn(move || rx.receive().unwrap());
    assert_eq!(h.join(), Err(JoinError::Deadlock));
}

#[test]
fn close_ends_iteration_and_wakes_waiting_receivers() {
    let ch: Channel<u32> = Channel::new();
    let rx = ch.clone();
    let sum = rt::spawn(move || rx.iter().map(|v| v.unwrap()).sum::<u32>());
    let tx = ch.clone();
    let sent = rt::spawn(move || {
        let n = tx.send_sequence(1..=10).unwrap();
        tx.close();
        n
    });
    assert_eq!(sent.join(), Ok(10));
    assert_eq!(sum.join(), Ok(55));
    assert!(ch.is_closed());
    assert!(matches!(ch.send(1), Err(SendError::Closed(1))));

    // Senders already waiting when the channel closes can still be drained.
    let ch: Channel<u32> = Channel::new();
    let tx = ch.clone();
    rt::spawn(move || tx.send(7).unwrap());
    rt::run();
    ch.close();
    assert!(ch.is_closing() && !ch.is_closed());
    let rx = ch.clone();
    let drained = rt::spawn(move || (rx.receive(), rx.receive()));
    assert_eq!(drained.join(), Ok((Ok(7), Err(RecvError::Closed))));
}

#[test]
fn channel_ops_outside_a_tasklet_never_block() {
    let ch: Channel<u8> = Channel::new();
    assert_eq!(ch.receive(), Err(RecvError::WouldBlock));
    assert_eq!(ch.send(1), Err(SendError::WouldBlock(1)));
    // A waiting receiver is served without blocking the caller.
    let rx = ch.clone();
    let h = rt::spawn(move || rx.receive());
    rt::run();
    assert_eq!(ch.send(9), Ok(()));
    assert_eq!(h.join(), Ok(Ok(9)));
}

#[test]
fn schedule_all_always_yields_the_caller() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let ch: Channel<u8> = Channel::new();
    ch.set_schedule_all(true);
    let (rx, l1) = (ch.clone(), log.clone());
    rt::spawn(move || {
        let v = rx.receive().unwrap();
        l1.borrow_mut().push(format!("received {v}"));
    });
    let l2 = log.clone();
    rt::spawn(move || {
        ch.send(1).unwrap();
        l2.borrow_mut().push("sender continues".to_string());
    });
    rt::run();
    assert_eq!(*log.borrow(), ["received 1", "sender continues"]);
}

#[test]
fn timers_wake_in_deadline_order() {
    let order = Rc::new(RefCell::new(Vec::new()));
    for (name, ms) in [("c", 30u64), ("a", 5), ("b", 15)] {
        let order = order.clone();
        rt::spawn(move || {
            rt::sleep(Duration::from_millis(ms));
            order.borrow_mut().push(name);
        });
    }
    let start = Instant::now();
    rt::run();
    assert_eq!(*order.borrow(), ["a", "b", "c"]);
    assert!(start.elapsed() >= Duration::from_millis(30));
}

#[test]
fn a_killed_sleeper_disarms_its_timer() {
    // Duration::MAX would overflow an Instant: it must mean "forever", not a panic.
    let h = rt::spawn(|| rt::sleep(Duration::MAX));
    rt::spawn(|| rt::sleep(Duration::from_millis(1)));
    let target = h.tasklet().clone();
    rt::spawn(move || {
        rt::sleep(Duration::from_millis(2));
        target.kill().unwrap();
    });
    // If the hour-long timer were still armed, run() would wait for it.
    rt::run();
    assert_eq!(h.join(), Err(JoinError::Killed));
}

#[test]
fn blocking_work_parks_only_its_tasklet() {
    let ticks = Rc::new(Cell::new(0u32));
    let t = ticks.clone();
    let ticker = rt::spawn(move || {
        for _ in 0..5 {
            rt::sleep(Duration::from_millis(2));
            t.set(t.get() + 1);
        }
    });
    let worker = rt::spawn(|| {
        rt::blocking(|| {
            std::thread::sleep(Duration::from_millis(50));
            std::thread::current().name().map(str::to_string)
        })
    });
    let ticks_seen = rt::spawn({
        let ticks = ticks.clone();
        move || {
            // Runs after the worker parked and before its job ends.
            rt::sleep(Duration::from_millis(30));
            ticks.get()
        }
    });
    assert_eq!(worker.join(), Ok(Some("stackmail-blocking".to_string())));
    assert_eq!(ticker.join(), Ok(()));
    assert!(
        ticks_seen.join().unwrap() >= 1,
        "the scheduler kept running while the job ran"
    );
    assert_eq!(ticks.get(), 5);
}

#[test]
fn a_panicking_blocking_job_panics_its_tasklet_only() {
    let h = rt::spawn(|| rt::blocking(|| -> u8 { panic!("disk on fire") }));
    match h.join() {
        Err(JoinError::Panicked(msg)) => assert!(msg.contains("disk on fire")),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_million_tasklets_spawn_and_finish_without_leaking_stacks() {
    let done = Rc::new(Cell::new(0u32));
    for _ in 0..100 {
        for _ in 0..10_000 {
            let d = done.clone();
            rt::spawn(move || d.set(d.get() + 1));
        }
        rt::run();
    }
    assert_eq!(done.get(), 1_000_000);
    let stats = rt::stats();
    assert_eq!(stats.alive, 0);
    assert!(
        stats.stacks_mapped <= 1024,
        "stacks still mapped: {}",
        stats.stacks_mapped
    );
    assert_eq!(
        stats.stacks_mapped, stats.stacks_pooled,
        "every stack went back to the pool"
    );
}

#[test]
fn remote_spawn_hands_work_to_another_scheduler() {
    let hits = Arc::new(AtomicUsize::new(0));
    let rt_handle = Runtime::new().threads(2).start(|_| {}).unwrap();
    for remote in rt_handle.remotes() {
        for _ in 0..10 {
            let hits = hits.clone();
            remote
                .spawn(move || {
                    rt::schedule();
                    hits.fetch_add(1, Ordering::SeqCst);
                })
                .unwrap();
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while hits.load(Ordering::SeqCst) < 20 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    let remote = rt_handle.remotes()[0].clone();
    rt_handle.stop();
    assert_eq!(hits.load(Ordering::SeqCst), 20);
    assert!(
        remote.spawn(|| {}).is_err(),
        "a stopped scheduler refuses work"
    );
}

#[test]
fn runtime_threads_share_nothing_and_finish_when_idle() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = seen.clone();
    Runtime::new()
        .threads(3)
        .run(move |index| {
            let ch: Channel<usize> = Channel::new();
            let rx = ch.clone();
            let h = rt::spawn(move || rx.receive().unwrap());
            ch.send(index).unwrap();
            let name = std::thread::current().name().unwrap().to_string();
            s.lock().unwrap().push((h.join().unwrap(), name));
        })
        .unwrap();
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            (0, "stackmail-0".into()),
            (1, "stackmail-1".into()),
            (2, "stackmail-2".into())
        ]
    );
}

#[test]
fn a_stack_overflow_hits_the_guard_page() {
    // The overflowing tasklet runs in a child process: the fault must kill it with SIGSEGV
    // at the guard page rather than scribble over whatever lies below the stack.
    if std::env::var_os("STACKMAIL_OVERFLOW_CHILD").is_some() {
        fn recurse(n: u64) -> u64 {
            let frame = std::hint::black_box([n; 64]);
            if n == 0 {
                0
            } else {
                recurse(n - 1).wrapping_add(frame[7])
            }
        }
        let h = rt::Builder::new()
            .stack_size(16 * 1024)
            .spawn(|| recurse(10_000_000))
            .unwrap();
        let _ = h.join();
        std::process::exit(0);
    }
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_stack_overflow_hits_the_guard_page",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("STACKMAIL_OVERFLOW_CHILD", "1")
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGSEGV), "{status:?}");
}
