//! `evscope demo NAME`: a classroom demo live in the dashboard, or `--headless` for a while.
//!
//! Live, the demo's loop runs on a thread of its own (an `EventBase` is not `Send`: it is made
//! there), recorded in process under a step gate the dashboard drives; `--record FILE` tees the
//! same records into a trace file. Quitting releases the gate, closes the trace file at a record
//! boundary, and ends the process, and with it the demo.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use evscope::dash::{self, Feed, Lang, Theme};
use evscope::demos::{self, Demo, DemoOptions, DEFAULT, DEMOS};
use evscope::ev::{BackendKind, EventBase};
use evscope::trace::{Recorder, Tee};

use super::cleanup;
use super::trace_file::TraceFile;
use super::{dash_failure, values, Failure, USAGE};

/// The backends a demo can run on.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Backend {
    /// Linux epoll.
    Epoll,
    /// poll(2).
    Poll,
    /// select(2).
    Select,
}

impl From<Backend> for BackendKind {
    fn from(b: Backend) -> BackendKind {
        match b {
            Backend::Epoll => BackendKind::Epoll,
            Backend::Poll => BackendKind::Poll,
            Backend::Select => BackendKind::Select,
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// The demo (`evscope demos` lists them).
    #[arg(default_value = DEFAULT)]
    name: String,
    /// Start paused: the loop is held before its first record (n steps, space runs).
    #[arg(long, conflicts_with = "headless")]
    step: bool,
    /// Also record the trace to FILE (JSON Lines).
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Run without the dashboard, for --duration seconds.
    #[arg(long, requires = "duration")]
    headless: bool,
    /// How long a headless run lasts, in seconds (0.001 to 604800, a week).
    #[arg(
        long,
        value_name = "SECS",
        requires = "headless",
        allow_negative_numbers = true,
        value_parser = values::duration_secs
    )]
    duration: Option<f64>,
    /// The backend (default: EVSCOPE_BACKEND, else epoll).
    #[arg(long, value_enum)]
    backend: Option<Backend>,
    /// Where the echo demo's server listens (the client demo connects there), e.g.
    /// 127.0.0.1:5555; join in with nc. Only the echo and client demos use it.
    #[arg(long, value_name = "ADDR", value_parser = values::listen_addr)]
    listen: Option<SocketAddr>,
    /// Pace: 1 is classroom speed, 4 is four times as fast (0.01 to 1000).
    #[arg(
        long,
        default_value_t = 1.0,
        allow_negative_numbers = true,
        value_parser = values::speed
    )]
    speed: f64,
    /// Language of the explanations: en or zh.
    #[arg(long, default_value = "en")]
    lang: Lang,
    /// Dashboard colours: dark, light or contrast (for projectors).
    #[arg(long, default_value = "dark")]
    theme: Theme,
}

impl Default for Args {
    /// The default demo, live, at classroom pace (`evscope` with no arguments).
    fn default() -> Args {
        Args {
            name: DEFAULT.into(),
            step: false,
            record: None,
            headless: false,
            duration: None,
            backend: None,
            listen: None,
            speed: 1.0,
            lang: Lang::En,
            theme: Theme::default(),
        }
    }
}

/// The demos that use `--listen`: the echo demo's server listens there, the client demo
/// connects there. The others make their own pipes and sockets.
const LISTENING: [&str; 2] = ["echo", "client"];

/// Checks the arguments together, before anything runs: the demo exists, and `--listen` is
/// given only to a demo that uses it.
pub fn check(args: &Args) -> Result<&'static Demo, Failure> {
    let demo = demos::find(&args.name).ok_or_else(|| {
        let names: Vec<&str> = DEMOS.iter().map(|d| d.name).collect();
        format!(
            "there is no demo {:?}; the demos are: {} (`evscope demos` says what each shows)",
            args.name,
            names.join(", ")
        )
    })?;
    if args.listen.is_some() && !LISTENING.contains(&demo.name) {
        return Err(Failure {
            message: format!(
                "demo {} does not listen, so --listen would be ignored; it is for the {} demos",
                demo.name,
                LISTENING.join(" and ")
            ),
            code: USAGE,
        });
    }
    Ok(demo)
}

pub fn main(args: Args) -> Result<ExitCode, Failure> {
    let demo = check(&args)?;
    let opts = DemoOptions {
        speed: args.speed,
        listen: args.listen,
    };
    let kind = match args.backend {
        Some(b) => b.into(),
        None => BackendKind::from_env()?,
    };
    match args.duration {
        Some(secs) if args.headless => headless(demo, kind, &opts, secs, args.record.as_deref()),
        _ => live(demo, kind, opts, &args),
    }
}

/// What the trace's header names as the program.
fn source(demo: &Demo) -> String {
    format!("demo {}", demo.name)
}

fn headless(
    demo: &'static Demo,
    kind: BackendKind,
    opts: &DemoOptions,
    secs: f64,
    record: Option<&Path>,
) -> Result<ExitCode, Failure> {
    let how_long = Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("--duration {secs} is not a number of seconds"))?;
    let mut base = EventBase::with_backend(kind)?;
    let file = match record {
        Some(path) => {
            // Stopped early, the run leaves no half-written trace and no temporary file
            // (watched before the temporary file exists, so no signal comes in between).
            cleanup::exit_on_signals(format!(
                "the trace {} was not written (a file there is left as it was)",
                path.display()
            ))?;
            let file = TraceFile::create(path)?;
            base.set_observer(Box::new(Recorder::new(file.clone()).program(&source(demo))));
            Some(file)
        }
        None => None,
    };
    demos::set_up_and_dispatch(demo, &mut base, opts, Some(how_long))
        .map_err(|e| format!("demo {} failed: {e}", demo.name))?;
    let backend = base.get_method();
    // Dropping the base drops its recorder, which hands the rest of the trace to the file.
    drop(base);
    match (file, record) {
        (Some(file), Some(p)) => {
            let n = file.finish()?;
            tell!(
                "evscope: demo {} ran {secs} s on {backend}; trace written to {} ({n} records)",
                demo.name,
                p.display()
            );
        }
        _ => tell!("evscope: demo {} ran {secs} s on {backend}", demo.name),
    }
    Ok(ExitCode::SUCCESS)
}

fn live(
    demo: &'static Demo,
    kind: BackendKind,
    opts: DemoOptions,
    args: &Args,
) -> Result<ExitCode, Failure> {
    // Before anything runs: without a terminal there is nothing to show it on.
    dash::terminal::ensure().map_err(|e| dash_failure(e, None))?;
    let source = source(demo);
    let (recorder, messages, file) = match &args.record {
        Some(path) => {
            let (tx, rx) = mpsc::channel();
            // The file is started now, so a bad path is told before anything runs.
            let file = TraceFile::create(path)?;
            (Recorder::new(Tee::new(file.clone(), tx)), rx, Some(file))
        }
        None => {
            let (recorder, rx) = Recorder::to_messages();
            (recorder, rx, None)
        }
    };
    let (feed, gate) = Feed::in_process(&source, messages, args.step);
    start(demo, kind, opts, recorder.with_gate(gate).program(&source))?;
    let opts = dash::Options {
        theme: args.theme,
        lang: args.lang,
        step: args.step,
    };
    let shown = dash::live(feed, &opts);
    // The dashboard released the gate: the loop runs on until the process ends. Close the
    // trace file first, between two records.
    let written = file.map(|f| f.finish());
    shown.map_err(|e| dash_failure(e, None))?;
    if let (Some(written), Some(path)) = (written, &args.record) {
        let n = written?;
        tell!("evscope: {n} records written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Starts the demo's loop on its own thread, recorded by `recorder`; returns once its base
/// exists (or with the reason it could not be made).
fn start(
    demo: &'static Demo,
    kind: BackendKind,
    opts: DemoOptions,
    recorder: Recorder,
) -> Result<(), Failure> {
    let (ready_tx, ready) = mpsc::channel();
    std::thread::Builder::new()
        .name("evscope-demo".into())
        .spawn(move || {
            let mut base = match EventBase::with_backend(kind) {
                Ok(b) => b,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("cannot start demo {}: {e}", demo.name)));
                    return;
                }
            };
            base.set_observer(Box::new(recorder));
            let _ = ready_tx.send(Ok(()));
            if let Err(e) = demos::set_up_and_dispatch(demo, &mut base, &opts, None) {
                // Told on the timeline; the dashboard then shows the feed ended.
                base.note(&format!("the demo stopped: {e}"));
            }
        })?;
    ready
        .recv()
        .map_err(|_| Failure::from("the demo's thread ended before it started"))?
        .map_err(Failure::from)
}
