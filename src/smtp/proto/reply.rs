//! SMTP replies (RFC 5321 4.2) with enhanced status codes (RFC 3463, RFC 2034).

use std::fmt;

/// An RFC 3463 enhanced status code, `class.subject.detail`, e.g. `5.7.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnhancedStatus {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl EnhancedStatus {
    pub const fn new(class: u8, subject: u16, detail: u16) -> Self {
        EnhancedStatus {
            class,
            subject,
            detail,
        }
    }
}

impl fmt::Display for EnhancedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// One SMTP reply: a three-digit code, an optional enhanced status and one or more text lines.
///
/// Replies are values so that every policy decision can be unit-tested without a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub status: Option<EnhancedStatus>,
    pub lines: Vec<String>,
}

impl Reply {
    /// A one-line reply with an enhanced status code.
    pub fn new(code: u16, status: (u8, u16, u16), text: impl Into<String>) -> Self {
        Reply {
            code,
            status: Some(EnhancedStatus::new(status.0, status.1, status.2)),
            lines: vec![text.into()],
        }
    }

    /// A reply without an enhanced status: the greeting, EHLO and the SASL 334 challenges,
    /// which RFC 2034 excludes.
    pub fn plain(code: u16, lines: Vec<String>) -> Self {
        Reply {
            code,
            status: None,
            lines,
        }
    }

    pub fn is_positive(&self) -> bool {
        (200..400).contains(&self.code)
    }

    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    pub fn is_permanent(&self) -> bool {
        self.code >= 500
    }

    /// "250 2.0.0 Ok: queued as ID", the reply that promises the message is on disk.
    pub fn queued(queue_id: &str) -> Self {
        Reply::new(250, (2, 0, 0), format!("Ok: queued as {queue_id}"))
    }

    /// The wire form: every line but the last uses `code-`, the last `code `. The enhanced
    /// status is repeated on each line, as RFC 2034 asks. CR and LF inside the text are
    /// replaced so that a reply built from client data can never inject an extra line.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        let empty = [String::new()];
        let lines: &[String] = if self.lines.is_empty() {
            &empty
        } else {
            &self.lines
        };
        let last = lines.len() - 1;
        for (i, line) in lines.iter().enumerate() {
            let sep = if i == last { ' ' } else { '-' };
            let text: String = line
                .chars()
                .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
                .collect();
            let head = match self.status {
                Some(s) => format!("{}{}{} ", self.code, sep, s),
                None => format!("{}{}", self.code, sep),
            };
            out.extend_from_slice(head.as_bytes());
            out.extend_from_slice(text.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

/// Why a server's reply could not be parsed (the client side's "server misbehaved").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedReply(pub String);

impl fmt::Display for MalformedReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed reply: {}", self.0)
    }
}

impl std::error::Error for MalformedReply {}

/// Longest reply line we accept from a server (RFC 5321 4.5.3.1.5 says 512; be generous).
const MAX_REPLY_LINE: usize = 4096;

impl Reply {
    /// Parses one complete reply from the start of `input`: `Ok(None)` if more bytes are
    /// needed, else the reply and how many bytes it used. An enhanced status code is split
    /// off when every line carries one.
    pub fn parse(input: &[u8]) -> Result<Option<(Reply, usize)>, MalformedReply> {
        let mut pos = 0;
        let mut code = None;
        let mut lines = Vec::new();
        loop {
            let rest = input.get(pos..).unwrap_or_default();
            let Some(lf) = rest.iter().position(|&b| b == b'\n') else {
                if rest.len() > MAX_REPLY_LINE {
                    return Err(MalformedReply("line too long".into()));
                }
                return Ok(None);
            };
            let line = rest.get(..lf).unwrap_or_default();
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            pos += lf + 1;
            let text = std::str::from_utf8(line).map_err(|_| MalformedReply("not UTF-8".into()))?;
            let digits = text
                .get(..3)
                .filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
            let this: u16 = digits
                .and_then(|d| d.parse().ok())
                .ok_or(MalformedReply(format!("{text:?}")))?;
            if code.is_some_and(|c| c != this) {
                return Err(MalformedReply(
                    "code changes inside a multi-line reply".into(),
                ));
            }
            code = Some(this);
            let sep = text.as_bytes().get(3).copied();
            lines.push(text.get(4..).unwrap_or("").to_string());
            match sep {
                Some(b'-') => continue,
                Some(b' ') | None => break,
                Some(_) => return Err(MalformedReply(format!("{text:?}"))),
            }
        }
        let code = code.unwrap_or_default();
        let mut reply = Reply {
            code,
            status: None,
            lines,
        };
        let statuses: Vec<Option<(EnhancedStatus, usize)>> = reply
            .lines
            .iter()
            .map(|l| enhanced_prefix(l, code))
            .collect();
        if let Some(Some((first, _))) = statuses.first()
            && statuses
                .iter()
                .all(|s| s.is_some_and(|(st, _)| st == *first))
        {
            for (line, s) in reply.lines.iter_mut().zip(&statuses) {
                let skip = s.map_or(0, |(_, n)| n);
                *line = line.get(skip..).unwrap_or("").to_string();
            }
            reply.status = Some(*first);
        }
        Ok(Some((reply, pos)))
    }
}

/// `class.subject.detail ` at the start of a reply line, with a class matching the code.
fn enhanced_prefix(line: &str, code: u16) -> Option<(EnhancedStatus, usize)> {
    let word = line.split(' ').next()?;
    let mut parts = word.split('.');
    let class: u8 = parts.next()?.parse().ok()?;
    let subject: u16 = parts.next()?.parse().ok()?;
    let detail: u16 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || u16::from(class) != code / 100 {
        return None;
    }
    let used = (word.len() + 1).min(line.len());
    Some((EnhancedStatus::new(class, subject, detail), used))
}
