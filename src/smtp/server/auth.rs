//! AUTH. The users file (argon2 hashes) is not wired yet, so the session never offers AUTH;
//! should a client try anyway, the answer is a temporary failure, never a success.

use crate::smtp::proto::{Reply, Verdict};

pub(super) fn verdict(_username: &str, _password: &str) -> Verdict {
    Verdict::Reject(Reply::new(
        454,
        (4, 7, 0),
        "Temporary authentication failure",
    ))
}
