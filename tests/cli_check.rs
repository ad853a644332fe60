//! `stackmail check` run as a process: exit status and messages for good and broken configs
//! and filter scripts.

use std::path::Path;
use std::process::{Command, Output};

fn check(config: &Path, extra: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stackmail"))
        .arg("check")
        .arg("--config")
        .arg(config)
        .args(extra)
        .env("RUST_LOG", "warn")
        .output()
        .expect("stackmail runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A config directory with `filters/NAME.py` for each script, and the config text.
fn setup(scripts: &[(&str, &str)], config: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("filters")).unwrap();
    for (name, src) in scripts {
        std::fs::write(dir.path().join("filters").join(name), src).unwrap();
    }
    let path = dir.path().join("stackmail.toml");
    std::fs::write(&path, config).unwrap();
    (dir, path)
}

const GOOD: &str = "import re\nimport log\nWORDS = re.compile(r'lottery', re.I)\n\ndef run(inbox, outbox):\n    for ev in inbox:\n        outbox.send(ev)\n";

#[test]
fn a_good_filter_passes() {
    let (_dir, config) = setup(
        &[("good.py", GOOD)],
        "[[filter]]\nscript = \"filters/good.py\"\nphases = [\"rcpt\", \"data\"]\n",
    );
    let out = check(&config, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "one-line summary: {stdout}");
    assert!(stdout.contains("1 filter script OK"), "{stdout}");
}

#[test]
fn no_config_checks_nothing_and_passes() {
    let out = Command::new(env!("CARGO_BIN_EXE_stackmail"))
        .arg("check")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("0 filter scripts OK"));
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let (dir, config) = setup(
        &[
            ("good.py", GOOD),
            (
                "broken.py",
                "def run(inbox, outbox):\n    for ev in inbox\n        pass\n",
            ),
        ],
        "[[filter]]\nscript = \"filters/good.py\"\n[[filter]]\nscript = \"filters/broken.py\"\n",
    );
    let out = check(&config, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let broken = dir.path().join("filters/broken.py");
    let want = format!("{}:2:20: SyntaxError", broken.display());
    assert!(stderr.contains(&want), "{stderr:?} lacks {want:?}");
    assert!(!stderr.contains("good.py"), "{stderr}");
}

#[test]
fn a_script_without_run_fails() {
    let (_dir, config) = setup(
        &[("norun.py", "def handle(ev):\n    pass\n")],
        "[[filter]]\nscript = \"filters/norun.py\"\n",
    );
    let out = check(&config, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("norun.py:1:1: defines no run"));
}

#[test]
fn an_unknown_key_is_named() {
    let (_dir, config) = setup(
        &[("good.py", GOOD)],
        "[[filter]]\nscript = \"filters/good.py\"\nworker = 2\n",
    );
    let out = check(&config, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("worker") && stderr.contains("stackmail.toml"),
        "{stderr}"
    );
}

#[test]
fn a_bad_phase_is_named() {
    let (_dir, config) = setup(
        &[("good.py", GOOD)],
        "[[filter]]\nscript = \"filters/good.py\"\nphases = [\"rcpt\", \"body\"]\n",
    );
    let out = check(&config, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("phases") && stderr.contains("\"body\""),
        "{stderr}"
    );
}

#[test]
fn a_missing_script_is_reported() {
    let (_dir, config) = setup(&[], "[[filter]]\nscript = \"filters/nowhere.py\"\n");
    let out = check(&config, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("nowhere.py"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_standard_filters_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("filters");
    let mut scripts: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    scripts.sort();
    assert!(scripts.len() >= 8);
    let (_tmp, config) = setup(&[], "");
    let refs: Vec<&Path> = scripts.iter().map(|p| p.as_path()).collect();
    let out = check(&config, &refs);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("{} filter scripts OK", scripts.len())));
}
