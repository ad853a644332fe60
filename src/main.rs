//! The `stackmail` command: argument parsing, config loading and process wiring.

/// The VM allocates and frees many small objects (strings, frames, instances); glibc malloc
/// spent over a third of the time of string-heavy scripts in its own bookkeeping.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use signal_hook::consts::SIGHUP;
use signal_hook::iterator::Signals;
use stackmail::config::Config;
use stackmail::smtp::server::{PolicySwitch, Server};

/// An SMTP mail-processing platform on microthreads, with mail policy written as
/// Python-subset filter scripts.
#[derive(Parser)]
#[command(name = "stackmail", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the mail server (SMTP in, filter pipelines, spool, Maildir delivery; SIGHUP reloads the filters).
    Serve {
        /// The TOML config file; without it every key has its default.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Check the config and compile every filter script it lists (and any given here).
    Check {
        /// The TOML config file; without it every key has its default (no filters).
        #[arg(long)]
        config: Option<PathBuf>,
        /// More filter scripts to check, beside the configured ones.
        scripts: Vec<PathBuf>,
    },
    /// Run a script (the filters' Python subset, with `stackless` and `pickle`) as `python3 FILE.py ARGS` would.
    Run {
        /// The script to run.
        file: PathBuf,
        /// Arguments passed to the script as `sys.argv[1:]`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Filter authoring tools.
    Filter {
        #[command(subcommand)]
        action: FilterAction,
    },
    /// Manage the AUTH users file.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
}

#[derive(Subcommand)]
enum FilterAction {
    /// Run filter scripts on a message offline, through every phase as the server would.
    Test {
        /// Print one JSON object instead of verdict lines and a diff.
        #[arg(long)]
        json: bool,
        /// The stages in order, then the message (an .eml file, LF or CRLF line ends).
        #[arg(value_name = "FILTER.py... MESSAGE.eml", required = true)]
        files: Vec<PathBuf>,
        /// The MAIL FROM address (default: the message's From address, else <>).
        #[arg(long, value_name = "ADDR")]
        mail_from: Option<String>,
        /// A RCPT TO address; repeat for more (default: postmaster@localhost).
        #[arg(long, value_name = "ADDR")]
        rcpt: Vec<String>,
        /// The client's address as events report it.
        #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
        client_ip: std::net::IpAddr,
        /// The EHLO argument.
        #[arg(long, value_name = "NAME", default_value = "localhost")]
        helo: String,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Add a user, or set a new password; the password is read from the first line of stdin.
    Add {
        name: String,
        /// The config whose `auth.users_file` to write.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Write this users file instead of the config's.
        #[arg(long)]
        users_file: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    init_logging();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // `filter test` reports every usage or load error with status 1.
            let filter = std::env::args().nth(1).is_some_and(|a| a == "filter");
            return match e.exit_code() {
                0 => ExitCode::SUCCESS,
                _ if filter => ExitCode::FAILURE,
                c => ExitCode::from(c.clamp(0, 255) as u8),
            };
        }
    };
    match cli.command {
        Command::Serve { config } => serve(config),
        Command::Check { config, scripts } => check(config, scripts),
        Command::Run { file, args } => {
            let status = stackmail::vm::run_file(&file, &args);
            ExitCode::from(status.clamp(0, 255) as u8)
        }
        Command::Filter {
            action:
                FilterAction::Test {
                    json,
                    files,
                    mail_from,
                    rcpt,
                    client_ip,
                    helo,
                },
        } => {
            let tx = stackmail::filter::offline::Transaction {
                client_ip,
                helo,
                mail_from,
                rcpts: rcpt,
            };
            filter_test(json, files, tx)
        }
        Command::User {
            action:
                UserAction::Add {
                    name,
                    config,
                    users_file,
                },
        } => user_add(&name, config, users_file),
    }
}

fn user_add(name: &str, config: Option<PathBuf>, users_file: Option<PathBuf>) -> ExitCode {
    let path = match users_file {
        Some(p) => p,
        None => match stackmail::config::Config::load(config.as_deref()) {
            Ok(c) => match c.auth.users_file {
                Some(p) => p,
                None => {
                    eprintln!(
                        "stackmail: no users file: set auth.users_file in the config or pass --users-file"
                    );
                    return ExitCode::from(2);
                }
            },
            Err(e) => {
                eprintln!("stackmail: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let mut password = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut password) {
        eprintln!("stackmail: cannot read the password: {e}");
        return ExitCode::FAILURE;
    }
    let password = password.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        eprintln!("stackmail: empty password (give it on stdin)");
        return ExitCode::from(2);
    }
    match stackmail::smtp::server::users::add_user(&path, name, password) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stackmail: {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

fn serve(path: Option<PathBuf>) -> ExitCode {
    let config = match Config::load(path.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("stackmail: {e}");
            return ExitCode::from(2);
        }
    };
    let policy = if config.filter.is_empty() {
        None
    } else {
        match stackmail::filter::policy_factory(config.filter.clone()) {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!("stackmail serve: filter {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    // Taken over before any thread starts, so that an early SIGHUP does not end the process.
    let mut hangups = match Signals::new([SIGHUP]) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("stackmail serve: cannot handle SIGHUP: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = match Server::start(config.clone(), policy) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("stackmail serve: {e}");
            return ExitCode::FAILURE;
        }
    };
    let switch = server.policy_switch();
    // A thread of its own (with a main-thread-sized stack: module bodies run on it when the
    // new scripts are checked), so no scheduler thread ever waits on a reload.
    let reloader = std::thread::Builder::new()
        .name("stackmail-reload".into())
        .stack_size(8 << 20)
        .spawn(move || {
            let mut running = config;
            for _ in hangups.forever() {
                reload(path.as_deref(), &mut running, &switch);
            }
        });
    if let Err(e) = reloader {
        eprintln!("stackmail serve: cannot start the reload thread: {e}");
        return ExitCode::FAILURE;
    }
    server.join();
    ExitCode::SUCCESS
}

/// SIGHUP: reads the config again and compiles and loads its filters once here; if they
/// all load, every scheduler thread builds the new pipeline for its new connections.
/// Otherwise the error is logged and the running pipeline keeps serving. Only the filters
/// change: other sections that differ are named in a warning and wait for a restart.
fn reload(path: Option<&Path>, running: &mut Config, switch: &PolicySwitch) {
    tracing::info!("SIGHUP: reloading the config and the filter scripts");
    let new = match Config::load(path) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("reload failed, the running filters stay: {e}");
            return;
        }
    };
    let policy = if new.filter.is_empty() {
        None
    } else {
        match stackmail::filter::policy_factory(new.filter.clone()) {
            Ok(f) => Some(f),
            Err(e) => {
                tracing::error!("reload failed, the running filters stay: filter {e}");
                return;
            }
        }
    };
    let restart = running.restart_sections(&new);
    if !restart.is_empty() {
        tracing::warn!(
            "changed config sections need a restart and are not applied: {}",
            restart
                .iter()
                .map(|s| format!("[{s}]"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let n = new.filter.len();
    switch.set(policy, &new.filter);
    running.filter = new.filter;
    tracing::info!(
        "reloaded: {n} filter script{} for new connections",
        if n == 1 { "" } else { "s" }
    );
}

/// `stackmail check`: exit 0 with a one-line summary, or 1 with every problem found.
fn check(config: Option<PathBuf>, scripts: Vec<PathBuf>) -> ExitCode {
    let config = match stackmail::config::Config::load(config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("stackmail: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut filters = config.filter.clone();
    filters.extend(
        scripts
            .into_iter()
            .map(stackmail::config::FilterConfig::new),
    );
    match stackmail::filter::check_filters(&filters) {
        Ok(()) => {
            let n = filters.len();
            println!(
                "stackmail check: config OK, {n} filter script{} OK",
                if n == 1 { "" } else { "s" }
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!(
                "stackmail check: {} of {} filter scripts failed",
                errors.len(),
                filters.len()
            );
            ExitCode::FAILURE
        }
    }
}

/// `stackmail filter test`: exit 0 when the run completed, whatever the verdicts; 1 when the
/// arguments, the message or a stage could not be used.
fn filter_test(
    json: bool,
    mut files: Vec<PathBuf>,
    tx: stackmail::filter::offline::Transaction,
) -> ExitCode {
    const ME: &str = "stackmail filter test";
    if files.len() < 2 {
        eprintln!(
            "{ME}: give one or more filter scripts, then the message (FILTER.py... MESSAGE.eml)"
        );
        return ExitCode::FAILURE;
    }
    let message_path = files.pop().unwrap_or_default();
    for f in &files {
        if let Err(e) = std::fs::metadata(f) {
            eprintln!("{ME}: filter {}: {e}", f.display());
            return ExitCode::FAILURE;
        }
    }
    let message = match std::fs::read(&message_path) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{ME}: message {}: {e}", message_path.display());
            return ExitCode::FAILURE;
        }
    };
    let stages: Vec<_> = files
        .into_iter()
        .map(stackmail::config::FilterConfig::new)
        .collect();
    match stackmail::filter::offline::run(&stages, &tx, message) {
        Ok(report) => {
            if json {
                println!("{}", report.json());
            } else {
                print!("{}", report.human());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr, filtered by `RUST_LOG` (`info` when it is unset).
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
