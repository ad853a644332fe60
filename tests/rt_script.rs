//! Script tasklets (no native stack, resumed by the scheduler) share the run queue and the
//! channels with native tasklets. Each scenario runs with native tasklets only (whose order
//! `rt_stackless.rs` checks against pypy3) and again with scripts in some roles: the event
//! logs must be identical.

use std::cell::RefCell;
use std::rc::Rc;

use stackmail::rt::{
    self, Channel, RecvError, RecvOutcome, ScriptBody, ScriptCell, ScriptStep, SendOutcome,
};

type Log = Rc<RefCell<Vec<String>>>;

fn say(log: &Log, line: String) {
    log.borrow_mut().push(line);
}

/// Sends one value, as a script.
struct ScriptSender {
    ch: Channel<&'static str>,
    cell: ScriptCell<&'static str>,
    log: Log,
    state: u8,
}

impl ScriptBody for ScriptSender {
    fn resume(&mut self) -> ScriptStep {
        if self.state == 0 {
            say(&self.log, "sender: send".into());
            self.state = 1;
            match self.ch.send_from_script("x", |v| v, &self.cell).unwrap() {
                SendOutcome::Sent { yield_now: true } => return ScriptStep::Yield,
                SendOutcome::Sent { yield_now: false } => {}
                SendOutcome::Parked => return ScriptStep::Park,
            }
        }
        assert!(self.cell.is_delivered());
        say(
            &self.log,
            format!("sender: sent, balance {}", self.ch.balance()),
        );
        ScriptStep::Done
    }
}

/// Receives one value, as a script.
struct ScriptReceiver {
    ch: Channel<&'static str>,
    cell: ScriptCell<&'static str>,
    log: Log,
    got: Option<&'static str>,
    state: u8,
}

impl ScriptBody for ScriptReceiver {
    fn resume(&mut self) -> ScriptStep {
        match self.state {
            0 => {
                say(
                    &self.log,
                    format!("receiver: receive, balance {}", self.ch.balance()),
                );
                match self.ch.receive_from_script(&self.cell, |v| *v).unwrap() {
                    RecvOutcome::Received { value, yield_now } => {
                        if yield_now {
                            self.got = Some(value);
                            self.state = 1;
                            return ScriptStep::Yield;
                        }
                        self.got = Some(value);
                    }
                    RecvOutcome::Parked => {
                        self.state = 2;
                        return ScriptStep::Park;
                    }
                }
            }
            1 => {}
            _ => self.got = Some(self.cell.take_received().unwrap().unwrap()),
        }
        say(&self.log, format!("receiver: got {}", self.got.unwrap()));
        ScriptStep::Done
    }
}

fn native_sender(ch: Channel<&'static str>, log: Log) {
    rt::spawn(move || {
        say(&log, "sender: send".into());
        ch.send("x").unwrap();
        say(&log, format!("sender: sent, balance {}", ch.balance()));
    });
}

fn native_receiver(ch: Channel<&'static str>, log: Log) {
    rt::spawn(move || {
        say(&log, format!("receiver: receive, balance {}", ch.balance()));
        let v = ch.receive().unwrap();
        say(&log, format!("receiver: got {v}"));
    });
}

fn exchange(
    pref: i8,
    sender_first: bool,
    script_sender: bool,
    script_receiver: bool,
) -> Vec<String> {
    let log: Log = Rc::default();
    let ch: Channel<&'static str> = Channel::new();
    ch.set_preference(pref);
    let spawn_sender = || {
        if script_sender {
            rt::spawn_script(Box::new(ScriptSender {
                ch: ch.clone(),
                cell: ScriptCell::new(),
                log: log.clone(),
                state: 0,
            }));
        } else {
            native_sender(ch.clone(), log.clone());
        }
    };
    let spawn_receiver = || {
        if script_receiver {
            rt::spawn_script(Box::new(ScriptReceiver {
                ch: ch.clone(),
                cell: ScriptCell::new(),
                log: log.clone(),
                got: None,
                state: 0,
            }));
        } else {
            native_receiver(ch.clone(), log.clone());
        }
    };
    if sender_first {
        spawn_sender();
        spawn_receiver();
    } else {
        spawn_receiver();
        spawn_sender();
    }
    let l = log.clone();
    rt::spawn(move || say(&l, "bystander runs".into()));
    rt::run();
    say(&log, format!("balance {}", ch.balance()));
    assert_eq!(rt::stats().alive, 0);
    log.take()
}

#[test]
fn scripts_exchange_with_natives_in_stackless_order() {
    for pref in [-1, 0, 1] {
        for sender_first in [true, false] {
            let native = exchange(pref, sender_first, false, false);
            for (s, r) in [(true, false), (false, true), (true, true)] {
                assert_eq!(
                    exchange(pref, sender_first, s, r),
                    native,
                    "preference {pref}, sender first {sender_first}, script sender {s}, script receiver {r}"
                );
            }
        }
    }
}

/// Yields `n` times, logging each step, as a script.
struct Stepper {
    name: &'static str,
    n: u32,
    i: u32,
    log: Log,
}

impl ScriptBody for Stepper {
    fn resume(&mut self) -> ScriptStep {
        if self.i < self.n {
            say(&self.log, format!("{} step {}", self.name, self.i));
            self.i += 1;
            return ScriptStep::Yield;
        }
        say(&self.log, format!("{} ends", self.name));
        ScriptStep::Done
    }
}

#[test]
fn scripts_and_natives_share_one_run_queue() {
    let run = |scripts: bool| {
        let log: Log = Rc::default();
        for (name, n) in [("a", 3), ("b", 1), ("c", 2)] {
            if scripts && name != "b" {
                rt::spawn_script(Box::new(Stepper {
                    name,
                    n,
                    i: 0,
                    log: log.clone(),
                }));
            } else {
                let log = log.clone();
                rt::spawn(move || {
                    for i in 0..n {
                        say(&log, format!("{name} step {i}"));
                        rt::schedule();
                    }
                    say(&log, format!("{name} ends"));
                });
            }
        }
        rt::run();
        log.take()
    };
    assert_eq!(run(true), run(false));
}

/// Waits for one value; records what it got and whether it was dropped.
struct Waiter {
    ch: Channel<u32, String>,
    cell: ScriptCell<u32, String>,
    log: Log,
    name: &'static str,
    parked: bool,
}

impl ScriptBody for Waiter {
    fn resume(&mut self) -> ScriptStep {
        let got = if self.parked {
            self.cell.take_received().expect("resumed only once served")
        } else {
            match self.ch.receive_from_script(&self.cell, |v| *v) {
                Ok(RecvOutcome::Parked) => {
                    self.parked = true;
                    return ScriptStep::Park;
                }
                Ok(RecvOutcome::Received { value, .. }) => Ok(value),
                Err(e) => Err(e),
            }
        };
        say(&self.log, format!("{} got {got:?}", self.name));
        ScriptStep::Done
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        say(&self.log, format!("{} dropped", self.name));
    }
}

#[test]
fn a_killed_script_is_skipped_by_the_channel() {
    let log: Log = Rc::default();
    let ch: Channel<u32, String> = Channel::new();
    let waiter = |name| {
        Box::new(Waiter {
            ch: ch.clone(),
            cell: ScriptCell::new(),
            log: log.clone(),
            name,
            parked: false,
        })
    };
    let w1 = rt::spawn_script(waiter("w1"));
    let _w2 = rt::spawn_script(waiter("w2"));
    rt::run();
    assert!(w1.is_blocked());
    w1.kill().unwrap();
    assert!(!w1.is_alive());
    assert_eq!(rt::script_result(&w1), Some(Err(rt::JoinError::Killed)));
    let tx = ch.clone();
    rt::spawn(move || tx.send(7).unwrap());
    rt::run();
    assert_eq!(*log.borrow(), ["w1 dropped", "w2 got Ok(7)", "w2 dropped"]);
}

#[test]
fn exceptions_and_close_reach_script_receivers() {
    let log: Log = Rc::default();
    let ch: Channel<u32, String> = Channel::new();
    for name in ["a", "b"] {
        rt::spawn_script(Box::new(Waiter {
            ch: ch.clone(),
            cell: ScriptCell::new(),
            log: log.clone(),
            name,
            parked: false,
        }));
    }
    rt::run();
    ch.send_exception("bad mail".into()).unwrap();
    ch.close();
    rt::run();
    assert_eq!(
        *log.borrow(),
        [
            format!(
                "a got {:?}",
                Err::<u32, _>(RecvError::Exception("bad mail".to_string()))
            ),
            "a dropped".to_string(),
            format!("b got {:?}", Err::<u32, _>(RecvError::<String>::Closed)),
            "b dropped".to_string(),
        ]
    );
}

#[test]
fn twenty_thousand_scripts_park_on_one_channel() {
    let log: Log = Rc::default();
    let ch: Channel<u32, String> = Channel::new();
    for _ in 0..20_000 {
        rt::spawn_script(Box::new(Waiter {
            ch: ch.clone(),
            cell: ScriptCell::new(),
            log: log.clone(),
            name: "w",
            parked: false,
        }));
    }
    rt::run();
    assert_eq!(ch.balance(), -20_000);
    assert_eq!(
        rt::stats().stacks_mapped,
        0,
        "script tasklets need no native stack"
    );
    let tx = ch.clone();
    rt::spawn(move || tx.send_sequence(0..20_000).unwrap());
    rt::run();
    assert_eq!(rt::stats().alive, 0);
    assert_eq!(
        log.borrow()
            .iter()
            .filter(|l| l.starts_with("w got Ok("))
            .count(),
        20_000
    );
}

struct Panicker;

impl ScriptBody for Panicker {
    fn resume(&mut self) -> ScriptStep {
        panic!("script body bug")
    }
}

#[test]
fn a_panicking_script_body_ends_only_itself() {
    let t = rt::spawn_script(Box::new(Panicker));
    let ok = rt::spawn(|| 5);
    rt::run();
    assert!(!t.is_alive());
    assert_eq!(
        rt::script_result(&t),
        Some(Err(rt::JoinError::Panicked("script body bug".into())))
    );
    assert_eq!(ok.join(), Ok(5));
}

/// Tries to join a native tasklet (which a script cannot wait for), then waits on a channel.
struct Joiner {
    target: Option<rt::JoinHandle<u32>>,
    ch: Channel<u32, String>,
    cell: ScriptCell<u32, String>,
    log: Log,
}

impl ScriptBody for Joiner {
    fn resume(&mut self) -> ScriptStep {
        if let Some(target) = self.target.take() {
            say(&self.log, format!("join: {:?}", target.join()));
            return match self.ch.receive_from_script(&self.cell, |v| *v) {
                Ok(RecvOutcome::Parked) => ScriptStep::Park,
                other => panic!("unexpected {other:?}"),
            };
        }
        say(&self.log, format!("got {:?}", self.cell.take_received()));
        ScriptStep::Done
    }
}

#[test]
fn a_script_cannot_block_in_join_and_is_not_woken_by_it_later() {
    let log: Log = Rc::default();
    let ch: Channel<u32, String> = Channel::new();
    let target = rt::spawn(|| {
        rt::schedule();
        7
    });
    rt::spawn_script(Box::new(Joiner {
        target: Some(target),
        ch: ch.clone(),
        cell: ScriptCell::new(),
        log: log.clone(),
    }));
    rt::run();
    // The joined tasklet has finished; the script must still be waiting on the channel.
    assert_eq!(*log.borrow(), ["join: Err(Deadlock)"]);
    assert_eq!(ch.balance(), -1);
    let tx = ch.clone();
    rt::spawn(move || tx.send(3).unwrap());
    rt::run();
    assert_eq!(*log.borrow(), ["join: Err(Deadlock)", "got Some(Ok(3))"]);
}

/// Script tasklets of one owner whose body runs every turn it is handed (`rt::hand_off`),
/// as the VM does: tasklet `i` yields until it has run `turns[i]` turns.
struct Table {
    turns: Vec<u32>,
    done: Vec<u32>,
    /// How many times the scheduler called a body (turns handed off are not counted).
    resumes: u32,
    log: Log,
}

struct Relay {
    table: Rc<RefCell<Table>>,
    me: u32,
    owner: u32,
}

impl ScriptBody for Relay {
    fn resume(&mut self) -> ScriptStep {
        let mut i = self.me;
        self.table.borrow_mut().resumes += 1;
        loop {
            let step = {
                let mut t = self.table.borrow_mut();
                let n = t.done[i as usize] + 1;
                t.done[i as usize] = n;
                say(&t.log, format!("script {i}: turn {n}"));
                if n >= t.turns[i as usize] {
                    ScriptStep::Done
                } else {
                    ScriptStep::Yield
                }
            };
            match rt::hand_off(step, self.owner) {
                Some(next) => i = next,
                None => return step,
            }
        }
    }
}

/// Three relaying scripts, a native tasklet between them in the run queue, and a script of
/// another owner: the turns come in the order the loop alone gives them (owner 0 never
/// hands off).
fn relay_log(owner: u32) -> (Vec<String>, u32) {
    let log: Log = Rc::default();
    let table = Rc::new(RefCell::new(Table {
        turns: vec![3, 2, 4, 3],
        done: vec![0; 4],
        resumes: 0,
        log: log.clone(),
    }));
    let spawn = |me: u32, owner: u32| {
        let t = rt::spawn_script(Box::new(Relay {
            table: table.clone(),
            me,
            owner,
        }));
        if owner != 0 {
            t.set_script_key((u64::from(owner) << 32) | u64::from(me));
        }
    };
    spawn(0, owner);
    spawn(1, owner);
    let l = log.clone();
    rt::spawn(move || {
        for n in 1..=3 {
            say(&l, format!("native: turn {n}"));
            rt::schedule();
        }
    });
    spawn(2, owner);
    // Another VM's tasklet: never handed a turn by these.
    spawn(3, if owner == 0 { 0 } else { owner + 1 });
    rt::run();
    let out = log.borrow().clone();
    (out, table.borrow().resumes)
}

#[test]
fn handing_off_keeps_the_order_of_turns() {
    let (plain, resumed) = relay_log(0);
    assert_eq!(plain.len(), 3 + 2 + 4 + 3 + 3);
    assert_eq!(resumed, 3 + 2 + 4 + 3);
    let (handed, resumed) = relay_log(7);
    assert_eq!(handed, plain);
    // Runs of turns of scripts 0-2 between the native's and script 3's went by hand-off.
    assert!(resumed < 3 + 2 + 4 + 3, "{resumed} resumes");
}

#[test]
fn handing_off_lets_timers_and_io_in() {
    // Two scripts hand the turn to each other until a native tasklet, woken by a timer,
    // stops them: the hand-offs must leave the loop room to poll.
    let log: Log = Rc::default();
    let table = Rc::new(RefCell::new(Table {
        turns: vec![u32::MAX, u32::MAX],
        done: vec![0; 2],
        resumes: 0,
        log: log.clone(),
    }));
    for me in 0..2 {
        let t = rt::spawn_script(Box::new(Relay {
            table: table.clone(),
            me,
            owner: 9,
        }));
        t.set_script_key((9u64 << 32) | u64::from(me));
    }
    let t = table.clone();
    rt::spawn(move || {
        rt::sleep(std::time::Duration::from_millis(20));
        let mut t = t.borrow_mut();
        t.turns = t.done.iter().map(|d| d + 1).collect();
    });
    rt::run();
    let t = table.borrow();
    assert!(t.done.iter().all(|&d| d > 1), "{:?}", t.done);
}

/// Waits, as a script, for a job on a helper thread that lasts until `gate` opens.
struct ScriptJobWaiter {
    name: &'static str,
    gate: std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
    job: Option<rt::ScriptJob<u32>>,
    log: Log,
}

impl ScriptBody for ScriptJobWaiter {
    fn resume(&mut self) -> ScriptStep {
        if let Some(job) = self.job.take() {
            let got = job.take().map(|r| r.expect("the job did not panic"));
            say(&self.log, format!("{}: got {got:?}", self.name));
            return ScriptStep::Done;
        }
        let gate = self.gate.clone();
        let work = move || {
            let (open, cv) = &*gate;
            let mut open = open.lock().unwrap();
            while !*open {
                open = cv.wait(open).unwrap();
            }
            7
        };
        match rt::start_for_script(work) {
            Ok(job) => {
                self.job = Some(job);
                say(&self.log, format!("{}: waits on its job", self.name));
                ScriptStep::Park
            }
            Err(_) => panic!("a script tasklet can always start a job"),
        }
    }
}

#[test]
fn script_jobs_park_their_tasklet_and_leave_half_the_helper_pool_to_the_server() {
    // Two helper threads: script jobs may take one; b's job waits for a's.
    rt::set_blocking_threads(2);
    let log: Log = Rc::default();
    let gate = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
    for name in ["a", "b"] {
        rt::spawn_script(Box::new(ScriptJobWaiter {
            name,
            gate: gate.clone(),
            job: None,
            log: log.clone(),
        }));
    }
    // Runs while a's job blocks: a script waiting on a job does not hold the thread. The
    // server's own blocking work still finds a helper thread.
    let opener = {
        let (log, gate) = (log.clone(), gate.clone());
        rt::spawn(move || {
            say(&log, "native: runs".into());
            let n = rt::blocking(|| 40) + 2;
            say(&log, format!("native: blocking job gave {n}"));
            *gate.0.lock().unwrap() = true;
            gate.1.notify_all();
        })
    };
    rt::run();
    assert!(opener.is_finished());
    assert_eq!(
        *log.borrow(),
        [
            "a: waits on its job",
            "b: waits on its job",
            "native: runs",
            "native: blocking job gave 42",
            "a: got Some(7)",
            "b: got Some(7)",
        ]
    );
}
