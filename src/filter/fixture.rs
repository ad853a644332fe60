//! Fixture cases, in the format of `fixtures/README.md`: a directory holding `case.toml` (the
//! stages, the envelope, the replies and deliveries expected) and the message to send. One
//! strict parser for every runner: the VM's (`filter::tests::fixtures`), the server's
//! (`tests/fixtures.rs`) and `stackmail filter test`'s (`tests/cli_filter_test.rs`).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One `case.toml`. Stage paths are relative to the project root.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub description: String,
    pub stages: Vec<String>,
    #[serde(default = "default_message")]
    pub message: PathBuf,
    pub envelope: Envelope,
    /// Per stage, module globals to set after its body ran.
    #[serde(default)]
    pub knobs: BTreeMap<String, toml::Table>,
    pub expect: Expect,
}

fn default_message() -> PathBuf {
    "message.eml".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    pub client_ip: IpAddr,
    pub helo: String,
    pub mail_from: String,
    pub rcpt: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub connect: u16,
    pub helo: u16,
    pub mail: u16,
    /// One code per envelope recipient.
    pub rcpt: Vec<u16>,
    /// Present exactly when some recipient was accepted.
    pub data: Option<u16>,
    pub delivered: Vec<String>,
    #[serde(default)]
    pub quarantined: bool,
    #[serde(default)]
    pub headers_present: Vec<String>,
    #[serde(default)]
    pub headers_absent: Vec<String>,
    #[serde(default)]
    pub body_contains: Vec<String>,
}

/// Every case directory under `fixtures`: all its directories but `smtp/` (the SMTP
/// transcripts' goldens), sorted.
pub fn case_dirs(fixtures: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for e in std::fs::read_dir(fixtures)? {
        let p = e?.path();
        if p.is_dir() && !p.ends_with("smtp") {
            dirs.push(p);
        }
    }
    dirs.sort();
    Ok(dirs)
}

impl Case {
    /// Parses `dir/case.toml` strictly and checks what the format requires beyond its keys;
    /// stage paths are looked up under `root`.
    pub fn load(dir: &Path, root: &Path) -> Result<Case, String> {
        let path = dir.join("case.toml");
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let case: Case = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        case.consistent(root)
            .map_err(|why| format!("{}: {why}", path.display()))?;
        Ok(case)
    }

    fn consistent(&self, root: &Path) -> Result<(), String> {
        let (env, expect) = (&self.envelope, &self.expect);
        if self.description.trim().is_empty() {
            return Err("description is empty".into());
        }
        if self.stages.is_empty() {
            return Err("stages is empty".into());
        }
        if !matches!(env.client_ip, IpAddr::V4(ip) if ip.is_loopback()) {
            return Err(format!(
                "client_ip {} is not in 127.0.0.0/8: the client connects from it (fixtures/README.md)",
                env.client_ip
            ));
        }
        if expect.rcpt.len() != env.rcpt.len() {
            return Err("expect.rcpt needs one code per envelope.rcpt".into());
        }
        let accepted = expect.rcpt.iter().any(|c| (200..300).contains(c));
        if expect.data.is_some() != accepted {
            return Err("expect.data is present exactly when a recipient gets 2xx".into());
        }
        let content_checks = !(expect.headers_present.is_empty()
            && expect.headers_absent.is_empty()
            && expect.body_contains.is_empty());
        if content_checks && expect.delivered.is_empty() {
            return Err("header and body checks need a delivered recipient".into());
        }
        if let Some(stage) = self.stages.iter().find(|s| !root.join(s).is_file()) {
            return Err(format!("stage {stage} is not a file"));
        }
        if let Some(k) = self.knobs.keys().find(|k| !self.stages.contains(k)) {
            return Err(format!("knobs.\"{k}\" is not one of the stages"));
        }
        let identifier = |n: &str| {
            n.chars()
                .enumerate()
                .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()))
                && !n.is_empty()
        };
        if let Some(k) = self
            .knobs
            .values()
            .flat_map(|t| t.keys())
            .find(|k| !identifier(k))
        {
            return Err(format!("knob {k:?} is not a Python name"));
        }
        Ok(())
    }
}
