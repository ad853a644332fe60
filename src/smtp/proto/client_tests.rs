//! The client and server sessions against each other in memory, no socket: what one sends
//! is fed to the other, in random splits.

use super::*;

struct Pair {
    client: ClientSession,
    server: ServerSession,
    /// Server-side events, in order.
    events: Vec<Event>,
    /// Client writes, to check pipelining.
    client_writes: Vec<Vec<u8>>,
    result: Option<Result<ClientOutcome, ClientError>>,
}

fn transfer(pair: &mut Pair, policy: &dyn Fn(&Event) -> Verdict, split: usize) {
    for _ in 0..1000 {
        let mut progressed = false;
        while let Some(a) = pair.server.poll() {
            progressed = true;
            match a {
                Action::Send(r) => {
                    for piece in r.to_bytes().chunks(split) {
                        pair.client.feed(piece);
                    }
                }
                Action::Event(e) => {
                    let v = policy(&e);
                    pair.events.push(e);
                    pair.server.decide(v);
                }
                Action::StartTls | Action::Close => {}
            }
        }
        while let Some(a) = pair.client.poll() {
            progressed = true;
            match a {
                ClientAction::Send(bytes) => {
                    for piece in bytes.chunks(split) {
                        pair.server.feed(piece);
                    }
                    pair.client_writes.push(bytes);
                }
                ClientAction::Done(r) => pair.result = Some(r),
            }
        }
        if !progressed {
            return;
        }
    }
    panic!("the sessions did not settle");
}

fn pair(rcpts: &[&str], body: &[u8]) -> Pair {
    Pair {
        client: ClientSession::new(
            "client.test",
            "a@client.test",
            rcpts.iter().map(|r| r.to_string()).collect(),
            body,
        ),
        server: ServerSession::new(SessionConfig::default()),
        events: Vec::new(),
        client_writes: Vec::new(),
        result: None,
    }
}

fn accept(e: &Event) -> Verdict {
    match e {
        Event::Message { .. } => Verdict::AcceptWith(Reply::queued("ID1")),
        Event::Rcpt {
            to: ForwardPath::Mailbox(m),
        } if m.local == "nobody" => Verdict::Reject(Reply::new(550, (5, 1, 1), "no such user")),
        _ => Verdict::Accept,
    }
}

#[test]
fn message_round_trips_with_dot_stuffing_and_pipelining() {
    let body = b"Subject: x\n\n.starts with a dot\r\n..two\rbare cr\nlast line without end";
    for split in [1, 3, 7, 4096] {
        let mut p = pair(
            &["b@server.test", "nobody@server.test", "c@server.test"],
            body,
        );
        transfer(&mut p, &accept, split);
        let outcome = p.result.clone().expect("finished").expect("accepted");
        assert_eq!(outcome.accepted, vec!["b@server.test", "c@server.test"]);
        assert_eq!(outcome.rejected.len(), 1);
        assert_eq!(
            outcome.rejected[0].1.status,
            Some(EnhancedStatus::new(5, 1, 1))
        );
        assert_eq!(outcome.reply.lines, vec!["Ok: queued as ID1"]);
        let Some(Event::Message {
            body: got,
            envelope,
        }) = p.events.iter().find(|e| matches!(e, Event::Message { .. }))
        else {
            panic!("no message")
        };
        assert_eq!(got, b"Subject: x\r\n\r\n.starts with a dot\r\n..two\r\nbare cr\r\nlast line without end\r\n");
        assert_eq!(envelope.rcpts.len(), 2);
        // MAIL, RCPTs and DATA went in one write after EHLO.
        assert!(
            p.client_writes
                .iter()
                .any(|w| w.starts_with(b"RCPT TO:<b@server.test>\r\nRCPT")
                    && w.ends_with(b"DATA\r\n"))
        );
        assert!(p.server.is_closed());
    }
}

#[test]
fn all_recipients_refused() {
    let mut p = pair(&["nobody@server.test"], b"x\r\n");
    transfer(&mut p, &accept, 5);
    match p.result {
        Some(Err(ClientError::Refused {
            step: "RCPT",
            reply,
        })) => assert_eq!(reply.code, 550),
        other => panic!("{other:?}"),
    }
    assert!(!p.events.iter().any(|e| matches!(e, Event::Message { .. })));
    assert!(p.server.is_closed(), "the client still says QUIT");
}

#[test]
fn refused_message_is_reported() {
    let reject = |e: &Event| match e {
        Event::Message { .. } => Verdict::Reject(Reply::new(554, (5, 7, 1), "spam")),
        e => accept(e),
    };
    let mut p = pair(&["b@server.test"], b"buy now\r\n");
    transfer(&mut p, &reject, 2);
    match p.result {
        Some(Err(ClientError::Refused {
            step: "end of data",
            reply,
        })) => {
            assert_eq!(
                (reply.code, reply.status),
                (554, Some(EnhancedStatus::new(5, 7, 1)))
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn reply_parser() {
    let (r, used) = Reply::parse(b"250-2.0.0 a\r\n250 2.0.0 b\r\nnext")
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.code, r.status, r.lines.clone(), used),
        (
            250,
            Some(EnhancedStatus::new(2, 0, 0)),
            vec!["a".into(), "b".into()],
            26
        )
    );
    assert_eq!(Reply::parse(&r.to_bytes()).unwrap().unwrap().0, r);
    assert_eq!(Reply::parse(b"250-a\r\n250 b").unwrap(), None);
    let (r, _) = Reply::parse(b"250-mx greets x\r\n250 PIPELINING\r\n")
        .unwrap()
        .unwrap();
    assert_eq!(r.status, None);
    assert!(Reply::parse(b"25x oops\r\n").is_err());
    assert!(Reply::parse(b"250-a\r\n251 b\r\n").is_err());
    assert!(Reply::parse(&[b'2'; 5000]).is_err());
    assert_eq!(
        Reply::parse(b"334 \r\n").unwrap().unwrap().0,
        Reply::plain(334, vec![String::new()])
    );
}
