//! stackmail: an SMTP mail-processing platform built on microthreads.
//!
//! The layers, lowest first (imports point downward only):
//! - [`rt`]: tasklets, Stackless channels, the mio reactor, timers and sockets.
//! - [`vm`]: the stackless Python-subset VM that runs filter scripts.

pub mod rt;
pub mod vm;
