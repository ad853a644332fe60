//! A minimal sans-IO SMTP client session: one message to one server, with PIPELINING when
//! offered. It exists to test the server in memory (two sans-IO peers, no socket), and is the
//! seed of the relay delivery client.

use std::collections::VecDeque;

use super::reply::{MalformedReply, Reply};

/// What the client must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientAction {
    Send(Vec<u8>),
    /// The session is over; close the connection.
    Done(Result<ClientOutcome, ClientError>),
}

/// The server's answers for a message it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOutcome {
    pub accepted: Vec<String>,
    pub rejected: Vec<(String, Reply)>,
    /// The reply to the end of data (e.g. `250 2.0.0 Ok: queued as ...`).
    pub reply: Reply,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// The server refused at some step (greeting, EHLO, MAIL, every RCPT, DATA, the data).
    Refused { step: &'static str, reply: Reply },
    /// The server sent something that is not an SMTP reply.
    ServerMisbehaved(MalformedReply),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Greeting,
    Ehlo,
    Mail,
    Rcpt(usize),
    Data,
    EndOfData,
    Quit,
}

#[derive(Debug)]
pub struct ClientSession {
    helo: String,
    from: String,
    rcpts: Vec<String>,
    body: Vec<u8>,
    inbuf: Vec<u8>,
    out: VecDeque<ClientAction>,
    expect: VecDeque<Expect>,
    pipelining: bool,
    accepted: Vec<String>,
    rejected: Vec<(String, Reply)>,
    result: Option<Result<ClientOutcome, ClientError>>,
    done: bool,
}

impl ClientSession {
    /// `body` is the message; bare LF line ends are sent as CRLF.
    pub fn new(helo: &str, from: &str, rcpts: Vec<String>, body: &[u8]) -> Self {
        ClientSession {
            helo: helo.into(),
            from: from.into(),
            rcpts,
            body: body.to_vec(),
            inbuf: Vec::new(),
            out: VecDeque::new(),
            expect: VecDeque::from([Expect::Greeting]),
            pipelining: false,
            accepted: Vec::new(),
            rejected: Vec::new(),
            result: None,
            done: false,
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.inbuf.extend_from_slice(bytes);
    }

    pub fn poll(&mut self) -> Option<ClientAction> {
        loop {
            if let Some(a) = self.out.pop_front() {
                return Some(a);
            }
            if self.done {
                return None;
            }
            match Reply::parse(&self.inbuf) {
                Ok(Some((reply, used))) => {
                    self.inbuf.drain(..used);
                    self.on_reply(reply);
                }
                Ok(None) => return None,
                Err(e) => self.finish(Err(ClientError::ServerMisbehaved(e))),
            }
        }
    }

    fn send(&mut self, bytes: impl Into<Vec<u8>>) {
        self.out.push_back(ClientAction::Send(bytes.into()));
    }

    /// Records the outcome and says goodbye; a refusal mid-transaction still ends politely.
    fn finish(&mut self, result: Result<ClientOutcome, ClientError>) {
        let polite = !matches!(result, Err(ClientError::ServerMisbehaved(_)));
        self.result = Some(result);
        self.expect.clear();
        if polite {
            self.send("QUIT\r\n");
            self.expect.push_back(Expect::Quit);
        } else {
            self.close();
        }
    }

    fn close(&mut self) {
        let result = self
            .result
            .take()
            .unwrap_or(Err(ClientError::ServerMisbehaved(MalformedReply(
                "no result".into(),
            ))));
        self.out.push_back(ClientAction::Done(result));
        self.done = true;
    }

    fn refused(&mut self, step: &'static str, reply: Reply) {
        self.finish(Err(ClientError::Refused { step, reply }));
    }

    fn on_reply(&mut self, reply: Reply) {
        let Some(expect) = self.expect.pop_front() else {
            return self.finish(Err(ClientError::ServerMisbehaved(MalformedReply(
                "unexpected reply".into(),
            ))));
        };
        match expect {
            Expect::Greeting if reply.code == 220 => {
                self.send(format!("EHLO {}\r\n", self.helo));
                self.expect.push_back(Expect::Ehlo);
            }
            Expect::Greeting => self.refused("greeting", reply),
            Expect::Ehlo if reply.code == 250 => {
                self.pipelining = reply
                    .lines
                    .iter()
                    .skip(1)
                    .any(|l| l.eq_ignore_ascii_case("PIPELINING"));
                self.send(format!("MAIL FROM:<{}>\r\n", self.from));
                self.expect.push_back(Expect::Mail);
                if self.pipelining {
                    // RFC 2920: MAIL, every RCPT and DATA go in one write.
                    let mut batch = Vec::new();
                    for (i, r) in self.rcpts.iter().enumerate() {
                        batch.extend_from_slice(format!("RCPT TO:<{r}>\r\n").as_bytes());
                        self.expect.push_back(Expect::Rcpt(i));
                    }
                    batch.extend_from_slice(b"DATA\r\n");
                    self.expect.push_back(Expect::Data);
                    self.send(batch);
                }
            }
            Expect::Ehlo => self.refused("EHLO", reply),
            Expect::Mail if reply.code == 250 => {
                if !self.pipelining {
                    self.next_rcpt(0);
                }
            }
            Expect::Mail => self.refused("MAIL", reply),
            Expect::Rcpt(i) => {
                let rcpt = self.rcpts.get(i).cloned().unwrap_or_default();
                if reply.is_positive() {
                    self.accepted.push(rcpt);
                } else {
                    self.rejected.push((rcpt, reply));
                }
                if !self.pipelining {
                    self.next_rcpt(i + 1);
                }
            }
            Expect::Data if reply.code == 354 => {
                if self.accepted.is_empty() {
                    // Pipelined DATA got through although every RCPT failed: send an empty
                    // message-less end so the server aborts (RFC 2920 3.1).
                    self.send(".\r\n");
                    self.expect.push_back(Expect::EndOfData);
                    return;
                }
                let data = stuff(&self.body);
                self.send(data);
                self.expect.push_back(Expect::EndOfData);
            }
            Expect::Data => {
                let step = if self.accepted.is_empty() {
                    "RCPT"
                } else {
                    "DATA"
                };
                let reply = match (self.accepted.is_empty(), self.rejected.last()) {
                    (true, Some((_, r))) => r.clone(),
                    _ => reply,
                };
                self.refused(step, reply)
            }
            Expect::EndOfData if reply.code == 250 && !self.accepted.is_empty() => {
                let outcome = ClientOutcome {
                    accepted: std::mem::take(&mut self.accepted),
                    rejected: std::mem::take(&mut self.rejected),
                    reply,
                };
                self.finish(Ok(outcome));
            }
            Expect::EndOfData => {
                let reply = match (self.accepted.is_empty(), self.rejected.last()) {
                    (true, Some((_, r))) => r.clone(),
                    _ => reply,
                };
                self.refused("end of data", reply)
            }
            Expect::Quit => self.close(),
        }
    }

    fn next_rcpt(&mut self, i: usize) {
        if let Some(r) = self.rcpts.get(i) {
            let line = format!("RCPT TO:<{r}>\r\n");
            self.send(line);
            self.expect.push_back(Expect::Rcpt(i));
        } else if self.accepted.is_empty() {
            let reply = self
                .rejected
                .last()
                .map(|(_, r)| r.clone())
                .unwrap_or_else(|| Reply::plain(554, vec![]));
            self.refused("RCPT", reply);
        } else {
            self.send("DATA\r\n");
            self.expect.push_back(Expect::Data);
        }
    }
}

/// The DATA stream: every line end (CRLF, or a bare LF or CR) sent as CRLF, leading dots
/// doubled, and the final "." line.
fn stuff(body: &[u8]) -> Vec<u8> {
    let mut lines: Vec<&[u8]> = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < body.len() {
        let b = body.get(i).copied().unwrap_or_default();
        if b == b'\r' || b == b'\n' {
            lines.push(body.get(start..i).unwrap_or_default());
            if b == b'\r' && body.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            start = i + 1;
        }
        i += 1;
    }
    if start < body.len() {
        lines.push(body.get(start..).unwrap_or_default());
    }
    let mut out = Vec::with_capacity(body.len() + lines.len() + 8);
    for line in lines {
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}
