//! The server side of an SMTP session as a state machine: bytes in, [`Action`]s out.
//!
//! The driver calls [`ServerSession::feed`] with whatever it read, then [`ServerSession::poll`]
//! until it returns `None`, sending each reply and answering each [`Event`] with
//! [`ServerSession::decide`]. While an event is unanswered the session processes no further
//! input, which keeps pipelined commands strictly in order (RFC 2920) even when a decision
//! takes time (a filter, an fsync).

use std::collections::VecDeque;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::address::{ForwardPath, Mailbox, ReversePath};
use super::command::{Command, MailParams, command};
use super::data::{DataDecoder, DataError};
use super::error::ProtoError;
use super::event::{Action, AuthMechanism, Envelope, Event, SessionConfig, Verdict};
use super::reply::Reply;

/// RFC 5321 4.5.3.1.4: a command line is at most 512 octets with its CRLF.
const MAX_COMMAND_LINE: usize = 512;
/// RFC 4954 4: AUTH lines and SASL responses may be up to 12288 octets.
const MAX_AUTH_LINE: usize = 12288;

#[derive(Debug)]
struct Transaction {
    from: ReversePath,
    params: MailParams,
    rcpts: Vec<ForwardPath>,
    /// BDAT was used: DATA is no longer allowed in this transaction (RFC 3030 2).
    chunking: bool,
    chunks: Vec<u8>,
}

#[derive(Debug)]
enum Mode {
    Command,
    Data(DataDecoder),
    /// Reading a BDAT chunk. `failure` is the reply owed once the chunk has been read (bytes
    /// of a refused chunk must still be consumed, or they would be read as commands).
    Bdat {
        remaining: u64,
        last: bool,
        failure: Option<Reply>,
    },
    Auth(AuthStep),
}

#[derive(Debug)]
enum AuthStep {
    Plain,
    LoginUser,
    LoginPassword { username: String },
}

/// What an outstanding event was about, so `decide` knows what to update.
#[derive(Debug)]
enum Pending {
    Helo {
        name: String,
        extended: bool,
    },
    Mail {
        from: ReversePath,
        params: MailParams,
    },
    Rcpt {
        to: ForwardPath,
    },
    Message,
    Auth {
        username: String,
    },
    TlsHandshake,
}

#[derive(Debug)]
pub struct ServerSession {
    config: SessionConfig,
    inbuf: Vec<u8>,
    /// Start of the unprocessed input in `inbuf`; consumed bytes are dropped on the next feed.
    pos: usize,
    out: VecDeque<Action>,
    mode: Mode,
    pending: Option<Pending>,
    /// Inside an over-long command line: drop bytes until its LF, then answer 500.
    discarding: bool,
    helo: Option<String>,
    esmtp: bool,
    tls_active: bool,
    auth_user: Option<String>,
    tx: Option<Transaction>,
    bad_commands: u32,
    closed: bool,
}

impl ServerSession {
    /// A new session; its first action is the 220 greeting.
    pub fn new(config: SessionConfig) -> Self {
        let greeting = Reply::plain(220, vec![format!("{} ESMTP stackmail", config.hostname)]);
        let mut out = VecDeque::new();
        out.push_back(Action::Send(greeting));
        ServerSession {
            config,
            inbuf: Vec::new(),
            pos: 0,
            out,
            mode: Mode::Command,
            pending: None,
            discarding: false,
            helo: None,
            esmtp: false,
            tls_active: false,
            auth_user: None,
            tx: None,
            bad_commands: 0,
            closed: false,
        }
    }

    pub fn helo(&self) -> Option<&str> {
        self.helo.as_deref()
    }

    pub fn auth_user(&self) -> Option<&str> {
        self.auth_user.as_deref()
    }

    pub fn tls_active(&self) -> bool {
        self.tls_active
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Bytes held in the input buffer (processed or not); bounded for command lines.
    pub fn buffered(&self) -> usize {
        self.inbuf.len()
    }

    /// True while the session is reading message data: the driver applies the data timeout
    /// instead of the command timeout (RFC 5321 4.5.3.2).
    pub fn in_data(&self) -> bool {
        matches!(self.mode, Mode::Data(_) | Mode::Bdat { .. })
    }

    /// Adds bytes read from the client.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.closed {
            return;
        }
        if self.pos > 0 {
            self.inbuf.drain(..self.pos);
            self.pos = 0;
        }
        self.inbuf.extend_from_slice(bytes);
    }

    /// The next action, or `None` when more input (or a decision) is needed.
    pub fn poll(&mut self) -> Option<Action> {
        loop {
            if let Some(action) = self.out.pop_front() {
                return Some(action);
            }
            if self.closed || self.pending.is_some() || !self.step() {
                return None;
            }
        }
    }

    /// Ends the session with `reply` (a timeout's 421 4.4.2, a shutdown's 421 4.3.2).
    pub fn close_with(&mut self, reply: Reply) {
        self.out.push_back(Action::Send(reply));
        self.close();
    }

    /// The TLS handshake after STARTTLS succeeded. RFC 3207 4.2: forget everything learnt
    /// in plaintext, so the client must EHLO again.
    pub fn tls_established(&mut self) {
        if !matches!(self.pending, Some(Pending::TlsHandshake)) {
            return;
        }
        self.pending = None;
        self.tls_active = true;
        self.helo = None;
        self.esmtp = false;
        self.auth_user = None;
        self.tx = None;
        self.mode = Mode::Command;
        self.inbuf.clear();
        self.pos = 0;
    }

    /// Answers the outstanding [`Event`]. A verdict with nothing outstanding is ignored.
    pub fn decide(&mut self, verdict: Verdict) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        let (accepted, custom) = match verdict {
            Verdict::Accept => (true, None),
            Verdict::AcceptWith(r) => (true, Some(r)),
            Verdict::Reject(r) => (false, Some(r)),
        };
        let standard = match pending {
            Pending::TlsHandshake => {
                self.pending = Some(Pending::TlsHandshake);
                return;
            }
            Pending::Helo { name, extended } => {
                if accepted {
                    self.helo = Some(name.clone());
                    self.esmtp = extended;
                    self.tx = None;
                }
                self.helo_reply(&name, extended)
            }
            Pending::Mail { from, params } => {
                if accepted {
                    self.tx = Some(Transaction {
                        from,
                        params,
                        rcpts: Vec::new(),
                        chunking: false,
                        chunks: Vec::new(),
                    });
                }
                Reply::new(250, (2, 1, 0), "Ok")
            }
            Pending::Rcpt { to } => {
                if let (true, Some(tx)) = (accepted, self.tx.as_mut()) {
                    tx.rcpts.push(to);
                }
                Reply::new(250, (2, 1, 5), "Ok")
            }
            Pending::Message => {
                // Accepted or not, the transaction is over (RFC 5321 4.1.1.4).
                self.tx = None;
                Reply::new(250, (2, 0, 0), "Ok")
            }
            Pending::Auth { username } => {
                if accepted {
                    self.auth_user = Some(username);
                } else {
                    // Failed logins count as errors, so password guessing on one connection
                    // ends at the bad-command limit.
                    let reply = custom
                        .unwrap_or_else(|| Reply::new(535, (5, 7, 8), "Authentication failed"));
                    self.send(reply);
                    self.count_error();
                    return;
                }
                Reply::new(235, (2, 7, 0), "Authentication successful")
            }
        };
        self.send(custom.unwrap_or(standard));
    }

    fn send(&mut self, reply: Reply) {
        self.out.push_back(Action::Send(reply));
    }

    fn close(&mut self) {
        self.out.push_back(Action::Close);
        self.closed = true;
        self.inbuf = Vec::new();
        self.pos = 0;
    }

    fn event(&mut self, pending: Pending, event: Event) {
        self.pending = Some(pending);
        self.out.push_back(Action::Event(event));
    }

    /// Replies to a client error and counts it; too many end the session.
    fn client_error(&mut self, e: ProtoError) {
        self.send(e.reply());
        self.count_error();
    }

    fn count_error(&mut self) {
        self.bad_commands += 1;
        self.check_error_limit();
    }

    /// Closes the session (421) once it has made too many errors.
    fn check_error_limit(&mut self) {
        if self.bad_commands >= self.config.max_bad_commands {
            self.close_with(Reply::new(
                421,
                (4, 7, 0),
                format!("{} Error: too many errors", self.config.hostname),
            ));
        }
    }

    /// Processes one unit of input; false if more input is needed first.
    fn step(&mut self) -> bool {
        match self.mode {
            Mode::Command | Mode::Auth(_) => self.step_line(),
            Mode::Data(_) => self.step_data(),
            Mode::Bdat { .. } => self.step_bdat(),
        }
    }

    fn step_line(&mut self) -> bool {
        let input = &self.inbuf[self.pos..];
        let limit =
            if matches!(self.mode, Mode::Auth(_)) || starts_with_ignore_case(input, b"AUTH ") {
                MAX_AUTH_LINE
            } else {
                MAX_COMMAND_LINE
            };
        let Some(lf) = input.iter().position(|&b| b == b'\n') else {
            if input.len() > limit {
                // Keep memory bounded: drop the line now, answer when it ends.
                self.discarding = true;
                self.pos = self.inbuf.len();
            }
            return false;
        };
        let line_end = self.pos + lf;
        let mut line = &self.inbuf[self.pos..line_end];
        self.pos = line_end + 1;
        // A line that fails here ends a SASL exchange too: the client takes the error for
        // the end of AUTH, so its next line is a command again.
        let mode = std::mem::replace(&mut self.mode, Mode::Command);
        if std::mem::take(&mut self.discarding) || lf + 1 > limit {
            self.client_error(ProtoError::CommandLineTooLong);
            return true;
        }
        match line.strip_suffix(b"\r") {
            Some(l) => line = l,
            None => {
                self.client_error(ProtoError::BareNewline);
                return true;
            }
        }
        if line.contains(&b'\r') {
            self.client_error(ProtoError::BareNewline);
            return true;
        }
        let Ok(line) = std::str::from_utf8(line) else {
            self.client_error(ProtoError::InvalidUtf8);
            return true;
        };
        let line = line.to_string();
        match mode {
            Mode::Auth(step) => self.auth_response(step, &line),
            _ => match command(&line) {
                Ok(cmd) => self.command(cmd),
                Err(e) => self.client_error(e),
            },
        }
        true
    }

    fn step_data(&mut self) -> bool {
        let Mode::Data(decoder) = &mut self.mode else {
            return false;
        };
        let (used, end) = decoder.feed(&self.inbuf[self.pos..]);
        self.pos += used;
        let Some(end) = end else { return false };
        self.mode = Mode::Command;
        match end {
            Ok(body) => self.message(body),
            Err(e) => {
                self.tx = None;
                self.send(data_error_reply(e));
            }
        }
        true
    }

    fn step_bdat(&mut self) -> bool {
        let Mode::Bdat {
            remaining,
            last,
            failure,
        } = &mut self.mode
        else {
            return false;
        };
        let available = (self.inbuf.len() - self.pos) as u64;
        let take = (*remaining).min(available) as usize;
        let chunk = &self.inbuf[self.pos..self.pos + take];
        self.pos += take;
        *remaining -= take as u64;
        if failure.is_none()
            && let Some(tx) = self.tx.as_mut()
        {
            if tx.chunks.len() + chunk.len() > self.config.max_message_size {
                *failure = Some(data_error_reply(DataError::TooBig));
                tx.chunks = Vec::new();
            } else {
                tx.chunks.extend_from_slice(chunk);
            }
        }
        if *remaining > 0 {
            return false;
        }
        let (last, failure) = (*last, failure.take());
        self.mode = Mode::Command;
        match failure {
            Some(reply) => {
                // RFC 3030 2: after a failed chunk the transaction is void.
                if self.tx.as_ref().is_some_and(|tx| tx.chunking) {
                    self.tx = None;
                }
                self.send(reply);
                // A BDAT out of sequence was counted when it came; its reply is out now.
                self.check_error_limit();
            }
            None if last => {
                let body = self
                    .tx
                    .as_mut()
                    .map(|tx| std::mem::take(&mut tx.chunks))
                    .unwrap_or_default();
                self.message(body);
            }
            None => {
                let size = self.tx.as_ref().map_or(0, |tx| tx.chunks.len());
                self.send(Reply::new(
                    250,
                    (2, 0, 0),
                    format!("Ok: {size} octets received"),
                ));
            }
        }
        true
    }

    fn message(&mut self, body: Vec<u8>) {
        let Some(tx) = self.tx.as_ref() else { return };
        let envelope = Envelope {
            helo: self.helo.clone().unwrap_or_default(),
            from: tx.from.clone(),
            params: tx.params.clone(),
            rcpts: tx.rcpts.clone(),
        };
        self.event(Pending::Message, Event::Message { envelope, body });
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Ehlo(name) => self.event(
                Pending::Helo {
                    name: name.clone(),
                    extended: true,
                },
                Event::Helo {
                    name,
                    extended: true,
                },
            ),
            Command::Helo(name) => self.event(
                Pending::Helo {
                    name: name.clone(),
                    extended: false,
                },
                Event::Helo {
                    name,
                    extended: false,
                },
            ),
            Command::Mail { from, params } => self.mail(from, params),
            Command::Rcpt { to, .. } => self.rcpt(to),
            Command::Data => match &self.tx {
                None => self.client_error(ProtoError::BadSequence("need MAIL command")),
                Some(tx) if tx.rcpts.is_empty() => {
                    self.client_error(ProtoError::BadSequence("need RCPT command"))
                }
                Some(tx) if tx.chunking => {
                    self.client_error(ProtoError::BadSequence("DATA after BDAT"))
                }
                Some(_) => {
                    self.send(Reply::plain(
                        354,
                        vec!["End data with <CR><LF>.<CR><LF>".into()],
                    ));
                    let decoder =
                        DataDecoder::new(self.config.max_message_size, self.config.max_data_line);
                    self.mode = Mode::Data(decoder);
                }
            },
            Command::Bdat { size, last } => {
                let failure = match self.tx.as_mut() {
                    None => Some(ProtoError::BadSequence("need MAIL command").reply()),
                    Some(tx) if tx.rcpts.is_empty() => {
                        Some(ProtoError::BadSequence("need RCPT command").reply())
                    }
                    Some(tx) => {
                        tx.chunking = true;
                        None
                    }
                };
                if failure.is_some() {
                    self.bad_commands += 1;
                }
                self.mode = Mode::Bdat {
                    remaining: size,
                    last,
                    failure,
                };
            }
            Command::Rset => {
                self.tx = None;
                self.send(Reply::new(250, (2, 0, 0), "Ok"));
            }
            Command::Noop => self.send(Reply::new(250, (2, 0, 0), "Ok")),
            Command::Help => self.send(Reply::new(214, (2, 0, 0), "See RFC 5321")),
            // RFC 5321 3.5.3: 252 neither confirms nor denies, so it leaks no user list.
            Command::Vrfy(_) => self.send(Reply::new(
                252,
                (2, 5, 2),
                "Cannot VRFY user, but will accept message and attempt delivery",
            )),
            Command::Quit => {
                self.send(Reply::new(221, (2, 0, 0), "Bye"));
                self.close();
            }
            Command::StartTls => self.starttls(),
            Command::Auth { mechanism, initial } => self.auth(&mechanism, initial.as_deref()),
        }
    }

    fn helo_reply(&self, name: &str, extended: bool) -> Reply {
        let host = &self.config.hostname;
        if !extended {
            return Reply::plain(250, vec![host.clone()]);
        }
        let mut lines = vec![
            format!("{host} greets {name}"),
            "PIPELINING".into(),
            format!("SIZE {}", self.config.max_message_size),
            "8BITMIME".into(),
            "SMTPUTF8".into(),
            "ENHANCEDSTATUSCODES".into(),
            "CHUNKING".into(),
        ];
        if self.config.tls_available && !self.tls_active {
            lines.push("STARTTLS".into());
        }
        if self.auth_offered() {
            lines.push("AUTH PLAIN LOGIN".into());
        }
        Reply::plain(250, lines)
    }

    fn auth_offered(&self) -> bool {
        self.config.auth_available
            && (self.tls_active || self.config.auth_without_tls)
            && self.auth_user.is_none()
    }

    fn mail(&mut self, from: ReversePath, params: MailParams) {
        if self.helo.is_none() {
            return self.client_error(ProtoError::BadSequence("send HELO/EHLO first"));
        }
        if self.tx.is_some() {
            return self.client_error(ProtoError::BadSequence("nested MAIL command"));
        }
        if params
            .size
            .is_some_and(|s| s > self.config.max_message_size as u64)
        {
            return self.send(Reply::new(
                552,
                (5, 3, 4),
                "Message size exceeds fixed limit",
            ));
        }
        if !params.smtputf8 && from.as_ref().is_some_and(Mailbox::is_utf8) {
            return self.send(Reply::new(
                553,
                (5, 6, 7),
                "Non-ASCII address requires SMTPUTF8",
            ));
        }
        self.event(
            Pending::Mail {
                from: from.clone(),
                params: params.clone(),
            },
            Event::Mail { from, params },
        );
    }

    fn rcpt(&mut self, to: ForwardPath) {
        let Some(tx) = &self.tx else {
            return self.client_error(ProtoError::BadSequence("need MAIL command"));
        };
        if tx.rcpts.len() >= self.config.max_recipients {
            return self.send(Reply::new(452, (4, 5, 3), "Error: too many recipients"));
        }
        if let ForwardPath::Mailbox(m) = &to
            && !tx.params.smtputf8
            && m.is_utf8()
        {
            return self.send(Reply::new(
                553,
                (5, 6, 7),
                "Non-ASCII address requires SMTPUTF8",
            ));
        }
        self.event(Pending::Rcpt { to: to.clone() }, Event::Rcpt { to });
    }

    fn starttls(&mut self) {
        if self.tls_active {
            return self.client_error(ProtoError::BadSequence("TLS already active"));
        }
        if !self.config.tls_available {
            return self.send(Reply::new(454, (4, 7, 0), "TLS not available"));
        }
        self.send(Reply::new(220, (2, 0, 0), "Ready to start TLS"));
        // Anything pipelined after STARTTLS arrived in plaintext and must not be executed
        // inside the TLS session (CVE-2011-0411, the STARTTLS command injection).
        self.inbuf.clear();
        self.pos = 0;
        self.pending = Some(Pending::TlsHandshake);
        self.out.push_back(Action::StartTls);
    }

    fn auth(&mut self, mechanism: &str, initial: Option<&str>) {
        if !self.auth_offered() {
            let why = if self.auth_user.is_some() {
                "already authenticated"
            } else {
                "authentication not enabled"
            };
            return self.client_error(ProtoError::BadSequence(why));
        }
        if self.helo.is_none() {
            return self.client_error(ProtoError::BadSequence("send EHLO first"));
        }
        if self.tx.is_some() {
            return self.client_error(ProtoError::BadSequence(
                "AUTH not allowed in a mail transaction",
            ));
        }
        match (mechanism, initial) {
            ("PLAIN", Some(resp)) => self.auth_response(AuthStep::Plain, resp),
            ("PLAIN", None) => {
                self.send(Reply::plain(334, vec![String::new()]));
                self.mode = Mode::Auth(AuthStep::Plain);
            }
            ("LOGIN", Some(resp)) => self.auth_response(AuthStep::LoginUser, resp),
            ("LOGIN", None) => {
                self.send(Reply::plain(334, vec![BASE64.encode("Username:")]));
                self.mode = Mode::Auth(AuthStep::LoginUser);
            }
            _ => self.send(Reply::new(
                504,
                (5, 5, 4),
                "Unrecognized authentication type",
            )),
        }
    }

    /// One SASL response line (RFC 4954 4): base64, "=" for empty, "*" to cancel.
    fn auth_response(&mut self, step: AuthStep, line: &str) {
        if line == "*" {
            return self.send(Reply::new(501, (5, 0, 0), "Authentication cancelled"));
        }
        let decoded = if line == "=" {
            Ok(Vec::new())
        } else {
            BASE64.decode(line)
        };
        let Ok(decoded) = decoded else {
            return self.client_error(ProtoError::SyntaxInParameters(
                "invalid base64 in AUTH response",
            ));
        };
        let Ok(text) = String::from_utf8(decoded) else {
            return self.client_error(ProtoError::SyntaxInParameters("AUTH response is not UTF-8"));
        };
        match step {
            AuthStep::Plain => {
                // RFC 4616: [authzid] NUL authcid NUL passwd
                let mut parts = text.splitn(3, '\0');
                let (Some(authzid), Some(username), Some(password)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return self
                        .client_error(ProtoError::SyntaxInParameters("malformed PLAIN response"));
                };
                self.auth_event(
                    AuthMechanism::Plain,
                    authzid.into(),
                    username.into(),
                    password.into(),
                );
            }
            AuthStep::LoginUser => {
                self.send(Reply::plain(334, vec![BASE64.encode("Password:")]));
                self.mode = Mode::Auth(AuthStep::LoginPassword { username: text });
            }
            AuthStep::LoginPassword { username } => {
                self.auth_event(AuthMechanism::Login, String::new(), username, text);
            }
        }
    }

    fn auth_event(
        &mut self,
        mechanism: AuthMechanism,
        authzid: String,
        username: String,
        password: String,
    ) {
        self.event(
            Pending::Auth {
                username: username.clone(),
            },
            Event::Auth {
                mechanism,
                authzid,
                username,
                password,
            },
        );
    }
}

fn data_error_reply(e: DataError) -> Reply {
    match e {
        DataError::BareNewline => Reply::new(550, (5, 5, 2), format!("Message refused: {e}")),
        DataError::LineTooLong => Reply::new(500, (5, 5, 2), format!("Message refused: {e}")),
        DataError::TooBig => Reply::new(552, (5, 3, 4), "Message size exceeds fixed limit"),
    }
}

fn starts_with_ignore_case(input: &[u8], prefix: &[u8]) -> bool {
    input
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}
