//! The envelope record: a small line-based text header at the start of each spool file, the
//! message body following it. The file is the commit marker: a message exists in the spool
//! exactly when its file is in `msg/`.
//!
//! ```text
//! stackmail-envelope 1
//! id 0006270C0DDA6C000001001F2A
//! received 1764094000
//! client 192.0.2.1
//! helo client.example
//! auth -
//! from alice@example.test
//! size 1234
//! hold post-queue
//! rcpt pending 0 0 bob@example.test
//! rcpt delivered 1 0 carol@example.test
//! error 1 450 mailbox busy
//! end 5c0e7f21a4b3d9e8
//! <the message body, `size` bytes>
//! ```
//!
//! The `hold` line is there only while the message is kept from delivery: `hold post-queue`
//! until the post-queue filters have decided, `hold quarantine REASON` until it is moved to
//! quarantine. Recovery finishes that work instead of delivering the message.
//!
//! Values are percent-escaped (`%`, CR, LF) so any string fits on its line. The `end` line
//! carries an FNV-1a hash of the header before it, and the body must be exactly `size` bytes:
//! a torn or bit-flipped file is detected on recovery instead of being half-believed.

use std::net::IpAddr;

use super::id::QueueId;

const MAGIC: &str = "stackmail-envelope 1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RcptStatus {
    /// Not delivered yet; `next_attempt` says when to try.
    Pending,
    Delivered,
    /// Given up (a permanent failure or the queue lifetime passed); a bounce is owed.
    Failed,
}

impl RcptStatus {
    fn as_str(self) -> &'static str {
        match self {
            RcptStatus::Pending => "pending",
            RcptStatus::Delivered => "delivered",
            RcptStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<RcptStatus> {
        match s {
            "pending" => Some(RcptStatus::Pending),
            "delivered" => Some(RcptStatus::Delivered),
            "failed" => Some(RcptStatus::Failed),
            _ => None,
        }
    }

    pub fn is_done(self) -> bool {
        self != RcptStatus::Pending
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub address: String,
    pub status: RcptStatus,
    pub attempts: u32,
    /// Unix seconds; 0 means "as soon as possible".
    pub next_attempt: u64,
    /// The last failure, for the log and the bounce.
    pub last_error: Option<String>,
}

impl Recipient {
    pub fn new(address: impl Into<String>) -> Self {
        Recipient {
            address: address.into(),
            status: RcptStatus::Pending,
            attempts: 0,
            next_attempt: 0,
            last_error: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// Unix seconds when the message was accepted.
    pub received: u64,
    pub client: Option<IpAddr>,
    pub helo: String,
    pub auth_user: Option<String>,
    /// The reverse path without brackets; empty for the null sender `<>`.
    pub from: String,
    pub rcpts: Vec<Recipient>,
    /// Kept from delivery, and why; recorded so that a restart finishes what was pending.
    pub hold: Option<Hold>,
}

/// Why a spooled message is kept from delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// The post-queue filters have not decided yet.
    PostQueue,
    /// A filter quarantined it (the reason it gave); it is on its way to `quarantine/`.
    Quarantine(String),
}

impl Envelope {
    pub fn all_done(&self) -> bool {
        self.rcpts.iter().all(|r| r.status.is_done())
    }
}

/// Serializes a record for `id` whose body is `size` bytes.
pub(super) fn encode(id: &QueueId, size: u64, env: &Envelope) -> Vec<u8> {
    let mut s = String::with_capacity(256);
    s.push_str(MAGIC);
    s.push('\n');
    s.push_str(&format!("id {id}\nreceived {}\n", env.received));
    match env.client {
        Some(ip) => s.push_str(&format!("client {ip}\n")),
        None => s.push_str("client -\n"),
    }
    s.push_str(&format!("helo {}\n", escape(&env.helo)));
    match &env.auth_user {
        Some(u) => s.push_str(&format!("auth {}\n", escape(u))),
        None => s.push_str("auth -\n"),
    }
    s.push_str(&format!("from {}\nsize {size}\n", escape(&env.from)));
    match &env.hold {
        Some(Hold::PostQueue) => s.push_str("hold post-queue\n"),
        Some(Hold::Quarantine(why)) => s.push_str(&format!("hold quarantine {}\n", escape(why))),
        None => {}
    }
    for (i, r) in env.rcpts.iter().enumerate() {
        s.push_str(&format!(
            "rcpt {} {} {} {}\n",
            r.status.as_str(),
            r.attempts,
            r.next_attempt,
            escape(&r.address)
        ));
        if let Some(e) = &r.last_error {
            s.push_str(&format!("error {i} {}\n", escape(e)));
        }
    }
    let hash = fnv1a(s.as_bytes());
    s.push_str(&format!("end {hash:016x}\n"));
    s.into_bytes()
}

/// Splits a spool file into its record header (through the `end` line) and the message body
/// after it. Header values are escaped, so the first line starting with `end ` is the end,
/// wherever it is: the header grows with the recipients (filters may add thousands), and a
/// bound on it would one day call a good message corrupt.
pub(super) fn split(file: &[u8]) -> Result<(&[u8], &[u8]), String> {
    if !file.starts_with(MAGIC.as_bytes()) {
        return Err("unknown format".into());
    }
    let end = file
        .windows(5)
        .position(|w| w == b"\nend ")
        .ok_or("missing end line (truncated?)")?;
    let line_end = file
        .get(end + 1..)
        .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
        .ok_or("truncated end line")?;
    let header_len = end + 1 + line_end + 1;
    Ok((
        file.get(..header_len).unwrap_or_default(),
        file.get(header_len..).unwrap_or_default(),
    ))
}

/// Parses a record header; the error says what is wrong, for the corrupt-file log line.
pub(super) fn decode(bytes: &[u8]) -> Result<(QueueId, u64, Envelope), String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
    let body_end = text.trim_end_matches('\n').rfind('\n').ok_or("truncated")? + 1;
    let (content, end_line) = text.split_at(body_end);
    let hash = end_line
        .strip_prefix("end ")
        .map(str::trim_end)
        .ok_or("missing end line (truncated?)")?;
    if hash != format!("{:016x}", fnv1a(content.as_bytes())) || !end_line.ends_with('\n') {
        return Err("checksum mismatch".into());
    }
    let mut lines = content.lines();
    if lines.next() != Some(MAGIC) {
        return Err("unknown format".into());
    }
    let mut field = |name: &str| -> Result<&str, String> {
        lines
            .next()
            .and_then(|l| l.strip_prefix(name))
            .and_then(|l| l.strip_prefix(' '))
            .ok_or(format!("missing {name}"))
    };
    let id = QueueId::parse(field("id")?).ok_or("bad id")?;
    let received = field("received")?.parse().map_err(|_| "bad received")?;
    let client = match field("client")? {
        "-" => None,
        ip => Some(ip.parse().map_err(|_| "bad client")?),
    };
    let helo = unescape(field("helo")?)?;
    let auth_user = match field("auth")? {
        "-" => None,
        u => Some(unescape(u)?),
    };
    let from = unescape(field("from")?)?;
    let size = field("size")?.parse().map_err(|_| "bad size")?;
    let mut rcpts: Vec<Recipient> = Vec::new();
    let mut hold = None;
    for line in lines {
        if let Some(rest) = line.strip_prefix("hold ") {
            if hold.is_some() || !rcpts.is_empty() {
                return Err("misplaced hold line".into());
            }
            hold = Some(match rest.split_once(' ') {
                None if rest == "post-queue" => Hold::PostQueue,
                Some(("quarantine", why)) => Hold::Quarantine(unescape(why)?),
                _ => return Err("bad hold line".into()),
            });
        } else if let Some(rest) = line.strip_prefix("rcpt ") {
            let mut parts = rest.splitn(4, ' ');
            let (Some(st), Some(att), Some(next), Some(addr)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err("bad rcpt line".into());
            };
            rcpts.push(Recipient {
                address: unescape(addr)?,
                status: RcptStatus::parse(st).ok_or("bad rcpt status")?,
                attempts: att.parse().map_err(|_| "bad attempts")?,
                next_attempt: next.parse().map_err(|_| "bad next attempt")?,
                last_error: None,
            });
        } else if let Some(rest) = line.strip_prefix("error ") {
            let (i, e) = rest.split_once(' ').ok_or("bad error line")?;
            let i: usize = i.parse().map_err(|_| "bad error index")?;
            let r = rcpts.get_mut(i).ok_or("error for unknown rcpt")?;
            r.last_error = Some(unescape(e)?);
        } else {
            return Err(format!(
                "unexpected line {:?}",
                line.chars().take(40).collect::<String>()
            ));
        }
    }
    if rcpts.is_empty() {
        return Err("no recipients".into());
    }
    Ok((
        id,
        size,
        Envelope {
            received,
            client,
            helo,
            auth_user,
            from,
            rcpts,
            hold,
        },
    ))
}

fn escape(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\n', "%0A")
        .replace('\r', "%0D")
}

fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3).ok_or("bad escape")?;
        out.push(match code {
            "25" => '%',
            "0A" => '\n',
            "0D" => '\r',
            _ => return Err("bad escape".into()),
        });
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

/// FNV-1a, 64 bit: not cryptographic, only to catch torn writes and bit rot.
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
