//! Delivery. Only local Maildir delivery so far, from the spool ([`deliver_local_batch`]) or
//! straight from memory before a message is queued ([`deliver_or_queue`]); SMTP/LMTP relay
//! and the retry scheduler build on the same error type.

mod direct;
mod local;
mod maildir;

use std::fmt;
use std::io;
use std::path::PathBuf;

pub use direct::{Accepted, deliver_or_queue};
pub use local::{
    Local, all_local, deliver_local, deliver_local_batch, deliver_to_maildirs, retry_delay,
};
pub use maildir::{Delivered, Maildir, Staged, Written, maildir_name, maildir_path};

/// Why a delivery failed, split by what the queue must do about it.
#[derive(Debug)]
pub enum DeliveryError {
    /// Disk full, permissions, an IO error: keep the message and retry later.
    Transient {
        op: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// Retrying cannot help (e.g. a user name that cannot be a mailbox): bounce.
    Permanent(String),
}

impl DeliveryError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, DeliveryError::Permanent(_))
    }
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeliveryError::Transient { op, path, source } => {
                write!(f, "{op} {}: {source}", path.display())
            }
            DeliveryError::Permanent(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for DeliveryError {}

/// A spool and a local config (domain `localhost`, Maildirs under `mail/`) in a new
/// temporary directory, for tests.
#[cfg(test)]
fn test_setup() -> (
    tempfile::TempDir,
    crate::queue::Spool,
    crate::config::LocalConfig,
) {
    let dir = tempfile::tempdir().unwrap();
    let spool = crate::queue::Spool::open(dir.path().join("spool")).unwrap();
    let local = crate::config::LocalConfig {
        domains: vec!["localhost".into()],
        maildir: dir
            .path()
            .join("mail/{user}")
            .to_string_lossy()
            .into_owned(),
    };
    (dir, spool, local)
}
