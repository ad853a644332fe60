//! Recovery on start: finish or undo whatever a crash interrupted, and set aside anything that
//! cannot be trusted. Never panics and never deletes a committed message's files: a file it
//! does not understand goes to `corrupt/` with a log line.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::envelope;
use super::id::QueueId;
use super::{QueuedMessage, Spool, SpoolError, io_err, sync_dir};

/// What recovery found.
#[derive(Debug, Default)]
pub struct Recovery {
    /// Committed messages with pending recipients, oldest first.
    pub messages: Vec<QueuedMessage>,
    /// Where each file that was set aside now is.
    pub moved_aside: Vec<PathBuf>,
    /// Records of interrupted writes, dropped: none of them had been acknowledged.
    pub tmp_removed: usize,
}

impl Spool {
    pub fn recover(&self) -> Result<Recovery, SpoolError> {
        let mut recovery = Recovery::default();

        // An interrupted commit's record was never renamed, so never acknowledged; an
        // interrupted update's new record is lost, and the old one still stands.
        for path in list(&self.root.join("tmp"))? {
            match fs::remove_file(&path) {
                Ok(()) => recovery.tmp_removed += 1,
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "spool: cannot remove stale tmp file")
                }
            }
        }

        let mut live = HashSet::new();
        for path in list(&self.root.join("env"))? {
            match self.check_record(&path) {
                Ok(msg) => {
                    live.insert(msg.id.clone());
                    recovery.messages.push(msg);
                }
                Err(why) => {
                    self.move_aside(&path, &why, &mut recovery);
                    if let Some(id) = file_id(&path) {
                        let body = self.body_path(&id);
                        if body.exists() {
                            self.move_aside(&body, "its envelope record is corrupt", &mut recovery);
                        }
                    }
                }
            }
        }

        // A body without a record: a commit that crashed before its rename (never answered
        // 250), or a removal that crashed between its two unlinks.
        for path in list(&self.root.join("body"))? {
            let known = file_id(&path).is_some_and(|id| live.contains(&id));
            if !known {
                self.move_aside(
                    &path,
                    "no envelope record (interrupted commit or removal)",
                    &mut recovery,
                );
            }
        }

        sync_dir(&self.root.join("env"))?;
        sync_dir(&self.root.join("body"))?;
        recovery.messages.sort_by(|a, b| a.id.cmp(&b.id));
        tracing::info!(
            queued = recovery.messages.len(),
            moved_aside = recovery.moved_aside.len(),
            tmp_removed = recovery.tmp_removed,
            "spool recovered"
        );
        Ok(recovery)
    }

    fn check_record(&self, path: &Path) -> Result<QueuedMessage, String> {
        let id = file_id(path).ok_or("file name is not a queue id")?;
        let bytes = fs::read(path).map_err(|e| format!("unreadable: {e}"))?;
        let (rec_id, body_size, envelope) = envelope::decode(&bytes)?;
        if rec_id != id {
            return Err(format!("record names another message, {rec_id}"));
        }
        let body = self.body_path(&id);
        let len = fs::metadata(&body)
            .map_err(|e| format!("body {}: {e}", body.display()))?
            .len();
        if len != body_size {
            return Err(format!("body is {len} bytes, record says {body_size}"));
        }
        Ok(QueuedMessage {
            id,
            envelope,
            body_size,
        })
    }

    fn move_aside(&self, path: &Path, why: &str, recovery: &mut Recovery) {
        let kind = path
            .parent()
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
            .unwrap_or("x");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("unnamed");
        let corrupt = self.root.join("corrupt");
        let mut target = corrupt.join(format!("{kind}-{name}"));
        let mut n = 1;
        while target.exists() {
            target = corrupt.join(format!("{kind}-{name}.{n}"));
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

fn file_id(path: &Path) -> Option<QueueId> {
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(QueueId::parse)
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
