use std::fs;

use super::*;

fn msg(from: &str, rcpts: &[&str], body: &[u8]) -> PendingMessage {
    PendingMessage {
        envelope: Envelope {
            received: 1_764_094_000,
            client: Some("192.0.2.1".parse().unwrap()),
            helo: "client.test".into(),
            auth_user: None,
            from: from.into(),
            rcpts: rcpts.iter().map(|r| Recipient::new(*r)).collect(),
            hold: None,
        },
        body: body.to_vec(),
    }
}

fn spool() -> (tempfile::TempDir, Spool) {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path().join("spool")).unwrap();
    (dir, spool)
}

fn count(dir: &std::path::Path) -> usize {
    fs::read_dir(dir).unwrap().count()
}

#[test]
fn commit_then_load() {
    let (_d, spool) = spool();
    let m = msg(
        "a@b.test",
        &["c@d.test", "e@f.test"],
        b"Subject: x\r\n\r\nhi\r\n",
    );
    let id = spool.commit(m.clone()).unwrap();
    let loaded = spool.load(&id).unwrap();
    assert_eq!(loaded.envelope, m.envelope);
    assert_eq!(loaded.body_size, m.body.len() as u64);
    assert_eq!(spool.read_body(&id).unwrap(), m.body);
    assert_eq!(count(&spool.root().join("tmp")), 0);
}

#[test]
fn batch_commit_gives_distinct_sorted_ids() {
    let (_d, spool) = spool();
    let msgs: Vec<_> = (0..40)
        .map(|i| msg("", &["x@y.test"], format!("body {i}\r\n").as_bytes()))
        .collect();
    let ids: Vec<QueueId> = spool
        .commit_batch(msgs)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 40);
    assert_eq!(sorted, ids, "ids sort in commit order");
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(
            spool.read_body(id).unwrap(),
            format!("body {i}\r\n").as_bytes()
        );
    }
    assert_eq!(spool.recover().unwrap().messages.len(), 40);
}

#[test]
fn ids_are_unique_across_threads() {
    let now = std::time::SystemTime::now();
    let ids: Vec<QueueId> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(move || {
                    (0..1000)
                        .map(|_| QueueId::generate(now))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let set: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(set.len(), ids.len());
    assert!(ids.iter().all(|id| QueueId::parse(id.as_str()).is_some()));
    assert!(QueueId::parse("../etc/passwd").is_none());
}

#[test]
fn update_records_status_and_removes_when_done() {
    let (_d, spool) = spool();
    let id = spool
        .commit(msg("a@b.test", &["c@d.test", "e@f.test"], b"x\r\n"))
        .unwrap();
    let mut m = spool.load(&id).unwrap();
    m.envelope.rcpts[0].status = RcptStatus::Delivered;
    m.envelope.rcpts[1].attempts = 1;
    m.envelope.rcpts[1].next_attempt = 1_764_094_300;
    m.envelope.rcpts[1].last_error = Some("451 4.3.0 try\nlater %".into());
    assert_eq!(spool.update(&m).unwrap(), UpdateOutcome::Kept);
    assert_eq!(spool.load(&id).unwrap(), m);
    m.envelope.rcpts[1].status = RcptStatus::Failed;
    assert_eq!(spool.update(&m).unwrap(), UpdateOutcome::Removed);
    assert!(spool.load(&id).is_err());
    assert_eq!(count(&spool.root().join("msg")), 0);
}

#[test]
fn envelope_escapes_round_trip() {
    let mut m = msg("we%ird\r\nfrom", &["\"a b\"@c.test"], b"");
    m.envelope.helo = "evil\nrcpt delivered 0 0 x@y".into();
    m.envelope.auth_user = Some("bob".into());
    m.envelope.client = None;
    let id = QueueId::generate(std::time::SystemTime::now());
    let bytes = envelope::encode(&id, 0, &m.envelope);
    let (id2, size, env) = envelope::decode(&bytes).unwrap();
    assert_eq!((id2, size, env), (id, 0, m.envelope));
}

#[test]
fn holds_round_trip_and_a_bad_hold_line_is_refused() {
    let id = QueueId::generate(std::time::SystemTime::now());
    for hold in [
        None,
        Some(Hold::PostQueue),
        Some(Hold::Quarantine(String::new())),
        Some(Hold::Quarantine(
            "virus %41\r\nrcpt delivered 0 0 x@y".into(),
        )),
    ] {
        let mut m = msg("a@b.test", &["c@d.test"], b"");
        m.envelope.hold = hold;
        let bytes = envelope::encode(&id, 0, &m.envelope);
        assert_eq!(envelope::decode(&bytes).unwrap().2, m.envelope);
    }
    // A record whose hold line is unknown, repeated or after the recipients is corrupt.
    let m = msg("a@b.test", &["c@d.test"], b"");
    let good = String::from_utf8(envelope::encode(&id, 0, &m.envelope)).unwrap();
    let header = good.rsplit_once("end ").unwrap().0;
    let (head, rcpts) = header.split_once("rcpt ").unwrap();
    let sealed = |text: &str| format!("{text}end {:016x}\n", envelope::fnv1a(text.as_bytes()));
    assert!(
        envelope::decode(sealed(&format!("{head}hold post-queue\nrcpt {rcpts}")).as_bytes())
            .is_ok()
    );
    for bad in [
        format!("{head}hold later\nrcpt {rcpts}"),
        format!("{head}hold post-queue\nhold post-queue\nrcpt {rcpts}"),
        format!("{head}rcpt {rcpts}hold post-queue\n"),
    ] {
        let record = sealed(&bad);
        assert!(envelope::decode(record.as_bytes()).is_err(), "{record}");
    }
}

#[test]
fn recovery_sets_aside_what_it_cannot_trust() {
    let (_d, spool) = spool();
    let good = spool
        .commit(msg("a@b.test", &["c@d.test"], b"good\r\n"))
        .unwrap();
    let ids: Vec<QueueId> = spool
        .commit_batch(
            (0..6)
                .map(|i| {
                    msg(
                        "a@b.test",
                        &["c@d.test"],
                        format!("message {i}\r\n").as_bytes(),
                    )
                })
                .collect(),
        )
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let path = |id: &QueueId| spool.root().join("msg").join(id.as_str());
    // 0: garbage; 1: truncated body; 2: a flipped byte in the record; 3: truncated inside
    // the record; 4: body longer than the record says; 5: another message's file under this
    // name.
    fs::write(path(&ids[0]), b"\x00\xffgarbage").unwrap();
    let f = fs::read(path(&ids[1])).unwrap();
    fs::write(path(&ids[1]), &f[..f.len() - 3]).unwrap();
    let mut f = fs::read(path(&ids[2])).unwrap();
    f[30] ^= 1;
    fs::write(path(&ids[2]), f).unwrap();
    let f = fs::read(path(&ids[3])).unwrap();
    fs::write(path(&ids[3]), &f[..40]).unwrap();
    let mut f = fs::read(path(&ids[4])).unwrap();
    f.extend_from_slice(b"more\r\n");
    fs::write(path(&ids[4]), f).unwrap();
    fs::copy(path(&good), path(&ids[5])).unwrap();
    // A stale tmp file, a stray name and an empty file.
    fs::write(spool.root().join("tmp").join(good.as_str()), b"half").unwrap();
    fs::write(spool.root().join("msg").join("README"), b"not a message").unwrap();
    fs::write(
        spool.root().join("msg").join("00000000000000000000000000"),
        b"",
    )
    .unwrap();

    let r = spool.recover().unwrap();
    assert_eq!(
        r.messages.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
        vec![good.clone()]
    );
    assert_eq!(r.tmp_removed, 1);
    assert_eq!(r.moved_aside.len(), 8, "{:#?}", r.moved_aside);
    assert_eq!(count(&spool.root().join("corrupt")), 8);
    assert_eq!(count(&spool.root().join("msg")), 1);
    assert_eq!(spool.read_body(&good).unwrap(), b"good\r\n");
    // Idempotent: a second pass finds nothing more to do.
    let again = spool.recover().unwrap();
    assert_eq!(again.messages.len(), 1);
    assert!(again.moved_aside.is_empty());
}

#[test]
fn bodies_may_contain_anything() {
    let (_d, spool) = spool();
    // A body that looks like a record header must not confuse the split.
    let body = b"stackmail-envelope 1\nend 0000000000000000\nend x\r\n\x00\xff";
    let id = spool.commit(msg("", &["x@y.test"], body)).unwrap();
    assert_eq!(spool.read_body(&id).unwrap(), body);
    assert_eq!(spool.recover().unwrap().messages.len(), 1);
}

#[test]
fn a_batch_is_synced_with_one_flush_per_filesystem() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<std::fs::File> = (0..3)
        .map(|i| {
            let mut f = std::fs::File::create(dir.path().join(format!("f{i}"))).unwrap();
            std::io::Write::write_all(&mut f, b"data").unwrap();
            f
        })
        .collect();
    let refs: Vec<&std::fs::File> = files.iter().collect();
    let results = super::sync_files(&refs);
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    #[cfg(target_os = "linux")]
    assert!(
        super::sync_by_filesystem(&refs).is_some(),
        "Linux syncs a batch with syncfs"
    );
}

#[test]
fn commit_keeps_an_id_drawn_in_advance_and_never_reuses_one() {
    let (_d, spool) = spool();
    let drawn = QueueId::generate(SystemTime::now());
    let results = spool.commit_batch_as(vec![
        (
            Some(drawn.clone()),
            msg("a@b.test", &["c@d.test"], b"kept\r\n"),
        ),
        (None, msg("a@b.test", &["c@d.test"], b"fresh\r\n")),
    ]);
    assert_eq!(results[0].as_ref().unwrap(), &drawn);
    assert_ne!(results[1].as_ref().unwrap(), &drawn);
    assert_eq!(spool.read_body(&drawn).unwrap(), b"kept\r\n");
    // The same id again is refused, and the committed message is untouched.
    let again = spool.commit_batch_as(vec![(
        Some(drawn.clone()),
        msg("x@y.test", &["z@d.test"], b"x"),
    )]);
    assert!(again[0].is_err());
    assert_eq!(spool.read_body(&drawn).unwrap(), b"kept\r\n");
    assert_eq!(spool.recover().unwrap().messages.len(), 2);
}

#[test]
fn a_commit_that_has_not_settled_is_hidden_from_every_clone_of_the_spool() {
    let (_d, spool) = spool();
    let id = spool
        .commit(msg("a@b.test", &["c@d.test"], b"x\r\n"))
        .unwrap();
    assert_eq!(spool.queued_ids().unwrap(), vec![id.clone()]);
    // As between a commit's rename into msg/ and its directory fsync.
    let settling = spool.settling(vec![id.clone()]);
    assert!(spool.queued_ids().unwrap().is_empty());
    assert!(spool.clone().queued_ids().unwrap().is_empty());
    drop(settling);
    assert_eq!(spool.clone().queued_ids().unwrap(), vec![id]);
}

#[test]
fn a_record_of_many_recipients_is_read_back_whole() {
    let (_d, spool) = spool();
    // Some 6 MiB of record: 20,000 recipients, each with an error recorded.
    let addrs: Vec<String> = (0..20_000).map(|i| format!("user{i}@d.test")).collect();
    let rcpts: Vec<&str> = addrs.iter().map(String::as_str).collect();
    let mut m = msg("a@b.test", &rcpts, b"Subject: x\r\n\r\nend of the body\r\n");
    for r in &mut m.envelope.rcpts {
        r.last_error = Some("x".repeat(300));
    }
    let id = spool.commit(m.clone()).unwrap();
    let (loaded, body) = spool.read_message(&id).unwrap();
    assert_eq!(loaded.envelope, m.envelope);
    assert_eq!(body, m.body);
    let rec = spool.recover().unwrap();
    assert!(rec.moved_aside.is_empty(), "{:?}", rec.moved_aside);
    assert_eq!(rec.messages.len(), 1);
}
