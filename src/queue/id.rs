//! Queue ids: unique across threads, processes and restarts, and sortable by arrival.

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// 14 hex digits of microseconds since the epoch, then 6 of a per-process counter, then 6 of
/// the process id: the time part sorts ids by arrival, the counter separates ids made in the
/// same microsecond, and the pid separates processes (a restarted daemon, a second instance).
/// Upper-case hex only, so an id is always a safe file name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueId(String);

const LEN: usize = 26;

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl QueueId {
    /// A fresh id; `now` is passed in so tests can pin the clock.
    pub fn generate(now: SystemTime) -> QueueId {
        let micros = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros()) as u64;
        let seq = COUNTER.fetch_add(1, Ordering::Relaxed) & 0xff_ffff;
        // Cached: std asks the kernel each time, once per message.
        static PID: OnceLock<u32> = OnceLock::new();
        let pid = *PID.get_or_init(std::process::id) & 0xff_ffff;
        QueueId(format!(
            "{:014X}{seq:06X}{pid:06X}",
            micros & 0xff_ffff_ffff_ffff
        ))
    }

    /// Validates a file name or a string from a record.
    pub fn parse(s: &str) -> Option<QueueId> {
        (s.len() == LEN
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)))
        .then(|| QueueId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
