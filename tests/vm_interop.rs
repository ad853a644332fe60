//! Native (Rust) tasklets and script tasklets on one channel: a native sender with a script
//! receiver and the reverse, for every preference and both arrival orders. The event log
//! must be the one pypy3 prints for the same scenario written all in Python
//! (`tests/stackless/preference.py`), where both sides are tasklets of one kind.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use stackmail::rt;
use stackmail::vm::interp::Vm;
use stackmail::vm::stackless::{self, ScriptChannel};
use stackmail::vm::value::Value;

const SCRIPT: &str = r#"
def sender(ch):
    print("sender: send")
    ch.send("x")
    print("sender: sent, balance %d" % ch.balance)

def receiver(ch):
    print("receiver: receive, balance %d" % ch.balance)
    v = ch.receive()
    print("receiver: got %s" % v)

def bystander():
    print("bystander runs")
"#;

fn say(vm: &Rc<RefCell<Vm>>, line: String) {
    let mut v = vm.borrow_mut();
    v.out.extend_from_slice(line.as_bytes());
    v.out.push(b'\n');
}

fn script_fn(vm: &Rc<RefCell<Vm>>, name: &str) -> Value {
    let mut v = vm.borrow_mut();
    let m = v.import("__main__").expect("main module");
    v.get_attr(m, name).expect("function defined")
}

/// One scenario; `native_sends` picks which side is the Rust tasklet.
fn scenario(pref: i8, sender_first: bool, native_sends: bool) -> String {
    let vm = Rc::new(RefCell::new(stackmail::vm::new_vm()));
    {
        let code = stackmail::vm::compile_source(SCRIPT, "interop.py").expect("compiles");
        let mut v = vm.borrow_mut();
        v.start_module(code, "__main__", SCRIPT);
        assert!(v.run(None).is_ok());
    }
    let ch = Rc::new(ScriptChannel::new(&vm));
    ch.channel().set_preference(pref);
    let native = {
        let (vm, ch) = (vm.clone(), ch.clone());
        move || {
            if native_sends {
                say(&vm, "sender: send".into());
                let p = ch.pin(vm.borrow_mut().new_str("x"));
                ch.send(p).expect("sent");
                say(
                    &vm,
                    format!("sender: sent, balance {}", ch.channel().balance()),
                );
            } else {
                say(
                    &vm,
                    format!("receiver: receive, balance {}", ch.channel().balance()),
                );
                let got = ch.receive().expect("received").get();
                let s = vm.borrow_mut().to_str(got).expect("a str");
                say(&vm, format!("receiver: got {s}"));
            }
        }
    };
    let script_role = if native_sends { "receiver" } else { "sender" };
    let script = {
        let (vm, ch) = (vm.clone(), ch.clone());
        move || {
            let f = script_fn(&vm, script_role);
            stackless::spawn_call(&vm, f, vec![ch.object()]);
        }
    };
    let native_first = native_sends == sender_first;
    if native_first {
        rt::spawn(native);
        script();
    } else {
        script();
        rt::spawn(native);
    }
    let by = script_fn(&vm, "bystander");
    stackless::spawn_call(&vm, by, Vec::new());
    rt::run();
    say(&vm, format!("balance {}", ch.channel().balance()));
    let out = std::mem::take(&mut vm.borrow_mut().out);
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn native_and_script_tasklets_exchange_in_stackless_order() {
    if !common::have_peer("pypy3") {
        return;
    }
    let theirs = common::run_script(
        "pypy3",
        &common::manifest_path("tests/stackless/preference.py"),
    );
    for native_sends in [true, false] {
        let mut ours = String::new();
        for pref in [-1i8, 0, 1] {
            for sender_first in [true, false] {
                ours += &format!(
                    "== preference {pref}, {} first\n",
                    if sender_first { "sender" } else { "receiver" }
                );
                ours += &scenario(pref, sender_first, native_sends);
            }
        }
        assert_eq!(
            ours,
            theirs,
            "native {} differs from pypy3",
            if native_sends { "sender" } else { "receiver" }
        );
    }
}

#[test]
fn an_exception_sent_by_a_native_tasklet_is_raised_in_the_script() {
    const SRC: &str = r#"
def catcher(ch, out):
    try:
        ch.receive()
    except KeyError as e:
        out.append("caught %r" % e)
"#;
    let vm = Rc::new(RefCell::new(stackmail::vm::new_vm()));
    let code = stackmail::vm::compile_source(SRC, "exc.py").expect("compiles");
    vm.borrow_mut().start_module(code, "__main__", SRC);
    assert!(vm.borrow_mut().run(None).is_ok());
    let ch = Rc::new(ScriptChannel::new(&vm));
    let f = script_fn(&vm, "catcher");
    let out = {
        let mut v = vm.borrow_mut();
        v.new_list(Vec::new())
    };
    stackless::spawn_call(&vm, f, vec![ch.object(), out]);
    let sender = {
        let (vm, ch) = (vm.clone(), ch.clone());
        rt::spawn(move || {
            let e = {
                let mut v = vm.borrow_mut();
                let k = v.new_str("key");
                let builtins = v.builtins;
                let class = v
                    .dict_get_str(builtins, &Rc::from("KeyError"))
                    .expect("KeyError");
                v.call_sync(class, vec![k], Vec::new()).expect("instance")
            };
            let p = ch.pin(e);
            ch.channel().send_exception(p).expect("sent");
        })
    };
    rt::run();
    assert!(sender.is_finished());
    let mut v = vm.borrow_mut();
    let s = v.repr(out).expect("repr");
    assert_eq!(s, "[\"caught KeyError('key')\"]");
}

fn vm_with(src: &str) -> Rc<RefCell<Vm>> {
    let vm = Rc::new(RefCell::new(stackmail::vm::new_vm()));
    let code = stackmail::vm::compile_source(src, "t.py").expect("compiles");
    vm.borrow_mut().start_module(code, "__main__", src);
    assert!(vm.borrow_mut().run(None).is_ok());
    vm
}

#[test]
fn the_instruction_budget_keeps_a_spinning_script_from_starving_native_tasklets() {
    const SRC: &str = r#"
def spin(state):
    try:
        while True:
            state[0] += 1
    finally:
        state[1] = "unwound"
"#;
    let vm = vm_with(SRC);
    vm.borrow_mut().tasklets.budget = Some(10_000);
    let state = {
        let mut v = vm.borrow_mut();
        let s = v.new_str("running");
        v.new_list(vec![Value::Int(0), s])
    };
    let f = script_fn(&vm, "spin");
    let spinner = stackless::spawn_call(&vm, f, vec![state]);
    let turns = Rc::new(RefCell::new(0));
    let native = {
        let (turns, spinner) = (turns.clone(), spinner.clone());
        rt::spawn(move || {
            for _ in 0..5 {
                *turns.borrow_mut() += 1;
                rt::schedule();
            }
            spinner.kill().expect("kills the spinner");
        })
    };
    rt::run();
    assert!(native.is_finished());
    assert_eq!(*turns.borrow(), 5);
    assert!(!spinner.is_alive());
    let mut v = vm.borrow_mut();
    let s = v.repr(state).expect("repr");
    assert!(s.ends_with(", 'unwound']"), "{s}");
    assert!(!s.starts_with("[0,"), "the spinner ran: {s}");
}

#[test]
fn killing_a_blocked_script_from_rust_runs_its_finally_blocks() {
    const SRC: &str = r#"
def waiter(ch, out):
    try:
        ch.receive()
        out.append("received")
    finally:
        out.append("finally ran")
"#;
    let vm = vm_with(SRC);
    let ch = ScriptChannel::new(&vm);
    let out = vm.borrow_mut().new_list(Vec::new());
    let f = script_fn(&vm, "waiter");
    let t = stackless::spawn_call(&vm, f, vec![ch.object(), out]);
    rt::run();
    assert_eq!(ch.channel().balance(), -1);
    t.kill().expect("killed");
    assert!(!t.is_alive());
    assert_eq!(
        ch.channel().balance(),
        0,
        "the killed waiter left the channel"
    );
    let s = vm.borrow_mut().repr(out).expect("repr");
    assert_eq!(s, "['finally ran']");
}

#[test]
fn a_script_in_time_sleep_parks_on_a_timer_and_a_kill_disarms_it() {
    const SRC: &str = r#"
import time

def sleeper(out):
    try:
        out.append("sleep")
        time.sleep(0.05)
        out.append("woke")
        time.sleep(30)
        out.append("slept")
    finally:
        out.append("finally")
"#;
    let vm = vm_with(SRC);
    // As the daemon sets it: `stackmail run` keeps CPython's thread-stopping sleep.
    vm.borrow_mut().tasklets.shares_thread = true;
    let out = vm.borrow_mut().new_list(Vec::new());
    let f = script_fn(&vm, "sleeper");
    let sleeper = stackless::spawn_call(&vm, f, vec![out]);
    let listed = move |vm: &Rc<RefCell<Vm>>| vm.borrow_mut().repr(out).expect("repr");
    let native = {
        let (vm, sleeper) = (vm.clone(), sleeper.clone());
        rt::spawn(move || {
            // Runs while the script sleeps: a thread-stopping sleep would not let it in
            // before "woke".
            let mut v = vm.borrow_mut();
            let (append, native) = (
                v.get_attr(out, "append").expect("append"),
                v.new_str("native"),
            );
            v.call_sync(append, vec![native], Vec::new())
                .expect("appended");
            drop(v);
            while !listed(&vm).contains("woke") {
                rt::sleep(Duration::from_millis(5));
            }
            rt::sleep(Duration::from_millis(20));
            sleeper.kill().expect("kills the sleeper");
        })
    };
    let started = Instant::now();
    rt::run();
    assert!(native.is_finished());
    assert!(!sleeper.is_alive());
    assert_eq!(listed(&vm), "['sleep', 'native', 'woke', 'finally']");
    // `run` returns once nothing is left to wait for: the killed sleeper's 30 s timer was
    // disarmed, not left to fire.
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn a_script_waiting_on_a_file_cannot_be_run_early() {
    const SRC: &str = r#"
import stackless

def reader(path, out):
    with open(path) as f:
        out.append(f.read())

def poker(t, go, out):
    go.receive()
    try:
        t.insert()
        out.append("inserted")
    except RuntimeError as e:
        out.append(str(e))

def main(path, go, out):
    t = stackless.tasklet(reader)(path, out)
    stackless.tasklet(poker)(t, go, out)
"#;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let vm = vm_with(SRC);
    vm.borrow_mut().tasklets.shares_thread = true;
    let go = ScriptChannel::new(&vm);
    let (path, out) = {
        let mut v = vm.borrow_mut();
        (
            v.new_str(fifo.display().to_string()),
            v.new_list(Vec::new()),
        )
    };
    let f = script_fn(&vm, "main");
    stackless::spawn_call(&vm, f, vec![path, go.object(), out]);
    let native = rt::spawn(move || {
        // The reader is parked on its read of the pipe by now.
        rt::sleep(Duration::from_millis(300));
        go.send(go.pin(Value::None)).expect("poker receives");
        rt::blocking(move || std::fs::write(&fifo, "from the pipe")).expect("written");
    });
    rt::run();
    assert!(native.is_finished());
    let listed = vm.borrow_mut().repr(out).expect("repr");
    assert_eq!(
        listed,
        "['You cannot run a blocked tasklet', 'from the pipe']"
    );
}
