//! SMTP: the sans-IO protocol layer ([`proto`]) and the server that drives it over the
//! runtime's sockets ([`server`]).

pub mod proto;
pub mod server;
