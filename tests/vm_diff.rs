//! Differential tests: every `tests/python/*.py` runs under `python3` and under `stackmail run`;
//! stdout and the exit status must match byte for byte.
//!
//! Without `python3` on PATH the test is skipped, unless `STACKMAIL_REQUIRE_PEERS=1`, which
//! turns a missing peer into a failure (CI sets it).

use std::path::{Path, PathBuf};
use std::process::Command;

fn scripts() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/python exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "py")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("mod_"))
        })
        .collect();
    v.sort();
    v
}

fn python_available() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn scripts_match_cpython() {
    if !python_available() {
        if std::env::var("STACKMAIL_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("python3 is required (STACKMAIL_REQUIRE_PEERS=1) but was not found");
        }
        eprintln!("skipping differential tests: python3 not found");
        return;
    }
    let only = std::env::var("STACKMAIL_ONLY").ok();
    let todo: Vec<PathBuf> = scripts()
        .into_iter()
        .filter(|p| {
            only.as_deref()
                .is_none_or(|o| p.to_string_lossy().contains(o))
        })
        .collect();
    // A few workers: each script costs two process start-ups.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(script) = todo.get(i) else { break };
                    let r = compare(script);
                    results.lock().unwrap_or_else(|e| e.into_inner()).push(r);
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let passed = results.iter().filter(|r| r.is_none()).count();
    let mut failures: Vec<String> = results.into_iter().flatten().collect();
    failures.sort();
    eprintln!("{passed} scripts match CPython");
    assert!(
        failures.is_empty(),
        "{} scripts differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Runs one script under both interpreters; `Some(report)` when they disagree.
fn compare(script: &Path) -> Option<String> {
    let name = script
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let dir = script.parent().unwrap_or(Path::new("."));
    let expected = Command::new("python3")
        .arg(&name)
        .current_dir(dir)
        .output()
        .expect("run python3");
    let actual = Command::new(env!("CARGO_BIN_EXE_stackmail"))
        .arg("run")
        .arg(&name)
        .current_dir(dir)
        .output()
        .expect("run stackmail");
    // For uncaught exceptions, the last stderr line (type and message) must agree too.
    let last = |o: &std::process::Output| {
        String::from_utf8_lossy(&o.stderr)
            .lines()
            .last()
            .unwrap_or("")
            .to_string()
    };
    let exc_differs = expected.status.code() == Some(1) && last(&expected) != last(&actual);
    if expected.stdout == actual.stdout
        && expected.status.code() == actual.status.code()
        && !exc_differs
    {
        return None;
    }
    let exp = String::from_utf8_lossy(&expected.stdout);
    let act = String::from_utf8_lossy(&actual.stdout);
    let first_diff = exp.lines().zip(act.lines()).position(|(a, b)| a != b);
    Some(format!(
        "{name}: status {:?} vs {:?}; first differing line {:?}\n  python3:   {:?}\n  stackmail: {:?}\n  stderr: {} | python3: {}",
        expected.status.code(),
        actual.status.code(),
        first_diff.map(|i| i + 1),
        first_diff.and_then(|i| exp.lines().nth(i)).unwrap_or(""),
        first_diff.and_then(|i| act.lines().nth(i)).unwrap_or(""),
        last(&actual),
        last(&expected)
    ))
}
