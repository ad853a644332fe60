//! The SMTP server: one tasklet per connection, driving a sans-IO
//! [`ServerSession`](crate::smtp::proto::ServerSession) over a runtime socket; one scheduler
//! thread per core, each with its own SO_REUSEPORT listeners.
//!
//! Policy lives in one file per phase (`ehlo`, `mail`, `rcpt`, `data`, `auth`), each a
//! function from the event to a [`Verdict`](crate::smtp::proto::Verdict), so it is testable
//! without a socket; `session` is the only place that moves bytes.

mod auth;
mod commit;
mod data;
mod delivery;
mod ehlo;
mod limits;
mod mail;
pub mod policy;
mod post_queue;
mod rcpt;
mod session;
mod tls;
pub mod users;

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::rc::{Rc, Weak};
use std::sync::Arc;

use crate::config::Config;
use crate::queue::Spool;
use crate::rt::{self, Remote, Runtime, RuntimeHandle, net::ListenOptions, net::TcpListener};

use limits::ConnectionLimits;
use policy::{Policy, PolicyFactory};

/// What every thread shares. Per-thread state (each thread's handle on the group commit,
/// its policy) is made on each thread.
pub(crate) struct Shared {
    pub config: Config,
    pub spool: Spool,
    pub limits: ConnectionLimits,
    pub deliveries: delivery::InFlight,
    /// Held messages with post-queue work running, and those the retry scan found held.
    pub held: post_queue::Held,
    /// Set when `tls.cert` and `tls.key` are configured: STARTTLS is offered.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Set when `auth.users_file` is configured: AUTH is offered (after TLS, or on loopback
    /// when the config allows it).
    pub users: Option<Arc<users::Users>>,
    /// Whether the filter set in force (the config's, then each reload's) has post-queue
    /// stages: a held message found on a thread without them waits for them if so, and is
    /// released as it is if not.
    pub queue_stages: std::sync::atomic::AtomicBool,
}

/// A mutex's guard; a panic elsewhere while it was held leaves data that is still usable.
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Recovers the spool, then serves SMTP on every `server.listen` address until the process
/// is stopped. `policy` builds each thread's policy (the filter pipeline) on that thread.
pub fn serve(config: Config, policy: Option<PolicyFactory>) -> io::Result<()> {
    Server::start(config, policy)?.join();
    Ok(())
}

/// A running server: its scheduler threads, and the handle that swaps their policy.
pub struct Server {
    runtime: RuntimeHandle,
    shared: Arc<Shared>,
}

/// Hands a new policy to every scheduler thread of a [`Server`]; any thread may hold it.
#[derive(Clone)]
pub struct PolicySwitch {
    shared: Arc<Shared>,
    remotes: Vec<Remote>,
}

impl Server {
    /// Recovers the spool, binds every `server.listen` address and starts the threads.
    pub fn start(config: Config, policy: Option<PolicyFactory>) -> io::Result<Server> {
        let spool = Spool::open(&config.spool.dir).map_err(io::Error::other)?;
        let recovery = spool.recover().map_err(io::Error::other)?;
        // Their post-queue work or quarantine was cut short: the first thread to start
        // finishes it.
        let held: Vec<_> = recovery
            .messages
            .into_iter()
            .filter(|m| m.envelope.hold.is_some())
            .map(|m| m.id)
            .collect();
        let tls = match (&config.tls.cert, &config.tls.key) {
            (Some(cert), Some(key)) => Some(tls::load(cert, key)?),
            _ => None,
        };
        let users = match &config.auth.users_file {
            Some(path) => Some(Arc::new(users::Users::load(path)?)),
            None => None,
        };
        let listen = resolve_ports(&config.server.listen)?;
        let threads = config.server.threads;
        let queue_stages = has_queue_stages(&config.filter);
        let shared = Arc::new(Shared {
            queue_stages: queue_stages.into(),
            limits: ConnectionLimits::new(
                config.server.max_connections,
                config.server.max_connections_per_ip,
            ),
            config,
            spool,
            deliveries: delivery::InFlight::default(),
            held: post_queue::Held::default(),
            tls,
            users,
        });
        // Bind on this thread first, so a bad address fails the command instead of a thread.
        for addr in &listen {
            bind(*addr)?;
        }
        let commits = commit::group_commit(shared.clone());
        let held = std::sync::Mutex::new(held);
        let on_threads = shared.clone();
        let runtime = Runtime::new().threads(threads).start(move |index| {
            let held = std::mem::take(&mut *lock(&held));
            thread_main(index, &on_threads, &commits, &listen, policy.as_ref(), held)
        })?;
        Ok(Server { runtime, shared })
    }

    pub fn policy_switch(&self) -> PolicySwitch {
        PolicySwitch {
            shared: self.shared.clone(),
            remotes: self.runtime.remotes().to_vec(),
        }
    }

    /// Waits for the threads, which serve until the process is stopped.
    pub fn join(self) {
        self.runtime.join();
    }
}

impl PolicySwitch {
    /// Every thread builds its new policy with `policy`, on its own thread, and gives it to
    /// the connections it accepts from then on; sessions already running keep the policy
    /// they started with. A thread whose factory fails (it logs why) keeps its old policy.
    /// `None`: new connections get no policy. `filters` is the set the factory builds.
    pub fn set(&self, policy: Option<PolicyFactory>, filters: &[crate::config::FilterConfig]) {
        self.shared.queue_stages.store(
            has_queue_stages(filters),
            std::sync::atomic::Ordering::Relaxed,
        );
        for (index, remote) in self.remotes.iter().enumerate() {
            let policy = policy.clone();
            let sent = remote.spawn(move || {
                // Building a pipeline runs the scripts' module bodies: give it a thread-sized
                // stack, as the thread's first tasklet has.
                let build = rt::Builder::new()
                    .stack_size(rt::FIRST_STACK)
                    .spawn(move || install_policy(index, policy.as_ref()));
                if let Err(e) = build {
                    tracing::error!(thread = index, "cannot load the new policy: {e}");
                }
            });
            if sent.is_err() {
                tracing::warn!(thread = index, "the thread has stopped; policy not changed");
            }
        }
    }
}

/// The policy a thread's new connections get; its accept loops hold it.
type PolicyCell = RefCell<Option<Rc<dyn Policy>>>;

thread_local! {
    /// This thread's policy cell, for a reload to find. Weak: the accept loops own the
    /// cell, so the policy is dropped with them, while the scheduler can still run what its
    /// destructor asks for, not when the thread's locals are torn down.
    static POLICY: RefCell<Weak<PolicyCell>> = const { RefCell::new(Weak::new()) };
}

fn install_policy(index: usize, factory: Option<&PolicyFactory>) {
    let Some(cell) = POLICY.with(|p| p.borrow().upgrade()) else {
        return;
    };
    let policy = match factory {
        None => None,
        Some(make) => match make(index) {
            Some(p) => Some(p),
            None => {
                tracing::error!(thread = index, "the thread keeps its old policy");
                return;
            }
        },
    };
    // The old policy is dropped outside the borrow: its last clone may end here.
    let old = cell.replace(policy);
    drop(old);
}

fn has_queue_stages(filters: &[crate::config::FilterConfig]) -> bool {
    filters
        .iter()
        .any(|f| f.phases.contains(&crate::filter::Phase::Queue))
}

/// Port 0 ("any free port") must resolve to one port for all threads, or each thread's
/// SO_REUSEPORT socket would get a different one.
fn resolve_ports(addrs: &[SocketAddr]) -> io::Result<Vec<SocketAddr>> {
    addrs
        .iter()
        .map(|addr| {
            if addr.port() != 0 {
                return Ok(*addr);
            }
            let probe = std::net::TcpListener::bind(addr)?;
            probe.local_addr()
        })
        .collect()
}

fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind_with(
        addr,
        &ListenOptions {
            reuse_port: true,
            ..ListenOptions::default()
        },
    )
}

fn thread_main(
    index: usize,
    shared: &Arc<Shared>,
    commits: &Arc<commit::Commits>,
    listen: &[SocketAddr],
    policy: Option<&PolicyFactory>,
    held: Vec<crate::queue::QueueId>,
) {
    let committer = commit::Committer::start(shared.clone(), commits.clone());
    let policy = policy.and_then(|make| make(index));
    let policy: Rc<PolicyCell> = Rc::new(RefCell::new(policy));
    POLICY.with(|p| *p.borrow_mut() = Rc::downgrade(&policy));
    for addr in listen {
        let listener = match bind(*addr) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(%addr, thread = index, "cannot listen: {e}");
                continue;
            }
        };
        tracing::info!(addr = %listener.local_addr().unwrap_or(*addr), thread = index, "listening");
        let shared = shared.clone();
        let committer = committer.clone();
        let policy = policy.clone();
        rt::spawn(move || accept_loop(&listener, &shared, &committer, &policy));
    }
    if !held.is_empty() {
        let (shared, committer) = (shared.clone(), committer.clone());
        let policy = policy.borrow().clone();
        rt::spawn(move || post_queue::finish_held(held, &shared, &committer, policy));
    }
    if index == 0 {
        let (shared, committer) = (shared.clone(), committer.clone());
        rt::spawn(move || delivery::retry_loop(&shared, &committer, &policy));
    }
}

fn accept_loop(
    listener: &TcpListener,
    shared: &Arc<Shared>,
    committer: &commit::Committer,
    policy: &PolicyCell,
) {
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("accept: {e}");
                rt::sleep(std::time::Duration::from_millis(100));
                continue;
            }
        };
        let shared = shared.clone();
        let committer = committer.clone();
        // Read for each connection: a reload swaps it, and the session keeps this one.
        let policy = policy.borrow().clone();
        let spawned = rt::Builder::new()
            .spawn(move || session::run(stream, peer, &shared, &committer, policy));
        if let Err(e) = spawned {
            // No memory for one more tasklet's stack (the connection, inside the closure,
            // is closed): this listener goes on once some sessions have ended.
            tracing::warn!(client = %peer, "cannot start a session: {e}");
            rt::sleep(std::time::Duration::from_millis(100));
        }
    }
}
