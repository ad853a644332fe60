//! The connection tasklet: moves bytes between the socket and the sans-IO session, and
//! answers each event with the phase policies. Replies are flushed only when the session
//! needs more input, so a pipelined burst gets its replies in one write (RFC 2920).

use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::rt::net::TcpStream;
use crate::smtp::proto::{Action, Event, Reply, ServerSession, Verdict};

use super::commit::Committer;
use super::data::Client;
use super::limits::{ConnectionLimits, Refused};
use super::policy::{Decision, Phase, Policy, Transaction};
use super::post_queue::{PostQueue, apply_edits, spool_rcpts};
use super::tls::Conn;
use super::{Shared, auth, data, ehlo, mail, rcpt};
use crate::queue::Hold;

/// Read buffer per connection: small, since idle connections must stay cheap.
const READ_BUF: usize = 4096;

/// Read buffer while a message comes in, so that one read takes most messages whole; it
/// shrinks back once the message is in.
const DATA_READ_BUF: usize = 32 * 1024;

/// What the session remembers of the transaction for its policy.
struct Txn {
    policy: Option<Rc<dyn Policy>>,
    peer: SocketAddr,
    helo: Option<String>,
    mail_from: Option<String>,
    /// Recipients accepted so far, as the policy left them.
    rcpts: Vec<String>,
}

impl Txn {
    fn wants(&self, phase: Phase) -> Option<&Rc<dyn Policy>> {
        self.policy.as_ref().filter(|p| p.wants(phase))
    }

    fn transaction(&self, phase: Phase, client: &Client) -> Transaction {
        Transaction {
            phase,
            ip: self.peer.ip(),
            port: self.peer.port(),
            helo: self.helo.clone(),
            tls: client.tls.is_some(),
            auth_user: client.auth_user.clone(),
            mail_from: self.mail_from.clone(),
            rcpt: None,
            rcpts: self.rcpts.clone(),
            message: None,
            queue_id: None,
        }
    }
}

pub(super) fn run(
    mut tcp: TcpStream,
    peer: SocketAddr,
    shared: &Arc<Shared>,
    committer: &Committer,
    policy: Option<Rc<dyn Policy>>,
) {
    let server = &shared.config.server;
    tcp.set_write_timeout(Some(server.command_timeout()));
    let _slot = match ConnectionLimits::acquire(shared, peer.ip()) {
        Ok(slot) => slot,
        Err(why) => {
            let text = match why {
                Refused::Total => "Error: too many connections",
                Refused::PerIp => "Error: too many connections from your address",
            };
            tracing::info!(client = %peer, "connection refused: {text}");
            let reply = Reply::new(421, (4, 7, 0), format!("{} {text}", server.hostname));
            let _ = tcp.write_all(&reply.to_bytes());
            return;
        }
    };
    let mut config = shared.config.session_config(peer.ip().is_loopback());
    // Offer only what actually loaded.
    config.tls_available = shared.tls.is_some();
    config.auth_available = shared.users.is_some();
    let mut session = ServerSession::new(config);
    let mut client = Client {
        ip: peer.ip(),
        esmtp: false,
        tls: None,
        auth_user: None,
    };
    let mut txn = Txn {
        policy,
        peer,
        helo: None,
        mail_from: None,
        rcpts: Vec::new(),
    };
    if let Some(p) = txn.wants(Phase::Connect) {
        let outcome = p.check(txn.transaction(Phase::Connect, &client));
        if let Some(Verdict::Reject(reply)) = outcome.decision.refusal() {
            tracing::info!(client = %peer, "connection refused by filter: {reply}");
            let _ = tcp.write_all(&reply.to_bytes());
            return;
        }
    }
    let mut stream = Conn::Plain(tcp);
    let mut out: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; READ_BUF];
    // RFC 5321 4.5.3.2: the command timeout bounds the wait for a whole command, not for each
    // read, or a client trickling a byte now and then would hold the connection forever.
    let mut command_deadline = Instant::now() + server.command_timeout();
    tracing::debug!(client = %peer, "connected");
    loop {
        while let Some(action) = session.poll() {
            match action {
                Action::Send(reply) => out.extend_from_slice(&reply.to_bytes()),
                Action::Event(event) => {
                    let verdict = decide(event, &mut client, &mut txn, shared, committer);
                    session.decide(verdict);
                }
                Action::StartTls => {
                    // The 220 goes out in plaintext; the session has already dropped any
                    // bytes the client pipelined after STARTTLS.
                    if stream.write_all(&out).is_err() {
                        return;
                    }
                    out.clear();
                    let Some(tls) = &shared.tls else { return };
                    match stream.start_tls(tls, server.command_timeout()) {
                        Ok(info) => {
                            tracing::debug!(client = %peer, tls = %info, "TLS established");
                            client.tls = Some(info);
                            client.esmtp = false;
                            client.auth_user = None;
                            session.tls_established();
                            // The 220 went out above: the client's wait for its next
                            // command starts now, as after any reply.
                            command_deadline = Instant::now() + server.command_timeout();
                        }
                        Err(e) => {
                            tracing::info!(client = %peer, "TLS handshake failed: {e}");
                            return;
                        }
                    }
                }
                Action::Close => {
                    let _ = stream.write_all(&out);
                    let _ = stream.flush();
                    tracing::debug!(client = %peer, "closed");
                    return;
                }
            }
        }
        if !out.is_empty() {
            if stream
                .write_all(&out)
                .and_then(|()| stream.flush())
                .is_err()
            {
                return;
            }
            out.clear();
            command_deadline = Instant::now() + server.command_timeout();
        }
        // In data, the timeout is per read (RFC 5321 4.5.3.2.5: per data block).
        let timeout = if session.in_data() {
            command_deadline = Instant::now() + server.command_timeout();
            server.data_timeout()
        } else {
            command_deadline.saturating_duration_since(Instant::now())
        };
        let want = if session.in_data() {
            DATA_READ_BUF
        } else {
            READ_BUF
        };
        if buf.len() != want {
            buf.resize(want, 0);
            buf.shrink_to_fit();
        }
        let read = if timeout.is_zero() {
            Err(ErrorKind::TimedOut.into())
        } else {
            stream.set_read_timeout(timeout);
            stream.read(&mut buf)
        };
        match read {
            Ok(0) => return,
            Ok(n) => session.feed(buf.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == ErrorKind::TimedOut || e.kind() == ErrorKind::WouldBlock => {
                tracing::info!(client = %peer, "timeout");
                session.close_with(Reply::new(
                    421,
                    (4, 4, 2),
                    format!("{} Error: timeout exceeded", server.hostname),
                ));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

fn decide(
    event: Event,
    client: &mut Client,
    txn: &mut Txn,
    shared: &Arc<Shared>,
    committer: &Committer,
) -> Verdict {
    let peer = txn.peer;
    match event {
        Event::Helo { name, extended } => {
            let verdict = ehlo::verdict(&name);
            if matches!(verdict, Verdict::Reject(_)) {
                return verdict;
            }
            // The filter sees the session as an accepted greeting leaves it; a refusal
            // leaves everything as it was, the transaction in progress included, as the
            // protocol side does.
            let before = (
                client.esmtp,
                txn.helo.replace(name),
                txn.mail_from.take(),
                std::mem::take(&mut txn.rcpts),
            );
            client.esmtp = extended;
            let verdict = filtered(txn, Phase::Helo, client, verdict);
            if matches!(verdict, Verdict::Reject(_)) {
                (client.esmtp, txn.helo, txn.mail_from, txn.rcpts) = before;
            }
            verdict
        }
        Event::Mail { from, params } => {
            let verdict = mail::verdict(&from, &params);
            if matches!(verdict, Verdict::Reject(_)) {
                return verdict;
            }
            txn.mail_from = Some(from.map(|m| m.to_string()).unwrap_or_default());
            txn.rcpts.clear();
            let verdict = filtered(txn, Phase::Mail, client, verdict);
            if matches!(verdict, Verdict::Reject(_)) {
                txn.mail_from = None;
            }
            verdict
        }
        Event::Rcpt { to } => {
            let verdict =
                rcpt::verdict(&to, &shared.config, client.ip, client.auth_user.as_deref());
            if matches!(verdict, Verdict::Reject(_)) {
                return verdict;
            }
            let to = to.to_string();
            let Some(p) = txn.wants(Phase::Rcpt).cloned() else {
                txn.rcpts.push(to);
                return verdict;
            };
            let mut t = txn.transaction(Phase::Rcpt, client);
            t.rcpts.push(to.clone());
            t.rcpt = Some(to.clone());
            let outcome = p.check(t);
            if let Some(refusal) = outcome.decision.refusal() {
                return refusal;
            }
            if outcome.decision == Decision::Discard {
                // 250 to the client, but the recipient is dropped, and with it whatever the
                // event edited (as `stackmail filter test` has it): the list stays as the
                // recipients before it left it, an earlier copy of the same address included.
                tracing::info!(client = %peer, rcpt = %to, "recipient discarded by filter");
            } else {
                txn.rcpts = outcome.rcpts;
            }
            verdict
        }
        Event::Message { envelope, body } => {
            message(envelope, body, client, txn, shared, committer)
        }
        Event::Auth {
            authzid,
            username,
            password,
            ..
        } => {
            let verdict = auth::verdict(shared.users.as_ref(), &authzid, &username, &password);
            // Logged quoted and escaped (`?`): the name is the client's, decoded from base64,
            // and may hold line breaks that would forge log lines.
            match &verdict {
                Verdict::Accept => {
                    tracing::info!(client = %peer, user = ?username, "authenticated");
                    client.auth_user = Some(username);
                }
                _ => tracing::info!(client = %peer, user = ?username, "authentication failed"),
            }
            verdict
        }
    }
}

/// Runs the policy on a phase the server's own checks accepted.
fn filtered(txn: &Txn, phase: Phase, client: &Client, verdict: Verdict) -> Verdict {
    let Some(p) = txn.wants(phase) else {
        return verdict;
    };
    let outcome = p.check(txn.transaction(phase, client));
    outcome.decision.refusal().unwrap_or(verdict)
}

/// End of data: the data-phase policy, the durable commit, then the post-queue policy
/// before delivery starts.
fn message(
    envelope: crate::smtp::proto::Envelope,
    body: Vec<u8>,
    client: &Client,
    txn: &mut Txn,
    shared: &Arc<Shared>,
    committer: &Committer,
) -> Verdict {
    let peer = txn.peer;
    let now = SystemTime::now();
    let mut msg =
        data::pending_message(client, envelope, body, &shared.config.server.hostname, now);
    if txn.policy.is_some() {
        // The policy's recipient list (edited at rcpt) replaces the session's.
        msg.envelope.rcpts = spool_rcpts(&txn.rcpts);
    }
    let mut quarantine = None;
    if let Some(p) = txn.wants(Phase::Data).cloned() {
        let mut t = txn.transaction(Phase::Data, client);
        t.message = Some(msg.body.clone());
        let outcome = p.check(t);
        if let Some(refusal) = outcome.decision.refusal() {
            return refusal;
        }
        apply_edits(&mut msg, &outcome);
        match outcome.decision {
            Decision::Discard => {
                tracing::info!(client = %peer, "message discarded by filter");
                return Verdict::AcceptWith(Reply::new(250, (2, 0, 0), "Ok: discarded"));
            }
            Decision::Quarantine(reason) => quarantine = Some(reason),
            _ => {}
        }
    }
    if msg.envelope.rcpts.is_empty() {
        tracing::info!(client = %peer, "no recipients left after filtering; message dropped");
        return Verdict::AcceptWith(Reply::new(250, (2, 0, 0), "Ok: no recipients left"));
    }
    let (from, rcpts, size) = (
        msg.envelope.from.clone(),
        msg.envelope.rcpts.len(),
        msg.body.len(),
    );
    let post_queue = txn.wants(Phase::Queue).cloned();
    msg.envelope.hold = match (quarantine, &post_queue) {
        (Some(reason), _) => Some(Hold::Quarantine(reason)),
        (None, Some(_)) => Some(Hold::PostQueue),
        (None, None) => None,
    };
    // Only post-queue work needs the message after the commit: no copy without it.
    let (committed, msg) = if msg.envelope.hold.is_some() {
        (committer.commit(msg.clone()), Some(msg))
    } else {
        (committer.commit(msg), None)
    };
    match &committed {
        Ok(id) => tracing::info!(
            queue_id = %id,
            client = %peer,
            from = %from,
            rcpts,
            size,
            tls = client.tls.is_some(),
            user = client.auth_user.as_deref().unwrap_or(""),
            "queued"
        ),
        Err(e) => tracing::error!(client = %peer, "not queued: {e}"),
    }
    if let (Ok(id), Some(msg)) = (&committed, msg) {
        // The client gets its 250 now; the post-queue work runs beside the session.
        let mut t = txn.transaction(Phase::Queue, client);
        t.queue_id = Some(id.to_string());
        let work = PostQueue {
            id: id.clone(),
            msg,
            policy: post_queue,
            txn: t,
        };
        let (shared, committer) = (shared.clone(), committer.clone());
        crate::rt::spawn(move || work.run(&shared, &committer));
    }
    data::verdict(&committed)
}
