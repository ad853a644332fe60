//! `stackmail filter test`: a transaction played through a pipeline without a server.
//!
//! [`play`] hands the stages one event per SMTP phase, in the order a session would (connect,
//! helo, mail, one rcpt per recipient, data, then queue as after spooling), and follows SMTP
//! semantics between them: a reject or tempfail before RCPT ends the transaction, a refused or
//! discarded recipient is left out of the envelope, no recipient left means no DATA, and a
//! message refused, discarded or quarantined at data is not queued. Envelope and message
//! edits carry forward. [`Report`] holds the verdicts and the result; [`line_diff`] and
//! [`Report::human`] / [`Report::json`] render it.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::rc::Rc;

use super::event::{Client, EventState, Phase, Verdict};
use super::message::shared_message;
use super::pipeline::{LoadError, Pipeline};
use crate::config::FilterConfig;

/// The recipient when none is given.
pub const DEFAULT_RCPT: &str = "postmaster@localhost";

/// The SMTP side of an offline run.
#[derive(Debug, Clone)]
pub struct Transaction {
    pub client_ip: IpAddr,
    /// The EHLO argument.
    pub helo: String,
    /// The MAIL FROM address; None: the message's From address, else the null sender.
    pub mail_from: Option<String>,
    /// One RCPT TO each, in order; empty: [`DEFAULT_RCPT`].
    pub rcpts: Vec<String>,
}

impl Default for Transaction {
    fn default() -> Transaction {
        Transaction {
            client_ip: IpAddr::from([127, 0, 0, 1]),
            helo: "localhost".into(),
            mail_from: None,
            rcpts: Vec::new(),
        }
    }
}

/// What one event got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub phase: Phase,
    /// At phase rcpt, the recipient as the client gave it.
    pub rcpt: Option<String>,
    pub verdict: Verdict,
}

/// The outcome of an offline run.
#[derive(Debug, Clone)]
pub struct Report {
    /// One per event handed to the pipeline, in order.
    pub steps: Vec<Step>,
    /// The reverse-path used.
    pub mail_from: String,
    /// The recipients the client gave (after the default).
    pub given_rcpts: Vec<String>,
    /// The envelope's recipients at the end (accepted ones, after edits).
    pub rcpts: Vec<String>,
    /// Whether a kept event edited the envelope.
    pub envelope_edited: bool,
    /// The message as read.
    pub input: Vec<u8>,
    /// The message after the stages, in the input's line-ending style.
    pub output: Vec<u8>,
}

/// Loads the stages (on this thread's stack) and plays `tx` with `message` through them in a
/// native tasklet. Call it outside any tasklet.
pub fn run(
    filters: &[FilterConfig],
    tx: &Transaction,
    message: Vec<u8>,
) -> Result<Report, LoadError> {
    let pipeline = Pipeline::load(filters)?;
    let tx = tx.clone();
    let h = crate::rt::spawn(move || play(&pipeline, &tx, message));
    crate::rt::run();
    h.join().map_err(|_| LoadError {
        script: "stackmail filter test".into(),
        message: "the pipeline did not finish".into(),
    })
}

/// Plays the transaction through `pipeline`; call it from a native tasklet.
pub fn play(pipeline: &Pipeline, tx: &Transaction, input: Vec<u8>) -> Report {
    let lf_style = !contains(&input, b"\r\n");
    let wire = to_crlf(&input);
    let mail_from = tx
        .mail_from
        .clone()
        .unwrap_or_else(|| from_address(&wire).unwrap_or_default());
    let given_rcpts = if tx.rcpts.is_empty() {
        vec![DEFAULT_RCPT.to_string()]
    } else {
        tx.rcpts.clone()
    };
    let mut client = Client {
        ip: tx.client_ip,
        port: 49152,
        helo: None,
        tls: false,
        auth_user: None,
    };
    let mut steps = Vec::new();
    let msg = shared_message(wire);
    let report = |steps: Vec<Step>, rcpts: Vec<String>, edited: bool| {
        let mut output = msg.borrow().raw().to_vec();
        if lf_style {
            output = to_lf(&output);
        }
        Report {
            steps,
            mail_from: mail_from.clone(),
            given_rcpts: given_rcpts.clone(),
            rcpts,
            envelope_edited: edited,
            input: input.clone(),
            output,
        }
    };
    let step = |steps: &mut Vec<Step>, state: &Rc<RefCell<EventState>>| -> Verdict {
        let verdict = pipeline.process(state);
        let s = state.borrow();
        steps.push(Step {
            phase: s.phase,
            rcpt: (s.phase == Phase::Rcpt).then(|| s.rcpt.clone()).flatten(),
            verdict: verdict.clone(),
        });
        verdict
    };
    let refused = |v: &Verdict| matches!(v, Verdict::Reject { .. } | Verdict::Tempfail { .. });

    for phase in [Phase::Connect, Phase::Helo, Phase::Mail] {
        if phase == Phase::Helo {
            client.helo = Some(tx.helo.clone());
        }
        let mut s = EventState::new(phase, client.clone());
        if phase == Phase::Mail {
            s.mail_from = Some(mail_from.clone());
        }
        if refused(&step(&mut steps, &s.shared())) {
            return report(steps, Vec::new(), false);
        }
    }

    let mut accepted: Vec<String> = Vec::new();
    let mut edited = false;
    for r in &given_rcpts {
        let mut s = EventState::new(Phase::Rcpt, client.clone());
        s.mail_from = Some(mail_from.clone());
        s.rcpt = Some(r.clone());
        s.rcpts = accepted.clone();
        s.rcpts.push(r.clone());
        let state = s.shared();
        // With the original recipient in the step, whatever a stage redirected it to.
        let v = step(&mut steps, &state);
        if let Some(last) = steps.last_mut() {
            last.rcpt = Some(r.clone());
        }
        if !refused(&v) && v != Verdict::Discard {
            let s = state.borrow();
            accepted = s.rcpts.clone();
            edited |= !s.edits.is_empty();
        }
    }
    if accepted.is_empty() {
        return report(steps, accepted, edited);
    }

    for phase in [Phase::Data, Phase::Queue] {
        let mut s = EventState::new(phase, client.clone());
        s.mail_from = Some(mail_from.clone());
        s.rcpts = accepted.clone();
        s.message = Some(msg.clone());
        if phase == Phase::Queue {
            s.queue_id =
                Some(crate::queue::QueueId::generate(std::time::SystemTime::now()).to_string());
        }
        let state = s.shared();
        let v = step(&mut steps, &state);
        if matches!(v, Verdict::Continue | Verdict::Accept) {
            let s = state.borrow();
            accepted = s.rcpts.clone();
            edited |= !s.edits.is_empty();
        } else {
            // Refused, discarded or quarantined: no recipient gets it, and it is not queued.
            accepted.clear();
            break;
        }
    }
    report(steps, accepted, edited)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Bare LF line ends become CRLF, as SMTP DATA carries them.
pub fn to_crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    for (i, &b) in raw.iter().enumerate() {
        if b == b'\n' && (i == 0 || raw[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// CRLF line ends become LF.
pub fn to_lf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, &b) in raw.iter().enumerate() {
        if b == b'\r' && raw.get(i + 1) == Some(&b'\n') {
            continue;
        }
        out.push(b);
    }
    out
}

/// The address of the message's From header: inside `<...>` when there are brackets.
fn from_address(raw: &[u8]) -> Option<String> {
    let from = crate::mail::Message::new(raw.to_vec()).header("From")?;
    let addr = match (from.rfind('<'), from.rfind('>')) {
        (Some(a), Some(b)) if a < b => &from[a + 1..b],
        _ => from.split_whitespace().next().unwrap_or(""),
    };
    let addr = addr.trim();
    (!addr.is_empty()).then(|| addr.to_string())
}

// ---- rendering ----

impl Step {
    /// `rcpt <bob@example.com>: reject 550 5.1.1 No such user`, `data: continue`.
    pub fn line(&self) -> String {
        match &self.rcpt {
            Some(r) => format!("{} <{r}>: {}", self.phase, self.verdict),
            None => format!("{}: {}", self.phase, self.verdict),
        }
    }
}

impl Report {
    /// Whether the stages changed the message bytes.
    pub fn message_changed(&self) -> bool {
        self.input != self.output
    }

    /// The human output: one line per event, then a diff of the headers and of the body when
    /// the message changed, then the envelope when recipients were edited.
    pub fn human(&self) -> String {
        let mut out = String::new();
        for s in &self.steps {
            out.push_str(&s.line());
            out.push('\n');
        }
        if self.message_changed() {
            let before = String::from_utf8_lossy(&self.input);
            let after = String::from_utf8_lossy(&self.output);
            let (bh, bb) = split_lines(&before);
            let (ah, ab) = split_lines(&after);
            if bh != ah {
                out.push_str("--- headers (input)\n+++ headers (result)\n");
                out.push_str(&line_diff(&bh, &ah, 1, 1));
            }
            if bb != ab {
                out.push_str("--- body (input)\n+++ body (result)\n");
                out.push_str(&line_diff(&bb, &ab, bh.len() + 2, ah.len() + 2));
            }
        }
        if self.envelope_edited {
            let _ = writeln!(
                out,
                "envelope: MAIL FROM:<{}> RCPT TO:{}",
                self.mail_from,
                self.rcpts
                    .iter()
                    .map(|r| format!("<{r}>"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        out
    }

    /// One JSON object: `{"verdicts": [...], "message": "...", ...}`.
    pub fn json(&self) -> String {
        let mut out = String::from("{\"verdicts\": [");
        for (i, s) in self.steps.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{{\"phase\": {}", json_str(s.phase.as_str()));
            if let Some(r) = &s.rcpt {
                let _ = write!(out, ", \"rcpt\": {}", json_str(r));
            }
            let _ = write!(out, ", \"verdict\": {}", json_str(s.verdict.name()));
            let (code, text) = match &s.verdict {
                Verdict::Reject { code, text } | Verdict::Tempfail { code, text } => {
                    (code.to_string(), json_str(text))
                }
                Verdict::Quarantine { reason } => ("null".into(), json_str(reason)),
                _ => ("null".into(), "null".into()),
            };
            let _ = write!(out, ", \"code\": {code}, \"text\": {text}}}");
        }
        let rcpts: Vec<String> = self.rcpts.iter().map(|r| json_str(r)).collect();
        let _ = write!(
            out,
            "], \"mail_from\": {}, \"rcpts\": [{}], \"message_changed\": {}, \"message\": {}}}",
            json_str(&self.mail_from),
            rcpts.join(", "),
            self.message_changed(),
            json_str(&String::from_utf8_lossy(&self.output))
        );
        out
    }
}

/// A JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The header lines (up to the blank line) and the body lines, without line ends.
fn split_lines(text: &str) -> (Vec<&str>, Vec<&str>) {
    let lines: Vec<&str> = text
        .split_inclusive('\n')
        .map(|l| l.trim_end_matches('\n').trim_end_matches('\r'))
        .collect();
    match lines.iter().position(|l| l.is_empty()) {
        Some(i) => (lines[..i].to_vec(), lines[i + 1..].to_vec()),
        None => (lines, Vec::new()),
    }
}

/// One line of an edit script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffOp {
    Same(usize, usize),
    Removed(usize),
    Added(usize),
}

/// The LCS table's size limit (16 MB): beyond it the changed middle is shown replaced whole.
const MAX_LCS_CELLS: usize = 4 << 20;

/// The shortest edit script from `a` to `b`, over a longest common subsequence.
pub fn diff_ops(a: &[&str], b: &[&str]) -> Vec<DiffOp> {
    // Common head and tail first: edits are mostly local, so the table stays small.
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let (n, m) = (ma.len(), mb.len());
    let mut ops: Vec<DiffOp> = (0..head).map(|i| DiffOp::Same(i, i)).collect();
    if (n + 1).saturating_mul(m + 1) > MAX_LCS_CELLS {
        // Too far apart to match line by line in bounded memory: the middle is replaced.
        ops.extend((head..head + n).map(DiffOp::Removed));
        ops.extend((head..head + m).map(DiffOp::Added));
        ops.extend((0..tail).map(|k| DiffOp::Same(a.len() - tail + k, b.len() - tail + k)));
        return ops;
    }
    // lcs[i][j]: the LCS length of ma[i..] and mb[j..].
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[at(i, j)] = if ma[i] == mb[j] {
                lcs[at(i + 1, j + 1)] + 1
            } else {
                lcs[at(i + 1, j)].max(lcs[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && ma[i] == mb[j] {
            ops.push(DiffOp::Same(head + i, head + j));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[at(i, j + 1)] >= lcs[at(i + 1, j)]) {
            ops.push(DiffOp::Added(head + j));
            j += 1;
        } else {
            ops.push(DiffOp::Removed(head + i));
            i += 1;
        }
    }
    ops.extend((0..tail).map(|k| DiffOp::Same(a.len() - tail + k, b.len() - tail + k)));
    // Within a change, removals read better before additions.
    let mut k = 0;
    while k < ops.len() {
        if matches!(ops[k], DiffOp::Same(..)) {
            k += 1;
            continue;
        }
        let end = ops[k..]
            .iter()
            .position(|o| matches!(o, DiffOp::Same(..)))
            .map_or(ops.len(), |e| k + e);
        ops[k..end].sort_by_key(|o| matches!(o, DiffOp::Added(_)));
        k = end;
    }
    ops
}

/// Lines of context around a change.
const CONTEXT: usize = 3;

/// Unified-diff hunks (`@@ -l,n +l,n @@`, then ` `, `-`, `+` lines) from `a` to `b`, whose
/// first lines are numbered `a_first` and `b_first`; empty when they are equal.
pub fn line_diff(a: &[&str], b: &[&str], a_first: usize, b_first: usize) -> String {
    let ops = diff_ops(a, b);
    let changed: Vec<usize> = (0..ops.len())
        .filter(|&k| !matches!(ops[k], DiffOp::Same(..)))
        .collect();
    let mut out = String::new();
    let mut k = 0;
    while k < changed.len() {
        // A hunk: changes whose context overlaps.
        let start = changed[k].saturating_sub(CONTEXT);
        let mut last = changed[k];
        while k + 1 < changed.len() && changed[k + 1] <= last + 2 * CONTEXT + 1 {
            k += 1;
            last = changed[k];
        }
        let end = (last + CONTEXT + 1).min(ops.len());
        let hunk = &ops[start..end];
        let (mut a_start, mut b_start) = (None, None);
        let (mut a_len, mut b_len) = (0, 0);
        let mut body = String::new();
        for op in hunk {
            match *op {
                DiffOp::Same(i, j) => {
                    a_start.get_or_insert(i);
                    b_start.get_or_insert(j);
                    a_len += 1;
                    b_len += 1;
                    let _ = writeln!(body, " {}", a[i]);
                }
                DiffOp::Removed(i) => {
                    a_start.get_or_insert(i);
                    a_len += 1;
                    let _ = writeln!(body, "-{}", a[i]);
                }
                DiffOp::Added(j) => {
                    b_start.get_or_insert(j);
                    b_len += 1;
                    let _ = writeln!(body, "+{}", b[j]);
                }
            }
        }
        // A side with no line in the hunk is empty (there would be context otherwise): it
        // is numbered by the line before it, as `diff -u` does.
        let a_pos = a_start.map_or(a_first - 1, |s| s + a_first);
        let b_pos = b_start.map_or(b_first - 1, |s| s + b_first);
        let _ = writeln!(
            out,
            "@@ -{} +{} @@",
            range(a_pos, a_len),
            range(b_pos, b_len)
        );
        out.push_str(&body);
        k += 1;
    }
    out
}

fn range(start: usize, len: usize) -> String {
    if len == 1 {
        start.to_string()
    } else {
        format!("{start},{len}")
    }
}

#[cfg(test)]
mod tests;
