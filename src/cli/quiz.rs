//! `evscope quiz FILE`: the dashboard replays a trace and, at chosen moments, stops and asks
//! what happens next; questions come from the trace itself.

use std::path::PathBuf;
use std::process::ExitCode;

use evscope::dash::{self, Theme};
use evscope::trace::Lang;

use super::{dash_failure, Failure};

#[derive(clap::Args)]
pub struct Args {
    /// The trace file (JSON Lines).
    file: PathBuf,
    /// Language of the questions and explanations: en or zh.
    #[arg(long, default_value = "en")]
    lang: Lang,
    /// Ask at every N-th record that can be asked about (default: about ten questions).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    every: Option<u64>,
    /// Which of the eligible records are asked about (the same seed asks the same questions).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Dashboard colours: dark, light or contrast (for projectors).
    #[arg(long, default_value = "dark")]
    theme: Theme,
}

pub fn main(args: Args) -> Result<ExitCode, Failure> {
    let opts = dash::Options {
        theme: args.theme,
        lang: args.lang,
        step: false,
    };
    let every = args.every.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    dash::quiz(&args.file, &opts, every, args.seed)
        .map_err(|e| dash_failure(e, Some(&args.file)))?;
    Ok(ExitCode::SUCCESS)
}
