use std::fs;
use std::path::Path;

use super::*;
use crate::deliver::deliver_local;
use crate::deliver::test_setup as setup;

fn message(rcpts: &[&str], body: &str) -> PendingMessage {
    PendingMessage::for_test(rcpts, body.as_bytes())
}

fn submit(mut msg: PendingMessage, hold: bool) -> PendingMessage {
    msg.envelope.hold = hold.then_some(crate::queue::Hold::PostQueue);
    msg
}

fn new_files(root: &Path, user: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = fs::read_dir(root.join("mail").join(user).join("new"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn local_mail_is_delivered_without_the_spool_and_the_rest_is_queued() {
    let (dir, spool, local) = setup();
    let results = deliver_or_queue(
        &spool,
        &local,
        "mx.test",
        vec![
            submit(message(&["bob@localhost", "Carol@localhost"], "one"), false),
            submit(message(&["bob@localhost"], "held"), true),
            submit(message(&["bob@localhost", "x@remote.test"], "mixed"), false),
            submit(message(&["Postmaster"], "two"), false),
        ],
    );
    let results: Vec<Accepted> = results.into_iter().map(Result::unwrap).collect();
    assert!(matches!(results[0], Accepted::Delivered(_)));
    assert!(matches!(results[1], Accepted::Queued(_)));
    assert!(matches!(results[2], Accepted::Queued(_)));
    assert!(matches!(results[3], Accepted::Delivered(_)));

    // Delivered copies are in new/, under names made from their queue ids; nothing in tmp/.
    let bob = new_files(dir.path(), "bob");
    assert_eq!(bob.len(), 1);
    assert!(bob[0].to_string_lossy().contains(results[0].id().as_str()));
    assert_eq!(fs::read(&bob[0]).unwrap(), b"one");
    assert_eq!(new_files(dir.path(), "carol").len(), 1);
    assert_eq!(new_files(dir.path(), "postmaster").len(), 1);
    assert_eq!(
        fs::read_dir(dir.path().join("mail/bob/tmp"))
            .unwrap()
            .count(),
        0
    );

    // Only the held and the mixed message are in the spool, untouched by delivery.
    let queued = spool.queued_ids().unwrap();
    assert_eq!(queued.len(), 2);
    for r in &results[1..3] {
        let (msg, _) = spool.read_message(r.id()).unwrap();
        assert!(
            msg.envelope
                .rcpts
                .iter()
                .all(|r| r.status == RcptStatus::Pending)
        );
    }
    assert_eq!(spool.read_body(results[1].id()).unwrap(), b"held");
}

#[test]
fn a_partial_delivery_is_queued_with_its_progress_and_never_duplicated() {
    let (dir, spool, local) = setup();
    // carol's Maildir cannot be created: a file is in the way.
    fs::create_dir_all(dir.path().join("mail")).unwrap();
    fs::write(dir.path().join("mail/carol"), b"").unwrap();
    let results = deliver_or_queue(
        &spool,
        &local,
        "mx.test",
        vec![submit(
            message(
                &["bob@localhost", "carol@localhost", "\".hidden\"@localhost"],
                "x",
            ),
            false,
        )],
    );
    let Ok(Accepted::Queued(id)) = &results[0] else {
        panic!("expected the message to be queued: {results:?}")
    };
    let mut msg = spool.load(id).unwrap();
    use RcptStatus::*;
    let status: Vec<_> = msg.envelope.rcpts.iter().map(|r| r.status).collect();
    assert_eq!(status, vec![Delivered, Pending, Failed]);
    assert_eq!(msg.envelope.rcpts[1].attempts, 1);
    assert!(msg.envelope.rcpts[1].last_error.is_some());
    assert_eq!(new_files(dir.path(), "bob").len(), 1);

    // Fixed and retried from the spool: carol gets hers under the same queue id, bob no
    // second copy, and the message leaves the spool.
    fs::remove_file(dir.path().join("mail/carol")).unwrap();
    let due = msg.envelope.rcpts[1].next_attempt;
    assert_eq!(
        deliver_local(&spool, &mut msg, &local, "mx.test", due).unwrap(),
        crate::queue::UpdateOutcome::Removed
    );
    let carol = new_files(dir.path(), "carol");
    assert_eq!(carol.len(), 1);
    assert!(carol[0].to_string_lossy().contains(id.as_str()));
    assert_eq!(new_files(dir.path(), "bob").len(), 1);
    assert!(spool.queued_ids().unwrap().is_empty());
}

#[test]
fn a_spool_failure_fails_only_the_queued_messages() {
    let (dir, spool, local) = setup();
    // msg/ replaced by a file: nothing can be committed to the spool.
    fs::remove_dir(dir.path().join("spool/msg")).unwrap();
    fs::write(dir.path().join("spool/msg"), b"").unwrap();
    let results = deliver_or_queue(
        &spool,
        &local,
        "mx.test",
        vec![
            submit(message(&["bob@localhost"], "direct"), false),
            submit(message(&["bob@localhost"], "held"), true),
        ],
    );
    assert!(matches!(results[0], Ok(Accepted::Delivered(_))));
    assert!(results[1].is_err());
    assert_eq!(new_files(dir.path(), "bob").len(), 1);
}
