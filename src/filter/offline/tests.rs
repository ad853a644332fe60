//! The line diff, and the phase driver on small pipelines.

use std::path::PathBuf;

use super::*;

fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

#[test]
fn equal_texts_have_no_diff() {
    let a = lines("a\nb\nc");
    assert_eq!(line_diff(&a, &a, 1, 1), "");
    assert!(
        diff_ops(&a, &a)
            .iter()
            .all(|o| matches!(o, DiffOp::Same(..)))
    );
}

#[test]
fn an_added_line_gets_its_context() {
    let a = lines("1\n2\n3\n4\n5\n6\n7\n8");
    let b = lines("1\n2\n3\n4\nnew\n5\n6\n7\n8");
    assert_eq!(
        line_diff(&a, &b, 1, 1),
        "@@ -2,6 +2,7 @@\n 2\n 3\n 4\n+new\n 5\n 6\n 7\n"
    );
}

#[test]
fn a_changed_line_is_removed_then_added() {
    let a = lines("Subject: hi\nTo: b");
    let b = lines("Subject: [SPAM] hi\nTo: b");
    assert_eq!(
        line_diff(&a, &b, 1, 1),
        "@@ -1,2 +1,2 @@\n-Subject: hi\n+Subject: [SPAM] hi\n To: b\n"
    );
}

#[test]
fn distant_changes_make_separate_hunks_numbered_from_the_offset() {
    let a: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let mut b = a.clone();
    b.remove(1);
    b[17] = "x";
    let d = line_diff(&a, &b, 10, 10);
    let heads: Vec<&str> = d.lines().filter(|l| l.starts_with("@@")).collect();
    assert_eq!(heads, ["@@ -10,5 +10,4 @@", "@@ -25,5 +24,5 @@"], "{d}");
    assert!(d.contains("-2\n") && d.contains("-19\n+x\n"), "{d}");
}

#[test]
fn a_diff_from_nothing_starts_at_zero() {
    assert_eq!(line_diff(&[], &["a"], 1, 1), "@@ -0,0 +1 @@\n+a\n");
    assert_eq!(line_diff(&["a"], &[], 1, 1), "@@ -1 +0,0 @@\n-a\n");
}

#[test]
fn line_ends_convert_both_ways() {
    assert_eq!(to_crlf(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
    assert_eq!(to_lf(b"a\r\nb\r\n"), b"a\nb\n");
    assert_eq!(
        from_address(b"From: Ann <ann@x.example>\r\n\r\n").as_deref(),
        Some("ann@x.example")
    );
    assert_eq!(
        from_address(b"From: ann@x.example\r\n\r\n").as_deref(),
        Some("ann@x.example")
    );
    assert_eq!(from_address(b"Subject: x\r\n\r\n"), None);
}

#[test]
fn json_strings_are_escaped() {
    assert_eq!(json_str("a\"b\\c\r\n\u{1}é"), r#""a\"b\\c\r\n\u0001é""#);
}

fn script(dir: &tempfile::TempDir, name: &str, src: &str) -> FilterConfig {
    let p: PathBuf = dir.path().join(name);
    std::fs::write(&p, src).expect("write script");
    FilterConfig::new(p)
}

const POLICY: &str = r#"
def run(inbox, outbox):
    for ev in inbox:
        if ev.phase == "rcpt":
            if ev.rcpt.startswith("bad"):
                ev.reject(550, "5.1.1 No such user")
                continue
            if ev.rcpt.startswith("alias"):
                ev.redirect("real@example.test")
            if ev.rcpt.startswith("drop"):
                ev.discard()
                continue
            if ev.rcpt.startswith("vip"):
                ev.accept()
                continue
        if ev.phase == "mail" and ev.mail_from.startswith("spammer"):
            ev.reject(550, "5.7.1 Go away")
            continue
        outbox.send(ev)
"#;

const TAGGER: &str = r#"
def run(inbox, outbox):
    for ev in inbox:
        if ev.phase == "rcpt" and ev.rcpt.startswith("vip"):
            ev.reject(550, "5.7.1 accept should have skipped this stage")
            continue
        if ev.phase == "rcpt":
            if ev.rcpts[-1] != ev.rcpt:
                ev.reject(550, "5.5.0 the current recipient is not last")
                continue
        if ev.phase == "data":
            ev.message.add_header("X-Rcpts", ",".join(ev.rcpts))
        if ev.phase == "queue":
            if ev.queue_id is None or ev.message.header("X-Rcpts") is None:
                ev.quarantine("queue event lacks its id or the data edit")
                continue
        outbox.send(ev)
"#;

const MSG: &str = "From: Ann <ann@example.org>\nSubject: hi\n\nhello\n";

#[test]
fn phases_run_in_order_with_smtp_semantics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stages = [
        script(&dir, "policy.py", POLICY),
        script(&dir, "tagger.py", TAGGER),
    ];
    let tx = Transaction {
        rcpts: [
            "bad@example.test",
            "alias@example.test",
            "drop@example.test",
            "vip@example.test",
        ]
        .map(String::from)
        .to_vec(),
        ..Transaction::default()
    };
    let r = run(&stages, &tx, MSG.as_bytes().to_vec()).expect("loads");
    let got: Vec<String> = r.steps.iter().map(Step::line).collect();
    assert_eq!(
        got,
        [
            "connect: continue",
            "helo: continue",
            "mail: continue",
            "rcpt <bad@example.test>: reject 550 5.1.1 No such user",
            "rcpt <alias@example.test>: continue",
            "rcpt <drop@example.test>: discard",
            "rcpt <vip@example.test>: accept",
            "data: continue",
            "queue: continue",
        ]
    );
    assert_eq!(r.mail_from, "ann@example.org");
    assert_eq!(r.rcpts, ["real@example.test", "vip@example.test"]);
    assert!(r.envelope_edited);
    let out = String::from_utf8(r.output.clone()).expect("utf-8");
    assert!(!out.contains('\r'), "LF input gives LF output: {out:?}");
    assert!(
        out.contains("X-Rcpts: real@example.test,vip@example.test\n"),
        "{out}"
    );
    let human = r.human();
    assert!(
        human.contains("+X-Rcpts: real@example.test,vip@example.test\n"),
        "{human}"
    );
    assert!(
        human.contains(
            "envelope: MAIL FROM:<ann@example.org> RCPT TO:<real@example.test>, <vip@example.test>"
        ),
        "{human}"
    );
}

#[test]
fn a_refusal_before_rcpt_ends_the_transaction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stages = [script(&dir, "policy.py", POLICY)];
    let tx = Transaction {
        mail_from: Some("spammer@example.net".into()),
        ..Transaction::default()
    };
    let r = run(&stages, &tx, MSG.as_bytes().to_vec()).expect("loads");
    let got: Vec<String> = r.steps.iter().map(Step::line).collect();
    assert_eq!(
        got,
        [
            "connect: continue",
            "helo: continue",
            "mail: reject 550 5.7.1 Go away"
        ]
    );
    assert_eq!(r.output, MSG.as_bytes());
    assert!(!r.message_changed());
}

#[test]
fn no_recipient_left_means_no_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stages = [script(&dir, "policy.py", POLICY)];
    let tx = Transaction {
        rcpts: vec!["bad@example.test".into()],
        ..Transaction::default()
    };
    let r = run(&stages, &tx, MSG.as_bytes().to_vec()).expect("loads");
    assert_eq!(r.steps.last().map(|s| s.phase), Some(Phase::Rcpt));
    assert_eq!(r.steps.len(), 4);
    assert!(r.rcpts.is_empty());
    let json = r.json();
    assert!(json.contains(r#"{"phase": "rcpt", "rcpt": "bad@example.test", "verdict": "reject", "code": 550, "text": "5.1.1 No such user"}"#), "{json}");
}

#[test]
fn the_default_recipient_is_postmaster_and_crlf_stays_crlf() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stages = [script(&dir, "tagger.py", TAGGER)];
    let crlf = MSG.replace('\n', "\r\n");
    let r = run(&stages, &Transaction::default(), crlf.clone().into_bytes()).expect("loads");
    assert_eq!(r.given_rcpts, [DEFAULT_RCPT]);
    let out = String::from_utf8(r.output).expect("utf-8");
    assert!(
        out.starts_with("X-Rcpts: postmaster@localhost\r\n")
            || out.contains("\r\nX-Rcpts: postmaster@localhost\r\n"),
        "{out:?}"
    );
    assert_eq!(
        out.matches('\n').count(),
        out.matches("\r\n").count(),
        "{out:?}"
    );
    assert!(!r.envelope_edited);
}

#[test]
fn texts_too_far_apart_for_the_table_are_replaced_whole() {
    let a: Vec<String> = (0..3000).map(|i| format!("a{i}")).collect();
    let b: Vec<String> = (0..3000).map(|i| format!("b{i}")).collect();
    let mut a: Vec<&str> = a.iter().map(String::as_str).collect();
    let mut b: Vec<&str> = b.iter().map(String::as_str).collect();
    a.insert(0, "same");
    b.insert(0, "same");
    let ops = diff_ops(&a, &b);
    assert_eq!(ops.len(), 6001);
    assert_eq!(ops[0], DiffOp::Same(0, 0));
    assert_eq!(ops[1], DiffOp::Removed(1));
    assert_eq!(ops[3001], DiffOp::Added(1));
}

#[test]
fn a_quarantined_message_is_not_queued() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hold = "def run(inbox, outbox):\n    for ev in inbox:\n        if ev.phase == 'data':\n            ev.quarantine('held for review')\n            continue\n        outbox.send(ev)\n";
    let stages = [script(&dir, "hold.py", hold)];
    let r = run(&stages, &Transaction::default(), MSG.as_bytes().to_vec()).expect("loads");
    let got: Vec<String> = r.steps.iter().map(Step::line).collect();
    assert_eq!(
        got.last().map(String::as_str),
        Some("data: quarantine (held for review)")
    );
    assert!(r.rcpts.is_empty());
    let json = r.json();
    assert!(
        json.contains(
            r#"{"phase": "data", "verdict": "quarantine", "code": null, "text": "held for review"}"#
        ),
        "{json}"
    );
}
