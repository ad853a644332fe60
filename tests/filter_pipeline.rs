//! The filter pipeline without a server: stages as script tasklets, events handed over by a
//! native tasklet (as an SMTP session does), verdicts, edits, and recovery from a stage that
//! raises or hangs.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use stackmail::config::{FilterConfig, OnError};
use stackmail::filter::{Client, EventState, Phase, Pipeline, Verdict, shared_message};
use stackmail::rt;

fn script(dir: &tempfile::TempDir, name: &str, src: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, src).expect("write script");
    p
}

fn stage(script: PathBuf) -> FilterConfig {
    FilterConfig::new(script)
}

fn client() -> Client {
    Client {
        ip: "192.0.2.7".parse().expect("ip"),
        port: 40000,
        helo: Some("client.example".into()),
        tls: false,
        auth_user: None,
    }
}

fn event(phase: Phase) -> Rc<RefCell<EventState>> {
    let mut s = EventState::new(phase, client());
    s.mail_from = Some("a@example.org".into());
    s.shared()
}

fn rcpt_event(rcpt: &str) -> Rc<RefCell<EventState>> {
    let e = event(Phase::Rcpt);
    e.borrow_mut().rcpt = Some(rcpt.into());
    e.borrow_mut().rcpts = vec![rcpt.into()];
    e
}

/// Runs `f` in a native tasklet, as the SMTP session would.
fn in_tasklet<T: 'static>(f: impl FnOnce() -> T + 'static) -> T {
    let h = rt::spawn(f);
    rt::run();
    h.join().expect("the tasklet finished")
}

const POLICY: &str = r#"
def run(inbox, outbox):
    for ev in inbox:
        if ev.phase == "rcpt" and ev.rcpt.startswith("bad"):
            ev.reject(550, "5.1.1 No such user")
            continue
        if ev.phase == "rcpt" and ev.rcpt.startswith("vip"):
            ev.accept()
            continue
        outbox.send(ev)
"#;

const TAGGER: &str = r#"
seen = []

def run(inbox, outbox):
    for ev in inbox:
        seen.append(ev.phase)
        if ev.phase == "data":
            ev.message.add_header("X-Seen", ",".join(seen))
        if ev.phase == "rcpt" and ev.rcpt.startswith("vip"):
            ev.reject(550, "5.7.1 the first stage should have accepted this")
            continue
        outbox.send(ev)
"#;

#[test]
fn stages_decide_pass_on_and_edit_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stages = vec![
        stage(script(&dir, "policy.py", POLICY)),
        stage(script(&dir, "tagger.py", TAGGER)),
    ];
    let p = Pipeline::load(&stages).expect("loads");
    let (good, bad, vip, data, raw) = in_tasklet(move || {
        let good = p.process(&rcpt_event("good@example.net"));
        let bad = p.process(&rcpt_event("bad@example.net"));
        let vip = p.process(&rcpt_event("vip@example.net"));
        let ev = event(Phase::Data);
        let msg = shared_message(b"Subject: hi\r\n\r\nbody\r\n".to_vec());
        ev.borrow_mut().message = Some(msg.clone());
        let data = p.process(&ev);
        let raw = msg.borrow().raw().to_vec();
        (good, bad, vip, data, raw)
    });
    assert_eq!(good, Verdict::Continue);
    assert_eq!(
        bad,
        Verdict::Reject {
            code: 550,
            text: "5.1.1 No such user".into()
        }
    );
    assert_eq!(vip, Verdict::Accept, "accept skips the remaining stages");
    assert_eq!(data, Verdict::Continue);
    let raw = String::from_utf8(raw).expect("utf-8");
    assert!(
        raw.contains("X-Seen: rcpt,data"),
        "only events of its phases reached the tagger, in order: {raw}"
    );
    assert!(
        raw.ends_with("\r\n\r\nbody\r\n"),
        "the body is untouched: {raw}"
    );
}

const FLAKY: &str = r#"
def run(inbox, outbox):
    for ev in inbox:
        if ev.rcpt == "boom@example.net":
            raise ValueError("cannot handle " + ev.rcpt)
        outbox.send(ev)
"#;

#[test]
fn a_stage_that_raises_tempfails_the_event_and_is_restarted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stages = vec![stage(script(&dir, "flaky.py", FLAKY))];
    let p = Pipeline::load(&stages).expect("loads");
    let (boom, after) = in_tasklet(move || {
        let boom = p.process(&rcpt_event("boom@example.net"));
        let after = p.process(&rcpt_event("ok@example.net"));
        (boom, after)
    });
    match boom {
        Verdict::Tempfail { code: 451, text } => assert!(text.starts_with("4.7.0"), "{text}"),
        other => panic!("expected a 451 tempfail, got {other:?}"),
    }
    assert_eq!(
        after,
        Verdict::Continue,
        "the restarted stage handles the next event"
    );
}

const KEEPER: &str = r#"
kept = []

def run(inbox, outbox):
    for ev in inbox:
        if ev.rcpt == "keep@example.net":
            kept.append(ev)
            continue
        if ev.rcpt == "boom@example.net":
            raise ValueError("cannot handle " + ev.rcpt)
        if ev.rcpt == "release@example.net":
            outbox.send(kept.pop())
        outbox.send(ev)
"#;

#[test]
fn a_raising_worker_fails_only_its_own_event() {
    // Three sessions at once: the first event is kept by the script, the second makes the
    // worker raise, the third (handled by the restarted worker) lets the first go on.
    let dir = tempfile::tempdir().expect("tempdir");
    let p = Pipeline::load(&[stage(script(&dir, "keeper.py", KEEPER))]).expect("loads");
    let handles: Vec<_> = ["keep", "boom", "release"]
        .into_iter()
        .map(|who| {
            let p = p.clone();
            rt::spawn(move || p.process(&rcpt_event(&format!("{who}@example.net"))))
        })
        .collect();
    rt::run();
    let v: Vec<Verdict> = handles
        .into_iter()
        .map(|h| h.join().expect("session finished"))
        .collect();
    assert_eq!(
        v[0],
        Verdict::Continue,
        "the kept event was not failed: {v:?}"
    );
    assert!(matches!(v[1], Verdict::Tempfail { code: 451, .. }), "{v:?}");
    assert_eq!(v[2], Verdict::Continue, "{v:?}");
}

const SPINNER: &str = r#"
def run(inbox, outbox):
    for ev in inbox:
        if ev.rcpt == "spin@example.net":
            while True:
                pass
        outbox.send(ev)
"#;

#[test]
fn a_stage_that_hangs_times_out_without_starving_the_thread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut spin = stage(script(&dir, "spin.py", SPINNER));
    spin.timeout = 1;
    let stages = vec![spin.clone()];
    let ticks = Rc::new(RefCell::new(0u32));
    let t2 = ticks.clone();
    // A native tasklet keeps running while the script spins: the budget preempts it.
    let ticker = rt::spawn(move || {
        for _ in 0..20 {
            *t2.borrow_mut() += 1;
            rt::sleep(std::time::Duration::from_millis(20));
        }
    });
    let p = Pipeline::load(&stages).expect("loads");
    let (spun, after) = in_tasklet(move || {
        let spun = p.process(&rcpt_event("spin@example.net"));
        let after = p.process(&rcpt_event("ok@example.net"));
        (spun, after)
    });
    assert!(ticker.is_finished());
    assert_eq!(*ticks.borrow(), 20);
    assert!(
        matches!(spun, Verdict::Tempfail { code: 451, .. }),
        "{spun:?}"
    );
    assert_eq!(after, Verdict::Continue);

    // With on_error = accept, the event goes on instead.
    spin.on_error = OnError::Accept;
    let stages = vec![spin];
    let p = Pipeline::load(&stages).expect("loads");
    let spun = in_tasklet(move || p.process(&rcpt_event("spin@example.net")));
    assert_eq!(spun, Verdict::Continue);
}

#[test]
fn a_filter_that_does_not_compile_is_refused_with_its_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stages = vec![stage(script(
        &dir,
        "broken.py",
        "def run(inbox, outbox)\n    pass\n",
    ))];
    let e = Pipeline::load(&stages).err().map(|e| e.to_string());
    let e = e.expect("refused");
    assert!(e.contains("broken.py:1:"), "{e}");
}

#[test]
fn a_run_the_workers_cannot_be_started_with_is_refused_at_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, src, why) in [
        (
            "one.py",
            "x = 1

def run(inbox):
    pass
",
            "one.py:3",
        ),
        (
            "gen.py",
            "def run(inbox, outbox):
    yield 1
",
            "must not be a generator",
        ),
        (
            "notfn.py", "run = 5
", "not int",
        ),
    ] {
        let stages = vec![stage(script(&dir, name, src))];
        let e = Pipeline::load(&stages).err().map(|e| e.to_string());
        let e = e.expect("refused");
        assert!(e.contains(why), "{name}: {e}");
    }
}

#[test]
fn a_dropped_pipeline_ends_its_parked_stage_tasklets_and_frees_its_vm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = stage(script(&dir, "policy.py", POLICY));
    cfg.workers = 3;
    let before = rt::stats().alive;
    let pipeline = Pipeline::load(&[cfg]).expect("load");
    // The workers start and park on the stage inbox.
    let p = pipeline.clone();
    let v = in_tasklet(move || p.process(&rcpt_event("bad@example.org")));
    assert!(matches!(v, Verdict::Reject { code: 550, .. }), "{v:?}");
    assert_eq!(rt::stats().alive, before + 3, "three workers parked");
    let vm = Rc::downgrade(pipeline.vm());
    drop(pipeline);
    rt::run();
    assert!(vm.upgrade().is_none(), "the VM is freed with the pipeline");
    assert_eq!(rt::stats().alive, before, "no stage tasklet is left parked");
}
