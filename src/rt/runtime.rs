//! N threads, each with its own scheduler and reactor, sharing nothing.

use std::io;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;

use super::reactor::Remote;
use super::sched;
use super::stack::DEFAULT_STACK_SIZE;

/// Stack size of each thread's first tasklet, like a thread's main stack.
pub const FIRST_STACK: usize = 8 << 20;

/// Builds a multi-threaded runtime: one scheduler per thread.
#[derive(Debug, Clone)]
pub struct Runtime {
    threads: usize,
    stack_size: usize,
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime::new()
    }
}

/// The running threads of a [`Runtime::start`].
pub struct RuntimeHandle {
    remotes: Vec<Remote>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Runtime {
    /// One thread per available core.
    pub fn new() -> Runtime {
        let threads = thread::available_parallelism().map_or(1, |n| n.get());
        Runtime {
            threads,
            stack_size: DEFAULT_STACK_SIZE,
        }
    }

    pub fn threads(mut self, n: usize) -> Runtime {
        self.threads = n.max(1);
        self
    }

    /// Default usable stack size of the tasklets spawned on these threads.
    pub fn stack_size(mut self, size: usize) -> Runtime {
        self.stack_size = size;
        self
    }

    /// Starts the threads; each runs `f(thread_index)` as its first tasklet (on a stack of
    /// `FIRST_STACK` bytes) and then serves
    /// until [`RuntimeHandle::stop`].
    pub fn start<F>(self, f: F) -> io::Result<RuntimeHandle>
    where
        F: Fn(usize) + Send + Sync + 'static,
    {
        self.launch(f, false)
    }

    /// Runs `f(thread_index)` as the first tasklet of every thread (see `start`) and returns when every
    /// thread has run out of work.
    pub fn run<F>(self, f: F) -> io::Result<()>
    where
        F: Fn(usize) + Send + Sync + 'static,
    {
        self.launch(f, true)?.join();
        Ok(())
    }

    fn launch<F>(self, f: F, stop_when_idle: bool) -> io::Result<RuntimeHandle>
    where
        F: Fn(usize) + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let (ready_tx, ready_rx) = mpsc::channel();
        let mut handle = RuntimeHandle {
            remotes: Vec::new(),
            threads: Vec::new(),
        };
        for index in 0..self.threads {
            let f = f.clone();
            let ready = ready_tx.clone();
            let stack_size = self.stack_size;
            let thread = thread::Builder::new()
                .name(format!("stackmail-{index}"))
                .spawn(move || {
                    super::set_default_stack_size(stack_size);
                    let remote = super::remote();
                    let ok = remote.is_ok();
                    let _ = ready.send((index, remote));
                    drop(ready);
                    if !ok {
                        return;
                    }
                    // The first tasklet sets the thread up (an embedder may compile and run
                    // scripts there): it gets a thread-sized stack, which costs only the
                    // pages it touches.
                    let first = super::Builder::new().stack_size(FIRST_STACK);
                    if let Err(e) = first.spawn(move || f(index)) {
                        tracing::error!(thread = index, "cannot spawn the first tasklet: {e}");
                        return;
                    }
                    sched::with(|s| {
                        s.run_loop(|| false, stop_when_idle);
                        s.shutdown();
                    });
                });
            match thread {
                Ok(t) => handle.threads.push(t),
                Err(e) => {
                    // The threads started so far must hear the stop, or the join below waits
                    // for them for ever: each reports its handle once.
                    drop(ready_tx);
                    handle.remotes = ready_rx
                        .iter()
                        .take(index)
                        .filter_map(|(_, r)| r.ok())
                        .collect();
                    handle.stop();
                    return Err(e);
                }
            }
        }
        drop(ready_tx);
        let mut remotes: Vec<Option<Remote>> = vec![None; self.threads];
        for (index, remote) in ready_rx.iter().take(self.threads) {
            match remote {
                Ok(r) => remotes[index] = Some(r),
                Err(e) => {
                    handle.remotes = remotes.into_iter().flatten().collect();
                    handle.stop();
                    return Err(e);
                }
            }
        }
        handle.remotes = remotes.into_iter().flatten().collect();
        Ok(handle)
    }
}

impl RuntimeHandle {
    /// One handle per thread, in thread-index order.
    pub fn remotes(&self) -> &[Remote] {
        &self.remotes
    }

    /// Asks every thread to stop, kills their remaining tasklets and waits for the threads.
    pub fn stop(self) {
        for remote in &self.remotes {
            let _ = remote.stop();
        }
        self.join();
    }

    /// Waits for every thread to end on its own.
    pub fn join(self) {
        for thread in self.threads {
            if thread.join().is_err() {
                tracing::error!("a runtime thread panicked");
            }
        }
    }
}
