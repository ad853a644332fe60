//! AUTH PLAIN/LOGIN against the users file. The argon2 check runs on the blocking pool so
//! the scheduler thread keeps serving other connections meanwhile.

use std::sync::Arc;

use crate::rt;
use crate::smtp::proto::{Reply, Verdict};

use super::users::Users;

pub(super) fn verdict(
    users: Option<&Arc<Users>>,
    authzid: &str,
    username: &str,
    password: &str,
) -> Verdict {
    let Some(users) = users else {
        return Verdict::Reject(Reply::new(
            454,
            (4, 7, 0),
            "Temporary authentication failure",
        ));
    };
    // Acting for someone else is not supported: the authorization identity must be empty or
    // the user's own.
    if !authzid.is_empty() && authzid != username {
        return Verdict::Reject(Reply::new(
            535,
            (5, 7, 8),
            "Authentication credentials invalid",
        ));
    }
    let (users, name, pw) = (users.clone(), username.to_string(), password.to_string());
    if rt::blocking(move || users.verify(&name, &pw)) {
        Verdict::Accept
    } else {
        Verdict::Reject(Reply::new(
            535,
            (5, 7, 8),
            "Authentication credentials invalid",
        ))
    }
}
