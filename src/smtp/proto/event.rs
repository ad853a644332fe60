//! The session's interface to its driver: its settings, the events it asks the driver to
//! decide on, the verdicts that come back, and the actions the driver carries out.

use super::address::{ForwardPath, ReversePath};
use super::command::MailParams;
use super::reply::Reply;

/// Per-connection settings, decided by the driver from the config and the connection.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Our name, in the greeting and the EHLO reply.
    pub hostname: String,
    pub max_message_size: usize,
    pub max_recipients: usize,
    /// Client errors tolerated before the session answers 421 and closes.
    pub max_bad_commands: u32,
    /// RFC 5321 4.5.3.1.6 text line limit, CRLF included.
    pub max_data_line: usize,
    /// A certificate is configured, so STARTTLS can be offered.
    pub tls_available: bool,
    /// A users file is configured, so AUTH can be offered (subject to `auth_without_tls`).
    pub auth_available: bool,
    /// Offer AUTH on a plaintext connection (the driver sets this for loopback clients when
    /// the config allows it): passwords must otherwise never cross the wire in clear.
    pub auth_without_tls: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            hostname: "localhost".into(),
            max_message_size: 25 * 1024 * 1024,
            max_recipients: 100,
            max_bad_commands: 20,
            max_data_line: 1000,
            tls_available: false,
            auth_available: false,
            auth_without_tls: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMechanism {
    Plain,
    Login,
}

/// The envelope of one transaction, as the client gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub helo: String,
    pub from: ReversePath,
    pub params: MailParams,
    pub rcpts: Vec<ForwardPath>,
}

/// Something the driver must decide on; the session waits for [`ServerSession::decide`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Helo {
        name: String,
        extended: bool,
    },
    Mail {
        from: ReversePath,
        params: MailParams,
    },
    Rcpt {
        to: ForwardPath,
    },
    /// The complete message (dot-unstuffed DATA or concatenated BDAT chunks). Accept it only
    /// once it is durable, with `Verdict::AcceptWith(Reply::queued(id))`.
    Message {
        envelope: Envelope,
        body: Vec<u8>,
    },
    /// Credentials to check. The password is only as secret as the driver keeps it.
    Auth {
        mechanism: AuthMechanism,
        authzid: String,
        username: String,
        password: String,
    },
}

/// The driver's answer to an [`Event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Go on, with the standard positive reply.
    Accept,
    /// Go on, with this positive reply (e.g. the queue id after DATA).
    AcceptWith(Reply),
    /// Refuse with this 4xx/5xx reply; the session state is left as if the command failed.
    Reject(Reply),
}

/// What the driver must do next, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Send(Reply),
    /// Decide and call [`ServerSession::decide`] before polling again.
    Event(Event),
    /// The 220 before this has been queued; flush it, run the TLS handshake, then call
    /// [`ServerSession::tls_established`]. Input buffered so far has been discarded.
    StartTls,
    /// Flush the replies before this and close the connection.
    Close,
}
