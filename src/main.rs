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
enum Command {
    /// Run a filter script (a Python subset) as `python3 FILE.py ARGS` would.
    Run {
        /// The script to run.
        file: std::path::PathBuf,
        /// Arguments passed to the script as `sys.argv[1:]`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    match cli.command {
        Command::Run { file, args } => {
            let status = stackmail::vm::run_file(&file, &args);
            ExitCode::from(status.clamp(0, 255) as u8)
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
