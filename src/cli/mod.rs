//! The command line: one file per subcommand, each with its `Args` and a `run` returning the
//! exit code. Errors are reported here, in one sentence.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use evscope::dash::DashError;
use evscope::trace::{escape_text, TraceError};

/// `eprintln!` that never panics: a message to a terminal that has gone (a closed window hangs
/// up) is lost, rather than a panic that would skip the clean-up after it.
macro_rules! tell {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod atomic;
mod attach;
mod c_library;
mod cleanup;
mod demo;
mod demo_list;
mod export;
mod output;
#[cfg(test)]
mod parse_fuzz;
mod print;
mod quiz;
mod replay;
mod run;
mod trace_file;
mod validate;
mod values;
mod view;

/// A libevent-shaped event library, and the means to watch its inner life. With no command,
/// the dashboard opens live on the default demo (the echo server).
#[derive(Parser)]
#[command(
    name = "evscope",
    version,
    about,
    after_help = "With no command, evscope opens the dashboard live on the echo demo \
                  (`evscope demo echo`)."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a classroom demo live in the dashboard (or --headless, optionally recording it).
    Demo(Box<demo::Args>),
    /// List the demos, with the lesson each belongs to.
    Demos,
    /// Show a recorded trace in the dashboard (--print: as a plain-text timeline).
    Replay(Box<replay::Args>),
    /// Replay a trace as a quiz: it stops and asks what happens next, and keeps a score.
    Quiz(Box<quiz::Args>),
    /// Run a program built on evscope with the live link, and show what it does.
    Run(Box<run::Args>),
    /// Join a program started with EVSCOPE_TRACE=tcp:127.0.0.1:PORT.
    Attach(Box<attach::Args>),
    /// Check a trace file: exit 0 with a summary, or 1 with FILE:LINE: what is wrong.
    Validate(validate::Args),
    /// Convert a trace for other tools (Chrome trace JSON for Perfetto).
    Export(export::Args),
}

/// A subcommand's failure: printed as `evscope: <message>`, exit code 1 (or `code`).
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    /// Prints `evscope: <message>` on stderr. The message may quote a trace or a program (a
    /// label, a line, a name): its control codes are shown escaped, never sent to the terminal.
    pub fn report(&self) {
        tell!("evscope: {}", escape_text(&self.message));
    }
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure {
            message: e.to_string(),
            code: 1,
        }
    }
}

/// Exit code when the dashboard has no terminal to draw on.
const NO_TERMINAL: u8 = 2;

/// Exit code for a command line that asks for something impossible (clap's too).
pub const USAGE: u8 = 2;

/// `FILE:LINE: what is wrong` (or `FILE: what` for problems with no line), as `validate` and
/// every other reader of a trace file says it.
pub fn located(file: &std::path::Path, e: &TraceError) -> String {
    if e.line > 0 {
        format!("{}:{}: {}", file.display(), e.line, e.what)
    } else {
        format!("{}: {}", file.display(), e.what)
    }
}

/// A dashboard error, told in one sentence; a trace error names `file` and the line.
pub fn dash_failure(e: DashError, file: Option<&std::path::Path>) -> Failure {
    match (e, file) {
        (DashError::Trace(e), Some(f)) => Failure::from(located(f, &e)),
        (DashError::NoTerminal, _) => no_terminal(),
        (DashError::DumbTerminal, _) => dumb_terminal(),
        (e, _) => Failure::from(e),
    }
}

/// The dashboard cannot start without a terminal: say so, and how to run without one.
pub fn no_terminal() -> Failure {
    Failure {
        message: "the dashboard needs a terminal, and stdout is not one; without a terminal use \
                  `evscope demo NAME --headless --duration SECS [--record FILE]`, \
                  `evscope replay FILE --print` or `evscope run --print -- PROGRAM`"
            .into(),
        code: NO_TERMINAL,
    }
}

impl Cli {
    /// Checks what clap cannot check option by option (options that go together, a demo's
    /// name), without running anything.
    pub fn check(&self) -> Result<(), Failure> {
        match &self.command {
            Some(Command::Demo(a)) => demo::check(a).map(drop),
            _ => Ok(()),
        }
    }
}

/// The terminal cannot draw the dashboard (TERM=dumb): say so, and what works there.
pub fn dumb_terminal() -> Failure {
    Failure {
        message: "the dashboard draws a full screen in colour, which TERM=dumb cannot show; \
                  use --print instead (`evscope replay FILE --print`, `evscope run --print -- \
                  PROGRAM`, `evscope attach ADDR --print`), `evscope demo NAME --headless \
                  --duration SECS`, or a terminal type that can (e.g. TERM=xterm-256color)"
            .into(),
        code: NO_TERMINAL,
    }
}

/// Runs the parsed command line.
pub fn main(cli: Cli) -> ExitCode {
    if let Err(f) = cli.check() {
        f.report();
        return ExitCode::from(f.code);
    }
    let result = match cli.command {
        None => demo::main(demo::Args::default()),
        Some(Command::Demo(a)) => demo::main(*a),
        Some(Command::Demos) => demo_list::main(),
        Some(Command::Replay(a)) => replay::main(*a),
        Some(Command::Quiz(a)) => quiz::main(*a),
        Some(Command::Run(a)) => run::main(*a),
        Some(Command::Attach(a)) => attach::main(*a),
        Some(Command::Validate(a)) => validate::main(a),
        Some(Command::Export(a)) => export::main(a),
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            f.report();
            ExitCode::from(f.code)
        }
    }
}
