//! `evscope replay FILE`: the dashboard over a recorded trace; with `--print`, the trace as a
//! plain-text timeline, one explained line per record.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use evscope::dash;
use evscope::trace::{Explainer, Lang, Reader};

use super::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// The trace file (JSON Lines).
    file: PathBuf,
    /// Print the timeline as text.
    #[arg(long)]
    print: bool,
    /// Language of the explanations: en or zh.
    #[arg(long, default_value = "en")]
    lang: Lang,
    /// Dashboard colours: dark, light or contrast (for projectors).
    #[arg(long, default_value = "dark")]
    theme: dash::Theme,
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    if !args.print {
        let opts = dash::Options {
            theme: args.theme,
            lang: match args.lang {
                Lang::En => dash::Lang::En,
                Lang::Zh => dash::Lang::Zh,
            },
            step: false,
        };
        return match dash::replay(&args.file, &opts) {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(e) => Err(Failure::from(format!(
                "cannot replay {}: {e}",
                args.file.display()
            ))),
        };
    }
    let shown = args.file.display().to_string();
    let at = |e: evscope::trace::TraceError| Failure {
        message: if e.line > 0 {
            format!("{shown}:{}: {}", e.line, e.what)
        } else {
            format!("{shown}: {}", e.what)
        },
        code: 1,
    };
    let mut reader = Reader::open(&args.file).map_err(at)?;
    let mut explainer = Explainer::new(args.lang);
    explainer.learn_header(reader.header());
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let h = reader.header();
    writeln!(
        out,
        "# {shown}: {} backend, program {:?}, pid {}",
        h.backend, h.program, h.pid
    )?;
    while let Some(rec) = reader.next_record().map_err(at)? {
        if writeln!(out, "{}", explainer.line(&rec)).is_err() {
            // The reader of our output went away (e.g. `| head`): stop quietly.
            return Ok(ExitCode::SUCCESS);
        }
    }
    let _ = out.flush();
    Ok(ExitCode::SUCCESS)
}
