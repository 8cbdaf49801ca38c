//! The terminal dashboard: live, step-through and replay.
//!
//! Records are folded into a [`model::Session`] (no drawing there); keys become messages
//! ([`input`]); [`update`] is the one place state changes; [`view`] draws one panel per file.
//! Entry points: [`replay`] for a trace file and [`live`] for a [`feed::Feed`].

pub mod feed;
pub mod input;
mod main_loop;
pub mod model;
pub mod msg;
pub mod quiz;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod update;
pub mod view;

use std::fmt;
use std::path::Path;

pub use feed::{Controls, Feed, LiveItem};
pub use model::Lang;
pub use theme::Theme;

use crate::trace::{Control, Header, TraceError};
use model::{Session, Timeline};
use ui::{Mode, Ui};

/// How the dashboard looks and starts.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Colours (`--theme dark|light|contrast`).
    pub theme: Theme,
    /// Language of explanations (`--lang en|zh`).
    pub lang: Lang,
    /// Live: start with the loop held (`--step`). Replay: ignored.
    pub step: bool,
}

/// Why the dashboard stopped with an error.
#[derive(Debug)]
pub enum DashError {
    /// The trace is wrong (its line and what is wrong), or could not be read.
    Trace(TraceError),
    /// There is no terminal to draw on: stdout is not one.
    NoTerminal,
    /// The terminal says it cannot draw a full screen (`TERM=dumb`).
    DumbTerminal,
    /// The terminal failed.
    Io(std::io::Error),
}

impl fmt::Display for DashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DashError::Trace(e) => write!(f, "{e}"),
            DashError::NoTerminal => {
                f.write_str("the dashboard needs a terminal, and stdout is not one")
            }
            DashError::DumbTerminal => f.write_str(
                "the dashboard draws a full screen in colour, which TERM=dumb cannot show",
            ),
            DashError::Io(e) => write!(f, "terminal: {e}"),
        }
    }
}

impl std::error::Error for DashError {}

impl From<TraceError> for DashError {
    fn from(e: TraceError) -> DashError {
        DashError::Trace(e)
    }
}

impl From<std::io::Error> for DashError {
    fn from(e: std::io::Error) -> DashError {
        DashError::Io(e)
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Replays the trace at `path` (`evscope replay FILE`), starting at its first record.
///
/// A big trace opens at once: the screen shows its beginning while the rest is read in the
/// background, the header saying "indexing… N records" until it is all in.
pub fn replay(path: &Path, opts: &Options) -> Result<(), DashError> {
    // A bad trace is told first, terminal or not (a bad line far into a big one: in the footer).
    let (timeline, loader) = feed::open(path)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    terminal::ensure()?;
    let rt = runtime()?;
    let mut ui = Ui::new(Mode::Replay, &name, opts.lang);
    if loader.is_some() {
        ui.indexing = Some(timeline.len());
    }
    let session = Session::new(timeline);
    main_loop::main_loop(session, ui, opts.theme, None, loader, &rt)
}

/// Replays records already in memory.
pub fn replay_timeline(timeline: Timeline, source: &str, opts: &Options) -> Result<(), DashError> {
    terminal::ensure()?;
    let rt = runtime()?;
    let ui = Ui::new(Mode::Replay, source, opts.lang);
    main_loop::main_loop(Session::new(timeline), ui, opts.theme, None, None, &rt)
}

/// Replays the trace at `path` as a quiz (`evscope quiz FILE`): the replay plays, and stops
/// at every question (see [`quiz::Quiz::new`] for `every` and `seed`).
pub fn quiz(path: &Path, opts: &Options, every: Option<usize>, seed: u64) -> Result<(), DashError> {
    let timeline = feed::load(path)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    terminal::ensure()?;
    let rt = runtime()?;
    let ui = Ui::quiz(&timeline, &name, opts.lang, every, seed);
    main_loop::main_loop(Session::new(timeline), ui, opts.theme, None, None, &rt)
}

/// Shows a live feed: a demo in this process, or a program over the live link. The first
/// control tells the observed loop how to start: held before its next record with
/// `opts.step`, running otherwise. Returns when the user quits (the observed loop then runs on,
/// its gate released) or the terminal fails.
pub fn live(feed: Feed, opts: &Options) -> Result<(), DashError> {
    terminal::ensure()?;
    let rt = runtime()?;
    let mut ui = Ui::new(Mode::Live, &feed.source, opts.lang);
    let hello = if opts.step {
        Control::Pause
    } else {
        Control::Continue
    };
    ui.held = opts.step;
    if feed.controls.send(&hello).is_err() {
        ui.status = Some("the live link is gone".into());
    }
    let session = Session::new(Timeline::new(Header::new("?", &feed.source)));
    main_loop::main_loop(session, ui, opts.theme, Some(feed), None, &rt)
}
