//! `stackmail filter test` run as a process: verdict lines and diffs, the JSON report, line
//! ends, load errors, a stage that raises, and the standard filters on their fixtures.

use std::path::Path;
use std::process::{Command, Output};

use stackmail::filter::fixture::{self, Case};

fn stackmail(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stackmail"))
        .args(args)
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .output()
        .expect("stackmail runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write(dir: &tempfile::TempDir, name: &str, content: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, content).expect("write");
    p.to_string_lossy().into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: not one JSON object: {}", text(&out.stdout)))
}

/// The verdict entries as `phase[ rcpt]: verdict[ code]`.
fn verdicts(report: &serde_json::Value) -> Vec<String> {
    report["verdicts"]
        .as_array()
        .expect("verdicts is a list")
        .iter()
        .map(|v| {
            let mut s = v["phase"].as_str().expect("phase").to_string();
            if let Some(r) = v["rcpt"].as_str() {
                s = format!("{s} {r}");
            }
            s = format!("{s}: {}", v["verdict"].as_str().expect("verdict"));
            if let Some(c) = v["code"].as_u64() {
                s = format!("{s} {c}");
            }
            s
        })
        .collect()
}

const USERS: &str = r#"
def run(inbox, outbox):
    for ev in inbox:
        if ev.phase == "rcpt" and not ev.rcpt.startswith("alice@"):
            ev.reject(550, "5.1.1 No such user")
            continue
        outbox.send(ev)
"#;

const TAG: &str = r#"
def run(inbox, outbox):
    for ev in inbox:
        if ev.phase == "data":
            ev.message.set_header("Subject", "[tested] " + ev.message.subject)
            ev.message.add_header("X-Tested", "yes")
        outbox.send(ev)
"#;

const MSG: &str =
    "From: Ann <ann@example.org>\nTo: alice@example.test\nSubject: Hello\n\nHi Alice,\nsee you.\n";

#[test]
fn a_recipient_rejected_at_rcpt_is_reported_and_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let users = write(&dir, "users.py", USERS);
    let msg = write(&dir, "m.eml", MSG);
    let args = [
        "filter",
        "test",
        &users,
        &msg,
        "--rcpt",
        "alice@example.test",
        "--rcpt",
        "bob@example.test",
    ];
    let out = stackmail(&args);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "connect: continue\nhelo: continue\nmail: continue\n\
         rcpt <alice@example.test>: continue\n\
         rcpt <bob@example.test>: reject 550 5.1.1 No such user\n\
         data: continue\nqueue: continue\n"
    );

    let mut args = args.to_vec();
    args.insert(2, "--json");
    let report = json(&stackmail(&args));
    assert_eq!(
        verdicts(&report),
        [
            "connect: continue",
            "helo: continue",
            "mail: continue",
            "rcpt alice@example.test: continue",
            "rcpt bob@example.test: reject 550",
            "data: continue",
            "queue: continue",
        ]
    );
    let bob = &report["verdicts"][4];
    assert_eq!(bob["text"], "5.1.1 No such user");
    assert_eq!(report["verdicts"][3]["code"], serde_json::Value::Null);
    assert_eq!(report["verdicts"][3]["text"], serde_json::Value::Null);
    assert_eq!(report["message"], MSG);
    assert_eq!(report["mail_from"], "ann@example.org");
    assert_eq!(report["rcpts"], serde_json::json!(["alice@example.test"]));
}

#[test]
fn a_header_edit_shows_in_the_diff_and_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let tag = write(&dir, "tag.py", TAG);
    let msg = write(&dir, "m.eml", MSG);
    let out = stackmail(&["filter", "test", &tag, &msg]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let human = text(&out.stdout);
    assert!(
        human.contains("rcpt <postmaster@localhost>: continue\n"),
        "{human}"
    );
    assert!(
        human.contains("--- headers (input)\n+++ headers (result)\n@@ "),
        "{human}"
    );
    assert!(
        human.contains("\n-Subject: Hello\n+Subject: [tested] Hello\n"),
        "{human}"
    );
    assert!(human.contains("\n+X-Tested: yes\n"), "{human}");
    assert!(
        !human.contains("--- body"),
        "the body did not change: {human}"
    );
    assert!(
        !human.contains("envelope:"),
        "the envelope did not change: {human}"
    );

    let report = json(&stackmail(&["filter", "test", "--json", &tag, &msg]));
    let m = report["message"].as_str().expect("message");
    assert!(m.contains("Subject: [tested] Hello\n"), "{m}");
    assert!(m.contains("X-Tested: yes\n"), "{m}");
    assert!(m.ends_with("\n\nHi Alice,\nsee you.\n"), "{m}");
}

#[test]
fn line_ends_are_kept_as_the_input_has_them() {
    let dir = tempfile::tempdir().unwrap();
    let tag = write(&dir, "tag.py", TAG);
    let check = write(
        &dir,
        "check.py",
        "def run(inbox, outbox):\n    for ev in inbox:\n        if ev.phase == 'data' and b'\\n' in ev.message.raw.replace(b'\\r\\n', b''):\n            ev.reject(554, '5.6.0 bare LF reached the pipeline')\n            continue\n        outbox.send(ev)\n",
    );
    for (name, msg) in [
        ("lf.eml", MSG.to_string()),
        ("crlf.eml", MSG.replace('\n', "\r\n")),
    ] {
        let path = write(&dir, name, &msg);
        let report = json(&stackmail(&[
            "filter", "test", "--json", &check, &tag, &path,
        ]));
        assert_eq!(
            verdicts(&report)[4],
            "data: continue",
            "{name}: the pipeline sees CRLF"
        );
        let m = report["message"].as_str().expect("message");
        let crlf = m.matches("\r\n").count();
        if name == "crlf.eml" {
            assert_eq!(crlf, m.matches('\n').count(), "{name}: {m:?}");
            assert!(m.contains("X-Tested: yes\r\n"), "{m:?}");
        } else {
            assert_eq!(crlf, 0, "{name}: {m:?}");
            assert!(m.contains("X-Tested: yes\n"), "{m:?}");
        }
    }
}

#[test]
fn a_syntax_error_names_the_place_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        &dir,
        "bad.py",
        "def run(inbox, outbox):\n    for ev in inbox\n        outbox.send(ev)\n",
    );
    let msg = write(&dir, "m.eml", MSG);
    let out = stackmail(&["filter", "test", &bad, &msg]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("{bad}:2:")), "{err}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
}

#[test]
fn missing_files_are_named_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let tag = write(&dir, "tag.py", TAG);
    let msg = write(&dir, "m.eml", MSG);
    let gone = dir.path().join("gone.py").to_string_lossy().into_owned();
    let out = stackmail(&["filter", "test", &gone, &msg]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains(&gone), "{}", text(&out.stderr));
    let out = stackmail(&["filter", "test", &tag, "no-such-message.eml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no-such-message.eml"),
        "{}",
        text(&out.stderr)
    );
    let out = stackmail(&["filter", "test", &msg]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a message without a stage is a usage error"
    );
    let out = stackmail(&["filter", "test", "--no-such-flag", &tag, &msg]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_stage_that_raises_tempfails_with_a_traceback() {
    let dir = tempfile::tempdir().unwrap();
    let boom = write(
        &dir,
        "boom.py",
        "def run(inbox, outbox):\n    for ev in inbox:\n        if ev.phase == 'data':\n            x = 1 / 0\n        outbox.send(ev)\n",
    );
    let msg = write(&dir, "m.eml", MSG);
    let out = stackmail(&["filter", "test", &boom, &msg]);
    assert_eq!(out.status.code(), Some(0), "the run completed");
    let human = text(&out.stdout);
    assert!(human.contains("data: tempfail 451 4.7.0 "), "{human}");
    assert!(
        !human.contains("queue:"),
        "a tempfailed message is not queued: {human}"
    );
    let err = text(&out.stderr);
    assert!(err.contains("Traceback (most recent call last):"), "{err}");
    assert!(err.contains("ZeroDivisionError"), "{err}");
    assert!(err.contains("line 4"), "{err}");
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The SMTP reply an entry stands for: its own code, else what the server answers.
fn reply(v: &serde_json::Value, ok: u64) -> u64 {
    v["code"].as_u64().unwrap_or(ok)
}

/// Each standard filter on its fixture, with the fixture's envelope: the reply codes of
/// `[expect]` (cases with knobs are left to the fixture runner, which can set them).
#[test]
fn the_standard_filters_decide_their_fixtures_as_expected() {
    let mut played = 0;
    for dir in fixture::case_dirs(&root().join("fixtures")).expect("fixtures/") {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let case = Case::load(&dir, root()).unwrap_or_else(|e| panic!("{e}"));
        if !case.knobs.is_empty() {
            continue;
        }
        let (env, expect) = (&case.envelope, &case.expect);
        let mut args: Vec<String> = vec!["filter".into(), "test".into(), "--json".into()];
        for stage in &case.stages {
            args.push(root().join(stage).to_string_lossy().into_owned());
        }
        args.push(dir.join(&case.message).to_string_lossy().into_owned());
        args.extend(["--client-ip".into(), env.client_ip.to_string()]);
        args.extend(["--helo".into(), env.helo.clone()]);
        args.extend(["--mail-from".into(), env.mail_from.clone()]);
        for r in &env.rcpt {
            args.extend(["--rcpt".into(), r.clone()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let report = json(&stackmail(&args));
        let steps = report["verdicts"].as_array().expect("verdicts").clone();
        assert_eq!(
            reply(&steps[0], 220),
            u64::from(expect.connect),
            "{name}: connect"
        );
        assert_eq!(
            reply(&steps[1], 250),
            u64::from(expect.helo),
            "{name}: helo"
        );
        assert_eq!(
            reply(&steps[2], 250),
            u64::from(expect.mail),
            "{name}: mail"
        );
        let want_rcpt: Vec<u64> = expect.rcpt.iter().map(|c| u64::from(*c)).collect();
        let got_rcpt: Vec<u64> = steps[3..3 + want_rcpt.len()]
            .iter()
            .map(|v| reply(v, 250))
            .collect();
        assert_eq!(got_rcpt, want_rcpt, "{name}: rcpt");
        let data = steps.iter().find(|v| v["phase"] == "data");
        match expect.data {
            Some(c) => {
                let data = data.unwrap_or_else(|| panic!("{name}: no data phase"));
                assert_eq!(reply(data, 250), u64::from(c), "{name}: data");
            }
            None => assert!(data.is_none(), "{name}: data ran without a recipient"),
        }
        assert_eq!(
            steps.iter().any(|v| v["verdict"] == "quarantine"),
            expect.quarantined,
            "{name}: quarantine"
        );
        let mut delivered = expect.delivered.clone();
        let mut got: Vec<String> = report["rcpts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        delivered.sort();
        got.sort();
        assert_eq!(got, delivered, "{name}: the final envelope");

        // Header checks on the result (the server's Received: is not part of an offline run).
        let m = report["message"].as_str().expect("message");
        let head = m.split("\n\n").next().unwrap_or("").replace("\r\n", "\n");
        let has = |h: &str| {
            head.lines().any(|l| {
                l.to_ascii_lowercase()
                    .starts_with(&format!("{}:", h.to_ascii_lowercase()))
            })
        };
        for h in expect.headers_present.iter().filter(|h| *h != "Received") {
            assert!(has(h), "{name}: {h} missing in {m}");
        }
        for h in &expect.headers_absent {
            assert!(!has(h), "{name}: {h} present in {m}");
        }
        for b in &expect.body_contains {
            assert!(m.contains(b.as_str()), "{name}: body lacks {b:?}");
        }
        played += 1;
    }
    assert!(played >= 6, "{played} fixture cases played");
}
