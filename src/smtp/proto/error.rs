//! Protocol errors, typed by who is to blame; each maps to exactly one SMTP reply.

use std::fmt;

use super::reply::Reply;

/// What went wrong with the client's input. The session turns each into its reply, and counts
/// the client-caused ones towards the bad-command limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtoError {
    /// Client syntax: the verb is not one we know (500 5.5.1).
    UnrecognizedCommand,
    /// Client syntax: a command line longer than RFC 5321 4.5.3.1.4 allows (500 5.5.2).
    CommandLineTooLong,
    /// Client syntax: a line ended by LF alone; only CRLF ends a line (500 5.5.2).
    BareNewline,
    /// Client syntax: bytes that are not UTF-8 in a command (500 5.5.2).
    InvalidUtf8,
    /// Client syntax: the verb is known but its arguments do not parse (501 5.5.4).
    SyntaxInParameters(&'static str),
    /// Client syntax: an address that does not match RFC 5321 4.1.2 (501 5.1.3 / 5.1.7).
    BadAddress { sender: bool, why: &'static str },
    /// Client syntax: an ESMTP parameter we do not implement (555 5.5.4).
    UnsupportedParameter(String),
    /// Client sequence: the command is valid but not now (503 5.5.1).
    BadSequence(&'static str),
}

impl ProtoError {
    pub fn reply(&self) -> Reply {
        match self {
            ProtoError::UnrecognizedCommand => {
                Reply::new(500, (5, 5, 1), "Error: command not recognized")
            }
            ProtoError::CommandLineTooLong => Reply::new(500, (5, 5, 2), "Error: line too long"),
            ProtoError::BareNewline => Reply::new(
                500,
                (5, 5, 2),
                "Error: bare <LF> received; lines must end with <CR><LF>",
            ),
            ProtoError::InvalidUtf8 => {
                Reply::new(500, (5, 5, 2), "Error: invalid UTF-8 in command")
            }
            ProtoError::SyntaxInParameters(why) => {
                Reply::new(501, (5, 5, 4), format!("Syntax error: {why}"))
            }
            ProtoError::BadAddress { sender: true, why } => {
                Reply::new(501, (5, 1, 7), format!("Bad sender address syntax: {why}"))
            }
            ProtoError::BadAddress { sender: false, why } => Reply::new(
                501,
                (5, 1, 3),
                format!("Bad recipient address syntax: {why}"),
            ),
            ProtoError::UnsupportedParameter(p) => {
                let p: String = p.chars().filter(|c| !c.is_control()).take(64).collect();
                Reply::new(555, (5, 5, 4), format!("Unsupported parameter {p}"))
            }
            ProtoError::BadSequence(why) => Reply::new(503, (5, 5, 1), format!("Error: {why}")),
        }
    }
}

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.reply();
        let text = r.lines.first().map(String::as_str).unwrap_or("");
        write!(f, "{} {}", r.code, text)
    }
}

impl std::error::Error for ProtoError {}
