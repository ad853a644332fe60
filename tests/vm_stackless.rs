//! Script tasklets, differentially: every `tests/stackless/*.py` runs under `pypy3` (whose
//! `stackless` module emulates Stackless Python) and under `stackmail run`; stdout and the
//! exit status must match. Where PyPy lacks part of the API (`throw`, `atomic`,
//! `run(timeout)`, channel iteration and closing), `tests/stackless_docs/*.py` follow the
//! Stackless documentation and are compared with the `.out` file beside them.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scripts(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(common::manifest_path(dir))
        .expect("script directory exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no scripts in {dir}");
    v
}

fn ours(script: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stackmail"))
        .arg("run")
        .arg(script)
        .output()
        .expect("stackmail runs")
}

#[test]
fn scripts_match_pypy3_stackless() {
    if !common::have_peer("pypy3") {
        return;
    }
    let mut failures = Vec::new();
    for script in scripts("tests/stackless") {
        let theirs = Command::new("pypy3")
            .arg(&script)
            .output()
            .expect("pypy3 runs");
        let mine = ours(&script);
        if mine.stdout != theirs.stdout || mine.status.code() != theirs.status.code() {
            failures.push(format!(
                "{}: pypy3 exit {:?}, ours {:?}\n--- pypy3 ---\n{}\n--- ours ---\n{}{}",
                script.display(),
                theirs.status.code(),
                mine.status.code(),
                String::from_utf8_lossy(&theirs.stdout),
                String::from_utf8_lossy(&mine.stdout),
                String::from_utf8_lossy(&mine.stderr),
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn scripts_follow_the_stackless_documentation() {
    let mut failures = Vec::new();
    for script in scripts("tests/stackless_docs") {
        let expected = std::fs::read_to_string(script.with_extension("out"))
            .unwrap_or_else(|_| panic!("{} has no .out file", script.display()));
        let mine = ours(&script);
        let got = String::from_utf8_lossy(&mine.stdout);
        if got != expected || !mine.status.success() {
            failures.push(format!(
                "{}: exit {:?}\n--- expected ---\n{expected}\n--- ours ---\n{got}{}",
                script.display(),
                mine.status.code(),
                String::from_utf8_lossy(&mine.stderr),
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `tests/stackless_pickle/*.py` run three times: whole (`SCRIPT whole`), and split in two
/// processes, the first pickling a tasklet to a file (`SCRIPT save FILE`, ending with
/// `saved`), the second loading it and going on (`SCRIPT load FILE`; its `[load] ` lines are
/// its own). The split runs together must print what the whole run prints.
#[test]
fn pickled_tasklets_finish_in_another_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |script: &Path, args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_stackmail"))
            .arg("run")
            .arg(script)
            .args(args)
            .output()
            .expect("stackmail runs");
        assert!(
            out.status.success(),
            "{} {args:?}: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    for script in scripts("tests/stackless_pickle") {
        let file = dir.path().join("tasklet.pickle");
        let file = file.to_str().expect("utf-8 path");
        let whole = run(&script, &["whole"]);
        let saved = run(&script, &["save", file]);
        let loaded = run(&script, &["load", file]);
        let first = saved
            .strip_suffix("saved\n")
            .unwrap_or_else(|| panic!("{} save: {saved}", script.display()));
        let rest: String = loaded
            .lines()
            .filter(|l| !l.starts_with("[load] "))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            format!("{first}{rest}"),
            whole,
            "{}: split runs differ from the whole run",
            script.display()
        );
        assert!(loaded.contains("[load] "), "{}", script.display());
    }
}
