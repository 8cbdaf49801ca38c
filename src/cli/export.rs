//! `evscope export FILE --format chrome -o OUT.json`.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

use evscope::trace::{export, Reader};

use super::{located, Failure};

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    /// Chrome Trace Event JSON (Perfetto, chrome://tracing).
    Chrome,
}

#[derive(clap::Args)]
pub struct Args {
    /// The trace file (JSON Lines).
    file: PathBuf,
    /// The output format.
    #[arg(long, value_enum, default_value = "chrome")]
    format: Format,
    /// Where to write the export.
    #[arg(short, long)]
    output: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let at = |e| Failure::from(located(&args.file, &e));
    let reader = Reader::open(&args.file).map_err(at)?;
    let out = File::create(&args.output)
        .map_err(|e| format!("cannot create {}: {e}", args.output.display()))?;
    let n = match args.format {
        Format::Chrome => export::chrome(reader, BufWriter::new(out)).map_err(at)?,
    };
    eprintln!(
        "evscope: wrote {n} trace events to {} (open it in Perfetto)",
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}
