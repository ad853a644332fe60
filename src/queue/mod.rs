//! The durable spool. A message is accepted (250) only once it is on disk: its file (the
//! envelope record followed by the body) written to `tmp/` and fsynced, renamed into `msg/`,
//! and `msg/` fsynced. The rename is the commit.
//!
//! Everything here is synchronous and blocking on purpose: the server calls it on the
//! runtime's blocking pool. [`Spool::commit_batch`] is the group commit: the server gathers
//! the messages that finished DATA at about the same time and pays the fsyncs once per batch
//! (all files synced concurrently, so the filesystem folds them into few journal commits,
//! and one directory fsync for the batch). One file per message keeps it at one file fsync
//! per message.
//!
//! Layout under the spool directory:
//! - `msg/ID`: the envelope record (see [`envelope`]) and then the message as it will be
//!   delivered (Received: header included);
//! - `tmp/`: files being written; leftovers are from crashed writes and are dropped;
//! - `corrupt/`: files that recovery could not trust, kept for a human to look at.
//!
//! A message's record is updated by one writer at a time (its delivery tasklet).
//!
//! Most local mail never comes here: [`crate::deliver::deliver_or_queue`] delivers a message
//! whose recipients are all local mailboxes before the 250, and spools only what it cannot
//! deliver that way (held, remote or failed recipients), under the queue id its Maildir
//! names already use ([`Spool::commit_batch_as`]).

mod envelope;
mod id;
mod recover;

use std::collections::HashSet;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

pub use envelope::{Envelope, Hold, RcptStatus, Recipient};
pub use id::QueueId;
pub use recover::Recovery;

/// A message ready to be committed.
#[derive(Debug, Clone)]
pub struct PendingMessage {
    pub envelope: Envelope,
    pub body: Vec<u8>,
}

#[cfg(test)]
impl PendingMessage {
    /// A message from `a@b.test` to `rcpts`, for tests.
    pub(crate) fn for_test(rcpts: &[&str], body: &[u8]) -> PendingMessage {
        PendingMessage {
            envelope: Envelope {
                received: 100,
                client: None,
                helo: "h".into(),
                auth_user: None,
                from: "a@b.test".into(),
                rcpts: rcpts.iter().map(|r| Recipient::new(*r)).collect(),
                hold: None,
            },
            body: body.to_vec(),
        }
    }
}

/// A committed message, as read back from its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    pub id: QueueId,
    pub envelope: Envelope,
    pub body_size: u64,
}

/// What an update left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// Some recipients are still pending; the record was rewritten.
    Kept,
    /// Every recipient is done; the message was removed from the spool.
    Removed,
}

#[derive(Debug)]
pub enum SpoolError {
    /// The disk said no (full, permissions, IO error): transient for the client (451).
    Io {
        op: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// A record that does not parse or does not match its body.
    Corrupt { path: PathBuf, why: String },
}

impl fmt::Display for SpoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpoolError::Io { op, path, source } => {
                write!(f, "spool: {op} {}: {source}", path.display())
            }
            SpoolError::Corrupt { path, why } => {
                write!(f, "spool: corrupt {}: {why}", path.display())
            }
        }
    }
}

impl std::error::Error for SpoolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SpoolError::Io { source, .. } => Some(source),
            SpoolError::Corrupt { .. } => None,
        }
    }
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> SpoolError + 'a {
    move |source| SpoolError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Debug, Clone)]
pub struct Spool {
    root: PathBuf,
    /// Ids whose files are in `msg/` but whose commit is not settled (the directory fsync
    /// may still fail, and the file be taken back): [`Spool::queued_ids`] leaves them out,
    /// so that no delivery starts on a message its client may be told to send again.
    committing: Arc<Mutex<HashSet<QueueId>>>,
}

impl Spool {
    /// Opens (creating if needed) the spool at `root`. Call [`Spool::recover`] before use.
    pub fn open(root: impl Into<PathBuf>) -> Result<Spool, SpoolError> {
        let spool = Spool {
            root: root.into(),
            committing: Arc::default(),
        };
        for sub in ["msg", "tmp", "corrupt", "quarantine"] {
            let dir = spool.root.join(sub);
            fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
        }
        sync_dir(&spool.root)?;
        Ok(spool)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn msg_path(&self, id: &QueueId) -> PathBuf {
        self.root.join("msg").join(id.as_str())
    }

    fn tmp_path(&self, id: &QueueId) -> PathBuf {
        self.root.join("tmp").join(id.as_str())
    }

    /// Commits one message. Prefer [`Spool::commit_batch`] when several are waiting.
    pub fn commit(&self, msg: PendingMessage) -> Result<QueueId, SpoolError> {
        self.commit_batch(vec![msg]).pop().unwrap_or_else(|| {
            Err(SpoolError::Corrupt {
                path: self.root.clone(),
                why: "empty commit result".into(),
            })
        })
    }

    /// Commits many messages with one round of fsyncs; the results are in input order, and
    /// `Ok(id)` means that message is durable and may be answered 250. A failure affects
    /// only its own message (and leaves no trace of it in the spool).
    pub fn commit_batch(&self, msgs: Vec<PendingMessage>) -> Vec<Result<QueueId, SpoolError>> {
        self.commit_batch_as(msgs.into_iter().map(|m| (None, m)).collect())
    }

    /// [`Spool::commit_batch`] where some messages come with an id drawn already (with
    /// [`QueueId::generate`]) that must be kept: some of their recipients were delivered under
    /// Maildir names made from it. The others get a fresh one.
    pub fn commit_batch_as(
        &self,
        msgs: Vec<(Option<QueueId>, PendingMessage)>,
    ) -> Vec<Result<QueueId, SpoolError>> {
        let now = SystemTime::now();
        // Phase 1: every message's file written to tmp/, not yet synced or visible.
        let mut slots: Vec<Result<(QueueId, File), SpoolError>> = msgs
            .iter()
            .map(|(id, m)| match id {
                Some(id) => self.stage_as(id.clone(), m),
                None => self.stage(now, m),
            })
            .collect();
        // Phase 2: all files synced in one concurrent round.
        let files: Vec<&File> = slots
            .iter()
            .filter_map(|s| s.as_ref().ok().map(|(_, f)| f))
            .collect();
        let synced = sync_files(&files);
        let mut synced = synced.into_iter();
        for slot in slots.iter_mut() {
            let Ok((id, _)) = slot else { continue };
            let error = match synced.next() {
                Some(Ok(())) => continue,
                Some(Err(e)) => e,
                None => io::Error::other("fsync result missing"),
            };
            let path = self.tmp_path(id);
            let _ = fs::remove_file(&path);
            *slot = Err(SpoolError::Io {
                op: "fsync",
                path,
                source: error,
            });
        }
        // Phase 3: the renames commit; one directory fsync makes them all durable. Until it
        // has, the scans do not see them.
        let staged: Vec<QueueId> = slots
            .iter()
            .filter_map(|s| s.as_ref().ok().map(|(id, _)| id.clone()))
            .collect();
        let _settling = self.settling(staged);
        let mut results: Vec<Result<QueueId, SpoolError>> = slots
            .into_iter()
            .map(|slot| {
                let (id, _) = slot?;
                let (tmp, msg) = (self.tmp_path(&id), self.msg_path(&id));
                fs::rename(&tmp, &msg).map_err(|e| {
                    let _ = fs::remove_file(&tmp);
                    io_err("rename", &msg)(e)
                })?;
                Ok(id)
            })
            .collect();
        if let Err(e) = sync_dir(&self.root.join("msg")) {
            // Not durable, so not accepted: take the messages back; the client will retry.
            for r in results.iter_mut() {
                if let Ok(id) = r {
                    let _ = fs::remove_file(self.msg_path(id));
                    *r = Err(e.duplicate());
                }
            }
        }
        results
    }

    /// Writes a message's file to tmp/ under the given id, unsynced; the id must be new.
    fn stage_as(&self, id: QueueId, msg: &PendingMessage) -> Result<(QueueId, File), SpoolError> {
        let path = self.msg_path(&id);
        if path.exists() {
            return Err(io_err("create", &path)(io::ErrorKind::AlreadyExists.into()));
        }
        let header = envelope::encode(&id, msg.body.len() as u64, &msg.envelope);
        write_new(&self.tmp_path(&id), &[&header, &msg.body]).map(|f| (id, f))
    }

    /// Writes a message's file to tmp/ under a fresh id, unsynced.
    fn stage(&self, now: SystemTime, msg: &PendingMessage) -> Result<(QueueId, File), SpoolError> {
        // create_new never overwrites, and an id already committed is skipped: a collision
        // (clock stepped back, pid reuse) just draws another id.
        for _ in 0..8 {
            let id = QueueId::generate(now);
            if self.msg_path(&id).exists() {
                continue;
            }
            let header = envelope::encode(&id, msg.body.len() as u64, &msg.envelope);
            match write_new(&self.tmp_path(&id), &[&header, &msg.body]) {
                Ok(f) => return Ok((id, f)),
                Err(SpoolError::Io { source, .. })
                    if source.kind() == io::ErrorKind::AlreadyExists =>
                {
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        Err(SpoolError::Io {
            op: "create",
            path: self.root.join("tmp"),
            source: io::Error::new(io::ErrorKind::AlreadyExists, "no free queue id"),
        })
    }

    /// Replaces a committed message (a post-queue filter rewrote it or its recipients):
    /// the new version is written and synced beside it, then renamed over it, so a crash
    /// leaves one version or the other, never a mix.
    pub fn rewrite(&self, id: &QueueId, msg: &PendingMessage) -> Result<(), SpoolError> {
        let tmp = self.tmp_path(id);
        let _ = fs::remove_file(&tmp);
        let header = envelope::encode(id, msg.body.len() as u64, &msg.envelope);
        let f = write_new(&tmp, &[&header, &msg.body])?;
        f.sync_data().map_err(io_err("fsync", &tmp))?;
        let dest = self.msg_path(id);
        fs::rename(&tmp, &dest).map_err(io_err("rename", &dest))?;
        sync_dir(&self.root.join("msg"))
    }

    /// Moves a committed message to `quarantine/`, where delivery never looks; an operator
    /// releases it by moving the file back to `msg/`. The quarantined record is `msg`
    /// without its hold, so that a released one is delivered rather than quarantined again.
    /// Written before the original is removed: a crash between leaves both, and recovery
    /// repeats the quarantine, which writes the same file.
    pub fn quarantine(&self, id: &QueueId, msg: &PendingMessage) -> Result<PathBuf, SpoolError> {
        let mut envelope = msg.envelope.clone();
        envelope.hold = None;
        let tmp = self.tmp_path(id);
        let _ = fs::remove_file(&tmp);
        let header = envelope::encode(id, msg.body.len() as u64, &envelope);
        let f = write_new(&tmp, &[&header, &msg.body])?;
        f.sync_data().map_err(io_err("fsync", &tmp))?;
        let dest = self.root.join("quarantine").join(id.as_str());
        fs::rename(&tmp, &dest).map_err(io_err("rename", &dest))?;
        sync_dir(&self.root.join("quarantine"))?;
        self.remove(id)?;
        sync_dir(&self.root.join("msg"))?;
        Ok(dest)
    }

    /// The ids of every committed message, oldest first, without touching anything (unlike
    /// [`Spool::recover`], this is safe while commits are in flight: those not settled yet
    /// are left out).
    pub fn queued_ids(&self) -> Result<Vec<QueueId>, SpoolError> {
        let dir = self.root.join("msg");
        let mut ids = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_err("list", &dir))? {
            let entry = entry.map_err(io_err("list", &dir))?;
            if let Some(id) = entry.file_name().to_str().and_then(QueueId::parse) {
                ids.push(id);
            }
        }
        // Looked at after the listing: a commit settles (or takes its file back) before
        // its ids leave the set, so a file listed mid-commit is either left out here or
        // settled by now.
        let committing = self.committing.lock().unwrap_or_else(|e| e.into_inner());
        ids.retain(|id| !committing.contains(id));
        drop(committing);
        ids.sort();
        Ok(ids)
    }

    /// Hides `ids` from [`Spool::queued_ids`] until the guard is dropped.
    fn settling(&self, ids: Vec<QueueId>) -> Settling<'_> {
        let mut committing = self.committing.lock().unwrap_or_else(|e| e.into_inner());
        committing.extend(ids.iter().cloned());
        Settling { spool: self, ids }
    }

    /// Reads and checks a committed message's file: its record, and its body.
    pub fn read_message(&self, id: &QueueId) -> Result<(QueuedMessage, Vec<u8>), SpoolError> {
        let path = self.msg_path(id);
        let bytes = fs::read(&path).map_err(io_err("read", &path))?;
        let (msg, header_len) =
            parse(id, &bytes).map_err(|why| SpoolError::Corrupt { path, why })?;
        let mut body = bytes;
        body.drain(..header_len);
        Ok((msg, body))
    }

    /// Reads a committed message's record.
    pub fn load(&self, id: &QueueId) -> Result<QueuedMessage, SpoolError> {
        self.read_message(id).map(|(msg, _)| msg)
    }

    pub fn read_body(&self, id: &QueueId) -> Result<Vec<u8>, SpoolError> {
        self.read_message(id).map(|(_, body)| body)
    }

    /// Durably records the recipients' new statuses (tmp, fsync, rename, directory fsync), or
    /// removes the message once every recipient is done.
    pub fn update(&self, msg: &QueuedMessage) -> Result<UpdateOutcome, SpoolError> {
        if msg.envelope.all_done() {
            self.remove(&msg.id)?;
            return Ok(UpdateOutcome::Removed);
        }
        let (_, body) = self.read_message(&msg.id)?;
        self.update_with_body(msg, &body)
    }

    /// [`Spool::update`] for a caller that holds the body already (as read with
    /// [`Spool::read_message`]), which saves reading it again.
    pub fn update_with_body(
        &self,
        msg: &QueuedMessage,
        body: &[u8],
    ) -> Result<UpdateOutcome, SpoolError> {
        if msg.envelope.all_done() {
            self.remove(&msg.id)?;
            return Ok(UpdateOutcome::Removed);
        }
        let tmp = self.tmp_path(&msg.id);
        let header = envelope::encode(&msg.id, body.len() as u64, &msg.envelope);
        let _ = fs::remove_file(&tmp);
        let f = write_new(&tmp, &[&header, body])?;
        f.sync_all().map_err(io_err("fsync", &tmp))?;
        let path = self.msg_path(&msg.id);
        fs::rename(&tmp, &path).map_err(io_err("rename", &path))?;
        sync_dir(&self.root.join("msg"))?;
        Ok(UpdateOutcome::Kept)
    }

    /// Removes a message. The unlink is not fsynced: if a power loss undoes it, the message
    /// comes back, and its next delivery finds the copies made before by their names (in
    /// `new/`, or `cur/` once read); only a copy the reader has deleted since is made again.
    /// This saves one fsync per message.
    pub fn remove(&self, id: &QueueId) -> Result<(), SpoolError> {
        let path = self.msg_path(id);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("remove", &path)(e)),
        }
    }
}

/// Commits in progress, hidden from the scans while it lives.
struct Settling<'a> {
    spool: &'a Spool,
    ids: Vec<QueueId>,
}

impl Drop for Settling<'_> {
    fn drop(&mut self) {
        let mut committing = self
            .spool
            .committing
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for id in &self.ids {
            committing.remove(id);
        }
    }
}

/// Checks a spool file's bytes for message `id`; returns its record and the header length.
fn parse(id: &QueueId, bytes: &[u8]) -> Result<(QueuedMessage, usize), String> {
    let (header, body) = envelope::split(bytes)?;
    let (rec_id, body_size, envelope) = envelope::decode(header)?;
    if &rec_id != id {
        return Err(format!("record names another message, {rec_id}"));
    }
    if body.len() as u64 != body_size {
        return Err(format!(
            "body is {} bytes, record says {body_size}",
            body.len()
        ));
    }
    Ok((
        QueuedMessage {
            id: rec_id,
            envelope,
            body_size,
        },
        header.len(),
    ))
}

fn write_new(path: &Path, parts: &[&[u8]]) -> Result<File, SpoolError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io_err("create", path))?;
    if let Err(e) = parts.iter().try_for_each(|p| f.write_all(p)) {
        let _ = fs::remove_file(path);
        return Err(io_err("write", path)(e));
    }
    Ok(f)
}

/// fsyncs the files concurrently: on a journaling filesystem, fsyncs in flight together are
/// folded into one journal commit, which is what makes group commit pay.
pub fn sync_files(files: &[&File]) -> Vec<io::Result<()>> {
    const MAX_THREADS: usize = 64;
    if files.len() <= 1 {
        return files.iter().map(|f| f.sync_data()).collect();
    }
    // One filesystem-wide flush per device instead of one fsync per file: on the development
    // machine's disk a batch of 50 files took ~2-4 ms this way against ~50-60 ms of
    // concurrent fsyncs (each pays its own journal commit).
    if let Some(results) = sync_by_filesystem(files) {
        return results;
    }
    let per_thread = files.len().div_ceil(MAX_THREADS);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || chunk.iter().map(|f| f.sync_data()).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .zip(files.chunks(per_thread))
            .flat_map(|(h, chunk)| {
                h.join().unwrap_or_else(|_| {
                    chunk
                        .iter()
                        .map(|_| Err(io::Error::other("fsync thread panicked")))
                        .collect()
                })
            })
            .collect()
    })
}

/// `syncfs` once per filesystem the files live on; None where the platform has no syncfs.
fn sync_by_filesystem(files: &[&File]) -> Option<Vec<io::Result<()>>> {
    use std::os::unix::fs::MetadataExt;
    let devices: Vec<Option<u64>> = files
        .iter()
        .map(|f| f.metadata().ok().map(|m| m.dev()))
        .collect();
    let mut outcome: Vec<(u64, io::Result<()>)> = Vec::new();
    for (file, dev) in files.iter().zip(&devices) {
        let Some(dev) = dev else { continue };
        if outcome.iter().any(|(d, _)| d == dev) {
            continue;
        }
        match crate::rt::sys::syncfs(file) {
            Err(e) if e.kind() == io::ErrorKind::Unsupported => return None,
            result => outcome.push((*dev, result)),
        }
    }
    Some(
        files
            .iter()
            .zip(devices)
            .map(
                |(file, dev)| match dev.and_then(|d| outcome.iter().find(|(o, _)| *o == d)) {
                    Some((_, Ok(()))) => Ok(()),
                    Some((_, Err(e))) => Err(io::Error::new(e.kind(), e.to_string())),
                    // No metadata: sync this one file on its own.
                    None => file.sync_data(),
                },
            )
            .collect(),
    )
}

/// Makes a directory's entries (creations, renames, removals) durable.
fn sync_dir(dir: &Path) -> Result<(), SpoolError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("fsync", dir))
}

impl SpoolError {
    /// One batch-wide failure is reported to every message of the batch; io::Error is not
    /// Clone, so keep its kind and text.
    fn duplicate(&self) -> SpoolError {
        match self {
            SpoolError::Io { op, path, source } => SpoolError::Io {
                op,
                path: path.clone(),
                source: io::Error::new(source.kind(), source.to_string()),
            },
            SpoolError::Corrupt { path, why } => SpoolError::Corrupt {
                path: path.clone(),
                why: why.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests;
