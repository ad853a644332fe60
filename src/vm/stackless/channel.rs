//! `stackless.channel` for scripts, and [`ScriptChannel`], the same channel seen from Rust.

use std::cell::RefCell;
use std::rc::Rc;

use super::{Chan, Pinned, Resume, Tasklets, running_slot, switch_out};
use crate::rt::{RecvError, RecvOutcome, ScriptCell, ScriptStep, SendError, SendOutcome};
use crate::vm::error::{Exc, ExcKind, PResult};
use crate::vm::heap::Heap;
use crate::vm::interp::{Hook, Vm};
use crate::vm::value::*;

/// The data of a Python `channel` object.
pub(super) struct ChanData {
    pub(super) ch: Chan,
}

/// A script-visible channel held by Rust code: native tasklets send values to script
/// tasklets and receive from them through it, with the channel's usual semantics
/// (preference, balance, blocking). Values are pinned while they travel.
pub struct ScriptChannel {
    pins: Rc<super::PinTable>,
    ch: Chan,
    obj: Pinned,
}

impl ScriptChannel {
    /// A new channel, and the Python object scripts use for it.
    pub fn new(vm: &Rc<RefCell<Vm>>) -> ScriptChannel {
        let mut v = vm.borrow_mut();
        let ch = Chan::new();
        let obj = v.channel_object(ch.clone());
        let pins = v.tasklets.pins().clone();
        let obj = Pinned::new(&pins, obj);
        ScriptChannel { pins, ch, obj }
    }

    /// The Python `channel` object, to hand to a script.
    pub fn object(&self) -> Value {
        self.obj.get()
    }

    /// The underlying channel.
    pub fn channel(&self) -> &Chan {
        &self.ch
    }

    /// Pins a value of this channel's VM, for [`send`](ScriptChannel::send). It needs no
    /// borrow of the VM.
    pub fn pin(&self, v: Value) -> Pinned {
        Pinned::new(&self.pins, v)
    }

    /// Sends from a native tasklet (parking it until a receiver takes the value).
    pub fn send(&self, v: Pinned) -> Result<(), SendError<Pinned>> {
        self.ch.send(v)
    }

    /// Receives in a native tasklet (parking it until a sender comes). An exception sent
    /// with `send_exception` arrives as `RecvError::Exception`.
    pub fn receive(&self) -> Result<Pinned, RecvError<Pinned>> {
        self.ch.receive()
    }
}

impl Vm {
    pub(super) fn channel_object(&mut self, ch: Chan) -> Value {
        let class = self.stackless_classes().channel;
        self.alloc(Obj::Host(class, Rc::new(ChanData { ch })))
    }

    pub(super) fn chan_of(&self, v: Value) -> PResult<Chan> {
        match v.as_ref().map(|r| self.heap.get(r)) {
            Some(Obj::Host(_, d)) => match d.downcast_ref::<ChanData>() {
                Some(c) => Ok(c.ch.clone()),
                None => Err(not_channel()),
            },
            _ => Err(not_channel()),
        }
    }

    /// The channel a blocked tasklet waits on, from its `blocked_obj`.
    pub(super) fn blocked_chan(&self, obj: Value) -> Option<&Chan> {
        chan_in(&self.heap, obj).ok()
    }

    /// `set_channel_callback`'s function, called before every channel action with
    /// (channel, tasklet, sending, will_block), as Stackless does.
    #[inline(always)]
    fn channel_callback(&mut self, chan: Value, sending: bool, will_block: bool) -> PResult<()> {
        match self.tasklets.channel_cb {
            None => Ok(()),
            Some(cb) => self.call_channel_callback(cb, chan, sending, will_block),
        }
    }

    fn call_channel_callback(
        &mut self,
        cb: Value,
        chan: Value,
        sending: bool,
        will_block: bool,
    ) -> PResult<()> {
        let hook = self.pending_hook;
        let cur = self.current_tasklet_obj();
        let args = vec![
            chan,
            cur,
            Value::Int(sending as i64),
            Value::Bool(will_block),
        ];
        let r = self.call_sync(cb, args, Vec::new());
        self.pending_hook = hook;
        r.map(|_| ())
    }

    #[inline(always)]
    fn needs_look_ahead(&self) -> bool {
        needs_look_ahead(&self.tasklets, self.nested)
    }

    /// Before a send or a receive that needs a look ahead: the channel callback, and the
    /// refusals that must come before the exchange is tried.
    #[cold]
    fn before_exchange(
        &mut self,
        chan: Value,
        ch: &Chan,
        sending: bool,
        iterating: bool,
    ) -> PResult<()> {
        let will_block = if sending {
            ch.balance() >= 0
        } else {
            ch.balance() <= 0
        };
        self.channel_callback(chan, sending, will_block)?;
        // A closing channel refuses every send, and a receive that would wait.
        if ch.is_closing() && (sending || will_block) {
            return Err(closed_error(iterating));
        }
        if will_block && !self.can_switch() {
            let what = if sending {
                "channel.send()"
            } else {
                "channel.receive()"
            };
            return Err(self.cannot_block(what));
        }
        Ok(())
    }

    /// `channel.send(v)` (or `send_exception` when `exception`).
    // Inlined into its few callers, `channel.send` first: the exchange itself is inlined
    // here, and another call level costs a good part of it.
    #[inline(always)]
    pub(super) fn channel_send(&mut self, chan: Value, v: Value, exception: bool) -> PResult<()> {
        if self.needs_look_ahead() {
            let ch = self.chan_of(chan)?;
            self.before_exchange(chan, &ch, true, false)?;
        }
        let (can_switch, hook) = (self.can_switch(), self.pending_hook);
        self.tasklets
            .send_exchange(&self.heap, hook, chan, v, exception, can_switch)
            .map_err(|u| self.unfinished(u, false))
    }

    /// `channel.receive()`; `iterating` for `__next__`, which a closed channel ends.
    // Inlined into its few callers, as `channel_send`.
    #[inline(always)]
    pub(super) fn channel_receive(&mut self, chan: Value, iterating: bool) -> PResult<Value> {
        if self.needs_look_ahead() {
            let ch = self.chan_of(chan)?;
            self.before_exchange(chan, &ch, false, iterating)?;
        }
        let (can_switch, hook) = (self.can_switch(), self.pending_hook);
        self.tasklets
            .receive_exchange(&self.heap, hook, chan, iterating, can_switch)
            .map_err(|u| self.unfinished(u, iterating))
    }

    /// The error for an exchange that did not complete: a switch, as a rule.
    #[inline(always)]
    pub(crate) fn unfinished(&mut self, u: Unfinished, iterating: bool) -> Exc {
        match u {
            Unfinished::Switch => Exc::Switch,
            refused => self.refused(refused, iterating),
        }
    }

    #[cold]
    fn refused(&mut self, u: Unfinished, iterating: bool) -> Exc {
        match u {
            Unfinished::Switch => Exc::Switch,
            Unfinished::Closed => closed_error(iterating),
            Unfinished::SendWouldBlock => self.cannot_block("channel.send()"),
            Unfinished::ReceiveWouldBlock => self.cannot_block("channel.receive()"),
            Unfinished::Exception(v) => self.exception_from(v),
            Unfinished::NotChannel => not_channel(),
        }
    }

    /// The tasklets waiting on a channel, as Python objects.
    pub(super) fn channel_queue(&mut self, ch: &Chan) -> Vec<Value> {
        let waiting = ch.queue();
        waiting
            .iter()
            .filter_map(|t| {
                self.tasklets
                    .slots
                    .iter()
                    .flatten()
                    .find(|s| s.rt.as_ref() == Some(t))
                    .map(|s| s.obj)
            })
            .collect()
    }
}

/// Without a channel callback, a tasklet that can switch needs no look ahead before an
/// exchange: the exchange itself refuses a closed channel. (`nested`: `Vm::nested`.)
#[inline(always)]
pub(crate) fn needs_look_ahead(t: &Tasklets, nested: usize) -> bool {
    t.channel_cb.is_some() || t.current.is_none() || nested != 0
}

/// Why an exchange did not complete: the tasklet's turn ends (it parked, or yields to the
/// peer), or the channel refused it. Two words at most, each variant written whole: the
/// dispatch loop hands it on through the stack.
#[derive(Clone, Copy)]
pub(crate) enum Unfinished {
    Switch,
    Closed,
    SendWouldBlock,
    ReceiveWouldBlock,
    /// What a sender's `send_exception` sent, no longer pinned: it is raised before the
    /// loop could collect.
    Exception(Value),
    NotChannel,
}

impl<T> From<SendError<T>> for Unfinished {
    fn from(e: SendError<T>) -> Unfinished {
        match e {
            SendError::Closed(_) => Unfinished::Closed,
            SendError::WouldBlock(_) => Unfinished::SendWouldBlock,
        }
    }
}

impl From<RecvError<Pinned>> for Unfinished {
    fn from(e: RecvError<Pinned>) -> Unfinished {
        match e {
            RecvError::Exception(p) => Unfinished::Exception(p.get()),
            RecvError::Closed => Unfinished::Closed,
            RecvError::WouldBlock => Unfinished::ReceiveWouldBlock,
        }
    }
}

// The exchanges take the parts of the VM they use, borrowed apart: the dispatch loop makes
// them while it holds the running frame (no look ahead needed, see `needs_look_ahead`),
// and goes on after one that does not switch, which is half of every ping-pong.
impl Tasklets {
    /// The exchange of `channel.send(v)` (`send_exception` when `exception`), after the
    /// look ahead: a switch resumes the running tasklet through `hook`.
    #[inline(always)]
    pub(crate) fn send_exchange(
        &mut self,
        heap: &Heap,
        hook: Hook,
        chan: Value,
        v: Value,
        exception: bool,
        can_switch: bool,
    ) -> Result<(), Unfinished> {
        // The running tasklet's slot is looked up once, for its cell and what follows.
        let Tasklets {
            pins,
            slots,
            current,
            switch,
            ..
        } = self;
        let mut slot = running_slot(slots, *current);
        let pin = |v| Pinned::new(pins, v);
        // The channel is used where it lies in the heap: only a parked sender keeps a handle.
        let ch = chan_in(heap, chan).map_err(|_| Unfinished::NotChannel)?;
        let spare;
        let cell = match &slot {
            Some(s) => &s.cell,
            None => {
                spare = ScriptCell::new();
                &spare
            }
        };
        let r = if exception {
            ch.send_exception_from_script(v, pin, cell)
        } else {
            ch.send_from_script(v, pin, cell)
        };
        match r {
            Ok(SendOutcome::Sent { yield_now }) => {
                if yield_now && can_switch {
                    let resume = || Resume::Value(Value::None);
                    switch_out(slot, switch, hook, ScriptStep::Yield, resume);
                    Err(Unfinished::Switch)
                } else {
                    Ok(())
                }
            }
            Ok(SendOutcome::Parked) => {
                if let Some(s) = slot.as_deref_mut() {
                    s.blocked = 1;
                    s.blocked_obj = chan;
                    s.handle.has_blocked.set(true);
                }
                let resume = || Resume::Value(Value::None);
                switch_out(slot, switch, hook, ScriptStep::Park, resume);
                Err(Unfinished::Switch)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The exchange of `channel.receive()`, as [`Tasklets::send_exchange`].
    #[inline(always)]
    pub(crate) fn receive_exchange(
        &mut self,
        heap: &Heap,
        hook: Hook,
        chan: Value,
        iterating: bool,
        can_switch: bool,
    ) -> Result<Value, Unfinished> {
        let Tasklets {
            slots,
            current,
            switch,
            ..
        } = self;
        let mut slot = running_slot(slots, *current);
        let ch = chan_in(heap, chan).map_err(|_| Unfinished::NotChannel)?;
        let spare;
        let cell = match &slot {
            Some(s) => &s.cell,
            None => {
                spare = ScriptCell::new();
                &spare
            }
        };
        match ch.receive_from_script(cell, Pinned::get) {
            Ok(RecvOutcome::Received {
                value: v,
                yield_now,
            }) => {
                if let Some(s) = slot.as_deref_mut() {
                    s.tempval = v;
                }
                if yield_now && can_switch {
                    switch_out(slot, switch, hook, ScriptStep::Yield, || Resume::Value(v));
                    Err(Unfinished::Switch)
                } else {
                    Ok(v)
                }
            }
            Ok(RecvOutcome::Parked) => {
                if let Some(s) = slot.as_deref_mut() {
                    s.blocked = -1;
                    s.blocked_obj = chan;
                    s.handle.has_blocked.set(true);
                }
                let resume = || Resume::Receive(iterating);
                switch_out(slot, switch, hook, ScriptStep::Park, resume);
                Err(Unfinished::Switch)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The channel of a Python `channel` object, where it lies in the heap.
#[inline(always)]
fn chan_in(heap: &crate::vm::heap::Heap, v: Value) -> PResult<&Chan> {
    match v.as_ref().map(|r| heap.get(r)) {
        Some(Obj::Host(_, d)) => match d.downcast_ref::<ChanData>() {
            Some(c) => Ok(&c.ch),
            None => Err(not_channel()),
        },
        _ => Err(not_channel()),
    }
}

fn not_channel() -> Exc {
    Exc::New(ExcKind::TypeError, "expected a channel".into())
}

/// Stackless's error for an operation on a closed channel; iteration just ends.
pub(super) fn closed_error(iterating: bool) -> Exc {
    if iterating {
        Exc::New(ExcKind::StopIteration, String::new())
    } else {
        Exc::New(
            ExcKind::ValueError,
            "Send/receive operation on a closed channel".into(),
        )
    }
}
