//! `evscope export FILE --format chrome -o OUT.json`. OUT.json is written atomically: a bad
//! trace, a full disk or a signal leaves an existing OUT.json as it was; and it is never FILE
//! itself.

use std::io::{self, BufWriter};
use std::path::PathBuf;
use std::process::ExitCode;

use evscope::trace::{export, Reader};

use super::atomic::{self, AtomicFile};
use super::{cleanup, located, Failure};

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

pub fn main(args: Args) -> Result<ExitCode, Failure> {
    let at = |e| Failure::from(located(&args.file, &e));
    atomic::refuse_same(&args.file, &args.output, "-o")?;
    let reader = Reader::open(&args.file).map_err(at)?;
    let shown = args.output.display();
    // Stopped early, the export leaves no half-written file and no temporary behind (watched
    // before the temporary file exists, so no signal comes in between).
    cleanup::exit_on_signals(format!(
        "{shown} was not written (a file there is left as it was)"
    ))?;
    let out =
        AtomicFile::create(&args.output).map_err(|e| format!("cannot create {shown}: {e}"))?;
    let mut w = BufWriter::new(out);
    let n = match args.format {
        Format::Chrome => export::chrome(reader, &mut w).map_err(at)?,
    };
    let written = w
        .into_inner()
        .map_err(io::IntoInnerError::into_error)
        .and_then(AtomicFile::commit);
    written.map_err(|e| format!("cannot write {shown}: {e}"))?;
    tell!("evscope: wrote {n} trace events to {shown} (open it in Perfetto)");
    Ok(ExitCode::SUCCESS)
}
