//! RCPT TO policy, the relay control: anyone may send to the local domains; any other
//! domain needs an authenticated client or one in `relay.networks`; everything else is
//! 554 5.7.1, so the server can never be an open relay.

use std::net::IpAddr;

use crate::config::Config;
use crate::deliver::maildir_path;
use crate::smtp::proto::{Domain, ForwardPath, Reply, Verdict};

pub(super) fn verdict(
    to: &ForwardPath,
    config: &Config,
    client: IpAddr,
    auth_user: Option<&str>,
) -> Verdict {
    let mailbox = match to {
        // RFC 5321 4.5.1: every server must accept mail for Postmaster.
        ForwardPath::Postmaster => return Verdict::Accept,
        ForwardPath::Mailbox(m) => m,
    };
    let local = matches!(&mailbox.domain, Domain::Name(d) if config.local.is_local_domain(d));
    if local {
        return match maildir_path(&config.local.maildir, &mailbox.local_unquoted()) {
            Ok(_) => Verdict::Accept,
            Err(_) => Verdict::Reject(Reply::new(
                550,
                (5, 1, 1),
                "Recipient address rejected: no such mailbox",
            )),
        };
    }
    if auth_user.is_some() || config.relay.allows(client) {
        return Verdict::Accept;
    }
    Verdict::Reject(Reply::new(554, (5, 7, 1), "Relay access denied"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::proto::forward_path;

    fn rcpt(s: &str) -> ForwardPath {
        forward_path(s).unwrap().0
    }

    #[test]
    fn relay_control() {
        let config = Config::from_toml("[local]\ndomains = [\"example.test\"]\n").unwrap();
        let outside: IpAddr = "192.0.2.9".parse().unwrap();
        let inside: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(
            verdict(&rcpt("<bob@Example.TEST>"), &config, outside, None),
            Verdict::Accept
        );
        assert_eq!(
            verdict(&rcpt("<Postmaster>"), &config, outside, None),
            Verdict::Accept
        );
        let denied = verdict(&rcpt("<x@elsewhere.test>"), &config, outside, None);
        assert!(
            matches!(denied, Verdict::Reject(r) if r.code == 554 && r.to_string().contains("5.7.1"))
        );
        assert!(matches!(
            verdict(&rcpt("<x@[192.0.2.1]>"), &config, outside, None),
            Verdict::Reject(_)
        ));
        assert_eq!(
            verdict(&rcpt("<x@elsewhere.test>"), &config, inside, None),
            Verdict::Accept
        );
        assert_eq!(
            verdict(&rcpt("<x@elsewhere.test>"), &config, outside, Some("bob")),
            Verdict::Accept
        );
        assert!(
            matches!(verdict(&rcpt("<\"a/b\"@example.test>"), &config, outside, None), Verdict::Reject(r) if r.code == 550)
        );
    }
}
