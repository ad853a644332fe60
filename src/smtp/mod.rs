//! SMTP: the sans-IO protocol layer ([`proto`]); the socket drivers build on it.

pub mod proto;
