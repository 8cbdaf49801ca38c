//! `evscope replay FILE`: the dashboard over a recorded trace; with `--print`, the trace as a
//! plain-text timeline, one explained line per record.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use evscope::dash::{self, Theme};
use evscope::trace::{escape_text, Explainer, Lang, Reader};

use super::{dash_failure, located, Failure};

#[derive(clap::Args)]
pub struct Args {
    /// The trace file (JSON Lines).
    file: PathBuf,
    /// Print the timeline as text instead of opening the dashboard.
    #[arg(long)]
    print: bool,
    /// Language of the explanations: en or zh.
    #[arg(long, default_value = "en")]
    lang: Lang,
    /// Dashboard colours: dark, light or contrast (for projectors).
    #[arg(long, default_value = "dark")]
    theme: Theme,
}

pub fn main(args: Args) -> Result<ExitCode, Failure> {
    if !args.print {
        let opts = dash::Options {
            theme: args.theme,
            lang: args.lang,
            step: false,
        };
        dash::replay(&args.file, &opts).map_err(|e| dash_failure(e, Some(&args.file)))?;
        return Ok(ExitCode::SUCCESS);
    }
    let at = |e| Failure::from(located(&args.file, &e));
    let mut reader = Reader::open(&args.file).map_err(at)?;
    let mut explainer = Explainer::new(args.lang);
    explainer.learn_header(reader.header());
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let h = reader.header();
    let head = match args.lang {
        Lang::En => format!(
            "# {}: {} backend, program {:?}, pid {}",
            args.file.display(),
            h.backend,
            h.program,
            h.pid
        ),
        Lang::Zh => format!(
            "# {}：后端 {}，程序 {:?}（进程 {}）",
            args.file.display(),
            h.backend,
            h.program,
            h.pid
        ),
    };
    // Text from the trace never reaches the terminal with its control codes.
    writeln!(out, "{}", escape_text(&head))?;
    while let Some(rec) = reader.next_record().map_err(at)? {
        if writeln!(out, "{}", escape_text(&explainer.line(&rec))).is_err() {
            // The reader of our output went away (e.g. `| head`): stop quietly.
            return Ok(ExitCode::SUCCESS);
        }
    }
    let _ = out.flush();
    Ok(ExitCode::SUCCESS)
}
