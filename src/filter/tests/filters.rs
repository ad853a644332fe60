//! The standard filters of `filters/`, each run on a list standing in for its inbox and a
//! recording object for its outbox: their decisions, without tasklets or a server.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use super::{client, global};
use crate::filter::*;
use crate::vm::interp::Vm;
use crate::vm::value::Value;

fn filters_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/filters"))
}

/// `filters/NAME.py` imported as `f` by a harness module `t`, with a fake clock.
fn harness(name: &str) -> Vm {
    let src = format!(
        "import {name} as f\n\
NOW = [1000.0]\n\
f.clock = lambda: NOW[0]\n\
class Outbox:\n    def __init__(self):\n        self.sent = []\n    def send(self, ev):\n        self.sent.append(ev)\n\
def timed(events, times):\n    for i in range(len(events)):\n        if times is not None:\n            NOW[0] = times[i]\n        yield events[i]\n\
def drive(events, times=None):\n    out = Outbox()\n    f.run(timed(events, times), out)\n    return len(out.sent)\n\
def knob(name, value):\n    setattr(f, name, value)\n"
    );
    let code = crate::vm::compile_source(&src, "t.py").expect("compiles");
    let mut vm = crate::vm::new_vm();
    install(&mut vm);
    vm.script_dir = filters_dir();
    vm.start_module(code, "t", &src);
    if let Err(e) = vm.run(None) {
        let v = vm.exception_value(e);
        panic!("harness failed: {}", vm.format_traceback(v));
    }
    vm
}

/// Runs the filter over `events` (at `times`, when given); returns how many it passed on.
fn drive(vm: &mut Vm, events: &[Rc<RefCell<EventState>>], times: Option<&[f64]>) -> usize {
    let values: Vec<Value> = events.iter().map(|e| event_value(vm, e)).collect();
    let list = vm.new_list(values);
    let times = match times {
        Some(t) => {
            let t = t.iter().map(|x| Value::Float(*x)).collect();
            vm.new_list(t)
        }
        None => Value::None,
    };
    let f = global(vm, "t", "drive");
    match vm.call_sync(f, vec![list, times], vec![]) {
        Ok(Value::Int(n)) => n as usize,
        Ok(_) => unreachable!("drive returns an int"),
        Err(e) => {
            let v = vm.exception_value(e);
            panic!("filter failed: {}", vm.exception_line(v))
        }
    }
}

fn knob(vm: &mut Vm, name: &str, value: Value) {
    let f = global(vm, "t", "knob");
    let n = vm.new_str(name);
    vm.call_sync(f, vec![n, value], vec![]).unwrap();
}

struct Ev {
    phase: Phase,
    ip: &'static str,
    from: &'static str,
    rcpt: &'static str,
    raw: Option<Vec<u8>>,
}

impl Ev {
    fn at(phase: Phase) -> Ev {
        Ev {
            phase,
            ip: "192.0.2.10",
            from: "alice@example.net",
            rcpt: "bob@example.test",
            raw: None,
        }
    }
    fn ip(mut self, ip: &'static str) -> Ev {
        self.ip = ip;
        self
    }
    fn from(mut self, from: &'static str) -> Ev {
        self.from = from;
        self
    }
    fn rcpt(mut self, rcpt: &'static str) -> Ev {
        self.rcpt = rcpt;
        self
    }
    fn message(mut self, raw: &str) -> Ev {
        self.raw = Some(raw.as_bytes().to_vec());
        self.phase = Phase::Data;
        self
    }
    fn build(self) -> Rc<RefCell<EventState>> {
        let mut c = client();
        c.ip = self.ip.parse().unwrap();
        let mut s = EventState::new(self.phase, c);
        s.mail_from = Some(self.from.into());
        if self.phase.has_envelope() {
            s.rcpts = vec![self.rcpt.into()];
        }
        if self.phase == Phase::Rcpt {
            s.rcpt = Some(self.rcpt.into());
        }
        if let Some(raw) = self.raw {
            s.message = Some(shared_message(raw));
        }
        s.shared()
    }
}

fn verdict(ev: &Rc<RefCell<EventState>>) -> Verdict {
    ev.borrow().verdict.clone()
}

fn code(ev: &Rc<RefCell<EventState>>) -> Option<u16> {
    ev.borrow().verdict.reply().map(|r| r.0)
}

fn header(ev: &Rc<RefCell<EventState>>, name: &str) -> Option<String> {
    let s = ev.borrow();
    let m = s.message.as_ref().unwrap().borrow();
    m.header(name)
}

const HAM: &str = "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <1@example.test>\r\nSubject: Lunch on Friday\r\n\r\nShall we meet at noon?\r\n";

#[test]
fn every_standard_filter_passes_check() {
    let mut n = 0;
    for entry in std::fs::read_dir(filters_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "py") {
            check_script(&path).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 8, "{n} filters");
}

#[test]
fn spam_score_marks_and_refuses() {
    let mut vm = harness("spam_score");
    let ham = Ev::at(Phase::Data).message(HAM).build();
    let spam = Ev::at(Phase::Data)
        .message("From: x@example.net\nSubject: YOU HAVE WON THE LOTTERY\n\nClaim your jackpot: send your bank details. Click here, act now!\n")
        .build();
    let rcpt = Ev::at(Phase::Rcpt).build();
    assert_eq!(
        drive(&mut vm, &[ham.clone(), spam.clone(), rcpt.clone()], None),
        2
    );
    assert_eq!(verdict(&ham), Verdict::Continue);
    assert_eq!(header(&ham, "X-Spam-Score").as_deref(), Some("0.0"));
    assert_eq!(header(&ham, "X-Spam-Rules"), None);
    let forged = Ev::at(Phase::Data)
        .message("Subject: hi\nX-Spam-Score: -100\nX-Spam-Rules: whitelisted\n\nhello\n")
        .build();
    drive(&mut vm, std::slice::from_ref(&forged), None);
    assert_eq!(header(&forged, "X-Spam-Score").as_deref(), Some("0.0"));
    assert_eq!(
        header(&forged, "X-Spam-Rules"),
        None,
        "a forged header is removed"
    );
    assert_eq!(code(&spam), Some(550));
    assert_eq!(
        header(&spam, "X-Spam-Rules").as_deref(),
        Some("lottery, money-transfer, urgency, click-here, shouting-subject")
    );
    assert_eq!(header(&spam, "X-Spam-Score").as_deref(), Some("8.0"));
    assert_eq!(verdict(&rcpt), Verdict::Continue);
    // With no threshold, messages are only marked.
    knob(&mut vm, "THRESHOLD", Value::None);
    let spam = Ev::at(Phase::Data)
        .message("Subject: lottery winner\n\nviagra\n")
        .build();
    assert_eq!(drive(&mut vm, std::slice::from_ref(&spam), None), 1);
    assert_eq!(header(&spam, "X-Spam-Score").as_deref(), Some("7.0"));
}

fn with_attachment(name: &str) -> String {
    format!(
        "From: a@example.net\nSubject: files\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nhi\n--B\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"{name}\"\nContent-Transfer-Encoding: base64\n\nTVo=\n--B--\n"
    )
}

#[test]
fn block_attachments_refuses_executables() {
    let mut vm = harness("block_attachments");
    for (name, blocked) in [
        ("report.pdf", false),
        ("setup.exe", true),
        ("invoice.pdf.exe", true),
        ("INVOICE.PDF.EXE", true),
        ("photo.jpg   .scr", true),
        ("trailing.exe. . ", true),
        ("script.js", true),
        ("notes.json", false),
        ("archive.jar", true),
        ("tool.com", true),
        ("exe", false),
        ("run.bat", true),
        ("x.vbs", true),
        ("x.cmd", true),
        ("x.pif", true),
    ] {
        let ev = Ev::at(Phase::Data).message(&with_attachment(name)).build();
        let passed = drive(&mut vm, std::slice::from_ref(&ev), None);
        assert_eq!(passed == 0, blocked, "{name}");
        if blocked {
            let v = verdict(&ev);
            let (code, text) = v.reply().unwrap();
            assert_eq!(code, 554);
            assert!(text.ends_with(name), "{text}");
        }
    }
    let plain = Ev::at(Phase::Data).message(HAM).build();
    assert_eq!(drive(&mut vm, &[plain], None), 1);
    // RFC 2231 parameters and RFC 2047 words are decoded before the name is judged.
    for disposition in [
        "attachment; filename*=UTF-8''invoice.pdf.exe",
        "attachment; filename=\"=?UTF-8?B?aW52b2ljZS5wZGYuZXhl?=\"",
    ] {
        let raw = with_attachment("x").replace("attachment; filename=\"x\"", disposition);
        let ev = Ev::at(Phase::Data).message(&raw).build();
        assert_eq!(
            drive(&mut vm, std::slice::from_ref(&ev), None),
            0,
            "{disposition}"
        );
        assert_eq!(code(&ev), Some(554));
    }
}

#[test]
fn aliases_rewrite_and_refuse_unknown_users() {
    let mut vm = harness("aliases");
    let known = Ev::at(Phase::Rcpt).rcpt("Bob@Example.TEST").build();
    let alias = Ev::at(Phase::Rcpt).rcpt("info@example.test").build();
    let list = Ev::at(Phase::Rcpt).rcpt("sales@example.test").build();
    let unknown = Ev::at(Phase::Rcpt).rcpt("mallory@example.test").build();
    let foreign = Ev::at(Phase::Rcpt)
        .rcpt("someone@elsewhere.example")
        .build();
    let bare = Ev::at(Phase::Rcpt).rcpt("postmaster").build();
    let data = Ev::at(Phase::Data).message(HAM).build();
    let all = [
        known.clone(),
        alias.clone(),
        list.clone(),
        unknown.clone(),
        foreign.clone(),
        bare.clone(),
        data.clone(),
    ];
    assert_eq!(drive(&mut vm, &all, None), 6);
    assert_eq!(verdict(&known), Verdict::Continue);
    assert_eq!(alias.borrow().rcpts, vec!["alice@example.test".to_string()]);
    assert_eq!(
        list.borrow().rcpts,
        vec!["alice@example.test".to_string(), "bob@example.test".into()]
    );
    assert_eq!(
        verdict(&unknown),
        Verdict::Reject {
            code: 550,
            text: "5.1.1 <mallory@example.test>: no such user here".into()
        }
    );
    assert_eq!(verdict(&foreign), Verdict::Continue);
    assert!(foreign.borrow().edits.is_empty());
    assert_eq!(verdict(&bare), Verdict::Continue);

    // Postmaster aliased to a bare local part: the target goes to the first of DOMAINS (a
    // bare "alice" is no address a RCPT could name, and redirect() refuses it).
    let aliases = vm.new_dict();
    let target = vm.new_str("alice");
    if let Value::Obj(d) = aliases {
        vm.dict_set_str(d, &Rc::from("postmaster"), target);
    }
    knob(&mut vm, "ALIASES", aliases);
    let bare = Ev::at(Phase::Rcpt).rcpt("Postmaster").build();
    assert_eq!(drive(&mut vm, std::slice::from_ref(&bare), None), 1);
    assert_eq!(bare.borrow().rcpts, vec!["alice@example.test".to_string()]);
}

#[test]
fn rate_limit_tempfails_past_the_limit() {
    let mut vm = harness("rate_limit");
    knob(&mut vm, "MAX_CONNECTIONS", Value::Int(3));
    knob(&mut vm, "MAX_MESSAGES", Value::Int(2));
    let conns: Vec<_> = (0..5).map(|_| Ev::at(Phase::Connect).build()).collect();
    let other = Ev::at(Phase::Connect).ip("198.51.100.1").build();
    let mut events = conns.clone();
    events.push(other.clone());
    // Four within a minute from one address, then one after the window has passed.
    let times = [0.0, 10.0, 20.0, 30.0, 90.0, 30.0];
    assert_eq!(drive(&mut vm, &events, Some(&times)), 5);
    assert_eq!(code(&conns[3]), Some(451));
    assert!(
        verdict(&conns[4]) == Verdict::Continue,
        "the window moved on"
    );
    assert_eq!(verdict(&other), Verdict::Continue, "addresses count apart");
    let msgs: Vec<_> = (0..3)
        .map(|_| Ev::at(Phase::Data).message(HAM).build())
        .collect();
    assert_eq!(drive(&mut vm, &msgs, Some(&[100.0, 101.0, 102.0])), 2);
    assert_eq!(code(&msgs[2]), Some(451));
    let text = msgs[2].borrow().verdict.reply().unwrap().1.to_string();
    assert!(text.starts_with("4.7.1 "), "{text}");
}

#[test]
fn greylist_passes_a_retry_after_the_delay() {
    let mut vm = harness("greylist");
    let at = |ip: &'static str, from: &'static str| Ev::at(Phase::Rcpt).ip(ip).from(from).build();
    let first = at("192.0.2.10", "alice@example.net");
    let early = at("192.0.2.10", "alice@example.net");
    let retry = at("192.0.2.77", "Alice@example.net"); // same /24, sender case differs
    let later = at("192.0.2.10", "alice@example.net");
    let other_sender = at("192.0.2.10", "eve@example.net");
    let local = at("127.0.0.1", "eve@example.net");
    let events = [
        first.clone(),
        early.clone(),
        retry.clone(),
        later.clone(),
        other_sender.clone(),
        local.clone(),
    ];
    let times = [0.0, 60.0, 400.0, 90_000.0, 90_000.0, 90_000.0];
    assert_eq!(drive(&mut vm, &events, Some(&times)), 3);
    assert_eq!(code(&first), Some(451));
    assert_eq!(code(&early), Some(451), "before the delay");
    assert_eq!(verdict(&retry), Verdict::Continue);
    assert_eq!(
        verdict(&later),
        Verdict::Continue,
        "a passed triplet keeps passing"
    );
    assert_eq!(code(&other_sender), Some(451));
    assert_eq!(verdict(&local), Verdict::Continue, "exempt network");
    // A retry only after the retry window starts over.
    let a = at("203.0.113.5", "bob@example.net");
    let b = at("203.0.113.5", "bob@example.net");
    let c = at("203.0.113.5", "bob@example.net");
    drive(
        &mut vm,
        &[a, b.clone(), c.clone()],
        Some(&[0.0, 20_000.0, 20_400.0]),
    );
    assert_eq!(code(&b), Some(451));
    assert_eq!(verdict(&c), Verdict::Continue);
}

#[test]
fn disclaimer_appends_once_to_our_senders() {
    let mut vm = harness("disclaimer");
    let ours = Ev::at(Phase::Data)
        .from("alice@example.test")
        .message(HAM)
        .build();
    let theirs = Ev::at(Phase::Data).message(HAM).build();
    let html_only = Ev::at(Phase::Data)
        .from("alice@example.test")
        .message("From: alice@example.test\nContent-Type: text/html\n\n<p>hi</p>\n")
        .build();
    assert_eq!(
        drive(
            &mut vm,
            &[ours.clone(), theirs.clone(), html_only.clone()],
            None
        ),
        3
    );
    let raw = String::from_utf8(
        ours.borrow()
            .message
            .as_ref()
            .unwrap()
            .borrow()
            .raw()
            .to_vec(),
    )
    .unwrap();
    assert!(
        raw.contains("noon?\r\n-- \r\nThis message is confidential"),
        "{raw}"
    );
    assert_eq!(header(&ours, "X-Disclaimer").as_deref(), Some("added"));
    assert_eq!(
        theirs.borrow().message.as_ref().unwrap().borrow().raw(),
        HAM.as_bytes()
    );
    assert_eq!(header(&html_only, "X-Disclaimer"), None);
    // A second pass does not sign twice.
    let again = ours
        .borrow()
        .message
        .as_ref()
        .unwrap()
        .borrow()
        .raw()
        .to_vec();
    let ev = Ev::at(Phase::Data)
        .from("alice@example.test")
        .message(std::str::from_utf8(&again).unwrap())
        .build();
    drive(&mut vm, std::slice::from_ref(&ev), None);
    assert_eq!(
        ev.borrow().message.as_ref().unwrap().borrow().raw(),
        &again[..]
    );
}

#[test]
fn header_sanity_refuses_bad_from_and_marks_missing_headers() {
    let mut vm = harness("header_sanity");
    let good = Ev::at(Phase::Data).message(HAM).build();
    let no_from = Ev::at(Phase::Data)
        .message("To: b@example.test\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <1@x.test>\n\nhi\n")
        .build();
    let bad_from = Ev::at(Phase::Data)
        .message("From: Alice <alice at example>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\nhi\n")
        .build();
    let two_from = Ev::at(Phase::Data)
        .message("From: a@example.net\nFrom: b@example.net\n\nhi\n")
        .build();
    let missing = Ev::at(Phase::Data)
        .message("From: \"Bob\" <bob@example.net>\nSubject: x\n\nhi\n")
        .build();
    let events = [
        good.clone(),
        no_from.clone(),
        bad_from.clone(),
        two_from.clone(),
        missing.clone(),
    ];
    assert_eq!(drive(&mut vm, &events, None), 2);
    assert_eq!(verdict(&good), Verdict::Continue);
    assert_eq!(header(&good, "X-Header-Warning"), None);
    for ev in [&no_from, &bad_from, &two_from] {
        assert_eq!(code(ev), Some(550));
    }
    assert_eq!(
        header(&missing, "X-Header-Warning").as_deref(),
        Some("missing Date, Message-ID")
    );
    knob(&mut vm, "REJECT_BAD_FROM", Value::Bool(false));
    let bad_from = Ev::at(Phase::Data)
        .message(
            "From: nobody\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <1@x.test>\n\nhi\n",
        )
        .build();
    assert_eq!(drive(&mut vm, std::slice::from_ref(&bad_from), None), 1);
    assert_eq!(
        header(&bad_from, "X-Header-Warning").as_deref(),
        Some("From has no valid address")
    );
}

#[test]
fn size_route_quarantines_large_messages() {
    let mut vm = harness("size_route");
    knob(&mut vm, "MAX_SIZE", Value::Int(200));
    let small = Ev::at(Phase::Data).message(HAM).build();
    let big_body = format!("{HAM}{}", "x".repeat(300));
    let big = Ev::at(Phase::Data).message(&big_body).build();
    let rcpt = Ev::at(Phase::Rcpt).build();
    assert_eq!(drive(&mut vm, &[small.clone(), big.clone(), rcpt], None), 2);
    assert_eq!(verdict(&small), Verdict::Continue);
    assert_eq!(
        verdict(&big),
        Verdict::Quarantine {
            reason: format!("size {} bytes is over 200", big_body.len())
        }
    );
}
