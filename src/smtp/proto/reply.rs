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
