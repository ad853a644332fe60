//! Leaving frames: returns, yields, raising and unwinding to the nearest handler.

use super::error::{Exc, ExcKind, PResult};
use super::interp::{Frame, Hook, Target, Transform, Vm};
use super::op::Op;
use super::value::*;

impl Vm {
    /// Finds the exception handler for `e`, popping frames as needed. `Ok(None)`: a handler
    /// takes over; `Err`: the exception leaves the frame at `base`.
    pub(super) fn unwind(&mut self, e: Exc, base: usize) -> PResult<Option<Value>> {
        let exc = match e {
            Exc::FramePushed => return Ok(None),
            // Natives only switch from a tasklet's outermost loop; anywhere else is a bug,
            // reported to the script rather than hanging it.
            Exc::Switch => self.new_exception(
                ExcKind::RuntimeError,
                "cannot switch tasklets while native code is on the stack",
            ),
            Exc::Fatal(m) => {
                self.frames.truncate(base);
                return Err(Exc::Fatal(m));
            }
            Exc::New(k, m) => {
                let v = self.new_exception(k, &m);
                self.set_context(v);
                v
            }
            Exc::Obj(v) => v,
        };
        let mut exc = exc;
        let mut skip_tb = std::mem::take(&mut self.reraising);
        loop {
            let fi = self.frames.len() - 1;
            let f = &self.frames[fi];
            let at = f.code.ops.get(f.ip.wrapping_sub(1)).copied();
            if self.is_instance_of_kind(exc, ExcKind::StopIteration) {
                match at {
                    Some(Op::ForIter(t)) => {
                        self.pop();
                        self.top().ip = t as usize;
                        return Ok(None);
                    }
                    Some(Op::SendIter(t)) => {
                        // The sent value was consumed when the subiterator was resumed.
                        let v = self.exc_arg0(exc);
                        self.popn(1);
                        self.push(v);
                        self.top().ip = t as usize;
                        return Ok(None);
                    }
                    _ => {}
                }
            }
            if !skip_tb {
                let (file, name, line) = (f.code.filename.clone(), f.code.name.clone(), f.line());
                if let Some(d) = self.exc_data_mut(exc) {
                    d.traceback.push((file, name, line));
                }
            }
            skip_tb = false;
            let f = &mut self.frames[fi];
            if let Some(b) = f.blocks.pop() {
                f.stack.truncate(b.depth as usize);
                f.handling.truncate(b.handling as usize);
                f.handling.push(exc);
                f.stack.push(exc);
                f.ip = b.handler as usize;
                return Ok(None);
            }
            let frame = self.frames.pop();
            if let Some(g) = frame.as_ref().and_then(|f| f.genr) {
                self.gen_finished(g);
                if self.is_instance_of_kind(exc, ExcKind::StopIteration) {
                    let re =
                        self.new_exception(ExcKind::RuntimeError, "generator raised StopIteration");
                    if let Some(d) = self.exc_data_mut(re) {
                        d.cause = Some(exc);
                        d.context = Some(exc);
                    }
                    exc = re;
                }
            }
            if self.frames.len() <= base {
                return Err(Exc::Obj(exc));
            }
            // The caller now sees the same exception, raised by its current instruction.
        }
    }

    /// Sets `__context__` from the exception being handled, if any.
    pub fn set_context(&mut self, exc: Value) {
        let handled = self
            .frames
            .iter()
            .rev()
            .find_map(|f| f.handling.last().copied());
        if let Some(h) = handled
            && !h.is(exc)
            && let Some(d) = self.exc_data_mut(exc)
            && d.context.is_none()
        {
            d.context = Some(h);
        }
    }

    pub(super) fn gen_finished(&mut self, g: Ref) {
        if let Obj::Generator(genr) = self.heap.get_mut(g) {
            genr.finished = true;
            genr.running = false;
            genr.frame = None;
        }
    }

    pub(super) fn return_value(&mut self, v: Value, base: usize) -> PResult<Option<Value>> {
        let Some(frame) = self.frames.pop() else {
            return Ok(Some(v));
        };
        let mut v = v;
        if let Transform::MakeClass(bases, name) = frame.hook.transform {
            v = self.finish_class(frame.ns, bases, name)?;
        }
        if let Some(g) = frame.genr {
            self.gen_finished(g);
            if frame.hook.target == Target::Push && self.frames.len() > base {
                let at = {
                    let f = self.top();
                    f.code.ops.get(f.ip.wrapping_sub(1)).copied()
                };
                match at {
                    Some(Op::ForIter(t)) => {
                        self.pop();
                        self.top().ip = t as usize;
                        return Ok(None);
                    }
                    Some(Op::SendIter(t)) => {
                        self.popn(1);
                        self.push(v);
                        self.top().ip = t as usize;
                        return Ok(None);
                    }
                    _ => {}
                }
            }
            let e = self.new_exception(ExcKind::StopIteration, "");
            if !matches!(v, Value::None)
                && let Some(d) = self.exc_data_mut(e)
            {
                d.args = vec![v];
            }
            if self.frames.len() <= base {
                return Err(Exc::Obj(e));
            }
            return Err(Exc::Obj(e));
        }
        let hook = frame.hook;
        self.recycle(frame);
        if self.frames.len() <= base {
            self.deliver(
                Hook {
                    target: Target::Nested,
                    ..hook
                },
                v,
            )?;
            return Ok(Some(self.nested_result.take().unwrap_or(Value::None)));
        }
        self.deliver(hook, v)?;
        Ok(None)
    }

    /// Keeps a returned frame's vectors for the next call (a few dozen at most).
    fn recycle(&mut self, frame: Frame) {
        if self.frame_pool.len() < 64 {
            let Frame {
                mut stack,
                mut fast,
                ..
            } = frame;
            stack.clear();
            fast.clear();
            self.frame_pool.push((stack, fast));
        }
    }

    pub(super) fn yield_value(&mut self, v: Value, base: usize) -> PResult<Option<Value>> {
        let Some(frame) = self.frames.pop() else {
            return Ok(Some(v));
        };
        let hook = frame.hook;
        if let Some(g) = frame.genr
            && let Obj::Generator(genr) = self.heap.get_mut(g)
        {
            genr.running = false;
            genr.frame = Some(Box::new(frame));
        }
        if self.frames.len() <= base {
            return Ok(Some(v));
        }
        self.deliver(hook, v)?;
        Ok(None)
    }

    pub(super) fn raise_op(&mut self, n: u8) -> PResult<Exc> {
        if n == 0 {
            let handled = self
                .frames
                .iter()
                .rev()
                .find_map(|f| f.handling.last().copied());
            return match handled {
                Some(e) => {
                    self.reraising = true;
                    Ok(Exc::Obj(e))
                }
                None => Ok(Exc::New(
                    ExcKind::RuntimeError,
                    "No active exception to reraise".into(),
                )),
            };
        }
        let cause = if n == 2 { Some(self.pop()) } else { None };
        let e = self.pop();
        let e = self.make_exc_value(e)?;
        if let Some(c) = cause {
            let c = if matches!(c, Value::None) {
                None
            } else {
                Some(self.make_exc_value(c)?)
            };
            if let Some(d) = self.exc_data_mut(e) {
                d.cause = c;
                d.suppress_context = true;
            }
        }
        self.set_context(e);
        Ok(Exc::Obj(e))
    }

    /// `raise X`: X may be an exception class (instantiated with no args) or instance.
    fn make_exc_value(&mut self, e: Value) -> PResult<Value> {
        if self.exc_data_mut(e).is_some() {
            return Ok(e);
        }
        if let Value::Obj(r) = e
            && matches!(self.heap.get(r), Obj::Class(_))
            && self.class_is_exception(r)
        {
            let v = self.call_sync(e, Vec::new(), Vec::new())?;
            if self.exc_data_mut(v).is_some() {
                return Ok(v);
            }
        }
        super::error::type_err("exceptions must derive from BaseException")
    }
}
