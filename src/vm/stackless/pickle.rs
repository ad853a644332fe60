//! Pickling tasklets and channels, as Stackless does.
//!
//! A tasklet that is not running pickles as its frames (each carried by a generator object,
//! so the frames' objects are part of the one graph, shared and cyclic as they are), what it
//! gets when it resumes, and the channel it is blocked on. A channel pickles as its settings
//! and the tasklets waiting on it. Loaded tasklets come back paused (`insert()` schedules
//! them), except those that were blocked: they block again on the loaded channel by redoing
//! their operation when they first run.

use std::any::Any;
use std::rc::Rc;

use super::{Resume, TaskletRef};
use crate::vm::error::{ExcKind, PResult, err};
use crate::vm::interp::{Hook, Target, Transform, Vm};
use crate::vm::pickle::{HostPickler, pickling_error};
use crate::vm::value::*;

pub(super) fn register(vm: &mut Vm) {
    if vm
        .pickle_hosts
        .iter()
        .any(|h| h.class == "stackless.tasklet")
    {
        return;
    }
    vm.pickle_hosts.push(HostPickler {
        class: "stackless.tasklet",
        save: save_tasklet,
        load: load_tasklet,
    });
    vm.pickle_hosts.push(HostPickler {
        class: "stackless.channel",
        save: save_channel,
        load: load_channel,
    });
}

// Tasklet states in the first byte.
const DEAD: u8 = 0;
const UNSTARTED: u8 = 1;
const PAUSED: u8 = 2;
const BLOCKED: u8 = 3;

// What a paused tasklet gets back (second byte).
const GETS_NOTHING: u8 = 0;
const GETS_VALUE: u8 = 1;
const GETS_RAISE: u8 = 2;

fn save_tasklet(vm: &mut Vm, data: &Rc<dyn Any>) -> PResult<(Vec<Value>, Vec<u8>)> {
    let Some(t) = data.clone().downcast::<TaskletRef>().ok() else {
        return err(ExcKind::TypeError, "not a tasklet");
    };
    let Some(idx) = t.slot.get() else {
        return Ok((Vec::new(), vec![DEAD]));
    };
    if vm.tasklets.current == Some(idx) {
        return pickling_error(vm, "cannot pickle the running tasklet");
    }
    if vm.tasklets.main == Some(idx) {
        return pickling_error(vm, "cannot pickle the main tasklet");
    }
    let s = vm.slot(idx).expect("a live slot");
    if s.rt.is_none() || matches!(s.resume, Resume::Start(_)) {
        // Not set up, or set up and never run: the function and its arguments.
        let (f, args) = match &s.resume {
            Resume::Start(b) if b.2.is_empty() => (b.0, b.1.clone()),
            Resume::Start(_) => {
                return pickling_error(
                    vm,
                    "cannot pickle a tasklet started with keyword arguments",
                );
            }
            _ => (Value::None, Vec::new()),
        };
        let mut kids = vec![f];
        kids.extend(args);
        let scheduled = s.rt.is_some() as u8;
        return Ok((kids, vec![UNSTARTED, scheduled]));
    }
    if !matches!(s.hook.transform, Transform::None) {
        return pickling_error(vm, "cannot pickle a tasklet stopped inside this operation");
    }
    let target = (s.hook.target == Target::Push) as u8;
    let frames = s.frames.clone();
    let (state, blocked, tempval) = (
        (s.blocked != 0).then_some(s.blocked),
        s.blocked_obj,
        s.tempval,
    );
    let sending = s.cell.with_pending(|p| p.map_or(Value::None, |p| p.get()));
    let resume = clone_resume(&s.resume);
    let mut kids = vec![tempval];
    let mut bytes = Vec::new();
    match state {
        Some(dir) => {
            let iterating = matches!(resume, Some((GETS_NOTHING, _, true)));
            bytes.extend([BLOCKED, target, (dir > 0) as u8, iterating as u8]);
            kids.extend([blocked, sending]);
        }
        None => {
            let Some((kind, v, _)) = resume else {
                return pickling_error(vm, "cannot pickle a tasklet in this state");
            };
            bytes.extend([PAUSED, target, kind]);
            kids.push(v);
        }
    }
    for f in frames {
        let name = f.code.name.clone();
        // Finished, so nothing can resume it as a generator: it only carries the frame.
        let g = vm.alloc(Obj::Generator(Box::new(Generator {
            frame: Some(Box::new(f)),
            running: false,
            finished: true,
            name,
        })));
        kids.push(g);
    }
    Ok((kids, bytes))
}

/// (kind, value, iterating) of what a parked tasklet gets back.
fn clone_resume(r: &Resume) -> Option<(u8, Value, bool)> {
    match r {
        Resume::Nothing => Some((GETS_NOTHING, Value::None, false)),
        Resume::Receive(it) => Some((GETS_NOTHING, Value::None, *it)),
        Resume::Value(v) => Some((GETS_VALUE, *v, false)),
        Resume::Raise(v) => Some((GETS_RAISE, *v, false)),
        Resume::Start(_) | Resume::Reblock(_) | Resume::Job(_) => None,
    }
}

fn load_tasklet(vm: &mut Vm, bytes: &[u8], kids: &[Value]) -> PResult<Value> {
    let bad = |vm: &mut Vm| {
        Err(crate::vm::pickle::unpickling_error(
            vm,
            "invalid tasklet data",
        ))
    };
    if vm.tasklets.me.upgrade().is_none() {
        return err(
            ExcKind::RuntimeError,
            "tasklets need the scheduler (run the script with `stackmail run`)",
        );
    }
    match bytes {
        [DEAD] => {
            let (idx, obj) = vm.new_tasklet(Value::None);
            vm.free_slot(idx);
            Ok(obj)
        }
        [UNSTARTED, scheduled] => {
            let Some((&f, args)) = kids.split_first() else {
                return bad(vm);
            };
            let (idx, obj) = vm.new_tasklet(f);
            if *scheduled == 1 {
                let s = vm.slot_mut(idx);
                s.resume = Resume::Start(Box::new((f, args.to_vec(), Vec::new())));
                vm.spawn_slot(idx);
                pause(vm, idx);
            }
            Ok(obj)
        }
        [PAUSED, target, kind] if *kind <= GETS_RAISE && kids.len() >= 2 => {
            let (idx, obj) = started(vm, *target, kids[0], &kids[2..]);
            vm.slot_mut(idx).resume = match *kind {
                GETS_VALUE => Resume::Value(kids[1]),
                GETS_RAISE => Resume::Raise(kids[1]),
                _ => Resume::Nothing,
            };
            pause(vm, idx);
            Ok(obj)
        }
        [BLOCKED, target, sending, iterating] if kids.len() >= 3 => {
            let (idx, obj) = started(vm, *target, kids[0], &kids[3..]);
            vm.slot_mut(idx).resume = Resume::Reblock(Box::new(super::Reblock {
                chan: kids[1],
                sending: *sending == 1,
                value: kids[2],
                iterating: *iterating == 1,
            }));
            Ok(obj)
        }
        _ => bad(vm),
    }
}

/// A loaded, started tasklet: scheduled (the caller may pause it), its frames pending.
fn started(vm: &mut Vm, target: u8, tempval: Value, gens: &[Value]) -> (usize, Value) {
    let (idx, obj) = vm.new_tasklet(Value::None);
    let s = vm.slot_mut(idx);
    s.tempval = tempval;
    s.pending_frames = Some(gens.into());
    s.hook = Hook {
        target: if target == 1 {
            Target::Push
        } else {
            Target::Nested
        },
        transform: Transform::None,
    };
    vm.spawn_slot(idx);
    (idx, obj)
}

fn pause(vm: &mut Vm, idx: usize) {
    if let Some(t) = vm.slot(idx).and_then(|s| s.rt.clone()) {
        t.unready();
    }
}

fn save_channel(vm: &mut Vm, data: &Rc<dyn Any>) -> PResult<(Vec<Value>, Vec<u8>)> {
    let Some(c) = data.clone().downcast::<super::channel::ChanData>().ok() else {
        return err(ExcKind::TypeError, "not a channel");
    };
    let ch = c.ch.clone();
    let waiting = vm.channel_queue(&ch);
    let bytes = vec![
        (ch.preference() + 1) as u8,
        ch.schedule_all() as u8,
        ch.is_closing() as u8,
    ];
    Ok((waiting, bytes))
}

fn load_channel(vm: &mut Vm, bytes: &[u8], _waiting: &[Value]) -> PResult<Value> {
    let [pref @ 0..=2, all @ 0..=1, closing @ 0..=1] = bytes else {
        return Err(crate::vm::pickle::unpickling_error(
            vm,
            "invalid channel data",
        ));
    };
    // The waiters are tasklets of the same pickle: they block on this channel again.
    let ch = super::Chan::new();
    ch.set_preference(*pref as i8 - 1);
    ch.set_schedule_all(*all == 1);
    if *closing == 1 {
        ch.close();
    }
    Ok(vm.channel_object(ch))
}
