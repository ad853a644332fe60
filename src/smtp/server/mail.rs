//! MAIL FROM policy. Any sender is accepted, the null sender included (bounces must get
//! through); the size was already checked by the session against `max_message_size`.

use crate::smtp::proto::{MailParams, ReversePath, Verdict};

pub(super) fn verdict(_from: &ReversePath, _params: &MailParams) -> Verdict {
    Verdict::Accept
}
