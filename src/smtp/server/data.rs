//! End of DATA/BDAT: prepend the Received: header (RFC 5321 4.4), build the spool message,
//! and turn the commit's outcome into the reply. 250 is given only for a durable commit.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::queue::{Envelope as SpoolEnvelope, PendingMessage, QueueId, Recipient, SpoolError};
use crate::smtp::proto::{Envelope, Reply, Verdict};

/// What the session knows about its client, for the header and the log.
#[derive(Debug, Clone)]
pub(super) struct Client {
    pub ip: IpAddr,
    pub esmtp: bool,
    /// The TLS version and cipher, once STARTTLS succeeded.
    pub tls: Option<String>,
    pub auth_user: Option<String>,
}

/// `Received: from HELO ([IP]) by HOST (stackmail) with PROTO; DATE`, folded over three
/// lines. `for <rcpt>` is added only for a single recipient, so that one recipient does not
/// learn about the others (the Bcc case).
pub(super) fn received_header(
    client: &Client,
    envelope: &Envelope,
    hostname: &str,
    now: SystemTime,
) -> String {
    // RFC 3848 protocol names.
    let proto = match (
        client.esmtp,
        client.tls.is_some(),
        client.auth_user.is_some(),
    ) {
        (false, _, _) => "SMTP",
        (true, false, false) => "ESMTP",
        (true, true, false) => "ESMTPS",
        (true, false, true) => "ESMTPA",
        (true, true, true) => "ESMTPSA",
    };
    let helo: String = envelope
        .helo
        .chars()
        .filter(|c| !c.is_control() && *c != '(' && *c != ')')
        .collect();
    let mut h = format!(
        "Received: from {helo} ([{}])\r\n\tby {hostname} (stackmail) with {proto}",
        client.ip
    );
    if let Some(tls) = &client.tls {
        h.push_str(&format!(" ({tls})"));
    }
    if let [only] = envelope.rcpts.as_slice() {
        h.push_str(&format!("\r\n\tfor <{only}>"));
    }
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    h.push_str(&format!(";\r\n\t{}\r\n", rfc5322_date(secs)));
    h
}

pub(super) fn pending_message(
    client: &Client,
    envelope: Envelope,
    body: Vec<u8>,
    hostname: &str,
    now: SystemTime,
) -> PendingMessage {
    let header = received_header(client, &envelope, hostname, now);
    let mut full = Vec::with_capacity(header.len() + body.len());
    full.extend_from_slice(header.as_bytes());
    full.extend_from_slice(&body);
    PendingMessage {
        envelope: SpoolEnvelope {
            received: now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            client: Some(client.ip),
            helo: envelope.helo,
            auth_user: client.auth_user.clone(),
            from: envelope.from.map(|m| m.to_string()).unwrap_or_default(),
            rcpts: envelope
                .rcpts
                .iter()
                .map(|r| Recipient::new(r.to_string()))
                .collect(),
            hold: None,
        },
        body: full,
    }
}

pub(super) fn verdict(committed: &Result<QueueId, SpoolError>) -> Verdict {
    match committed {
        Ok(id) => Verdict::AcceptWith(Reply::queued(id.as_str())),
        Err(_) => Verdict::Reject(Reply::new(
            451,
            (4, 3, 0),
            "Temporary failure: cannot queue the message",
        )),
    }
}

/// `Wed, 25 Nov 2026 18:20:00 +0000` (RFC 5322 3.3), in UTC.
pub(super) fn rfc5322_date(unix: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix / 86_400;
    let rem = unix % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    let weekday = DAYS[(days % 7) as usize];
    let month = MONTHS[(m - 1) as usize % 12];
    format!(
        "{weekday}, {d} {month} {y} {:02}:{:02}:{:02} +0000",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day): Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::proto::{ForwardPath, MailParams, forward_path};

    #[test]
    fn dates() {
        assert_eq!(rfc5322_date(0), "Thu, 1 Jan 1970 00:00:00 +0000");
        assert_eq!(
            rfc5322_date(1_764_094_800),
            "Tue, 25 Nov 2025 18:20:00 +0000"
        );
        assert_eq!(rfc5322_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn received_header_names_client_and_protocol() {
        let client = Client {
            ip: "192.0.2.7".parse().unwrap(),
            esmtp: true,
            tls: None,
            auth_user: None,
        };
        let rcpt: ForwardPath = forward_path("<bob@example.test>").unwrap().0;
        let env = Envelope {
            helo: "client(evil)\r\n".into(),
            from: None,
            params: MailParams::default(),
            rcpts: vec![rcpt.clone()],
        };
        let h = received_header(&client, &env, "mx.test", UNIX_EPOCH);
        assert_eq!(
            h,
            "Received: from clientevil ([192.0.2.7])\r\n\tby mx.test (stackmail) with ESMTP\r\n\tfor <bob@example.test>;\r\n\tThu, 1 Jan 1970 00:00:00 +0000\r\n"
        );
        let two = Envelope {
            rcpts: vec![rcpt.clone(), rcpt],
            ..env
        };
        assert!(!received_header(&client, &two, "mx.test", UNIX_EPOCH).contains("for <"));
    }
}
