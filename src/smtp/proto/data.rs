//! DATA framing (RFC 5321 4.1.1.4, 4.5.2): the message ends only at CRLF "." CRLF, leading
//! dots are unstuffed, and a bare CR or LF anywhere poisons the message.
//!
//! Being strict here is the defence against SMTP smuggling: if this server and the next hop
//! disagree on where a message ends (`\n.\n`, `\n.\r\n`, `\r.\r`), a client can hide a second
//! message inside the first. A bare CR or LF is therefore never a line end, so a lone "." line
//! is only ever recognised after a real CRLF, and a message containing one is refused whole
//! (as Postfix's `smtpd_forbid_bare_newline` does) instead of being relayed onward.

use std::fmt;

/// Why a message was refused. The decoder keeps reading to the real end of the data anyway, so
/// that the bytes after it are still read as commands, in step with the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataError {
    /// A CR not followed by LF, or an LF not preceded by CR.
    BareNewline,
    /// A text line over the limit of RFC 5321 4.5.3.1.6.
    LineTooLong,
    /// The message grew past the configured size limit.
    TooBig,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DataError::BareNewline => "bare <CR> or <LF> in message data",
            DataError::LineTooLong => "line too long in message data",
            DataError::TooBig => "message exceeds the size limit",
        })
    }
}

/// How the data ended: the unstuffed message with CRLF line ends, or why it was refused.
pub type DataEnd = Result<Vec<u8>, DataError>;

/// Incremental decoder for one DATA transfer. Feed it any split of the input.
#[derive(Debug)]
pub struct DataDecoder {
    body: Vec<u8>,
    max_size: usize,
    /// Longest line content, without the CRLF.
    max_line: usize,
    /// The current line so far, kept only up to `max_line` bytes.
    line: Vec<u8>,
    /// The current line was longer than `max_line`; it cannot be the "." terminator.
    overflow: bool,
    /// The previous byte was a CR whose LF has not been seen yet.
    cr: bool,
    error: Option<DataError>,
}

impl DataDecoder {
    /// `max_line` counts the CRLF, as RFC 5321 does (1000).
    pub fn new(max_size: usize, max_line: usize) -> Self {
        DataDecoder {
            body: Vec::new(),
            max_size,
            max_line: max_line.saturating_sub(2),
            line: Vec::new(),
            overflow: false,
            cr: false,
            error: None,
        }
    }

    /// Consumes bytes up to and including the end-of-data marker. Returns how many bytes were
    /// consumed and, once the marker was seen, the outcome; bytes past the marker are left
    /// for the caller, as they are the next pipelined commands.
    pub fn feed(&mut self, input: &[u8]) -> (usize, Option<DataEnd>) {
        let mut next = 0;
        while let Some(&b) = input.get(next) {
            let i = next;
            next += 1;
            if !self.cr && b != b'\r' && b != b'\n' {
                // Line content runs to the next CR or LF: take it in one piece rather than a
                // byte at a time (this loop is most of the server's own CPU for a message).
                let rest = input.get(i..).unwrap_or_default();
                let run = rest
                    .iter()
                    .position(|&c| c == b'\r' || c == b'\n')
                    .unwrap_or(rest.len());
                self.push_run(rest.get(..run).unwrap_or_default());
                next = i + run;
                continue;
            }
            if self.cr {
                self.cr = false;
                if b == b'\n' {
                    if self.end_of_line() {
                        let outcome = match self.error {
                            Some(e) => Err(e),
                            None => Ok(std::mem::take(&mut self.body)),
                        };
                        return (i + 1, Some(outcome));
                    }
                    continue;
                }
                // The bare CR stays line content (as a bare LF does): dropped, it would
                // leave "\r\n\r.\r\n" looking like the "." line that ends the data.
                self.fail(DataError::BareNewline);
                self.push(b'\r');
            }
            match b {
                b'\r' => self.cr = true,
                b'\n' => {
                    // Kept as line content (never a line end), so "\n.\n" cannot end the data.
                    self.fail(DataError::BareNewline);
                    self.push(b);
                }
                _ => self.push(b),
            }
        }
        (input.len(), None)
    }

    /// [`DataDecoder::push`] for a run of bytes.
    fn push_run(&mut self, bytes: &[u8]) {
        let room = self.max_line.saturating_sub(self.line.len());
        if bytes.len() > room {
            self.line
                .extend_from_slice(bytes.get(..room).unwrap_or_default());
            self.overflow = true;
            self.fail(DataError::LineTooLong);
        } else {
            self.line.extend_from_slice(bytes);
        }
    }

    fn push(&mut self, b: u8) {
        if self.line.len() < self.max_line {
            self.line.push(b);
        } else {
            self.overflow = true;
            self.fail(DataError::LineTooLong);
        }
    }

    /// Handles a complete CRLF-terminated line; true if it was the "." terminator.
    fn end_of_line(&mut self) -> bool {
        if !self.overflow && self.line == b"." {
            return true;
        }
        if self.error.is_none() {
            let content = self.line.strip_prefix(b".").unwrap_or(&self.line);
            if self.body.len() + content.len() + 2 > self.max_size {
                self.fail(DataError::TooBig);
            } else {
                self.body.extend_from_slice(content);
                self.body.extend_from_slice(b"\r\n");
            }
        }
        self.line.clear();
        self.overflow = false;
        false
    }

    /// Records the first error and frees the body: nothing more will be kept.
    fn fail(&mut self, e: DataError) {
        if self.error.is_none() {
            self.error = Some(e);
            self.body = Vec::new();
        }
    }
}
