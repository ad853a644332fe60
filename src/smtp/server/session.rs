//! The connection tasklet: moves bytes between the socket and the sans-IO session, and
//! answers each event with the phase policies. Replies are flushed only when the session
//! needs more input, so a pipelined burst gets its replies in one write (RFC 2920).

use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::rt::net::TcpStream;
use crate::smtp::proto::{Action, Event, Reply, ServerSession, Verdict};

use super::commit::Committer;
use super::data::Client;
use super::limits::{ConnectionLimits, Refused};
use super::tls::Conn;
use super::{Shared, auth, data, ehlo, mail, rcpt};

/// Read buffer per connection: small, since idle connections must stay cheap.
const READ_BUF: usize = 4096;

pub(super) fn run(
    mut tcp: TcpStream,
    peer: SocketAddr,
    shared: &Arc<Shared>,
    committer: &Committer,
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
                    let verdict = decide(event, &mut client, shared, committer, peer);
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
    shared: &Arc<Shared>,
    committer: &Committer,
    peer: SocketAddr,
) -> Verdict {
    match event {
        Event::Helo { name, extended } => {
            let verdict = ehlo::verdict(&name);
            if !matches!(verdict, Verdict::Reject(_)) {
                client.esmtp = extended;
            }
            verdict
        }
        Event::Mail { from, params } => mail::verdict(&from, &params),
        Event::Rcpt { to } => {
            rcpt::verdict(&to, &shared.config, client.ip, client.auth_user.as_deref())
        }
        Event::Message { envelope, body } => {
            let (from, rcpts, size) = (envelope.from.clone(), envelope.rcpts.len(), body.len());
            let msg = data::pending_message(
                client,
                envelope,
                body,
                &shared.config.server.hostname,
                SystemTime::now(),
            );
            let committed = committer.commit(msg);
            match &committed {
                Ok(id) => tracing::info!(
                    queue_id = %id,
                    client = %peer,
                    from = %from.map(|m| m.to_string()).unwrap_or_default(),
                    rcpts,
                    size,
                    tls = client.tls.is_some(),
                    user = client.auth_user.as_deref().unwrap_or(""),
                    "queued"
                ),
                Err(e) => tracing::error!(client = %peer, "not queued: {e}"),
            }
            data::verdict(&committed)
        }
        Event::Auth {
            authzid,
            username,
            password,
            ..
        } => {
            let verdict = auth::verdict(shared.users.as_ref(), &authzid, &username, &password);
            match &verdict {
                Verdict::Accept => {
                    tracing::info!(client = %peer, user = %username, "authenticated");
                    client.auth_user = Some(username);
                }
                _ => tracing::info!(client = %peer, user = %username, "authentication failed"),
            }
            verdict
        }
    }
}
