//! The hook through which a layer above (the filter pipelines) sees every SMTP phase and
//! decides it. The server calls a [`Policy`] after its own checks pass; each scheduler
//! thread gets its own instance from a [`PolicyFactory`].

use std::net::IpAddr;
use std::rc::Rc;
use std::sync::Arc;

use crate::smtp::proto::{Reply, Verdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Connect,
    Helo,
    Mail,
    Rcpt,
    /// The end of the message, before the reply.
    Data,
    /// After the message is durable in the spool (and before it is delivered).
    Queue,
}

/// What the policy sees of the transaction.
#[derive(Debug, Clone)]
pub struct Transaction {
    pub phase: Phase,
    pub ip: IpAddr,
    pub port: u16,
    pub helo: Option<String>,
    pub tls: bool,
    pub auth_user: Option<String>,
    pub mail_from: Option<String>,
    /// Phase rcpt: the recipient in question (also last in `rcpts`).
    pub rcpt: Option<String>,
    pub rcpts: Vec<String>,
    /// Phases data and queue.
    pub message: Option<Vec<u8>>,
    pub queue_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Continue,
    Accept,
    Reject(u16, String),
    Tempfail(u16, String),
    Discard,
    Quarantine(String),
}

/// The decision, with the transaction as the policy left it (recipients and message may
/// have been edited).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub decision: Decision,
    pub rcpts: Vec<String>,
    /// The message, when it was edited.
    pub message: Option<Vec<u8>>,
}

pub trait Policy {
    /// Whether the policy looks at this phase at all (if not, the server skips building the
    /// transaction for it).
    fn wants(&self, phase: Phase) -> bool;
    /// Decides the phase; called from the session's tasklet, which it may park.
    fn check(&self, txn: Transaction) -> Outcome;
}

/// Builds each scheduler thread's policy, on that thread; `None`: no policy.
pub type PolicyFactory = Arc<dyn Fn(usize) -> Option<Rc<dyn Policy>> + Send + Sync>;

impl Decision {
    /// The SMTP verdict for a refusal: the script's text, with its enhanced status code when
    /// it starts with one (`5.7.1 Message refused`).
    pub(super) fn refusal(&self) -> Option<Verdict> {
        let (code, text) = match self {
            Decision::Reject(c, t) | Decision::Tempfail(c, t) => (*c, t.as_str()),
            _ => return None,
        };
        Some(Verdict::Reject(reply(code, text)))
    }
}

/// A reply from a code and a text that may begin with an enhanced status code. The status
/// takes the code's class (RFC 3463 2: they must agree), so `reject(550, "4.2.2 ...")` says
/// `550 5.2.2`.
pub(super) fn reply(code: u16, text: &str) -> Reply {
    let (status, rest) = match text.split_once(' ') {
        Some((s, rest)) => match parse_status(s) {
            Some(st) => (st, rest),
            None => (default_status(code), text),
        },
        None => match parse_status(text) {
            Some(st) => (st, ""),
            None => (default_status(code), text),
        },
    };
    let class = default_status(code).0;
    Reply::new(code, (class, status.1, status.2), rest)
}

fn parse_status(s: &str) -> Option<(u8, u16, u16)> {
    let mut it = s.split('.');
    let class: u8 = it.next()?.parse().ok()?;
    let subject: u16 = it.next()?.parse().ok()?;
    let detail: u16 = it.next()?.parse().ok()?;
    (it.next().is_none() && matches!(class, 2 | 4 | 5)).then_some((class, subject, detail))
}

fn default_status(code: u16) -> (u8, u16, u16) {
    match code / 100 {
        5 => (5, 7, 1),
        4 => (4, 7, 1),
        _ => (2, 0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enhanced_status_of_another_class_takes_the_codes() {
        let wire = |r: Reply| String::from_utf8(r.to_bytes()).expect("ascii");
        assert_eq!(wire(reply(550, "4.2.2 Full")), "550 5.2.2 Full\r\n");
        assert_eq!(wire(reply(451, "5.7.1 Later")), "451 4.7.1 Later\r\n");
    }

    #[test]
    fn replies_keep_the_scripts_enhanced_status() {
        let wire = |r: Reply| String::from_utf8(r.to_bytes()).expect("ascii");
        assert_eq!(
            wire(reply(550, "5.1.1 No such user")),
            "550 5.1.1 No such user\r\n"
        );
        assert_eq!(wire(reply(451, "try later")), "451 4.7.1 try later\r\n");
        assert!(wire(reply(554, "5.7.1")).starts_with("554 5.7.1"));
    }
}
