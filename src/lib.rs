//! stackmail: an SMTP mail-processing platform built on microthreads.
//!
//! The layers, lowest first (imports point downward only):
//! - [`rt`]: tasklets, Stackless channels, the mio reactor, timers and sockets.
//! - [`smtp::proto`]: sans-IO SMTP grammar, framing and session state machines.
//! - [`queue`]: the durable spool (group commit, per-recipient status, recovery).
//! - [`deliver`]: local delivery into Maildir.
//! - [`config`]: the TOML config file (used by the CLI to wire everything).

pub mod config;
pub mod deliver;
pub mod queue;
pub mod rt;
pub mod smtp;
