//! Sans-IO SMTP: the command and reply grammar of RFC 5321 (with ESMTP extensions
//! PIPELINING, SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, CHUNKING, STARTTLS, AUTH)
//! and a server session state machine that is fed bytes and returns replies and events.
//!
//! Nothing here touches a socket, a file or the clock: a driver moves bytes between a
//! [`ServerSession`] and the network, and answers each [`Event`] with a [`Verdict`] that it
//! decided (relay policy, filters, spool commit).

mod address;
mod client;
mod command;
mod data;
mod error;
mod event;
mod reply;
mod session;

pub use address::{
    Domain, ForwardPath, Mailbox, ReversePath, domain, forward_path, mailbox, reverse_path,
};
pub use client::{ClientAction, ClientError, ClientOutcome, ClientSession};
pub use command::{Body, Command, MailParams, RcptParams, command, esmtp_param, mail_parameters};
pub use data::{DataDecoder, DataEnd, DataError};
pub use error::ProtoError;
pub use event::{Action, AuthMechanism, Envelope, Event, SessionConfig, Verdict};
pub use reply::{EnhancedStatus, MalformedReply, Reply};
pub use session::ServerSession;

#[cfg(test)]
mod client_tests;
#[cfg(test)]
mod tests;
