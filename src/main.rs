//! The `evscope` command: parse the command line, then hand off to `cli`.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    cli::main(cli::Cli::parse())
}
