//! Session and grammar tests. Every session test is fed three ways (whole, byte by byte,
//! random splits) and must give the same transcript: framing must not depend on how TCP
//! happened to cut the stream.

use super::*;

/// A driver in memory: feeds `input` in the given pieces, accepts every event except what
/// `policy` rejects, and records replies and events.
struct Run {
    transcript: String,
    events: Vec<Event>,
    starttls: usize,
    closed: bool,
}

fn drive(session: &mut ServerSession, pieces: &[&[u8]], policy: &dyn Fn(&Event) -> Verdict) -> Run {
    let mut run = Run {
        transcript: String::new(),
        events: Vec::new(),
        starttls: 0,
        closed: false,
    };
    let pump = |session: &mut ServerSession, run: &mut Run| {
        while let Some(action) = session.poll() {
            match action {
                Action::Send(r) => run.transcript.push_str(&r.to_string()),
                Action::Event(e) => {
                    let v = policy(&e);
                    run.events.push(e);
                    session.decide(v);
                }
                Action::StartTls => {
                    run.starttls += 1;
                    run.transcript.push_str("<TLS>\r\n");
                    session.tls_established();
                }
                Action::Close => run.closed = true,
            }
        }
    };
    pump(session, &mut run);
    for piece in pieces {
        session.feed(piece);
        pump(session, &mut run);
    }
    run
}

fn accept_all(e: &Event) -> Verdict {
    match e {
        Event::Message { .. } => Verdict::AcceptWith(Reply::queued("Q1")),
        _ => Verdict::Accept,
    }
}

/// Splits deterministically (a small LCG, so failures reproduce) into pieces of 1..=16 bytes.
fn random_splits(input: &[u8], seed: u64) -> Vec<&[u8]> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut pieces = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let n = ((state >> 33) % 16 + 1) as usize;
        let (a, b) = rest.split_at(n.min(rest.len()));
        pieces.push(a);
        rest = b;
    }
    pieces
}

/// Runs `input` whole, byte by byte and in random splits; asserts all agree; returns one.
fn session_with(config: SessionConfig, input: &[u8], policy: &dyn Fn(&Event) -> Verdict) -> Run {
    let whole = drive(&mut ServerSession::new(config.clone()), &[input], policy);
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    let by_byte = drive(&mut ServerSession::new(config.clone()), &bytes, policy);
    assert_eq!(
        whole.transcript, by_byte.transcript,
        "byte-by-byte feeding changed the transcript"
    );
    assert_eq!(whole.events, by_byte.events);
    for seed in 0..8 {
        let split = drive(
            &mut ServerSession::new(config.clone()),
            &random_splits(input, seed),
            policy,
        );
        assert_eq!(
            whole.transcript, split.transcript,
            "split with seed {seed} changed the transcript"
        );
        assert_eq!(whole.events, split.events);
    }
    whole
}

fn session(input: &[u8]) -> Run {
    session_with(SessionConfig::default(), input, &accept_all)
}

fn codes(run: &Run) -> Vec<u16> {
    run.transcript
        .split("\r\n")
        .filter(|l| l.len() >= 4 && &l[3..4] == " ")
        .filter_map(|l| l[..3].parse().ok())
        .collect()
}

fn bodies(run: &Run) -> Vec<Vec<u8>> {
    run.events
        .iter()
        .filter_map(|e| match e {
            Event::Message { body, .. } => Some(body.clone()),
            _ => None,
        })
        .collect()
}

const HEAD: &[u8] = b"EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n";

fn with_head(tail: &[u8]) -> Vec<u8> {
    [HEAD, tail].concat()
}

#[test]
fn full_session_golden_transcript() {
    let input = b"EHLO client.test\r\nMAIL FROM:<alice@client.test> SIZE=100 BODY=8BITMIME\r\n\
RCPT TO:<bob@example.test>\r\nRCPT TO:<Postmaster>\r\nDATA\r\nSubject: hi\r\n\r\n..dot\r\nbody\r\n.\r\n\
VRFY bob\r\nHELP\r\nNOOP\r\nRSET\r\nQUIT\r\n";
    let run = session(input);
    // The golden file interleaves both sides, one client line at a time, to read like a log.
    let mut s = ServerSession::new(SessionConfig::default());
    let mut log = String::new();
    let lines: Vec<&[u8]> = input.split_inclusive(|&b| b == b'\n').collect();
    for piece in std::iter::once(&b""[..]).chain(lines) {
        if !piece.is_empty() {
            log.push_str(&format!("C: {}", String::from_utf8_lossy(piece)));
        }
        let one = drive(&mut s, &[piece], &accept_all);
        for line in one.transcript.split_inclusive("\r\n") {
            log.push_str(&format!("S: {line}"));
        }
    }
    golden("session_transcript.golden", &log);
    assert_eq!(
        bodies(&run),
        vec![b"Subject: hi\r\n\r\n.dot\r\nbody\r\n".to_vec()]
    );
    assert!(run.closed);
}

/// Compares with `fixtures/smtp/NAME`; `UPDATE_GOLDEN=1` rewrites it.
pub(crate) fn golden(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/smtp")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    assert_eq!(
        expected,
        actual,
        "transcript differs from {}",
        path.display()
    );
}

#[test]
fn greeting_and_ehlo_advertise_extensions() {
    let run = session(b"EHLO x\r\n");
    assert!(
        run.transcript
            .starts_with("220 localhost ESMTP stackmail\r\n")
    );
    for ext in [
        "PIPELINING",
        "SIZE 26214400",
        "8BITMIME",
        "SMTPUTF8",
        "ENHANCEDSTATUSCODES",
        "CHUNKING",
    ] {
        assert!(
            run.transcript.contains(&format!("250-{ext}\r\n"))
                || run.transcript.contains(&format!("250 {ext}\r\n"))
        );
    }
    assert!(!run.transcript.contains("STARTTLS"));
    assert!(!run.transcript.contains("AUTH"));
}

#[test]
fn pipelined_commands_answered_in_order() {
    let run = session(&with_head(
        b"one\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<x@y.test>\r\nDATA\r\ntwo\r\n.\r\nQUIT\r\n",
    ));
    assert_eq!(
        codes(&run),
        vec![220, 250, 250, 250, 354, 250, 250, 250, 354, 250, 221]
    );
    assert_eq!(bodies(&run), vec![b"one\r\n".to_vec(), b"two\r\n".to_vec()]);
}

#[test]
fn empty_message_and_dot_unstuffing() {
    let run = session(&with_head(b".\r\n"));
    assert_eq!(bodies(&run), vec![Vec::<u8>::new()]);
    let run = session(&with_head(b"..\r\n...x\r\n.y\r\n.\r\n"));
    assert_eq!(bodies(&run), vec![b".\r\n..x\r\ny\r\n".to_vec()]);
}

/// SMTP smuggling: none of these may end the message; the smuggled MAIL must never run, and a
/// message with bare line ends is refused whole.
#[test]
fn smuggling_bare_newlines_never_end_data() {
    for smuggle in [
        &b"\n.\n"[..],
        b"\n.\r\n",
        b"\r\n.\n",
        b"\r.\r\n",
        b"\r\n.\r",
        b"\r.\r",
        b"\n.\r",
        // A bare CR next to a "." on a line of its own, after a real line end.
        b"\r\n\r.\r\n",
        b"\r\n.\r\r\n",
        b"\r\n\r\r.\r\n",
        b"\r\n\n.\r\n",
    ] {
        let mut tail = b"Subject: a\r\n\r\nhello".to_vec();
        tail.extend_from_slice(smuggle);
        tail.extend_from_slice(
            b"MAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@y.test>\r\nDATA\r\nevil\r\n.\r\nNOOP\r\n",
        );
        let run = session(&with_head(&tail));
        let mails = run
            .events
            .iter()
            .filter(|e| matches!(e, Event::Mail { .. }))
            .count();
        assert_eq!(
            mails, 1,
            "smuggled MAIL executed for {smuggle:?}: {}",
            run.transcript
        );
        assert!(
            bodies(&run).is_empty(),
            "message with bare newline accepted for {smuggle:?}"
        );
        assert_eq!(
            codes(&run),
            vec![220, 250, 250, 250, 354, 550, 250],
            "{smuggle:?}: {}",
            run.transcript
        );
    }
}

#[test]
fn bare_lf_in_command_is_refused() {
    let run = session(b"EHLO x\nNOOP\r\n");
    assert_eq!(codes(&run), vec![220, 500, 250]);
    assert!(run.transcript.contains("500 5.5.2"));
}

#[test]
fn starttls_discards_pipelined_bytes() {
    let config = SessionConfig {
        tls_available: true,
        ..SessionConfig::default()
    };
    // Fed whole: the injected MAIL arrives in the same read as STARTTLS and must be dropped.
    let run = drive(
        &mut ServerSession::new(config.clone()),
        &[
            b"EHLO x\r\nSTARTTLS\r\nMAIL FROM:<evil@x.test>\r\n",
            b"EHLO again\r\nMAIL FROM:<a@b.test>\r\n",
        ],
        &accept_all,
    );
    assert_eq!(run.starttls, 1);
    let mails: Vec<_> = run
        .events
        .iter()
        .filter(|e| matches!(e, Event::Mail { .. }))
        .collect();
    assert_eq!(mails.len(), 1);
    assert!(matches!(mails[0], Event::Mail { from: Some(m), .. } if m.local == "a"));
    assert!(
        run.transcript
            .contains("220 2.0.0 Ready to start TLS\r\n<TLS>\r\n250-localhost greets again")
    );
    // After TLS, STARTTLS is no longer offered and is refused.
    let tail = run.transcript.rsplit("<TLS>").next().unwrap_or("");
    assert!(!tail.contains("STARTTLS"));
}

#[test]
fn starttls_without_certificate_is_454() {
    let run = session(b"EHLO x\r\nSTARTTLS\r\n");
    assert!(run.transcript.contains("454 4.7.0"));
}

#[test]
fn command_line_length_limit() {
    let long = format!("NOOP {}\r\nNOOP\r\n", "a".repeat(600));
    let run = session(long.as_bytes());
    assert_eq!(codes(&run), vec![220, 500, 250]);
    assert!(run.transcript.contains("500 5.5.2 Error: line too long"));
    // Exactly 512 octets with CRLF is allowed.
    let max = format!("NOOP {}\r\n", "a".repeat(512 - 7));
    assert_eq!(codes(&session(max.as_bytes())), vec![220, 250]);
    let over = format!("NOOP {}\r\n", "a".repeat(512 - 6));
    assert_eq!(codes(&session(over.as_bytes())), vec![220, 500]);
}

#[test]
fn huge_line_without_newline_keeps_memory_bounded() {
    let mut s = ServerSession::new(SessionConfig::default());
    while s.poll().is_some() {}
    for _ in 0..1000 {
        s.feed(&[b'x'; 1024]);
        assert!(s.poll().is_none());
    }
    assert!(s.buffered() < 2048);
    s.feed(b"\r\nNOOP\r\n");
    assert!(matches!(s.poll(), Some(Action::Send(r)) if r.code == 500));
    assert!(matches!(s.poll(), Some(Action::Send(r)) if r.code == 250));
}

#[test]
fn data_line_length_limit() {
    let tail = format!("{}\r\n.\r\nNOOP\r\n", "x".repeat(1200));
    let run = session(&with_head(tail.as_bytes()));
    assert_eq!(codes(&run), vec![220, 250, 250, 250, 354, 500, 250]);
    let ok = format!("{}\r\n.\r\n", "x".repeat(998));
    assert_eq!(bodies(&session(&with_head(ok.as_bytes()))).len(), 1);
}

#[test]
fn message_size_limits() {
    let config = SessionConfig {
        max_message_size: 100,
        ..SessionConfig::default()
    };
    let run = session_with(
        config.clone(),
        b"EHLO x\r\nMAIL FROM:<a@b.test> SIZE=101\r\n",
        &accept_all,
    );
    assert!(run.transcript.contains("552 5.3.4"));
    let tail = format!("{}.\r\nNOOP\r\n", "0123456789\r\n".repeat(10));
    let run = session_with(config.clone(), &with_head(tail.as_bytes()), &accept_all);
    assert_eq!(codes(&run), vec![220, 250, 250, 250, 354, 552, 250]);
    assert!(bodies(&run).is_empty());
    let bdat = b"EHLO x\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nBDAT 60\r\n\
012345678901234567890123456789012345678901234567890123456789BDAT 60 LAST\r\n\
012345678901234567890123456789012345678901234567890123456789NOOP\r\n";
    let run = session_with(config, bdat, &accept_all);
    assert_eq!(codes(&run), vec![220, 250, 250, 250, 250, 552, 250]);
}

#[test]
fn recipient_limit() {
    let config = SessionConfig {
        max_recipients: 2,
        ..SessionConfig::default()
    };
    let input = b"EHLO x\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<1@d.test>\r\nRCPT TO:<2@d.test>\r\nRCPT TO:<3@d.test>\r\n";
    let run = session_with(config, input, &accept_all);
    assert_eq!(codes(&run), vec![220, 250, 250, 250, 250, 452]);
    assert!(run.transcript.contains("452 4.5.3"));
}

#[test]
fn too_many_bad_commands_disconnects() {
    let config = SessionConfig {
        max_bad_commands: 3,
        ..SessionConfig::default()
    };
    let run = session_with(config, b"FOO\r\nBAR\r\nBAZ\r\nNOOP\r\n", &accept_all);
    assert_eq!(codes(&run), vec![220, 500, 500, 500, 421]);
    assert!(run.closed);
}

#[test]
fn bad_sequences_are_503() {
    let run = session(b"MAIL FROM:<a@b.test>\r\nHELO x\r\nRCPT TO:<a@b.test>\r\nDATA\r\nMAIL FROM:<a@b.test>\r\nMAIL FROM:<a@b.test>\r\nDATA\r\n");
    assert_eq!(codes(&run), vec![220, 503, 250, 503, 503, 250, 503, 503]);
}

#[test]
fn rejected_recipient_is_not_added() {
    let policy = |e: &Event| match e {
        Event::Rcpt {
            to: ForwardPath::Mailbox(m),
        } if m.domain.to_string() == "relay.test" => {
            Verdict::Reject(Reply::new(554, (5, 7, 1), "Relay access denied"))
        }
        e => accept_all(e),
    };
    let input = b"EHLO x\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<a@relay.test>\r\nDATA\r\nRCPT TO:<a@local.test>\r\nDATA\r\nx\r\n.\r\n";
    let run = session_with(SessionConfig::default(), input, &policy);
    assert_eq!(codes(&run), vec![220, 250, 250, 554, 503, 250, 354, 250]);
    let Some(Event::Message { envelope, .. }) = run.events.last() else {
        panic!("no message")
    };
    assert_eq!(envelope.rcpts.len(), 1);
    assert!(run.transcript.contains("250 2.0.0 Ok: queued as Q1"));
}

#[test]
fn bdat_chunks() {
    let input = b"EHLO x\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nBDAT 5\r\nab\r\nxBDAT 0 LAST\r\nQUIT\r\n";
    let run = session(input);
    assert_eq!(codes(&run), vec![220, 250, 250, 250, 250, 250, 221]);
    assert_eq!(bodies(&run), vec![b"ab\r\nx".to_vec()]);
    // DATA after BDAT is a bad sequence.
    let run =
        session(b"EHLO x\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nBDAT 1\r\nxDATA\r\n");
    assert_eq!(codes(&run), vec![220, 250, 250, 250, 250, 503]);
}

#[test]
fn bdat_without_transaction_still_consumes_chunk() {
    // The chunk holds a command; it must be swallowed as data, not executed.
    let run = session(b"EHLO x\r\nBDAT 22 LAST\r\nMAIL FROM:<e@x.test>\r\nNOOP\r\n");
    assert_eq!(codes(&run), vec![220, 250, 503, 250]);
    assert!(!run.events.iter().any(|e| matches!(e, Event::Mail { .. })));
}

#[test]
fn utf8_addresses_need_smtputf8() {
    let run = session("EHLO x\r\nMAIL FROM:<jörg@b.test>\r\nMAIL FROM:<jörg@bü.test> SMTPUTF8\r\nRCPT TO:<δ@d.test>\r\n".as_bytes());
    assert_eq!(codes(&run), vec![220, 250, 553, 250, 250]);
}

fn auth_config() -> SessionConfig {
    SessionConfig {
        auth_available: true,
        auth_without_tls: true,
        ..SessionConfig::default()
    }
}

fn check_password(e: &Event) -> Verdict {
    match e {
        Event::Auth {
            username, password, ..
        } if username == "bob" && password == "secret" => Verdict::Accept,
        Event::Auth { .. } => Verdict::Reject(Reply::new(
            535,
            (5, 7, 8),
            "Authentication credentials invalid",
        )),
        e => accept_all(e),
    }
}

#[test]
fn auth_plain_and_login() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let plain = format!(
        "EHLO x\r\nAUTH PLAIN {}\r\nAUTH PLAIN\r\n",
        b64("\0bob\0secret")
    );
    let run = session_with(auth_config(), plain.as_bytes(), &check_password);
    assert!(
        run.transcript.contains("250-AUTH PLAIN LOGIN")
            || run.transcript.contains("250 AUTH PLAIN LOGIN")
    );
    assert_eq!(codes(&run), vec![220, 250, 235, 503]);

    let login = format!(
        "EHLO x\r\nAUTH LOGIN\r\n{}\r\n{}\r\nAUTH PLAIN\r\n{}\r\n",
        b64("bob"),
        b64("wrong"),
        b64("\0bob\0secret")
    );
    let run = session_with(auth_config(), login.as_bytes(), &check_password);
    assert_eq!(codes(&run), vec![220, 250, 334, 334, 535, 334, 235]);
    assert!(run.transcript.contains("334 VXNlcm5hbWU6\r\n"));

    let cancel = "EHLO x\r\nAUTH PLAIN\r\n*\r\nAUTH PLAIN !!!\r\nAUTH CRAM-MD5\r\n";
    let run = session_with(auth_config(), cancel.as_bytes(), &check_password);
    assert_eq!(codes(&run), vec![220, 250, 334, 501, 501, 504]);
}

#[test]
fn auth_not_offered_in_plaintext_by_default() {
    let config = SessionConfig {
        auth_available: true,
        tls_available: true,
        ..SessionConfig::default()
    };
    let run = session_with(
        config.clone(),
        b"EHLO x\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\n",
        &check_password,
    );
    assert!(!run.transcript.contains("AUTH PLAIN LOGIN"));
    assert_eq!(codes(&run), vec![220, 250, 503]);
    let run = drive(
        &mut ServerSession::new(config),
        &[
            b"EHLO x\r\nSTARTTLS\r\n",
            b"EHLO x\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\n",
        ],
        &check_password,
    );
    assert!(run.transcript.contains("AUTH PLAIN LOGIN"));
    assert!(
        run.transcript
            .ends_with("235 2.7.0 Authentication successful\r\n")
    );
}

#[test]
fn session_waits_for_decision() {
    let mut s = ServerSession::new(SessionConfig::default());
    s.feed(b"EHLO x\r\nNOOP\r\n");
    assert!(matches!(s.poll(), Some(Action::Send(r)) if r.code == 220));
    assert!(matches!(s.poll(), Some(Action::Event(Event::Helo { .. }))));
    assert_eq!(s.poll(), None, "no progress before the decision");
    s.decide(Verdict::Reject(Reply::new(550, (5, 7, 1), "go away")));
    assert!(matches!(s.poll(), Some(Action::Send(r)) if r.code == 550));
    assert!(matches!(s.poll(), Some(Action::Send(r)) if r.code == 250));
    assert_eq!(s.helo(), None);
}

#[test]
fn garbage_never_panics() {
    let mut state = 12345u64;
    for round in 0..300 {
        let mut input = Vec::new();
        for _ in 0..(round * 7 % 400) {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pick = (state >> 40) as usize;
            let tokens: [&[u8]; 14] = [
                b"\r\n",
                b"\n",
                b"\r",
                b".",
                b"DATA\r\n",
                b"BDAT 3\r\n",
                b"MAIL FROM:<a@b>\r\n",
                b"RCPT TO:<c@d>\r\n",
                b"EHLO x\r\n",
                b"AUTH LOGIN\r\n",
                b"\xff\xfe",
                b"STARTTLS\r\n",
                b"BDAT 99999999999999999999\r\n",
                b"x",
            ];
            input.extend_from_slice(tokens[pick % tokens.len()]);
        }
        let config = SessionConfig {
            tls_available: true,
            auth_available: true,
            auth_without_tls: true,
            ..Default::default()
        };
        drive(
            &mut ServerSession::new(config),
            &random_splits(&input, round as u64),
            &accept_all,
        );
    }
}

#[test]
fn reply_formatting() {
    let r = Reply {
        code: 250,
        status: Some(EnhancedStatus::new(2, 0, 0)),
        lines: vec!["a".into(), "b\r\nc".into()],
    };
    assert_eq!(r.to_string(), "250-2.0.0 a\r\n250 2.0.0 b  c\r\n");
    assert_eq!(
        Reply::plain(334, vec![String::new()]).to_string(),
        "334 \r\n"
    );
    assert_eq!(
        Reply::queued("X").to_string(),
        "250 2.0.0 Ok: queued as X\r\n"
    );
}

#[test]
fn address_grammar() {
    let (m, rest) = reverse_path("<a.b+c@example.test> SIZE=1").unwrap();
    assert_eq!(m.unwrap().to_string(), "a.b+c@example.test");
    assert_eq!(rest, " SIZE=1");
    assert_eq!(reverse_path("<>").unwrap().0, None);
    let (m, _) = reverse_path("<\"a b\\\"c\"@[192.0.2.1]>").unwrap();
    let m = m.unwrap();
    assert_eq!(m.local_unquoted(), "a b\"c");
    assert_eq!(m.domain, Domain::Literal("192.0.2.1".into()));
    let (m, _) = reverse_path("<@relay1.test,@relay2.test:u@[IPv6:2001:db8::1]>").unwrap();
    assert_eq!(
        m.unwrap().domain,
        Domain::Literal("IPv6:2001:db8::1".into())
    );
    assert_eq!(
        forward_path("<postMaster>").unwrap().0,
        ForwardPath::Postmaster
    );
    for bad in [
        "a@b",
        "<a@b",
        "<a..b@c>",
        "<.a@c>",
        "<a@-b>",
        "<a@b->",
        "<a@b..c>",
        "<a@[300.1.1.1]>",
        "<@a>",
        "<a@>",
        "<\"a@b>",
    ] {
        assert!(reverse_path(bad).is_err(), "{bad} should not parse");
    }
    let long_local = format!("<{}@b.test>", "a".repeat(65));
    assert!(reverse_path(&long_local).is_err());
}

#[test]
fn command_grammar() {
    assert_eq!(
        command("mail from: <a@b.test> size=10 body=7bit smtputf8").unwrap(),
        Command::Mail {
            from: Some(Mailbox {
                local: "a".into(),
                domain: Domain::Name("b.test".into())
            }),
            params: MailParams {
                size: Some(10),
                body: Some(Body::SevenBit),
                smtputf8: true,
                auth: None
            },
        }
    );
    assert_eq!(
        command("BDAT 10 last").unwrap(),
        Command::Bdat {
            size: 10,
            last: true
        }
    );
    assert!(matches!(
        command("MAIL FROM:<a@b.test> FOO=1"),
        Err(ProtoError::UnsupportedParameter(_))
    ));
    assert!(matches!(
        command("MAIL FROM:<a@b.test>junk"),
        Err(ProtoError::SyntaxInParameters(_))
    ));
    assert!(matches!(
        command("MAIL FROM:<a@b.test> BODY=BINARYMIME"),
        Err(ProtoError::SyntaxInParameters(_))
    ));
    assert!(matches!(
        command("RCPT TO:<a@b.test> NOTIFY=NEVER"),
        Err(ProtoError::UnsupportedParameter(_))
    ));
    assert!(matches!(
        command("EXPN list"),
        Err(ProtoError::UnrecognizedCommand)
    ));
    assert!(matches!(
        command("DATA x"),
        Err(ProtoError::SyntaxInParameters(_))
    ));
    assert!(matches!(
        command("BDAT x"),
        Err(ProtoError::SyntaxInParameters(_))
    ));
    assert!(matches!(
        command("EHLO"),
        Err(ProtoError::SyntaxInParameters(_))
    ));
    assert_eq!(esmtp_param("SIZE=1").unwrap(), ("SIZE", Some("1")));
    assert!(esmtp_param("-X").is_err());
    assert!(esmtp_param("X=a=b").is_err());
}

#[test]
fn data_decoder_reports_consumed_bytes() {
    let mut d = DataDecoder::new(1000, 1000);
    let (used, end) = d.feed(b"a\r\n.\r\nQUIT\r\n");
    assert_eq!(used, 6);
    assert_eq!(end, Some(Ok(b"a\r\n".to_vec())));
}

#[test]
fn failed_logins_count_towards_the_error_limit() {
    let config = SessionConfig {
        max_bad_commands: 3,
        ..auth_config()
    };
    let input =
        "EHLO x\r\nAUTH PLAIN AGJvYgB4\r\nAUTH PLAIN AGJvYgB5\r\nAUTH PLAIN AGJvYgB6\r\nNOOP\r\n";
    let run = session_with(config, input.as_bytes(), &check_password);
    assert_eq!(codes(&run), vec![220, 250, 535, 535, 535, 421]);
    assert!(run.closed);
}

#[test]
fn data_decoder_outcome_does_not_depend_on_the_split() {
    let cases: [(&[u8], Option<DataError>); 7] = [
        (b"a\r\n..b\r\n.\r\n", None),
        // max_line 10 counts the CRLF: 8 bytes of content fit, 9 do not.
        (b"12345678\r\n.\r\n", None),
        (b"123456789\r\n.\r\n", Some(DataError::LineTooLong)),
        (
            b"1234567890123\r\n.\r\nQUIT\r\n",
            Some(DataError::LineTooLong),
        ),
        (b"a\nb\r\n.\r\n", Some(DataError::BareNewline)),
        (b"a\r.\r\n.\r\n", Some(DataError::BareNewline)),
        (b"x\r\n.\n.\r\n.\r\n", Some(DataError::BareNewline)),
    ];
    for (input, error) in cases {
        let whole = DataDecoder::new(1000, 10).feed(input);
        assert_eq!(
            whole.1.as_ref().map(|e| e.as_ref().err().copied()),
            Some(error),
            "{input:?}"
        );
        for split in 0..=input.len() {
            let mut d = DataDecoder::new(1000, 10);
            let (used, end) = d.feed(&input[..split]);
            let got = match end {
                Some(end) => (used, Some(end)),
                None => {
                    let (more, end) = d.feed(&input[split..]);
                    (split + more, end)
                }
            };
            assert_eq!(got, whole, "{input:?} split at {split}");
        }
        let mut d = DataDecoder::new(1000, 10);
        let bytewise = input.iter().enumerate().find_map(|(i, b)| {
            d.feed(std::slice::from_ref(b))
                .1
                .map(|end| (i + 1, Some(end)))
        });
        assert_eq!(bytewise.unwrap(), whole, "{input:?} a byte at a time");
    }
}

#[test]
fn a_sasl_response_line_the_server_cannot_take_ends_the_exchange() {
    // After the 334, a response with a bare LF, one too long, and one not UTF-8: each is
    // refused and the next line is a command again (QUIT is also valid base64, so a session
    // still in the exchange would take it for a password).
    for bad in [&b"Ym9i\n"[..], &[b'A'; 13000][..], b"\xff\xfe\r\n"] {
        let mut input = b"EHLO x\r\nAUTH LOGIN\r\n".to_vec();
        input.extend_from_slice(bad);
        if !input.ends_with(b"\n") {
            input.extend_from_slice(b"\r\n");
        }
        input.extend_from_slice(b"QUIT\r\n");
        let run = session_with(auth_config(), &input, &check_password);
        assert_eq!(
            codes(&run),
            vec![220, 250, 334, 500, 221],
            "{}",
            run.transcript
        );
    }
}

#[test]
fn bdat_out_of_sequence_counts_towards_the_error_limit() {
    let config = SessionConfig {
        max_bad_commands: 3,
        ..SessionConfig::default()
    };
    let input = b"EHLO x\r\nBDAT 0\r\nBDAT 0\r\nBDAT 0\r\nNOOP\r\n";
    let run = session_with(config, input, &accept_all);
    assert_eq!(
        codes(&run),
        vec![220, 250, 503, 503, 503, 421],
        "{}",
        run.transcript
    );
    assert!(run.closed);
}
