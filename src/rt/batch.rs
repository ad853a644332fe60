//! Group jobs across scheduler threads: tasklets on any thread submit items to one
//! [`Batcher`], and its own thread runs the job on everything submitted since its last run,
//! then wakes each submitter with its result. While one run is in progress the next batch
//! gathers, so a job whose cost is mostly per run (an fsync) is paid once for all threads'
//! items instead of once per thread.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::blocking::{Done, park_until_done, unwrap_outcome};

type Job<T, R> = dyn Fn(Vec<T>) -> Vec<R> + Send + Sync;

/// One group job and its thread. The thread starts with the first submission and ends when
/// the `Batcher` is dropped.
pub struct Batcher<T: Send + 'static, R: Send + 'static> {
    inner: Arc<Inner<T, R>>,
}

struct Inner<T, R> {
    state: Mutex<State<T, R>>,
    ready: Condvar,
    job: Box<Job<T, R>>,
    /// Most items in one run: bounds the wait a run adds to its first item.
    max: usize,
    /// How long a run waits after its first item for more (see [`Batcher::linger`]).
    linger: Duration,
    name: String,
}

struct State<T, R> {
    items: VecDeque<(T, Done<R>)>,
    started: bool,
    /// The thread is waiting on `ready`: only then does a submission need to notify it.
    idle: bool,
    /// The thread is waiting out its linger: only a full batch needs to notify it.
    lingering: bool,
    closed: bool,
}

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    /// A batcher whose thread, named `name`, runs `job` on at most `max` items at a time.
    /// `job` returns one result per item, in order.
    pub fn new(
        name: &str,
        max: usize,
        job: impl Fn(Vec<T>) -> Vec<R> + Send + Sync + 'static,
    ) -> Batcher<T, R> {
        Batcher {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    items: VecDeque::new(),
                    started: false,
                    idle: false,
                    lingering: false,
                    closed: false,
                }),
                ready: Condvar::new(),
                job: Box::new(job),
                max: max.max(1),
                linger: Duration::ZERO,
                name: name.to_string(),
            }),
        }
    }

    /// Makes a run wait up to `linger` for more items (unless `max` arrive first) when its
    /// first ones came while the run before it went on: fewer, larger runs under steady
    /// load, for a job whose fixed cost per run (an fsync) dwarfs the wait; an item that
    /// finds the thread idle runs at once. Call before the first submission.
    pub fn linger(mut self, linger: Duration) -> Batcher<T, R> {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.linger = linger;
        }
        self
    }

    /// Hands `item` to the next run and parks the calling tasklet until that run is done;
    /// returns the item's result. Outside a tasklet (or when the batcher's thread cannot be
    /// started) the job runs here on this item alone. A panic in the job resumes in every
    /// submitter of that run.
    pub fn submit(&self, item: T) -> R {
        let mut item = Some(item);
        let waited = park_until_done(|done: Done<R>| {
            let Some(item) = item.take() else { return };
            let mut st = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
            if !st.started && !st.closed {
                let inner = self.inner.clone();
                let spawned = std::thread::Builder::new()
                    .name(self.inner.name.clone())
                    .spawn(move || inner.run());
                match spawned {
                    Ok(_) => st.started = true,
                    Err(e) => {
                        drop(st);
                        tracing::error!("cannot start the {} thread: {e}", self.inner.name);
                        let job = &self.inner.job;
                        let outcome = catch_unwind(AssertUnwindSafe(|| job(vec![item])))
                            .and_then(|mut r| r.pop().ok_or_else(missing));
                        done.finish(outcome);
                        return;
                    }
                }
            }
            st.items.push_back((item, done));
            if st.idle || (st.lingering && st.items.len() >= self.inner.max) {
                self.inner.ready.notify_one();
            }
        });
        match (waited, item) {
            (Some(outcome), _) => unwrap_outcome(outcome),
            (None, Some(item)) => {
                let mut results = (self.inner.job)(vec![item]);
                results
                    .pop()
                    .unwrap_or_else(|| std::panic::resume_unwind(missing()))
            }
            (None, None) => std::panic::resume_unwind(missing()),
        }
    }
}

impl<T: Send + 'static, R: Send + 'static> Drop for Batcher<T, R> {
    fn drop(&mut self) {
        let mut st = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        st.closed = true;
        self.inner.ready.notify_all();
    }
}

impl<T, R> Inner<T, R> {
    /// The batcher's thread: runs the job on whatever is queued, until closed and drained.
    fn run(&self) {
        let mut ran = false;
        loop {
            let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            // Items came while the last run went on: the load is steady, and a short wait
            // gathers more. One that finds the thread idle runs at once.
            let busy = ran && !st.items.is_empty();
            while st.items.is_empty() && !st.closed {
                st.idle = true;
                st = self.ready.wait(st).unwrap_or_else(|e| e.into_inner());
                st.idle = false;
            }
            if st.items.is_empty() {
                return;
            }
            if busy && !self.linger.is_zero() {
                let until = Instant::now() + self.linger;
                st.lingering = true;
                while st.items.len() < self.max && !st.closed {
                    let Some(left) = until.checked_duration_since(Instant::now()) else {
                        break;
                    };
                    st = match self.ready.wait_timeout(st, left) {
                        Ok((st, _)) => st,
                        Err(e) => e.into_inner().0,
                    };
                }
                st.lingering = false;
            }
            let n = st.items.len().min(self.max);
            ran = true;
            let (items, waiters): (Vec<T>, Vec<Done<R>>) = st.items.drain(..n).unzip();
            drop(st);
            match catch_unwind(AssertUnwindSafe(|| (self.job)(items))) {
                Ok(results) => {
                    let mut results = results.into_iter();
                    for done in waiters {
                        done.finish(results.next().ok_or_else(missing));
                    }
                }
                Err(_) => {
                    for done in waiters {
                        done.finish(Err(Box::new("a batch job panicked")));
                    }
                }
            }
        }
    }
}

fn missing() -> Box<dyn std::any::Any + Send> {
    Box::new("a batch job returned too few results")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rt::{self, Runtime};

    #[test]
    fn items_from_several_threads_share_runs_and_get_their_own_results() {
        let runs = Arc::new(Mutex::new(Vec::new()));
        let seen = runs.clone();
        let batcher = Arc::new(Batcher::new("test-batch", 8, move |items: Vec<u32>| {
            seen.lock().unwrap().push(items.len());
            items.into_iter().map(|i| i * 10).collect()
        }));
        let total = Arc::new(Mutex::new(0u32));
        let (b, t) = (batcher.clone(), total.clone());
        Runtime::new()
            .threads(2)
            .run(move |_thread| {
                for i in 0..20u32 {
                    let (b, t) = (b.clone(), t.clone());
                    rt::spawn(move || {
                        let got = b.submit(i);
                        assert_eq!(got, i * 10);
                        *t.lock().unwrap() += got;
                    });
                }
            })
            .unwrap();
        // Both threads submit 0..20.
        assert_eq!(*total.lock().unwrap(), 2 * 10 * (0..20).sum::<u32>());
        {
            let runs = runs.lock().unwrap();
            assert_eq!(runs.iter().sum::<usize>(), 40);
            assert!(runs.iter().all(|&n| n <= 8));
        }
        // Outside a tasklet the job runs inline.
        assert_eq!(batcher.submit(7), 70);
    }

    #[test]
    fn under_steady_load_a_run_lingers_for_items_that_come_soon_after() {
        use std::sync::OnceLock;
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::time::{Duration, Instant};

        let runs = Arc::new(Mutex::new(Vec::new()));
        let first_running = Arc::new(AtomicBool::new(false));
        let handle: Arc<OnceLock<Arc<Batcher<u32, u32>>>> = Arc::new(OnceLock::new());
        let (seen, running, me) = (runs.clone(), first_running.clone(), handle.clone());
        let batcher = Arc::new(
            Batcher::new("test-linger", 8, move |items: Vec<u32>| {
                seen.lock().unwrap().push(items.clone());
                // The first run lasts until item 2 has come in while it goes on.
                if items == [1] {
                    running.store(true, Ordering::SeqCst);
                    let queued = || {
                        let b = me.get().expect("batcher set");
                        b.inner.state.lock().unwrap().items.len()
                    };
                    let t0 = Instant::now();
                    while queued() < 1 && t0.elapsed() < Duration::from_secs(10) {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
                items
            })
            .linger(Duration::from_secs(5)),
        );
        assert!(handle.set(batcher.clone()).is_ok());
        let b = batcher.clone();
        Runtime::new()
            .threads(1)
            .run(move |_thread| {
                // Item 1 finds the thread idle: its run starts at once.
                let t0 = Instant::now();
                let first = {
                    let b = b.clone();
                    rt::spawn(move || b.submit(1))
                };
                let second = {
                    let (b, running) = (b.clone(), first_running.clone());
                    rt::spawn(move || {
                        while !running.load(Ordering::SeqCst) {
                            rt::sleep(Duration::from_millis(1));
                        }
                        b.submit(2)
                    })
                };
                assert_eq!(first.join().unwrap(), 1);
                assert!(t0.elapsed() < Duration::from_secs(4));
                // Item 2 came during run 1, so run 2 waits: the items sent after run 1
                // ended, a few milliseconds apart, join it, and the eighth (a full batch)
                // ends the wait long before the linger would.
                let t0 = Instant::now();
                let late: Vec<_> = (3..10u32)
                    .map(|i| {
                        let b = b.clone();
                        rt::spawn(move || {
                            rt::sleep(Duration::from_millis(u64::from(i) * 5));
                            b.submit(i)
                        })
                    })
                    .collect();
                assert_eq!(second.join().unwrap(), 2);
                for t in late {
                    t.join().unwrap();
                }
                assert!(t0.elapsed() < Duration::from_secs(4));
            })
            .unwrap();
        let runs = runs.lock().unwrap();
        assert_eq!(*runs, vec![vec![1], (2..10).collect::<Vec<u32>>()]);
    }

    #[test]
    fn a_panicking_job_resumes_in_its_submitters() {
        let batcher = Arc::new(Batcher::new("test-panic", 4, |items: Vec<u32>| {
            assert!(items.iter().all(|&i| i != 3), "no threes");
            items
        }));
        let b = batcher.clone();
        let ok = Arc::new(Mutex::new(Vec::new()));
        let o = ok.clone();
        Runtime::new()
            .threads(1)
            .run(move |_thread| {
                for i in [1u32, 2] {
                    let (b, o) = (b.clone(), o.clone());
                    rt::spawn(move || {
                        let got = b.submit(i);
                        o.lock().unwrap().push(got);
                    });
                }
            })
            .unwrap();
        let mut ok = ok.lock().unwrap().clone();
        ok.sort_unstable();
        assert_eq!(ok, [1, 2]);
        let b = batcher.clone();
        let caught = rt::spawn(move || b.submit(3)).join();
        assert!(caught.is_err());
    }
}
