//! HELO/EHLO policy. Like Postfix's default, any name is accepted: the name is recorded
//! for the Received: header and left to filters to judge.

use crate::smtp::proto::Verdict;

pub(super) fn verdict(_name: &str) -> Verdict {
    Verdict::Accept
}
