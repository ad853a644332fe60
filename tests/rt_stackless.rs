//! The runtime's channels and scheduler against PyPy's `stackless` module: every scenario in
//! `tests/stackless/*.py` is replayed here with native tasklets, and the event logs must
//! match line for line.

mod common;

use std::cell::RefCell;

use stackmail::rt::{self, Channel, RecvError};

thread_local! {
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

macro_rules! say {
    ($($arg:tt)*) => {{
        // Format first: the arguments may block on a channel.
        let line = format!($($arg)*);
        LOG.with(|l| l.borrow_mut().push(line))
    }};
}

fn take_log() -> String {
    LOG.with(|l| l.borrow_mut().drain(..).map(|line| line + "\n").collect())
}

fn compare(script: &str, native: impl FnOnce()) {
    native();
    let ours = take_log();
    if !common::have_peer("pypy3") {
        return;
    }
    let theirs = common::run_script(
        "pypy3",
        &common::manifest_path(&format!("tests/stackless/{script}")),
    );
    assert_eq!(
        ours, theirs,
        "event order differs from pypy3 {script}\n--- ours ---\n{ours}\n--- pypy3 ---\n{theirs}"
    );
}

#[test]
fn preference_in_both_arrival_orders() {
    compare("preference.py", || {
        for pref in [-1i8, 0, 1] {
            for sender_first in [true, false] {
                say!(
                    "== preference {pref}, {} first",
                    if sender_first { "sender" } else { "receiver" }
                );
                let ch: Channel<&str> = Channel::new();
                ch.set_preference(pref);
                let (a, b) = (ch.clone(), ch.clone());
                let sender = move || {
                    say!("sender: send");
                    a.send("x").unwrap();
                    say!("sender: sent, balance {}", a.balance());
                };
                let receiver = move || {
                    say!("receiver: receive, balance {}", b.balance());
                    let v = b.receive().unwrap();
                    say!("receiver: got {v}");
                };
                if sender_first {
                    rt::spawn(sender);
                    rt::spawn(receiver);
                } else {
                    rt::spawn(receiver);
                    rt::spawn(sender);
                }
                rt::spawn(|| say!("bystander runs"));
                rt::run();
                say!("balance {}", ch.balance());
            }
        }
    });
}

#[test]
fn waiting_queue_order_and_balance() {
    compare("queueing.py", || {
        let ch: Channel<String> = Channel::new();
        let sender = |name: &'static str, ch: &Channel<String>| {
            let ch = ch.clone();
            rt::spawn(move || {
                say!("{name} sends, balance {}", ch.balance());
                ch.send(name.to_string()).unwrap();
                say!("{name} done");
            });
        };
        let receiver = |name: &'static str, ch: &Channel<String>| {
            let ch = ch.clone();
            rt::spawn(move || {
                say!("{name} receives, balance {}", ch.balance());
                let v = ch.receive().unwrap();
                say!("{name} got {v}");
            });
        };
        for name in ["s1", "s2", "s3"] {
            sender(name, &ch);
        }
        rt::run();
        say!("balance after senders {}", ch.balance());
        for name in ["r1", "r2", "r3"] {
            receiver(name, &ch);
        }
        rt::run();
        say!("balance after receivers {}", ch.balance());
        for name in ["r4", "r5"] {
            receiver(name, &ch);
        }
        rt::run();
        say!("balance with receivers waiting {}", ch.balance());
        for name in ["s4", "s5"] {
            sender(name, &ch);
        }
        rt::run();
        say!("final balance {}", ch.balance());
    });
}

#[test]
fn send_exception_in_both_arrival_orders() {
    compare("exceptions.py", || {
        for receiver_first in [true, false] {
            let ch: Channel<&str, String> = Channel::new();
            let rx = ch.clone();
            let receiver = move || {
                say!("receiver waits");
                match rx.receive() {
                    Ok(v) => say!("receiver got value {v}"),
                    Err(RecvError::Exception(e)) => say!("receiver got exception {e}"),
                    Err(e) => panic!("unexpected {e}"),
                }
                say!("receiver got value {}", rx.receive().unwrap());
            };
            let sender = move || {
                say!("sender sends exception");
                ch.send_exception("bad mail".to_string()).unwrap();
                say!("sender sends value");
                ch.send("ok").unwrap();
                say!("sender done");
            };
            if receiver_first {
                rt::spawn(receiver);
                rt::spawn(sender);
            } else {
                rt::spawn(sender);
                rt::spawn(receiver);
            }
            rt::run();
            if receiver_first {
                say!("--");
            }
        }
    });
}

#[test]
fn schedule_ping_pong_and_pipeline() {
    compare("schedule.py", || {
        for (name, n) in [("a", 3), ("b", 1), ("c", 2)] {
            rt::spawn(move || {
                for i in 0..n {
                    say!("{name} step {i}");
                    rt::schedule();
                }
                say!("{name} ends");
            });
        }
        rt::run();

        let ping: Channel<i32> = Channel::new();
        let pong: Channel<i32> = Channel::new();
        let (ping2, pong2) = (ping.clone(), pong.clone());
        rt::spawn(move || {
            for i in 0..3 {
                say!("ping {i}");
                ping.send(i).unwrap();
                say!("pinger got {}", pong.receive().unwrap());
            }
        });
        rt::spawn(move || {
            for _ in 0..3 {
                let v = ping2.receive().unwrap();
                say!("pong {v}");
                pong2.send(v * 10).unwrap();
            }
        });
        rt::run();

        let chans: Vec<Channel<i32>> = (0..4).map(|_| Channel::new()).collect();
        for i in 0..3 {
            let (inbox, outbox) = (chans[i].clone(), chans[i + 1].clone());
            rt::spawn(move || {
                for _ in 0..3 {
                    let v = inbox.receive().unwrap();
                    say!("stage{i} got {v}");
                    outbox.send(v + 1).unwrap();
                }
            });
        }
        let first = chans[0].clone();
        rt::spawn(move || {
            for v in [10, 20, 30] {
                say!("source sends {v}");
                first.send(v).unwrap();
            }
        });
        let last = chans[3].clone();
        rt::spawn(move || {
            for _ in 0..3 {
                say!("sink got {}", last.receive().unwrap());
            }
        });
        rt::run();
    });
}

#[test]
fn kill_unwinds_a_blocked_tasklet_at_once() {
    compare("kill.py", || {
        struct Finally(&'static str);
        impl Drop for Finally {
            fn drop(&mut self) {
                say!("{} cleans up", self.0);
            }
        }
        let ch: Channel<&str> = Channel::new();
        let victim = |name: &'static str| {
            let ch = ch.clone();
            rt::spawn(move || {
                let _finally = Finally(name);
                say!("{name} waits");
                let v = ch.receive().unwrap();
                say!("{name} got {v}");
            })
        };
        let v1 = victim("v1");
        let v2 = victim("v2");
        rt::run();
        let target = v1.tasklet().clone();
        let tx = ch.clone();
        rt::spawn(move || {
            say!("killer kills");
            target.kill().unwrap();
            say!(
                "killer continues, victim alive {}",
                if target.is_alive() { "True" } else { "False" }
            );
            tx.send("mail").unwrap();
            say!("killer sent");
        });
        rt::run();
        say!(
            "v2 alive {}",
            if v2.is_finished() { "False" } else { "True" }
        );
        assert_eq!(v1.join(), Err(rt::JoinError::Killed));
        assert_eq!(ch.balance(), 0);
    });
}
