//! Scripts run in a fresh VM against events and messages built here; the assertions read
//! the Rust side back: verdicts, envelope edits, message bytes.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use super::*;
use crate::vm::value::Obj;

mod filters;
mod fixtures;

/// A VM with the filter classes installed and `src` run as module `t`.
pub(super) fn vm_with(src: &str) -> Vm {
    let code = crate::vm::compile_source(src, "t.py").expect("compiles");
    let mut vm = crate::vm::new_vm();
    install(&mut vm);
    vm.start_module(code, "t", src);
    if let Err(e) = vm.run(None) {
        let v = vm.exception_value(e);
        panic!("module failed: {}", vm.format_traceback(v));
    }
    vm
}

pub(super) fn global(vm: &Vm, module: &str, name: &str) -> Value {
    let d = vm
        .modules
        .iter()
        .find_map(|(n, m)| match m.as_ref().map(|r| vm.heap.get(r)) {
            Some(Obj::Module(_, d)) if &**n == module => Some(*d),
            _ => None,
        })
        .expect("module exists");
    vm.dict_get_str(d, &Rc::from(name))
        .unwrap_or_else(|| panic!("{module} defines {name}"))
}

/// Calls `t.name(args)`; an exception comes back as its `Type: message` line.
pub(super) fn call(vm: &mut Vm, name: &str, args: Vec<Value>) -> Result<Value, String> {
    let f = global(vm, "t", name);
    vm.call_sync(f, args, vec![]).map_err(|e| {
        let v = vm.exception_value(e);
        vm.exception_line(v)
    })
}

pub(super) fn client() -> Client {
    Client {
        ip: "192.0.2.10".parse().unwrap(),
        port: 40001,
        helo: Some("mx.example.net".into()),
        tls: true,
        auth_user: None,
    }
}

pub(super) fn event(phase: Phase) -> Rc<RefCell<EventState>> {
    let mut s = EventState::new(phase, client());
    if phase != Phase::Connect && phase != Phase::Helo {
        s.mail_from = Some("alice@example.net".into());
    }
    if phase.has_envelope() {
        s.rcpts = vec!["bob@example.test".into()];
    }
    if phase == Phase::Rcpt {
        s.rcpt = Some("bob@example.test".into());
    }
    s.shared()
}

const CRLF_MSG: &[u8] = b"From: Alice <alice@example.net>\r\nTo: bob@example.test\r\nSubject: =?UTF-8?Q?Caf=C3=A9_menu?=\r\nX-Old: 1\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nHello Bob,\r\nsee you.\r\n";

fn lf(raw: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(raw)
        .replace("\r\n", "\n")
        .into_bytes()
}

fn str_of(vm: &Vm, v: Value) -> String {
    vm.str_val(v).map(|s| s.to_string()).unwrap_or_default()
}

#[test]
fn reject_is_recorded() {
    let mut vm = vm_with("def check(ev):\n    ev.reject(550, '5.7.1 no thanks')\n");
    let ev = event(Phase::Rcpt);
    let v = event_value(&mut vm, &ev);
    call(&mut vm, "check", vec![v]).unwrap();
    assert_eq!(
        ev.borrow().verdict,
        Verdict::Reject {
            code: 550,
            text: "5.7.1 no thanks".into()
        }
    );
    assert_eq!(ev.borrow().verdict.reply(), Some((550, "5.7.1 no thanks")));
}

#[test]
fn every_verdict_is_recorded() {
    let mut vm = vm_with(
        "def t1(ev):\n    ev.tempfail()\ndef t2(ev):\n    ev.tempfail(421, text='4.3.2 busy')\ndef a(ev):\n    ev.accept()\ndef d(ev):\n    ev.discard()\ndef q(ev):\n    ev.quarantine('looks odd')\n    return ev.verdict\n",
    );
    let cases = [
        (
            "t1",
            Verdict::Tempfail {
                code: 451,
                text: "4.7.1 Try again later".into(),
            },
        ),
        (
            "t2",
            Verdict::Tempfail {
                code: 421,
                text: "4.3.2 busy".into(),
            },
        ),
        ("a", Verdict::Accept),
        ("d", Verdict::Discard),
        (
            "q",
            Verdict::Quarantine {
                reason: "looks odd".into(),
            },
        ),
    ];
    for (f, want) in cases {
        let ev = event(Phase::Data);
        let v = event_value(&mut vm, &ev);
        let r = call(&mut vm, f, vec![v]).unwrap();
        assert_eq!(ev.borrow().verdict, want, "{f}");
        if f == "q" {
            assert_eq!(str_of(&vm, r), "quarantine");
        }
    }
}

#[test]
fn a_second_verdict_is_refused() {
    let mut vm = vm_with(
        "def check(ev):\n    ev.accept()\n    try:\n        ev.reject(550, 'x')\n    except RuntimeError as e:\n        return str(e)\n",
    );
    let ev = event(Phase::Mail);
    let v = event_value(&mut vm, &ev);
    let r = call(&mut vm, "check", vec![v]).unwrap();
    let msg = str_of(&vm, r);
    assert!(msg.contains("already given"), "{msg}");
    assert_eq!(ev.borrow().verdict, Verdict::Accept, "the first one stands");
}

#[test]
fn reply_codes_must_fit_the_verdict() {
    let mut vm = vm_with(
        "def rej(ev, code):\n    ev.reject(code, 'x')\ndef tmp(ev, code):\n    ev.tempfail(code, 'x')\ndef text(ev):\n    ev.reject(550, 'a\\r\\n250 ok')\n",
    );
    for (f, code, want) in [
        (
            "rej",
            Value::Int(450),
            "ValueError: reject() needs a 5xx reply code, not 450",
        ),
        ("rej", Value::Int(250), "ValueError"),
        ("rej", Value::Int(5500), "ValueError"),
        (
            "tmp",
            Value::Int(550),
            "ValueError: tempfail() needs a 4xx reply code, not 550",
        ),
        ("rej", Value::None, "TypeError"),
    ] {
        let ev = event(Phase::Rcpt);
        let v = event_value(&mut vm, &ev);
        let e = call(&mut vm, f, vec![v, code]).unwrap_err();
        assert!(e.starts_with(want), "{f}({code:?}): {e}");
        assert_eq!(ev.borrow().verdict, Verdict::Continue);
    }
    let ev = event(Phase::Rcpt);
    let v = event_value(&mut vm, &ev);
    let e = call(&mut vm, "text", vec![v]).unwrap_err();
    assert!(e.starts_with("ValueError"), "reply injection: {e}");
}

#[test]
fn post_queue_stages_cannot_refuse() {
    let mut vm = vm_with(
        "def rej(ev):\n    ev.reject(550, 'x')\ndef tmp(ev):\n    ev.tempfail()\ndef q(ev):\n    ev.quarantine('held')\n",
    );
    for f in ["rej", "tmp"] {
        let ev = event(Phase::Queue);
        let v = event_value(&mut vm, &ev);
        let e = call(&mut vm, f, vec![v]).unwrap_err();
        assert!(
            e.starts_with("RuntimeError") && e.contains("bounce"),
            "{f}: {e}"
        );
    }
    let ev = event(Phase::Queue);
    let v = event_value(&mut vm, &ev);
    call(&mut vm, "q", vec![v]).unwrap();
    assert!(matches!(ev.borrow().verdict, Verdict::Quarantine { .. }));
}

#[test]
fn verdicts_need_the_right_phase() {
    let mut vm = vm_with(
        "def d(ev):\n    ev.discard()\ndef q(ev):\n    ev.quarantine('x')\ndef a(ev):\n    ev.accept()\n",
    );
    for (f, phase, ok) in [
        ("d", Phase::Connect, false),
        ("d", Phase::Mail, false),
        ("d", Phase::Rcpt, true),
        ("q", Phase::Rcpt, false),
        ("q", Phase::Data, true),
        ("a", Phase::Connect, true),
        ("a", Phase::Queue, true),
    ] {
        let ev = event(phase);
        let v = event_value(&mut vm, &ev);
        let r = call(&mut vm, f, vec![v]);
        assert_eq!(r.is_ok(), ok, "{f} at {phase}: {r:?}");
        if let Err(e) = r {
            assert!(e.contains(phase.as_str()), "{e} names the phase");
        }
    }
}

#[test]
fn event_attributes() {
    let mut vm = vm_with(
        "def show(ev):\n    c = ev.client\n    r = ev.rcpts\n    r.append('x@y')\n    return [ev.phase, c.ip, c.port, c.helo, c.tls, c.auth_user, ev.mail_from, ev.rcpt, len(ev.rcpts), ev.message, ev.queue_id, ev.verdict]\n",
    );
    let ev = event(Phase::Rcpt);
    let v = event_value(&mut vm, &ev);
    let r = call(&mut vm, "show", vec![v]).unwrap();
    let shown = vm.repr(r).unwrap();
    assert_eq!(
        shown,
        "['rcpt', '192.0.2.10', 40001, 'mx.example.net', True, None, 'alice@example.net', 'bob@example.test', 1, None, None, None]"
    );
    assert_eq!(ev.borrow().rcpts.len(), 1, "ev.rcpts is a copy");
    let ev = event(Phase::Connect);
    ev.borrow_mut().client.ip = "::ffff:198.51.100.7".parse().unwrap();
    let v = event_value(&mut vm, &ev);
    let r = call(&mut vm, "show", vec![v]).unwrap();
    assert!(
        vm.repr(r)
            .unwrap()
            .starts_with("['connect', '198.51.100.7'")
    );
}

#[test]
fn envelope_edits_apply_and_are_recorded() {
    let mut vm = vm_with(
        "def edit(ev):\n    ev.add_rcpt('carol@example.test')\n    ev.remove_rcpt('BOB@example.test')\n    return ev.rcpts\ndef redir(ev):\n    ev.redirect('postmaster@example.test')\n    return [ev.rcpt, ev.rcpts]\ndef gone(ev):\n    ev.remove_rcpt('nobody@example.test')\ndef bad(ev):\n    ev.add_rcpt('a b@c')\ndef no_domain(ev):\n    ev.add_rcpt('bob')\ndef no_host(ev):\n    ev.redirect('bob@')\ndef boss(ev):\n    ev.add_rcpt('Postmaster')\n    return ev.rcpts\n",
    );
    let ev = event(Phase::Data);
    let v = event_value(&mut vm, &ev);
    let r = call(&mut vm, "edit", vec![v]).unwrap();
    assert_eq!(vm.repr(r).unwrap(), "['carol@example.test']");
    assert_eq!(
        ev.borrow().edits,
        vec![
            EnvelopeEdit::AddRcpt("carol@example.test".into()),
            EnvelopeEdit::RemoveRcpt("BOB@example.test".into())
        ]
    );
    // At rcpt, redirect rewrites the recipient in question only.
    let ev = event(Phase::Rcpt);
    ev.borrow_mut().rcpts = vec!["earlier@example.test".into(), "bob@example.test".into()];
    let v = event_value(&mut vm, &ev);
    let r = call(&mut vm, "redir", vec![v]).unwrap();
    assert_eq!(
        vm.repr(r).unwrap(),
        "['postmaster@example.test', ['earlier@example.test', 'postmaster@example.test']]"
    );
    // At data, it replaces them all.
    let ev = event(Phase::Data);
    ev.borrow_mut().rcpts.push("carol@example.test".into());
    let v = event_value(&mut vm, &ev);
    call(&mut vm, "redir", vec![v]).unwrap();
    assert_eq!(
        ev.borrow().rcpts,
        vec!["postmaster@example.test".to_string()]
    );
    for (f, phase, want) in [
        ("redir", Phase::Mail, "RuntimeError"),
        ("redir", Phase::Connect, "RuntimeError"),
        ("gone", Phase::Data, "ValueError"),
        ("bad", Phase::Data, "ValueError"),
        // Not addresses a RCPT could name: delivery would fail for good after the 250.
        ("no_domain", Phase::Data, "ValueError"),
        ("no_host", Phase::Rcpt, "ValueError"),
    ] {
        let ev = event(phase);
        let v = event_value(&mut vm, &ev);
        let e = call(&mut vm, f, vec![v]).unwrap_err();
        assert!(e.starts_with(want), "{f} at {phase}: {e}");
        assert!(ev.borrow().edits.is_empty());
    }
    // Postmaster, with no domain, is an address a RCPT may name.
    let ev = event(Phase::Data);
    let v = event_value(&mut vm, &ev);
    let r = call(&mut vm, "boss", vec![v]).unwrap();
    assert!(vm.repr(r).unwrap().contains("'Postmaster'"));
}

fn data_event(raw: &[u8]) -> (Rc<RefCell<EventState>>, SharedMessage) {
    let ev = event(Phase::Data);
    let msg = shared_message(raw.to_vec());
    ev.borrow_mut().message = Some(msg.clone());
    (ev, msg)
}

#[test]
fn message_reads_decode_headers() {
    let mut vm = vm_with(
        "def show(ev):\n    m = ev.message\n    return [m.subject, m.header('from'), m.header('X-Missing'), m.headers('x-old'), m.header_names(), m.text, m.html, m.size, len(m.raw), type(m.raw).__name__]\n",
    );
    for raw in [CRLF_MSG.to_vec(), lf(CRLF_MSG)] {
        let (ev, _) = data_event(&raw);
        let v = event_value(&mut vm, &ev);
        let r = call(&mut vm, "show", vec![v]).unwrap();
        let nl = if raw.contains(&b'\r') {
            "\\r\\n"
        } else {
            "\\n"
        };
        assert_eq!(
            vm.repr(r).unwrap(),
            format!(
                "['Café menu', 'Alice <alice@example.net>', None, ['1'], ['From', 'To', 'Subject', 'X-Old', 'Date'], 'Hello Bob,{nl}see you.{nl}', '', {n}, {n}, 'bytes']",
                n = raw.len()
            )
        );
    }
}

#[test]
fn header_edits_leave_the_rest_byte_identical() {
    let mut vm = vm_with(
        "def edit(ev):\n    m = ev.message\n    m.add_header('X-Spam-Score', '2.5')\n    m.set_header('Subject', 'New')\n    return m.remove_header('x-old')\n",
    );
    for raw in [CRLF_MSG.to_vec(), lf(CRLF_MSG)] {
        let nl = if raw.contains(&b'\r') { "\r\n" } else { "\n" };
        let (ev, msg) = data_event(&raw);
        let v = event_value(&mut vm, &ev);
        let removed = call(&mut vm, "edit", vec![v]).unwrap();
        assert!(matches!(removed, Value::Int(1)));
        let want = String::from_utf8_lossy(&raw)
            .replace(
                &format!("Subject: =?UTF-8?Q?Caf=C3=A9_menu?={nl}"),
                &format!("Subject: New{nl}"),
            )
            .replace(&format!("X-Old: 1{nl}"), "")
            .replace(
                &format!("+0000{nl}{nl}"),
                &format!("+0000{nl}X-Spam-Score: 2.5{nl}{nl}"),
            );
        assert_eq!(String::from_utf8_lossy(msg.borrow().raw()), want);
    }
}

#[test]
fn refused_edits_raise_value_error() {
    let mut vm = vm_with(
        "def inject(ev):\n    ev.message.add_header('X-A', 'a\\r\\nBcc: x@y')\ndef name(ev):\n    ev.message.set_header('Bad Name', 'v')\ndef foot(ev):\n    ev.message.append_text('-- ')\n",
    );
    for f in ["inject", "name"] {
        let (ev, msg) = data_event(CRLF_MSG);
        let v = event_value(&mut vm, &ev);
        let e = call(&mut vm, f, vec![v]).unwrap_err();
        assert!(e.starts_with("ValueError: "), "{e}");
        assert_eq!(msg.borrow().raw(), CRLF_MSG, "unchanged");
    }
    let (ev, _) = data_event(b"Content-Type: text/html\r\n\r\n<p>hi</p>\r\n");
    let v = event_value(&mut vm, &ev);
    let e = call(&mut vm, "foot", vec![v]).unwrap_err();
    assert_eq!(e, "ValueError: the message has no text/plain part");
}

#[test]
fn append_text_adds_a_footer() {
    let mut vm = vm_with("def foot(ev):\n    ev.message.append_text('-- \\nSent via example')\n");
    for raw in [CRLF_MSG.to_vec(), lf(CRLF_MSG)] {
        let nl = if raw.contains(&b'\r') { "\r\n" } else { "\n" };
        let (ev, msg) = data_event(&raw);
        let v = event_value(&mut vm, &ev);
        call(&mut vm, "foot", vec![v]).unwrap();
        let got = String::from_utf8_lossy(msg.borrow().raw()).to_string();
        assert!(
            got.ends_with(&format!("see you.{nl}-- {nl}Sent via example{nl}")),
            "{got:?}"
        );
        assert!(got.starts_with(&String::from_utf8_lossy(&raw)[..40]));
    }
}

const MULTIPART: &str = "From: a@example.net\nTo: b@example.test\nSubject: files\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"XX\"\n\n--XX\nContent-Type: text/plain\n\nSee attached.\n--XX\nContent-Type: application/pdf; name=\"report.pdf\"\nContent-Disposition: attachment; filename=\"report.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--XX\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"=?UTF-8?Q?r=C3=A9sum=C3=A9.exe?=\"\n\nMZ\n--XX--\n";

#[test]
fn attachments_are_listed_with_sizes() {
    let mut vm = vm_with(
        "def show(ev):\n    m = ev.message\n    return [len(m.parts), [(a.content_type, a.filename, a.size, a.data[:4]) for a in m.attachments], m.text]\n",
    );
    for raw in [
        MULTIPART.as_bytes().to_vec(),
        MULTIPART.replace('\n', "\r\n").into_bytes(),
    ] {
        let (ev, _) = data_event(&raw);
        let v = event_value(&mut vm, &ev);
        let r = call(&mut vm, "show", vec![v]).unwrap();
        let shown = vm.repr(r).unwrap();
        assert!(
            shown.starts_with(
                "[3, [('application/pdf', 'report.pdf', 9, b'%PDF'), ('application/octet-stream', "
            ),
            "{shown}"
        );
        assert!(shown.contains("See attached."), "{shown}");
        assert!(
            shown.contains("'résumé.exe', 2, b'MZ'"),
            "RFC 2047 file names are decoded: {shown}"
        );
    }
}

#[test]
fn log_is_importable() {
    let mut vm = vm_with(
        "import log\ndef go(ev):\n    log.info('seen', phase=ev.phase, n=3)\n    log.debug('d')\n    log.warning('w')\n    log.error('e', 1, 2)\n    return 'ok'\n",
    );
    let ev = event(Phase::Helo);
    let v = event_value(&mut vm, &ev);
    let r = call(&mut vm, "go", vec![v]).unwrap();
    assert_eq!(str_of(&vm, r), "ok");
}

#[test]
fn phases_parse_and_display() {
    for p in Phase::ALL {
        assert_eq!(p.as_str().parse::<Phase>(), Ok(p));
        assert_eq!(p.to_string(), p.as_str());
    }
    let e = "conect".parse::<Phase>().unwrap_err().to_string();
    assert!(
        e.contains("\"conect\"") && e.contains("connect, helo"),
        "{e}"
    );
}

fn check_text(src: &str) -> Result<(), CheckError> {
    check_source(Path::new("f.py"), src)
}

#[test]
fn check_accepts_a_stage_and_reports_problems_with_positions() {
    check_text("import re, log, time\nX = re.compile('a')\ndef run(inbox, outbox):\n    for ev in inbox:\n        outbox.send(ev)\n").unwrap();
    check_text("def run(inbox, outbox, clock=None):\n    pass\n").unwrap();
    for (src, want) in [
        (
            "def run(inbox, outbox)\n    pass\n",
            "f.py:1:23: SyntaxError",
        ),
        ("x = 1\n", "f.py:1:1: defines no run"),
        (
            "def run(inbox):\n    pass\n",
            "f.py:1:1: run must take two parameters",
        ),
        (
            "\n\ndef run(a, b, c):\n    pass\n",
            "f.py:3:1: run must take two parameters",
        ),
        ("run = 3\n", "f.py:1:1: run must be a function"),
        (
            "x = 1\ny = 1 / 0\ndef run(a, b):\n    pass\n",
            "f.py:2:1: ZeroDivisionError",
        ),
        ("import nosuchmodule\n", "f.py:1:1: ModuleNotFoundError"),
        ("while True:\n    pass\n", "did not finish"),
    ] {
        let e = check_text(src).unwrap_err().to_string();
        assert!(e.starts_with(want) || e.contains(want), "{src:?}: {e}");
    }
}

#[test]
fn check_reads_files() {
    let e = check_script(Path::new("/nonexistent/f.py")).unwrap_err();
    assert!(e.to_string().contains("cannot read"), "{e}");
    let errs = check_filters(&[
        crate::config::FilterConfig::new("/nonexistent/a.py"),
        crate::config::FilterConfig::new("/nonexistent/b.py"),
    ])
    .unwrap_err();
    assert_eq!(errs.len(), 2, "every script is reported");
}

#[test]
fn a_script_cannot_forge_an_event() {
    let mut vm =
        vm_with("import log\ndef go(ev):\n    return type(ev).reject(object(), 550, 'x')\n");
    let ev = event(Phase::Rcpt);
    let v = event_value(&mut vm, &ev);
    let e = call(&mut vm, "go", vec![v]).unwrap_err();
    assert!(e.starts_with("TypeError"), "{e}");
}
