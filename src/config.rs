//! The one TOML config file of `stackmail serve --config FILE`.
//!
//! Every key has a default, so no file at all gives a working local MTA on a loopback port;
//! a key we do not know is an error that names it (a typo must not silently fall back to a
//! default). README.md, section Configuration, documents every key; a test keeps it honest.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::filter::Phase;
use crate::smtp::proto::SessionConfig;

/// The longest time any setting may name, in seconds (a week): deadlines are the time now
/// plus such a setting, and must stay representable.
const MAX_SECONDS: u64 = 7 * 24 * 3600;

/// Most worker tasklets one filter may ask for.
const MAX_WORKERS: usize = 1024;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub spool: SpoolConfig,
    pub local: LocalConfig,
    pub tls: TlsConfig,
    pub auth: AuthConfig,
    pub relay: RelayConfig,
    /// `[[filter]]` tables: the pipeline's stages, in order. None by default.
    pub filter: Vec<FilterConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub hostname: String,
    pub listen: Vec<SocketAddr>,
    /// Scheduler threads, each with its own SO_REUSEPORT listener.
    pub threads: usize,
    pub max_message_size: usize,
    pub max_recipients: usize,
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    /// Seconds (RFC 5321 4.5.3.2 suggests 5 minutes).
    pub command_timeout: u64,
    /// Seconds without progress while reading message data.
    pub data_timeout: u64,
    pub max_bad_commands: u32,
    pub allow_auth_on_loopback_without_tls: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            hostname: "localhost".into(),
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 2525))],
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_message_size: 25 * 1024 * 1024,
            max_recipients: 100,
            max_connections: 1000,
            max_connections_per_ip: 20,
            command_timeout: 300,
            data_timeout: 600,
            max_bad_commands: 20,
            allow_auth_on_loopback_without_tls: false,
        }
    }
}

impl ServerConfig {
    pub fn command_timeout(&self) -> Duration {
        Duration::from_secs(self.command_timeout)
    }

    pub fn data_timeout(&self) -> Duration {
        Duration::from_secs(self.data_timeout)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpoolConfig {
    pub dir: PathBuf,
    /// Seconds between two retry scans of the spool.
    pub retry_scan: u64,
}

impl Default for SpoolConfig {
    fn default() -> Self {
        SpoolConfig {
            dir: "var/spool".into(),
            retry_scan: 30,
        }
    }
}

impl SpoolConfig {
    pub fn retry_scan(&self) -> Duration {
        Duration::from_secs(self.retry_scan)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LocalConfig {
    /// Mail for these domains is delivered here; anyone may send to them.
    pub domains: Vec<String>,
    /// Maildir path template; `{user}` is the recipient's local part.
    pub maildir: String,
}

impl Default for LocalConfig {
    fn default() -> Self {
        LocalConfig {
            domains: vec!["localhost".into()],
            maildir: "var/mail/{user}".into(),
        }
    }
}

impl LocalConfig {
    /// Domain names compare case-insensitively (RFC 5321 2.4).
    pub fn is_local_domain(&self, domain: &str) -> bool {
        self.domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM certificate chain; STARTTLS is offered only when both files are set.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

impl TlsConfig {
    pub fn enabled(&self) -> bool {
        self.cert.is_some() && self.key.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// `user:argon2-hash` lines; AUTH is offered only when set.
    pub users_file: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RelayConfig {
    /// Clients in these networks may relay to any domain without AUTH.
    pub networks: Vec<Network>,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            networks: vec![Network::LOOPBACK_V4, Network::LOOPBACK_V6],
        }
    }
}

impl RelayConfig {
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|n| n.contains(ip))
    }
}

/// An IP network in CIDR notation (`192.0.2.0/24`, `2001:db8::/32`); a bare address is a /32
/// or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    const LOOPBACK_V4: Network = Network {
        addr: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        prefix: 8,
    };
    const LOOPBACK_V6: Network = Network {
        addr: IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        prefix: 128,
    };

    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let bits = usize::from(prefix);
    let (full, rest) = (bits / 8, bits % 8);
    if a.get(..full) != b.get(..full) {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    match (a.get(full), b.get(full)) {
        (Some(x), Some(y)) => x & mask == y & mask,
        _ => false,
    }
}

impl FromStr for Network {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("invalid network {s:?}: bad address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|&p| p <= max)
                .ok_or(format!("invalid network {s:?}: bad prefix length"))?,
            None => max,
        };
        Ok(Network { addr, prefix })
    }
}

impl TryFrom<String> for Network {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Network> for String {
    fn from(n: Network) -> String {
        n.to_string()
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// One `[[filter]]` stage: a script defining `run(inbox, outbox)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    /// The script; a relative path is relative to the config file's directory.
    pub script: PathBuf,
    /// The phases whose events this stage sees; the others pass it by.
    #[serde(default = "all_phases", deserialize_with = "phase_names")]
    pub phases: Vec<Phase>,
    /// Stage instances working on events at once (per scheduler thread).
    #[serde(default = "one")]
    pub workers: usize,
    /// Seconds a stage may take over one event before `on_error` applies.
    #[serde(default = "five")]
    pub timeout: u64,
    /// What an event gets when the stage raises, runs out of budget or times out.
    #[serde(default)]
    pub on_error: OnError,
}

fn all_phases() -> Vec<Phase> {
    Phase::ALL.to_vec()
}

/// Phase names, with an error that names the key as well as the bad value.
fn phase_names<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Phase>, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    names
        .iter()
        .map(|n| {
            n.parse()
                .map_err(|e| serde::de::Error::custom(format!("filter.phases: {e}")))
        })
        .collect()
}

fn one() -> usize {
    1
}

fn five() -> u64 {
    5
}

impl FilterConfig {
    pub fn new(script: impl Into<PathBuf>) -> FilterConfig {
        FilterConfig {
            script: script.into(),
            phases: all_phases(),
            workers: 1,
            timeout: 5,
            on_error: OnError::Tempfail,
        }
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout)
    }
}

/// A failing stage tempfails the event (the client retries, nothing is lost) unless the
/// operator prefers to let mail through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    #[default]
    Tempfail,
    Accept,
}

#[derive(Debug)]
pub enum ConfigError {
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Syntax, a wrong type or an unknown key; toml's message names the key and the line.
    Parse {
        path: Option<PathBuf>,
        message: String,
    },
    /// Parsed, but inconsistent (e.g. a TLS cert without a key).
    Invalid(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, source } => {
                write!(f, "cannot read config {}: {source}", path.display())
            }
            ConfigError::Parse {
                path: Some(p),
                message,
            } => write!(f, "config {}: {message}", p.display()),
            ConfigError::Parse {
                path: None,
                message,
            } => write!(f, "config: {message}"),
            ConfigError::Invalid(m) => write!(f, "config: {m}"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads `path`, or gives the defaults when there is none.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = Config::from_toml(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: Some(path.to_path_buf()),
                message,
            },
            other => other,
        })?;
        let dir = path.parent().unwrap_or(Path::new(""));
        for f in &mut config.filter {
            if f.script.is_relative() {
                f.script = dir.join(&f.script);
            }
        }
        Ok(config)
    }

    /// The sections of `new` that differ from this config and that only a restart applies:
    /// everything but the `[[filter]]` set, which a reload (SIGHUP) swaps in.
    pub fn restart_sections(&self, new: &Config) -> Vec<&'static str> {
        // Destructured, so that a new section must be sorted into one kind or the other.
        let Config {
            server,
            spool,
            local,
            tls,
            auth,
            relay,
            filter: _,
        } = self;
        let mut changed = Vec::new();
        let mut check = |name: &'static str, same: bool| {
            if !same {
                changed.push(name);
            }
        };
        check("server", *server == new.server);
        check("spool", *spool == new.spool);
        check("local", *local == new.local);
        check("tls", *tls == new.tls);
        check("auth", *auth == new.auth);
        check("relay", *relay == new.relay);
        changed
    }

    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: None,
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let s = &self.server;
        let invalid = |m: &str| Err(ConfigError::Invalid(m.to_string()));
        if s.listen.is_empty() {
            return invalid("server.listen must name at least one address");
        }
        if s.threads == 0 {
            return invalid("server.threads must be at least 1");
        }
        if s.hostname.is_empty()
            || s.hostname
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return invalid("server.hostname must be a single word");
        }
        if s.max_message_size == 0
            || s.max_recipients == 0
            || s.max_connections == 0
            || s.max_connections_per_ip == 0
        {
            return invalid(
                "server limits (max_message_size, max_recipients, max_connections, max_connections_per_ip) must be at least 1",
            );
        }
        if s.command_timeout == 0 || s.data_timeout == 0 || s.max_bad_commands == 0 {
            return invalid(
                "server.command_timeout, data_timeout and max_bad_commands must be at least 1",
            );
        }
        // Bounded so that a deadline (now + the value) can always be represented.
        if s.command_timeout > MAX_SECONDS || s.data_timeout > MAX_SECONDS {
            return invalid(
                "server.command_timeout and data_timeout must be at most 604800 seconds (a week)",
            );
        }
        if self.spool.retry_scan == 0 {
            return invalid("spool.retry_scan must be at least 1 second");
        }
        if self.spool.retry_scan > MAX_SECONDS {
            return invalid("spool.retry_scan must be at most 604800 seconds (a week)");
        }
        if self.tls.cert.is_some() != self.tls.key.is_some() {
            return invalid("tls.cert and tls.key must be set together");
        }
        if self.local.maildir.is_empty() {
            return invalid("local.maildir must not be empty");
        }
        for (i, f) in self.filter.iter().enumerate() {
            let n = i + 1;
            let script = f.script.display();
            if f.script.as_os_str().is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "filter #{n}: script must name a file"
                )));
            }
            if f.phases.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "filter #{n} ({script}): phases must name at least one phase"
                )));
            }
            if f.workers == 0 || f.workers > MAX_WORKERS {
                return Err(ConfigError::Invalid(format!(
                    "filter #{n} ({script}): workers must be from 1 to {MAX_WORKERS}"
                )));
            }
            if f.timeout == 0 || f.timeout > MAX_SECONDS {
                return Err(ConfigError::Invalid(format!(
                    "filter #{n} ({script}): timeout must be from 1 to {MAX_SECONDS} seconds"
                )));
            }
        }
        Ok(())
    }

    /// The protocol settings for one connection. `loopback` is whether the client connected
    /// from a loopback address, where AUTH may be allowed without TLS.
    pub fn session_config(&self, loopback: bool) -> SessionConfig {
        let s = &self.server;
        SessionConfig {
            hostname: s.hostname.clone(),
            max_message_size: s.max_message_size,
            max_recipients: s.max_recipients,
            max_bad_commands: s.max_bad_commands,
            max_data_line: 1000,
            tls_available: self.tls.enabled(),
            auth_available: self.auth.users_file.is_some(),
            auth_without_tls: loopback && s.allow_auth_on_loopback_without_tls,
        }
    }
}

#[cfg(test)]
mod tests;
