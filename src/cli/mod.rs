//! The command line: one file per subcommand, each with its `Args` and a `run` returning the
//! exit code. Errors are reported here, in one sentence.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod attach;
mod export;
mod libevent_shim;
mod live;
mod replay;
mod run;
mod validate;

/// A libevent-shaped event library, and the means to watch its inner life.
#[derive(Parser)]
#[command(name = "evscope", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Check a trace file: exit 0 with a summary, or 1 with FILE:LINE: what is wrong.
    Validate(validate::Args),
    /// Show a recorded trace (--print: as a plain-text timeline).
    Replay(Box<replay::Args>),
    /// Run a program built on evscope with the live link, and show what it does.
    Run(run::Args),
    /// Join a program started with EVSCOPE_TRACE=tcp:127.0.0.1:PORT.
    Attach(attach::Args),
    /// Convert a trace for other tools (Chrome trace JSON for Perfetto).
    Export(export::Args),
}

/// A subcommand's failure: printed as `evscope: <message>`, exit code 1 (or `code`).
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure {
            message: e.to_string(),
            code: 1,
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        None => {
            println!("evscope");
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Validate(a)) => validate::run(a),
        Some(Command::Replay(a)) => replay::run(*a),
        Some(Command::Run(a)) => run::run(a),
        Some(Command::Attach(a)) => attach::run(a),
        Some(Command::Export(a)) => export::run(a),
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            eprintln!("evscope: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}
