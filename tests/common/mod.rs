//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// Whether a peer tool is installed. When it is not, the test is skipped, unless
/// `STACKMAIL_REQUIRE_PEERS=1` (as in CI), where a missing peer fails the test.
pub fn have_peer(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var("STACKMAIL_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("peer tool `{tool}` is required (STACKMAIL_REQUIRE_PEERS=1) but not installed");
        }
        eprintln!("skipping: peer tool `{tool}` is not installed");
    }
    found
}

/// Runs `tool script` and returns its stdout; panics with stderr when it fails.
pub fn run_script(tool: &str, script: &Path) -> String {
    let out = Command::new(tool)
        .arg(script)
        .output()
        .expect("peer tool runs");
    assert!(
        out.status.success(),
        "{tool} {} failed:\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

pub fn manifest_path(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}
