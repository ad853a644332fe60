//! Recovery on start: undo whatever a crash interrupted, and set aside anything that cannot
//! be trusted. Never panics and never deletes a committed message: a file it does not
//! understand goes to `corrupt/` with a log line.

use std::fs;
use std::path::{Path, PathBuf};

use super::id::QueueId;
use super::{QueuedMessage, Spool, SpoolError, io_err, parse, sync_dir};

/// What recovery found.
#[derive(Debug, Default)]
pub struct Recovery {
    /// Committed messages with pending recipients, oldest first.
    pub messages: Vec<QueuedMessage>,
    /// Where each file that was set aside now is.
    pub moved_aside: Vec<PathBuf>,
    /// Files of interrupted writes, dropped: none of them had been acknowledged.
    pub tmp_removed: usize,
}

impl Spool {
    pub fn recover(&self) -> Result<Recovery, SpoolError> {
        let mut recovery = Recovery::default();

        // An interrupted commit was never renamed, so never acknowledged; an interrupted
        // update's new record is lost, and the old file still stands.
        for path in list(&self.root.join("tmp"))? {
            match fs::remove_file(&path) {
                Ok(()) => recovery.tmp_removed += 1,
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "spool: cannot remove stale tmp file")
                }
            }
        }

        for path in list(&self.root.join("msg"))? {
            match check(&path) {
                Ok(msg) => recovery.messages.push(msg),
                Err(why) => self.move_aside(&path, &why, &mut recovery),
            }
        }

        sync_dir(&self.root.join("msg"))?;
        recovery.messages.sort_by(|a, b| a.id.cmp(&b.id));
        tracing::info!(
            queued = recovery.messages.len(),
            moved_aside = recovery.moved_aside.len(),
            tmp_removed = recovery.tmp_removed,
            "spool recovered"
        );
        Ok(recovery)
    }

    fn move_aside(&self, path: &Path, why: &str, recovery: &mut Recovery) {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("unnamed");
        let corrupt = self.root.join("corrupt");
        let mut target = corrupt.join(name);
        let mut n = 1;
        while target.exists() {
            target = corrupt.join(format!("{name}.{n}"));
            n += 1;
        }
        match fs::rename(path, &target) {
            Ok(()) => {
                tracing::warn!(path = %path.display(), to = %target.display(), reason = why, "spool: moved aside");
                recovery.moved_aside.push(target);
            }
            Err(e) => {
                tracing::error!(path = %path.display(), reason = why, error = %e, "spool: cannot move aside");
            }
        }
    }
}

fn check(path: &Path) -> Result<QueuedMessage, String> {
    let id = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(QueueId::parse)
        .ok_or("file name is not a queue id")?;
    let bytes = fs::read(path).map_err(|e| format!("unreadable: {e}"))?;
    parse(&id, &bytes).map(|(msg, _)| msg)
}

fn list(dir: &Path) -> Result<Vec<PathBuf>, SpoolError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_err("list", dir))? {
        let entry = entry.map_err(io_err("list", dir))?;
        out.push(entry.path());
    }
    out.sort();
    Ok(out)
}
