//! The filter pipeline as the SMTP server's [`Policy`]: each phase becomes an event that
//! goes through the stages, and the verdict and edits come back.

use std::rc::Rc;
use std::sync::Arc;

use super::event::{Client, EventState, Phase, Verdict};
use super::message::shared_message;
use super::pipeline::{LoadError, Pipeline};
use crate::config::FilterConfig;
use crate::rt;
use crate::smtp::server::policy::{self, Decision, Outcome, Policy, PolicyFactory, Transaction};

fn phase(p: policy::Phase) -> Phase {
    match p {
        policy::Phase::Connect => Phase::Connect,
        policy::Phase::Helo => Phase::Helo,
        policy::Phase::Mail => Phase::Mail,
        policy::Phase::Rcpt => Phase::Rcpt,
        policy::Phase::Data => Phase::Data,
        policy::Phase::Queue => Phase::Queue,
    }
}

impl Policy for Pipeline {
    fn wants(&self, p: policy::Phase) -> bool {
        Pipeline::wants(self, phase(p))
    }

    fn check(&self, txn: Transaction) -> Outcome {
        let client = Client {
            ip: txn.ip,
            port: txn.port,
            helo: txn.helo,
            tls: txn.tls,
            auth_user: txn.auth_user,
        };
        let mut state = EventState::new(phase(txn.phase), client);
        state.mail_from = txn.mail_from;
        state.rcpt = txn.rcpt;
        state.rcpts = txn.rcpts;
        state.queue_id = txn.queue_id;
        let original = txn.message;
        let msg = original.clone().map(shared_message);
        state.message = msg.clone();
        let state = state.shared();
        let verdict = self.process(&state);
        let s = state.borrow();
        let message = msg
            .map(|m| m.borrow().raw().to_vec())
            .filter(|edited| Some(edited) != original.as_ref());
        let decision = match verdict {
            Verdict::Continue => Decision::Continue,
            Verdict::Accept => Decision::Accept,
            Verdict::Reject { code, text } => Decision::Reject(code, text),
            Verdict::Tempfail { code, text } => Decision::Tempfail(code, text),
            Verdict::Discard => Decision::Discard,
            Verdict::Quarantine { reason } => Decision::Quarantine(reason),
        };
        Outcome {
            decision,
            rcpts: s.rcpts.clone(),
            message,
        }
    }
}

/// Checks that every stage compiles and starts (here, once), then gives the server a
/// factory that builds each thread's own pipeline. Call it outside a tasklet (on a thread's
/// own stack: module bodies run here).
pub fn policy_factory(filters: Vec<FilterConfig>) -> Result<PolicyFactory, LoadError> {
    drop(Pipeline::load(&filters)?);
    // The trial pipeline's stage tasklets were told to end: let them, so that a thread that
    // checks filters again and again (each reload) does not collect them.
    if rt::current().is_none() {
        rt::run();
    }
    let filters = Arc::new(filters);
    Ok(Arc::new(move |thread| match Pipeline::load(&filters) {
        Ok(p) => Some(Rc::new(p) as Rc<dyn Policy>),
        Err(e) => {
            tracing::error!(thread, "filter pipeline failed to load: {e}");
            None
        }
    }))
}
