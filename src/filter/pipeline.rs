//! The filter pipeline of one scheduler thread: a VM, and per configured stage the script's
//! `run(inbox, outbox)` running in `workers` script tasklets that read the stage's inbox.
//!
//! An SMTP session (a native tasklet) hands each event to the stages that subscribe to its
//! phase, in order, and waits for each to let go of it: `outbox.send(ev)` passes it on, a
//! verdict decides it. A stage that raises, or holds an event past its `timeout`, gives the
//! event its `on_error` outcome and is restarted, so the next event finds it working. A
//! worker that raises fails only the event it last received; a timeout restarts the whole
//! stage and fails every event it holds.
//! Script globals are per pipeline, so per thread.

use std::cell::RefCell;
use std::path::Path;
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use super::event::{EventState, Verdict, event_value};
use crate::config::{FilterConfig, OnError};
use crate::rt::{self, Signal, WaitError};
use crate::vm::error::{ExcKind, PResult, err, type_err};
use crate::vm::interp::{RunOutcome, Vm};
use crate::vm::stackless::{self, Pinned, ScriptChannel};
use crate::vm::value::*;

/// Instructions a script tasklet runs per turn before the others on its thread get theirs.
pub const TURN_BUDGET: u64 = 20_000;

/// Instructions a filter's module body may run at load (compiling patterns, building tables).
const LOAD_BUDGET: u64 = 200_000_000;

/// Why a pipeline could not be built.
#[derive(Debug)]
pub struct LoadError {
    pub script: String,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.script, self.message)
    }
}

impl std::error::Error for LoadError {}

struct Stage {
    name: String,
    config: FilterConfig,
    run: Pinned,
    inbox: ScriptChannel,
    outbox: Pinned,
    workers: RefCell<Vec<rt::Tasklet>>,
    /// Events handed to this stage and not yet let go of.
    holding: RefCell<Vec<Weak<RefCell<EventState>>>>,
}

struct Inner {
    vm: Rc<RefCell<Vm>>,
    stages: Vec<Stage>,
}

/// The stage workers stay parked on their inboxes, in the scheduler, after the last clone
/// of the pipeline is gone: each gets TaskletExit and ends on its next turn (it finds the VM
/// gone and finishes), instead of staying parked for the life of the thread.
impl Drop for Inner {
    fn drop(&mut self) {
        let Ok(mut vm) = self.vm.try_borrow_mut() else {
            return;
        };
        for stage in &self.stages {
            for w in stage.workers.borrow_mut().drain(..) {
                vm.kill_tasklet_soon(&w);
            }
        }
    }
}

/// Cheap to clone: clones share the pipeline.
#[derive(Clone)]
pub struct Pipeline {
    inner: Rc<Inner>,
}

impl Pipeline {
    /// Compiles and starts every stage on this thread. Module bodies run here, so call it
    /// on the thread's own stack, not in a tasklet.
    pub fn load(filters: &[FilterConfig]) -> Result<Pipeline, LoadError> {
        let mut vm = crate::vm::new_vm();
        super::install(&mut vm);
        register_outbox(&mut vm);
        vm.tasklets.budget = Some(TURN_BUDGET);
        vm.tasklets.shares_thread = true;
        let vm = Rc::new(RefCell::new(vm));
        stackless::install(&vm);
        let mut stages = Vec::new();
        for (i, config) in filters.iter().enumerate() {
            stages.push(load_stage(&vm, i, config)?);
        }
        let inner = Rc::new(Inner { vm, stages });
        // A stage tasklet that dies of an exception: log it and start a new one in its place;
        // the events the stage held get their `on_error` outcome.
        let weak = Rc::downgrade(&inner);
        inner.vm.borrow_mut().tasklets.on_failure =
            Some(Rc::new(move |vm: &mut Vm, t: &rt::Tasklet, exc: Value| {
                if let Some(inner) = weak.upgrade() {
                    stage_failed(&inner, vm, t, exc);
                }
            }));
        for i in 0..inner.stages.len() {
            start_workers(&inner, i);
        }
        Ok(Pipeline { inner })
    }

    pub fn is_empty(&self) -> bool {
        self.inner.stages.is_empty()
    }

    /// Whether any stage wants events of `phase`.
    pub fn wants(&self, phase: super::Phase) -> bool {
        self.inner
            .stages
            .iter()
            .any(|s| s.config.phases.contains(&phase))
    }

    /// The VM the stages run in (to build event values, or inspect it in tests).
    pub fn vm(&self) -> &Rc<RefCell<Vm>> {
        &self.inner.vm
    }

    /// Runs an event through the stages that subscribe to its phase; call it from a native
    /// tasklet. The verdict is also left in `state`; envelope and message edits are in it.
    pub fn process(&self, state: &Rc<RefCell<EventState>>) -> Verdict {
        let phase = state.borrow().phase;
        for (i, stage) in self.inner.stages.iter().enumerate() {
            if !stage.config.phases.contains(&phase) {
                continue;
            }
            match self.through_stage(i, state) {
                StageExit::Passed => continue,
                StageExit::Decided(Verdict::Accept) => return Verdict::Accept,
                StageExit::Decided(v) => return v,
                StageExit::Failed(why) => {
                    tracing::warn!(stage = %stage.name, phase = %phase, "filter stage failed: {why}");
                    match stage.config.on_error {
                        OnError::Accept => continue,
                        OnError::Tempfail => {
                            let v = Verdict::Tempfail {
                                code: 451,
                                text: "4.7.0 Temporary filter failure, try again later".into(),
                            };
                            state.borrow_mut().verdict = v.clone();
                            return v;
                        }
                    }
                }
            }
        }
        Verdict::Continue
    }

    fn through_stage(&self, i: usize, state: &Rc<RefCell<EventState>>) -> StageExit {
        let stage = &self.inner.stages[i];
        let signal = Signal::new();
        {
            let mut s = state.borrow_mut();
            s.exit = Some(signal.clone());
            s.passed = false;
        }
        let ev = event_value(&mut self.inner.vm.borrow_mut(), state);
        let ev = stage.inbox.pin(ev);
        stage.holding.borrow_mut().push(Rc::downgrade(state));
        // A worker waiting on the inbox takes the event at once; otherwise a helper waits to
        // hand it over, so that the deadline below also covers a stage too busy to take it.
        let helper = if stage.inbox.channel().balance() < 0 {
            let _ = stage.inbox.send(ev);
            None
        } else {
            let ch = stage.inbox.channel().clone();
            Some(rt::spawn(move || {
                let _ = ch.send(ev);
            }))
        };
        let deadline = Instant::now() + Duration::from_secs(stage.config.timeout.max(1));
        let waited = signal.wait_until(Some(deadline));
        stage
            .holding
            .borrow_mut()
            .retain(|w| w.upgrade().is_some_and(|s| !Rc::ptr_eq(&s, state)));
        let (passed, verdict, failure) = {
            let mut s = state.borrow_mut();
            s.exit = None;
            (s.passed, s.verdict.clone(), s.failure.take())
        };
        if let Some(h) = helper
            && !h.is_finished()
        {
            let _ = h.tasklet().kill();
        }
        if let Some(why) = failure {
            return StageExit::Failed(why);
        }
        match waited {
            Err(WaitError::TimedOut) => {
                self.restart(i);
                StageExit::Failed(format!(
                    "held the event longer than its timeout ({} s); stage restarted",
                    stage.config.timeout
                ))
            }
            Err(WaitError::CannotPark) => {
                StageExit::Failed("the pipeline was called outside a tasklet".into())
            }
            Ok(()) if verdict != Verdict::Continue => StageExit::Decided(verdict),
            Ok(()) if passed => StageExit::Passed,
            Ok(()) => StageExit::Failed("the stage let go of the event without a verdict".into()),
        }
    }

    /// Kills the stage's workers and starts new ones; the events it held fail.
    fn restart(&self, i: usize) {
        let stage = &self.inner.stages[i];
        let workers: Vec<rt::Tasklet> = stage.workers.borrow_mut().drain(..).collect();
        let mut vm = self.inner.vm.borrow_mut();
        for w in workers {
            vm.kill_tasklet_soon(&w);
        }
        drop(vm);
        fail_held(stage, "the stage was restarted");
        start_workers(&self.inner, i);
    }
}

enum StageExit {
    Passed,
    Decided(Verdict),
    Failed(String),
}

fn load_stage(vm: &Rc<RefCell<Vm>>, i: usize, config: &FilterConfig) -> Result<Stage, LoadError> {
    let name = config.script.display().to_string();
    let fail = |message: String| LoadError {
        script: name.clone(),
        message,
    };
    let src = std::fs::read_to_string(&config.script).map_err(|e| fail(e.to_string()))?;
    let code = crate::vm::compile_source(&src, &name).map_err(|e| LoadError {
        script: format!("{name}:{}:{}", e.line, e.col),
        message: e.msg.clone(),
    })?;
    let module = format!("filter{i}_{}", stem(&config.script));
    let mut v = vm.borrow_mut();
    // `import helper` finds modules next to the script, as under `stackmail run` (the VM
    // has one such directory: the last stage's wins for imports made while running).
    if let Some(dir) = config.script.parent().filter(|d| !d.as_os_str().is_empty()) {
        v.script_dir = dir.to_path_buf();
    }
    v.start_module(code, &module, &src);
    match v.run(Some(LOAD_BUDGET)) {
        Ok(RunOutcome::Finished(_)) => {}
        Ok(_) => {
            v.frames.clear();
            return Err(fail(format!(
                "the module body did not finish within {LOAD_BUDGET} instructions"
            )));
        }
        Err(e) => {
            let exc = v.exception_value(e);
            let tb = v.format_traceback(exc);
            v.frames.clear();
            return Err(fail(format!("the module body raised:\n{tb}")));
        }
    }
    let m = v
        .import(&module)
        .map_err(|_| fail("module missing".into()))?;
    let run = v
        .get_attr(m, "run")
        .map_err(|_| fail("defines no run(inbox, outbox)".into()))?;
    // As `stackmail check` has it: a run() the workers cannot be started with would fail
    // and be restarted for ever, and one that returns would leave the stage without workers.
    if let Some((line, message)) = super::check::signature_problem(&v, run) {
        return Err(LoadError {
            script: format!("{name}:{line}"),
            message,
        });
    }
    drop(v);
    let inbox = ScriptChannel::new(vm);
    let mut v = vm.borrow_mut();
    let outbox = outbox_value(&mut v);
    let outbox = inbox.pin(outbox);
    let run = inbox.pin(run);
    Ok(Stage {
        name,
        config: config.clone(),
        run,
        inbox,
        outbox,
        workers: RefCell::new(Vec::new()),
        holding: RefCell::new(Vec::new()),
    })
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| {
            s.to_string_lossy()
                .replace(|c: char| !c.is_alphanumeric(), "_")
        })
        .unwrap_or_default()
}

fn start_workers(inner: &Inner, i: usize) {
    let stage = &inner.stages[i];
    let mut vm = inner.vm.borrow_mut();
    let want = stage.config.workers.max(1);
    let mut workers = stage.workers.borrow_mut();
    workers.retain(|w| w.is_alive());
    while workers.len() < want {
        let args = vec![stage.inbox.object(), stage.outbox.get()];
        workers.push(vm.spawn_tasklet(stage.run.get(), args));
    }
}

/// A worker died of an exception (the VM is borrowed: nothing here may re-enter it).
fn stage_failed(inner: &Inner, vm: &mut Vm, t: &rt::Tasklet, exc: Value) {
    let Some(i) = inner
        .stages
        .iter()
        .position(|s| s.workers.borrow().iter().any(|w| w == t))
    else {
        let tb = vm.format_traceback(exc);
        tracing::error!("a filter tasklet failed:\n{tb}");
        return;
    };
    let stage = &inner.stages[i];
    let tb = vm.format_traceback(exc);
    tracing::error!(stage = %stage.name, "filter stage raised; restarting it:\n{tb}");
    let line = tb.lines().last().unwrap_or("").to_string();
    // Only the event the worker was on fails: the stage's other workers, and the events
    // the scripts keep, go on.
    if let Some(state) = vm
        .tasklet_tempval(t)
        .and_then(|v| super::host_data::<RefCell<EventState>>(vm, v))
    {
        let held = stage
            .holding
            .borrow()
            .iter()
            .any(|w| w.upgrade().is_some_and(|s| Rc::ptr_eq(&s, &state)));
        if held {
            fail_event(&state, &format!("the stage raised {line}"));
        }
    }
    stage
        .workers
        .borrow_mut()
        .retain(|w| w != t && w.is_alive());
    let args = vec![stage.inbox.object(), stage.outbox.get()];
    let w = vm.spawn_tasklet(stage.run.get(), args);
    stage.workers.borrow_mut().push(w);
}

/// Every event the stage holds gets `why` as its failure, and its session is woken.
fn fail_held(stage: &Stage, why: &str) {
    for s in stage.holding.borrow().iter().filter_map(Weak::upgrade) {
        fail_event(&s, why);
    }
}

/// An event still waiting on its stage (not passed on, no verdict) gets `why` as its
/// failure, and its session is woken.
fn fail_event(state: &RefCell<EventState>, why: &str) {
    let mut s = state.borrow_mut();
    if s.passed || s.verdict != Verdict::Continue {
        return;
    }
    if let Some(sig) = s.exit.clone() {
        s.failure = Some(why.to_string());
        sig.set();
    }
}

// ---- the `outbox` scripts pass events on with ----

const OUTBOX: &str = "filter.Outbox";

struct OutboxData;

fn register_outbox(vm: &mut Vm) {
    vm.host_class(OUTBOX, &[("send", outbox_send)], &[]);
}

fn outbox_value(vm: &mut Vm) -> Value {
    let class = super::class_ref(vm, OUTBOX);
    vm.alloc(Obj::Host(class, Rc::new(OutboxData)))
}

/// `outbox.send(ev)`: the stage lets go of the event, which goes on to the next stage.
fn outbox_send(vm: &mut Vm, args: &[Value], _: &[(Rc<str>, Value)]) -> PResult<Value> {
    let Some(state) = args
        .get(1)
        .and_then(|v| super::host_data::<RefCell<EventState>>(vm, *v))
    else {
        return type_err("outbox.send() takes an event");
    };
    let mut s = state.borrow_mut();
    if s.verdict != Verdict::Continue {
        return err(
            ExcKind::RuntimeError,
            format!(
                "this event already has a verdict ({}); it is not passed on",
                s.verdict.name()
            ),
        );
    }
    s.passed = true;
    if let Some(sig) = &s.exit {
        sig.set();
    }
    Ok(Value::None)
}
