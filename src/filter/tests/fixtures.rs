//! The `fixtures/*/case.toml` cases, parsed strictly (the format of `fixtures/README.md`) and
//! played through their stages in one VM, phase by phase, as the server will: this checks
//! the expectations against the filters' decisions before any socket is involved.
//! `tests/fixtures.rs` runs the same cases through a real `stackmail serve`.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use super::{client, global};
use crate::filter::fixture::{Case, Expect, case_dirs};
use crate::filter::*;
use crate::vm::interp::Vm;
use crate::vm::value::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The stages loaded into one VM: each stage's `run`, after its knobs were set.
fn load_stages(case: &Case) -> (Vm, Vec<Value>) {
    let harness = "class Outbox:\n    def __init__(self):\n        self.sent = []\n    def send(self, ev):\n        self.sent.append(ev)\ndef step(run, ev):\n    out = Outbox()\n    run([ev], out)\n    return len(out.sent) > 0\n";
    let mut vm = crate::vm::new_vm();
    install(&mut vm);
    let code = crate::vm::compile_source(harness, "t.py").unwrap();
    vm.start_module(code, "t", harness);
    vm.run(None).unwrap();
    let mut runs = Vec::new();
    for stage in &case.stages {
        let path = root().join(stage);
        let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{stage:?}: {e}"));
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let code = crate::vm::compile_source(&src, &path.to_string_lossy()).unwrap();
        vm.script_dir = path.parent().unwrap().to_path_buf();
        vm.start_module(code, &name, &src);
        vm.run(None).unwrap();
        let module = vm
            .modules
            .iter()
            .find(|(n, _)| **n == *name)
            .map(|m| m.1)
            .unwrap();
        for (key, value) in case.knobs.get(stage).into_iter().flatten() {
            let v = match value {
                toml::Value::Integer(i) => Value::Int(*i),
                toml::Value::Float(f) => Value::Float(*f),
                toml::Value::Boolean(b) => Value::Bool(*b),
                toml::Value::String(s) => vm.new_str(s.as_str()),
                other => panic!("knob {key} = {other}: only scalars"),
            };
            vm.store_attr(module, &std::rc::Rc::from(key.as_str()), v)
                .unwrap();
        }
        runs.push(global(&vm, &name, "run"));
    }
    (vm, runs)
}

/// Passes one event through the stages until one keeps it; returns its verdict.
fn play(vm: &mut Vm, runs: &[Value], ev: &Rc<RefCell<EventState>>) -> Verdict {
    let step = global(vm, "t", "step");
    for run in runs {
        let e = event_value(vm, ev);
        let passed = match vm.call_sync(step, vec![*run, e], vec![]) {
            Ok(v) => vm.truthy(v).unwrap(),
            Err(e) => {
                let v = vm.exception_value(e);
                panic!("stage failed: {}", vm.format_traceback(v));
            }
        };
        if !passed || ev.borrow().verdict == Verdict::Accept {
            break;
        }
    }
    ev.borrow().verdict.clone()
}

/// The reply a phase gets: the verdict's own code, else what the server answers.
fn reply(verdict: &Verdict, ok: u16) -> u16 {
    verdict.reply().map_or(ok, |r| r.0)
}

struct Outcome {
    expect: Expect,
    message: Option<Vec<u8>>,
}

fn run_case(dir: &Path, case: Case) -> Outcome {
    let (mut vm, runs) = load_stages(&case);
    let env = &case.envelope;
    let mut c = client();
    c.ip = env.client_ip;
    c.helo = None;
    c.tls = false;
    let event = |phase: Phase, c: &Client| EventState::new(phase, c.clone()).shared();

    let connect = reply(&play(&mut vm, &runs, &event(Phase::Connect, &c)), 220);
    c.helo = Some(env.helo.clone());
    let helo = reply(&play(&mut vm, &runs, &event(Phase::Helo, &c)), 250);
    let ev = event(Phase::Mail, &c);
    ev.borrow_mut().mail_from = Some(env.mail_from.clone());
    let mail = reply(&play(&mut vm, &runs, &ev), 250);

    let mut accepted: Vec<String> = Vec::new();
    let mut rcpt = Vec::new();
    for r in &env.rcpt {
        let ev = event(Phase::Rcpt, &c);
        {
            let mut s = ev.borrow_mut();
            s.mail_from = Some(env.mail_from.clone());
            s.rcpt = Some(r.clone());
            s.rcpts = accepted.clone();
            s.rcpts.push(r.clone());
        }
        let v = play(&mut vm, &runs, &ev);
        let code = reply(&v, 250);
        if (200..300).contains(&code) && v != Verdict::Discard {
            accepted = ev.borrow().rcpts.clone();
        }
        rcpt.push(code);
    }

    let (mut data, mut delivered, mut quarantined, mut message) = (None, vec![], false, None);
    if !accepted.is_empty() {
        let raw = std::fs::read(dir.join(&case.message)).unwrap();
        // On the wire every line ends in CRLF; the server prepends Received.
        let text = String::from_utf8_lossy(&raw).replace("\r\n", "\n");
        let wire = format!(
            "Received: from {} ([{}])\n\tby localhost (stackmail) with ESMTP\n\tfor <{}>;\n\tMon, 1 Jan 2024 00:00:00 +0000\n{text}",
            env.helo, env.client_ip, env.rcpt[0]
        )
        .replace('\n', "\r\n");
        let msg = shared_message(wire.into_bytes());
        let ev = event(Phase::Data, &c);
        {
            let mut s = ev.borrow_mut();
            s.mail_from = Some(env.mail_from.clone());
            s.rcpts = accepted.clone();
            s.message = Some(msg.clone());
        }
        let v = play(&mut vm, &runs, &ev);
        let code = reply(&v, 250);
        data = Some(code);
        if (200..300).contains(&code) {
            quarantined = matches!(v, Verdict::Quarantine { .. });
            if v != Verdict::Discard && !quarantined {
                delivered = ev.borrow().rcpts.clone();
                message = Some(msg.borrow().raw().to_vec());
            }
        }
    }
    Outcome {
        expect: Expect {
            connect,
            helo,
            mail,
            rcpt,
            data,
            delivered,
            quarantined,
            headers_present: vec![],
            headers_absent: vec![],
            body_contains: vec![],
        },
        message,
    }
}

#[test]
fn fixture_cases_hold() {
    let mut n = 0;
    for dir in case_dirs(&root().join("fixtures")).expect("fixtures/") {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let case = Case::load(&dir, root()).unwrap_or_else(|e| panic!("{e}"));
        let want = case.expect.clone();
        let got = run_case(&dir, case);
        let strip = |e: &Expect| {
            (
                e.connect,
                e.helo,
                e.mail,
                e.rcpt.clone(),
                e.data,
                e.delivered.clone(),
                e.quarantined,
            )
        };
        assert_eq!(strip(&got.expect), strip(&want), "{name}");
        if !want.headers_present.is_empty()
            || !want.headers_absent.is_empty()
            || !want.body_contains.is_empty()
        {
            let raw = got
                .message
                .unwrap_or_else(|| panic!("{name}: header checks need a delivered copy"));
            let msg = crate::mail::Message::new(raw);
            for h in &want.headers_present {
                assert!(msg.header(h).is_some(), "{name}: {h} missing");
            }
            for h in &want.headers_absent {
                assert!(msg.header(h).is_none(), "{name}: {h} present");
            }
            for b in &want.body_contains {
                assert!(msg.text().contains(b.as_str()), "{name}: body lacks {b:?}");
            }
        }
        n += 1;
    }
    assert!(n >= 8, "{n} fixture cases");
}
