//! The `stackmail` command: argument parsing, config loading and process wiring.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// An SMTP mail-processing platform on microthreads, with mail policy written as
/// Python-subset filter scripts.
#[derive(Parser)]
#[command(name = "stackmail", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    match cli.command {}
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
