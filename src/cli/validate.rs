//! `evscope validate FILE`: every line checked; a one-line summary, or `FILE:LINE: what`.

use std::path::PathBuf;
use std::process::ExitCode;

use evscope::trace::{escape_text, Reader};

use super::{located, Failure};

#[derive(clap::Args)]
pub struct Args {
    /// The trace file (JSON Lines).
    file: PathBuf,
}

pub fn main(args: Args) -> Result<ExitCode, Failure> {
    let shown = args.file.display();
    let checked = Reader::open(&args.file).and_then(Reader::check_all);
    match checked {
        Ok((header, stats)) => {
            let dropped = if stats.dropped > 0 {
                format!(", {} dropped", stats.dropped)
            } else {
                String::new()
            };
            let bases = if stats.bases > 1 {
                format!(", {} event_bases", stats.bases)
            } else {
                String::new()
            };
            let summary = format!(
                "{shown}: ok: {} records, {} events, {} bufferevents, {:.3} s ({} backend){bases}{dropped}",
                stats.records,
                stats.events,
                stats.bufferevents,
                stats.duration_us() as f64 / 1e6,
                if header.backend.is_empty() { "unknown" } else { &header.backend },
            );
            tell_out(&escape_text(&summary));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            tell_out(&escape_text(&located(&args.file, &e)));
            Ok(ExitCode::from(1))
        }
    }
}

/// One line on stdout; a reader that went away (`| head`) is no failure of the check.
fn tell_out(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout(), "{line}");
}
