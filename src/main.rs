use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use evscope::dash;

/// evscope: a libevent-shaped event library, and a dashboard that shows its inner life.
#[derive(Parser)]
#[command(name = "evscope", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Replay a recorded trace in the dashboard.
    Replay(ReplayArgs),
}

#[derive(Args)]
struct ReplayArgs {
    /// The trace (JSON Lines, version 1).
    file: PathBuf,
    /// Colours: dark, light or contrast.
    #[arg(long, default_value = "dark")]
    theme: dash::Theme,
    /// Language of the explanations: en or zh.
    #[arg(long, default_value = "en")]
    lang: dash::Lang,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Replay(args)) => replay_dashboard(args),
        None => {
            println!("evscope");
            ExitCode::SUCCESS
        }
    }
}

/// `evscope replay FILE`: the dashboard over a recorded trace.
fn replay_dashboard(args: ReplayArgs) -> ExitCode {
    let opts = dash::Options {
        theme: args.theme,
        lang: args.lang,
        step: false,
    };
    match dash::replay(&args.file, &opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("evscope: cannot replay {}: {e}", args.file.display());
            ExitCode::FAILURE
        }
    }
}
