//! A small pool of helper threads for work that would stall a scheduler: fsync, file IO,
//! synchronous lookups. The calling tasklet parks until its job is done; the scheduler's
//! other tasklets keep running.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use super::reactor::RemoteMessage;
use super::sched;

type Job = Box<dyn FnOnce() + Send>;

/// Most helper threads alive at once; more jobs queue.
static MAX_THREADS: AtomicUsize = AtomicUsize::new(8);

/// A helper idle this long exits; the pool shrinks back when a burst is over.
const IDLE_EXIT: Duration = Duration::from_secs(10);

struct Pool {
    state: Mutex<PoolState>,
    ready: Condvar,
}

struct PoolState {
    jobs: VecDeque<Job>,
    threads: usize,
    /// Helpers waiting for a job.
    idle: usize,
    /// Of those, how many were notified and will take a queued job: a job finds an idle
    /// helper only if one is left over, else it starts a thread. Counting only `idle`, two
    /// jobs could count on the same helper, and the second wait behind the first (a script
    /// job stuck on a named pipe, say) with a thread it could have had.
    woken: usize,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(PoolState {
            jobs: VecDeque::new(),
            threads: 0,
            idle: 0,
            woken: 0,
        }),
        ready: Condvar::new(),
    })
}

/// Sets how many helper threads may run at once (at least 1). Takes effect for threads
/// started from now on.
pub fn set_blocking_threads(n: usize) {
    MAX_THREADS.store(n.max(1), Ordering::Relaxed);
}

fn submit(job: Job) {
    let pool = pool();
    let mut st = pool.state.lock().unwrap_or_else(|e| e.into_inner());
    st.jobs.push_back(job);
    if st.idle > st.woken {
        st.woken += 1;
        pool.ready.notify_one();
        return;
    }
    if st.threads < MAX_THREADS.load(Ordering::Relaxed) {
        let spawned = std::thread::Builder::new()
            .name("stackmail-blocking".into())
            .spawn(worker);
        match spawned {
            Ok(_) => st.threads += 1,
            Err(e) if st.threads == 0 => {
                // Nobody would ever run the job: run it here rather than lose it.
                tracing::error!("cannot start a helper thread: {e}; running the job inline");
                let job = st.jobs.pop_back();
                drop(st);
                if let Some(job) = job {
                    job();
                }
            }
            Err(e) => tracing::warn!("cannot start another helper thread: {e}"),
        }
    }
}

fn worker() {
    let pool = pool();
    let mut st = pool.state.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if let Some(job) = st.jobs.pop_front() {
            drop(st);
            job();
            st = pool.state.lock().unwrap_or_else(|e| e.into_inner());
            continue;
        }
        st.idle += 1;
        let (guard, timeout) = pool
            .ready
            .wait_timeout(st, IDLE_EXIT)
            .unwrap_or_else(|e| e.into_inner());
        st = guard;
        st.idle -= 1;
        // Whatever woke it, it goes for a job next: it answers for one notification.
        st.woken = st.woken.saturating_sub(1);
        if timeout.timed_out() && st.jobs.is_empty() {
            st.threads -= 1;
            return;
        }
    }
}

/// Runs `f` on a helper thread while the calling tasklet stays parked, and returns its
/// result. Outside a tasklet it simply calls `f`. A panic in `f` resumes in the caller.
pub fn blocking<F, R>(f: F) -> R
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let mut f = Some(f);
    let waited = park_until_done(|done: Done<R>| {
        if let Some(f) = f.take() {
            submit(Box::new(move || {
                done.finish(catch_unwind(AssertUnwindSafe(f)))
            }));
        }
    });
    match (waited, f) {
        (Some(outcome), _) => unwrap_outcome(outcome),
        // Not parkable (outside a tasklet, or one being killed): run it here.
        (None, Some(f)) => f(),
        (None, None) => std::panic::resume_unwind(Box::new(sched::TaskletExit)),
    }
}

/// The other half of [`park_until_done`]: whichever thread does the work finishes it once,
/// which hands over the outcome and wakes the parked tasklet on its own scheduler.
pub(crate) struct Done<R> {
    slot: Arc<Mutex<Option<std::thread::Result<R>>>>,
    remote: super::reactor::Remote,
    key: super::slab::Key,
}

impl<R> Done<R> {
    pub(crate) fn finish(self, outcome: std::thread::Result<R>) {
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
        // The scheduler may be gone (its thread ended): the result has nobody to go to.
        let _ = self.remote.post(RemoteMessage::Wake(self.key.to_u64()));
    }
}

/// Parks the calling tasklet after handing `start` the [`Done`] that another thread will
/// finish; returns the outcome it was finished with. `None` when the caller cannot park
/// (outside a tasklet, or a tasklet being killed): then `start` was not called.
pub(crate) fn park_until_done<R>(start: impl FnOnce(Done<R>)) -> Option<std::thread::Result<R>> {
    let setup = sched::with(|s| {
        let me = s.current_parkable()?;
        let remote = s.remote().ok()?;
        Some((
            s.blocked_on_jobs
                .borrow_mut()
                .insert((me.clone(), me.seq.get())),
            remote,
        ))
    })?;
    let (key, remote) = setup;
    let slot = Arc::new(Mutex::new(None));
    sched::with(|s| s.jobs_in_flight.set(s.jobs_in_flight.get() + 1));
    start(Done {
        slot: slot.clone(),
        remote,
        key,
    });
    let guard = Forget(key);
    let _ = sched::with(|s| s.park());
    drop(guard);
    let outcome = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
    // The only waker of this park is the `Done`'s own message, sent after it filled the
    // slot; should that ever not hold, end the tasklet rather than invent a result.
    Some(outcome.unwrap_or_else(|| Err(Box::new(sched::TaskletExit))))
}

/// A job a script tasklet waits for, from [`start_for_script`]: the script ends its turn
/// with `Park` right after starting it, is woken when the job is done, and then takes the
/// outcome. Dropped before that (the tasklet was killed), it withdraws the wake-up; the job
/// still runs to its end.
pub struct ScriptJob<R> {
    slot: Arc<Mutex<Option<std::thread::Result<R>>>>,
    _forget: Forget,
}

impl<R> ScriptJob<R> {
    /// The job's result (`Err` with the payload if it panicked); None while it runs.
    pub fn take(&self) -> Option<std::thread::Result<R>> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// Script jobs get a lane of their own: at most half the pool's threads run them, and the
/// others wait in `waiting` (in the order they came) until one of those is done. Scripts can
/// wait on anything (a named pipe, a dead network mount), which must never leave the server's
/// own work, such as making the spool durable, without a thread.
struct ScriptLane {
    running: usize,
    waiting: VecDeque<Job>,
}

static SCRIPT_LANE: Mutex<ScriptLane> = Mutex::new(ScriptLane {
    running: 0,
    waiting: VecDeque::new(),
});

fn script_lane() -> std::sync::MutexGuard<'static, ScriptLane> {
    SCRIPT_LANE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `job` in the script lane, now or once a script job before it is done.
fn submit_script(job: Job) {
    let cap = (MAX_THREADS.load(Ordering::Relaxed) / 2).max(1);
    let mut lane = script_lane();
    if lane.running < cap {
        lane.running += 1;
        drop(lane);
        submit(job);
    } else {
        lane.waiting.push_back(job);
    }
}

/// A script job is done: the next one waiting takes its place in the lane.
fn script_job_done() {
    let mut lane = script_lane();
    match lane.waiting.pop_front() {
        Some(next) => {
            drop(lane);
            submit(next);
        }
        None => lane.running -= 1,
    }
}

/// Runs `f` in the script lane of the helper pool (see [`ScriptLane`]) for the running script
/// tasklet, which must end its turn with `Park` at once (a script has no stack to suspend).
/// `Err(f)` outside a script tasklet: the caller runs `f` itself.
pub fn start_for_script<F, R>(f: F) -> Result<ScriptJob<R>, F>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let setup = sched::with(|s| {
        let me = s
            .current()
            .filter(|t| t.is_script && t.state.get() != super::task::State::Dying)?;
        let remote = s.remote().ok()?;
        let key = s
            .blocked_on_jobs
            .borrow_mut()
            .insert((me.clone(), me.seq.get()));
        s.jobs_in_flight.set(s.jobs_in_flight.get() + 1);
        Some((key, remote))
    });
    let Some((key, remote)) = setup else {
        return Err(f);
    };
    let slot = Arc::new(Mutex::new(None));
    let done = Done {
        slot: slot.clone(),
        remote,
        key,
    };
    submit_script(Box::new(move || {
        done.finish(catch_unwind(AssertUnwindSafe(f)));
        script_job_done();
    }));
    Ok(ScriptJob {
        slot,
        _forget: Forget(key),
    })
}

/// The value of a finished job, or its panic resumed in the caller.
pub(crate) fn unwrap_outcome<R>(outcome: std::thread::Result<R>) -> R {
    match outcome {
        Ok(value) => value,
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// Withdraws the parked tasklet from the job's wake-up list if it leaves early (killed).
struct Forget(super::slab::Key);

impl Drop for Forget {
    fn drop(&mut self) {
        sched::with(|s| {
            if let Ok(mut parked) = s.blocked_on_jobs.try_borrow_mut() {
                parked.remove(self.0);
            }
        });
    }
}
