//! The terminal dashboard: live, step-through and replay.
//!
//! Records are folded into a [`model::Session`] (no drawing there); keys become messages
//! ([`input`]); [`update`] is the one place state changes; [`view`] draws one panel per file.
//! Entry points: [`replay`] for a trace file and [`live`] for a [`feed::Feed`].

pub mod feed;
pub mod input;
pub mod model;
pub mod msg;
mod run;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod update;
pub mod view;

use std::fmt;
use std::path::Path;

pub use feed::{Control, Feed, FeedError, Gate, LiveItem};
pub use model::Lang;
pub use theme::Theme;

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
    /// The trace could not be read.
    Feed(FeedError),
    /// The terminal failed.
    Io(std::io::Error),
}

impl fmt::Display for DashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DashError::Feed(e) => write!(f, "{e}"),
            DashError::Io(e) => write!(f, "terminal: {e}"),
        }
    }
}

impl std::error::Error for DashError {}

impl From<FeedError> for DashError {
    fn from(e: FeedError) -> DashError {
        DashError::Feed(e)
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
pub fn replay(path: &Path, opts: &Options) -> Result<(), DashError> {
    let timeline = feed::load(path)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    replay_timeline(timeline, &name, opts)
}

/// Replays records already in memory.
pub fn replay_timeline(timeline: Timeline, source: &str, opts: &Options) -> Result<(), DashError> {
    let rt = runtime()?;
    let ui = Ui::new(Mode::Replay, source, opts.lang);
    run::run(Session::new(timeline), ui, opts.theme, None, &rt)
}

/// Shows a live feed: a demo's in-process channel, or a socket link to a program. With
/// `opts.step` the loop is held before its first record.
pub fn live(feed: Box<dyn Feed>, opts: &Options) -> Result<(), DashError> {
    let rt = runtime()?;
    let source = feed.source();
    let (items, mut gate) = {
        let _enter = rt.enter();
        feed.start()?
    };
    let mut ui = Ui::new(Mode::Live, &source, opts.lang);
    // The first control tells a program waiting on the link how to start.
    if opts.step {
        gate.send(Control::Pause)?;
        ui.held = true;
    } else {
        gate.send(Control::Continue)?;
    }
    let header = crate::trace::Header::new("?", &source);
    let session = Session::new(Timeline::new(header));
    run::run(session, ui, opts.theme, Some((items, gate)), &rt)
}
