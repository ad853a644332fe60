//! The `Event` a stage receives for each SMTP phase, and what a script decides about it.
//!
//! Rust builds an [`EventState`], shares it as `Rc<RefCell<..>>` and hands scripts a host
//! object over it ([`event_value`]); after the stages ran, Rust reads the [`Verdict`] and the
//! envelope edits back from the same state. The rules a script must follow are checked when
//! it breaks them, with an exception that says what to do instead: one verdict per event,
//! reply codes in the class of the verdict, no reject or tempfail after queueing (the message
//! is already accepted: post-queue stages bounce instead), envelope edits only once there is
//! an envelope to edit.

use std::cell::RefCell;
use std::fmt;
use std::net::IpAddr;
use std::rc::Rc;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::vm::error::{ExcKind, PResult, err, type_err};
use crate::vm::interp::Vm;
use crate::vm::value::{Obj, Value};

use super::message::{SharedMessage, message_value};
use super::{arg_or_kw, class_ref, host_data, opt_str, py_repr, str_arg, str_list};

type Kw = [(Rc<str>, Value)];

const EVENT: &str = "filter.Event";
const CLIENT: &str = "filter.Client";

/// The SMTP phase an event stands for; `Queue` is after the message is in the spool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Phase {
    Connect,
    Helo,
    Mail,
    Rcpt,
    Data,
    Queue,
}

impl Phase {
    /// Every phase, in the order a transaction meets them.
    pub const ALL: [Phase; 6] = [
        Phase::Connect,
        Phase::Helo,
        Phase::Mail,
        Phase::Rcpt,
        Phase::Data,
        Phase::Queue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Connect => "connect",
            Phase::Helo => "helo",
            Phase::Mail => "mail",
            Phase::Rcpt => "rcpt",
            Phase::Data => "data",
            Phase::Queue => "queue",
        }
    }

    /// Before the 250 that queues the message: the client is still there to get a 4xx/5xx.
    pub fn is_pre_queue(self) -> bool {
        self != Phase::Queue
    }

    /// Whether there is a recipient list to edit.
    pub fn has_envelope(self) -> bool {
        matches!(self, Phase::Rcpt | Phase::Data | Phase::Queue)
    }

    /// Whether the event carries the message.
    pub fn has_message(self) -> bool {
        matches!(self, Phase::Data | Phase::Queue)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown phase name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPhase(pub String);

impl fmt::Display for UnknownPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Phase::ALL.iter().map(|p| p.as_str()).collect();
        write!(
            f,
            "unknown phase {:?} (expected one of {})",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownPhase {}

impl FromStr for Phase {
    type Err = UnknownPhase;

    fn from_str(s: &str) -> Result<Phase, UnknownPhase> {
        Phase::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownPhase(s.to_string()))
    }
}

impl TryFrom<String> for Phase {
    type Error = UnknownPhase;
    fn try_from(s: String) -> Result<Phase, UnknownPhase> {
        s.parse()
    }
}

impl From<Phase> for String {
    fn from(p: Phase) -> String {
        p.as_str().to_string()
    }
}

/// What a stage decided. `Continue` (no decision) is what falling off the end of the
/// pipeline means: the server goes on as it would without filters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Verdict {
    #[default]
    Continue,
    /// Skip the remaining stages and go on.
    Accept,
    /// A 5xx reply at this phase.
    Reject { code: u16, text: String },
    /// A 4xx reply at this phase: the client retries later.
    Tempfail { code: u16, text: String },
    /// Answer 250 and drop (the recipient at phase rcpt, the message at data or queue).
    Discard,
    /// Answer 250 and hold the message in the spool's quarantine.
    Quarantine { reason: String },
}

impl Verdict {
    /// The name scripts see in `ev.verdict`.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Continue => "continue",
            Verdict::Accept => "accept",
            Verdict::Reject { .. } => "reject",
            Verdict::Tempfail { .. } => "tempfail",
            Verdict::Discard => "discard",
            Verdict::Quarantine { .. } => "quarantine",
        }
    }

    /// The SMTP reply the verdict itself dictates (reject and tempfail); the others answer
    /// as the server would have.
    pub fn reply(&self) -> Option<(u16, &str)> {
        match self {
            Verdict::Reject { code, text } | Verdict::Tempfail { code, text } => {
                Some((*code, text.as_str()))
            }
            _ => None,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Reject { code, text } | Verdict::Tempfail { code, text } => {
                write!(f, "{} {code} {text}", self.name())
            }
            Verdict::Quarantine { reason } => write!(f, "quarantine ({reason})"),
            other => f.write_str(other.name()),
        }
    }
}

/// An envelope edit, in the order the script made them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvelopeEdit {
    AddRcpt(String),
    RemoveRcpt(String),
    /// At phase rcpt: replaces the recipient in question; at data and queue: all of them.
    Redirect(String),
}

/// The connected client, as scripts see it in `ev.client`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub ip: IpAddr,
    pub port: u16,
    /// The EHLO/HELO argument, once given.
    pub helo: Option<String>,
    pub tls: bool,
    /// The AUTH identity, once authenticated.
    pub auth_user: Option<String>,
}

/// One event: the envelope so far, the message at data/queue, and what scripts decided.
#[derive(Debug, Clone)]
pub struct EventState {
    pub phase: Phase,
    pub client: Client,
    /// The reverse-path from MAIL FROM ("" for the null sender `<>`); None before it.
    pub mail_from: Option<String>,
    /// At phase rcpt, the recipient in question.
    pub rcpt: Option<String>,
    /// The recipients. At phase rcpt: those accepted so far, then the one in question last.
    /// Envelope edits apply here at once, so a later stage sees them; after the pipeline
    /// this list is the transaction's new recipient list.
    pub rcpts: Vec<String>,
    /// Phase data and queue.
    pub message: Option<SharedMessage>,
    /// Phase queue (and data, when the server has assigned one).
    pub queue_id: Option<String>,
    pub verdict: Verdict,
    pub edits: Vec<EnvelopeEdit>,
    /// Set by the pipeline while a stage holds the event: a verdict or `outbox.send(ev)`
    /// sets it, which wakes the session waiting for the stage.
    pub exit: Option<crate::rt::Signal>,
    /// The stage holding the event passed it on (`outbox.send(ev)`).
    pub passed: bool,
    /// Why the stage holding the event failed (it raised, or was restarted).
    pub failure: Option<String>,
}

impl EventState {
    pub fn new(phase: Phase, client: Client) -> EventState {
        EventState {
            phase,
            client,
            mail_from: None,
            rcpt: None,
            rcpts: Vec::new(),
            message: None,
            queue_id: None,
            verdict: Verdict::Continue,
            edits: Vec::new(),
            exit: None,
            passed: false,
            failure: None,
        }
    }

    /// Shares the state with scripts.
    pub fn shared(self) -> Rc<RefCell<EventState>> {
        Rc::new(RefCell::new(self))
    }

    /// Records a verdict, enforcing the rules scripts must follow. The error is the exception
    /// the script gets.
    pub fn decide(&mut self, verdict: Verdict) -> Result<(), (ExcKind, String)> {
        let name = verdict.name();
        if self.verdict != Verdict::Continue {
            return Err((
                ExcKind::RuntimeError,
                format!(
                    "a verdict was already given for this {} event ({}); an event gets one verdict",
                    self.phase, self.verdict
                ),
            ));
        }
        match &verdict {
            Verdict::Continue => {}
            Verdict::Reject { code, text } | Verdict::Tempfail { code, text } => {
                if self.phase == Phase::Queue {
                    return Err((
                        ExcKind::RuntimeError,
                        format!(
                            "{name}() is not possible at phase queue: the message is already accepted, so post-queue stages cannot refuse it; use quarantine() or discard(), or let delivery bounce it"
                        ),
                    ));
                }
                let (class, range) = match verdict {
                    Verdict::Reject { .. } => ("5xx", 500..=599),
                    _ => ("4xx", 400..=499),
                };
                if !range.contains(code) {
                    return Err((
                        ExcKind::ValueError,
                        format!("{name}() needs a {class} reply code, not {code}"),
                    ));
                }
                check_reply_text(name, text)?;
            }
            Verdict::Discard if !self.phase.has_envelope() => {
                return Err((
                    ExcKind::RuntimeError,
                    format!(
                        "discard() drops a recipient or a message: it is possible at phases rcpt, data and queue, not {}; use reject() to refuse",
                        self.phase
                    ),
                ));
            }
            Verdict::Quarantine { .. } if !self.phase.has_message() => {
                return Err((
                    ExcKind::RuntimeError,
                    format!(
                        "quarantine() holds a message: it is possible at phases data and queue, not {}",
                        self.phase
                    ),
                ));
            }
            Verdict::Quarantine { reason } => check_reply_text(name, reason)?,
            Verdict::Accept | Verdict::Discard => {}
        }
        self.verdict = verdict;
        if let Some(s) = &self.exit {
            s.set();
        }
        Ok(())
    }

    /// Applies an envelope edit to `rcpts` and records it. `RemoveRcpt` of an address that
    /// is not a recipient is refused, so a typo does not pass silently.
    pub fn edit(&mut self, edit: EnvelopeEdit) -> Result<(), (ExcKind, String)> {
        let (method, addr) = match &edit {
            EnvelopeEdit::AddRcpt(a) => ("add_rcpt", a),
            EnvelopeEdit::RemoveRcpt(a) => ("remove_rcpt", a),
            EnvelopeEdit::Redirect(a) => ("redirect", a),
        };
        if !self.phase.has_envelope() {
            return Err((
                ExcKind::RuntimeError,
                format!(
                    "{method}() edits the recipients: it is possible at phases rcpt, data and queue, not {}",
                    self.phase
                ),
            ));
        }
        // An address added must be one the SMTP side would have taken in a RCPT, or its
        // delivery would fail for good after the 250 (a removal only has to match).
        let parses = || {
            addr.eq_ignore_ascii_case("postmaster")
                || matches!(crate::smtp::proto::mailbox(addr), Ok((_, "")))
        };
        if addr.is_empty()
            || addr
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>'))
            || (!matches!(edit, EnvelopeEdit::RemoveRcpt(_)) && !parses())
        {
            return Err((
                ExcKind::ValueError,
                format!("{method}(): {addr:?} is not a mailbox address"),
            ));
        }
        let same = |r: &String| r.eq_ignore_ascii_case(addr);
        match &edit {
            EnvelopeEdit::AddRcpt(a) => {
                if !self.rcpts.iter().any(same) {
                    self.rcpts.push(a.clone());
                }
            }
            EnvelopeEdit::RemoveRcpt(_) => {
                let before = self.rcpts.len();
                self.rcpts.retain(|r| !same(r));
                if self.rcpts.len() == before {
                    return Err((
                        ExcKind::ValueError,
                        format!("remove_rcpt(): {addr:?} is not a recipient"),
                    ));
                }
            }
            EnvelopeEdit::Redirect(a) => {
                if self.phase == Phase::Rcpt {
                    let current = self.rcpt.replace(a.clone());
                    match current.and_then(|c| self.rcpts.iter().rposition(|r| *r == c)) {
                        Some(i) => self.rcpts[i] = a.clone(),
                        None => self.rcpts.push(a.clone()),
                    }
                } else {
                    self.rcpts = vec![a.clone()];
                }
            }
        }
        self.edits.push(edit);
        Ok(())
    }
}

fn check_reply_text(method: &str, text: &str) -> Result<(), (ExcKind, String)> {
    // The text goes into an SMTP reply line (or the quarantine record): printable ASCII.
    if !text.bytes().all(|b| (b' '..=b'~').contains(&b)) || text.len() > 400 {
        return Err((
            ExcKind::ValueError,
            format!(
                "{method}(): the text must be one line of printable ASCII, at most 400 characters"
            ),
        ));
    }
    Ok(())
}

/// A script `Event` object over `state` (shared, not copied).
///
/// The value lives in `vm`'s heap: while Rust holds it between calls into the VM, keep it
/// reachable (in a frame, a channel, or `vm.temp_roots`) so the collector does not free it.
pub fn event_value(vm: &mut Vm, state: &Rc<RefCell<EventState>>) -> Value {
    let class = class_ref(vm, EVENT);
    vm.alloc(Obj::Host(class, state.clone()))
}

pub(super) fn register_classes(vm: &mut Vm) {
    vm.host_class(
        EVENT,
        &[
            ("reject", reject),
            ("tempfail", tempfail),
            ("accept", accept),
            ("discard", discard),
            ("quarantine", quarantine),
            ("add_rcpt", add_rcpt),
            ("remove_rcpt", remove_rcpt),
            ("redirect", redirect),
            ("__repr__", repr),
        ],
        &[
            ("phase", phase),
            ("client", client),
            ("mail_from", mail_from),
            ("rcpt", rcpt),
            ("rcpts", rcpts),
            ("message", message),
            ("queue_id", queue_id),
            ("verdict", verdict),
        ],
    );
    vm.host_class(
        CLIENT,
        &[("__repr__", client_repr)],
        &[
            ("ip", client_ip),
            ("port", client_port),
            ("helo", client_helo),
            ("tls", client_tls),
            ("auth_user", client_auth_user),
        ],
    );
}

fn this(vm: &Vm, args: &[Value]) -> PResult<Rc<RefCell<EventState>>> {
    args.first()
        .and_then(|v| host_data::<RefCell<EventState>>(vm, *v))
        .map_or_else(|| type_err("descriptor requires an 'Event' object"), Ok)
}

fn raise<T>(e: (ExcKind, String)) -> PResult<T> {
    err(e.0, e.1)
}

fn phase(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let p = this(vm, args)?.borrow().phase;
    Ok(vm.new_str(p.as_str()))
}

fn client(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let c = this(vm, args)?.borrow().client.clone();
    let class = class_ref(vm, CLIENT);
    Ok(vm.alloc(Obj::Host(class, Rc::new(c))))
}

fn mail_from(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let v = this(vm, args)?.borrow().mail_from.clone();
    Ok(opt_str(vm, v.as_deref()))
}

fn rcpt(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let v = this(vm, args)?.borrow().rcpt.clone();
    Ok(opt_str(vm, v.as_deref()))
}

/// A copy: appending to it does not change the envelope (`add_rcpt` does).
fn rcpts(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let v = this(vm, args)?.borrow().rcpts.clone();
    Ok(str_list(vm, &v))
}

fn message(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let m = this(vm, args)?.borrow().message.clone();
    Ok(match m {
        Some(m) => message_value(vm, &m),
        None => Value::None,
    })
}

fn queue_id(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let v = this(vm, args)?.borrow().queue_id.clone();
    Ok(opt_str(vm, v.as_deref()))
}

/// None until a verdict is given, then its name ("reject", "accept", ...).
fn verdict(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let v = this(vm, args)?.borrow().verdict.clone();
    Ok(match v {
        Verdict::Continue => Value::None,
        v => vm.new_str(v.name()),
    })
}

fn code_arg(vm: &mut Vm, method: &str, v: Option<Value>, default: Option<u16>) -> PResult<u16> {
    match (v, default) {
        (Some(Value::Int(c)), _) => Ok(u16::try_from(c).unwrap_or(0)),
        (None, Some(d)) => Ok(d),
        (Some(other), _) => {
            let t = vm.type_name(other);
            type_err(format!("{method}() code must be int, not {t}"))
        }
        (None, None) => type_err(format!("{method}() missing required argument: 'code'")),
    }
}

fn text_arg(vm: &mut Vm, method: &str, args: &[Value], kw: &Kw, default: &str) -> PResult<String> {
    if arg_or_kw(args, kw, 2, "text").is_none() {
        return Ok(default.to_string());
    }
    Ok(str_arg(vm, method, args, kw, 2, "text")?.to_string())
}

fn decide(vm: &mut Vm, args: &[Value], v: Verdict) -> PResult<Value> {
    let state = this(vm, args)?;
    let r = state.borrow_mut().decide(v);
    r.map_or_else(raise, |()| Ok(Value::None))
}

/// `ev.reject(code, text="5.7.1 Message refused")`
fn reject(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let code = code_arg(vm, "reject", arg_or_kw(args, kw, 1, "code"), None)?;
    let text = text_arg(vm, "reject", args, kw, "5.7.1 Refused by policy")?;
    decide(vm, args, Verdict::Reject { code, text })
}

/// `ev.tempfail(code=451, text="4.7.1 Try again later")`
fn tempfail(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let code = code_arg(vm, "tempfail", arg_or_kw(args, kw, 1, "code"), Some(451))?;
    let text = text_arg(vm, "tempfail", args, kw, "4.7.1 Try again later")?;
    decide(vm, args, Verdict::Tempfail { code, text })
}

fn accept(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    decide(vm, args, Verdict::Accept)
}

fn discard(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    decide(vm, args, Verdict::Discard)
}

fn quarantine(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let reason = str_arg(vm, "quarantine", args, kw, 1, "reason")?.to_string();
    decide(vm, args, Verdict::Quarantine { reason })
}

fn envelope_edit(
    vm: &mut Vm,
    args: &[Value],
    kw: &Kw,
    method: &str,
    make: fn(String) -> EnvelopeEdit,
) -> PResult<Value> {
    let state = this(vm, args)?;
    let addr = str_arg(vm, method, args, kw, 1, "addr")?.to_string();
    let r = state.borrow_mut().edit(make(addr));
    r.map_or_else(raise, |()| Ok(Value::None))
}

fn add_rcpt(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    envelope_edit(vm, args, kw, "add_rcpt", EnvelopeEdit::AddRcpt)
}

fn remove_rcpt(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    envelope_edit(vm, args, kw, "remove_rcpt", EnvelopeEdit::RemoveRcpt)
}

fn redirect(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    envelope_edit(vm, args, kw, "redirect", EnvelopeEdit::Redirect)
}

fn repr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let (phase, ip, verdict) = {
        let s = this(vm, args)?;
        let s = s.borrow();
        (s.phase, s.client.ip, s.verdict.clone())
    };
    let ip = py_repr(vm, &ip.to_string());
    Ok(vm.new_str(format!("<Event {phase} client={ip} verdict={verdict}>")))
}

fn the_client(vm: &Vm, args: &[Value]) -> PResult<Rc<Client>> {
    args.first()
        .and_then(|v| host_data::<Client>(vm, *v))
        .map_or_else(|| type_err("descriptor requires a 'Client' object"), Ok)
}

fn client_ip(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let c = the_client(vm, args)?;
    // A v4 client on a dual-stack socket is shown as v4, as it connected.
    let ip = match c.ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(c.ip, IpAddr::V4),
        v4 => v4,
    };
    Ok(vm.new_str(ip.to_string()))
}

fn client_port(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(Value::Int(i64::from(the_client(vm, args)?.port)))
}

fn client_helo(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let c = the_client(vm, args)?;
    Ok(opt_str(vm, c.helo.as_deref()))
}

fn client_tls(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(Value::Bool(the_client(vm, args)?.tls))
}

fn client_auth_user(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let c = the_client(vm, args)?;
    Ok(opt_str(vm, c.auth_user.as_deref()))
}

fn client_repr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let c = the_client(vm, args)?;
    let helo = match c.helo.as_deref() {
        Some(h) => py_repr(vm, h),
        None => "None".into(),
    };
    let r = format!(
        "<Client {} port={} helo={helo} tls={}>",
        c.ip, c.port, c.tls
    );
    Ok(vm.new_str(r))
}
