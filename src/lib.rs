//! stackmail: an SMTP mail-processing platform built on microthreads.
//!
//! The layers, lowest first (imports point downward only):
//! - [`rt`]: tasklets, Stackless channels, the mio reactor, timers and sockets.
//! - [`mail`]: the message model filters see, and edits that keep the rest byte-identical.
//! - [`smtp::proto`]: sans-IO SMTP grammar, framing and session state machines.
//! - [`queue`]: the durable spool (group commit, per-recipient status, recovery).
//! - [`deliver`]: local delivery into Maildir.
//! - [`filter`]: the event and message objects filter scripts see, their verdicts, `log`, and
//!   the check of configured filter scripts.
//! - [`config`]: the TOML config file (used by the CLI to wire everything).
//! - [`vm`]: the stackless Python-subset VM that runs filter scripts.

pub mod config;
pub mod deliver;
pub mod filter;
pub mod mail;
pub mod queue;
pub mod rt;
pub mod smtp;
pub mod vm;
