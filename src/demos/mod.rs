//! Classroom scenarios, written only against the public [`ev`] API, as a student
//! would write them. Each sets up its events on a base; the caller runs the loop (headless, or
//! under the dashboard).

use std::net::SocketAddr;
use std::time::Duration;

use crate::ev::{self, EventBase, Exit, LoopFlags};

// First: the demos below write their notes with its `note!`.
#[macro_use]
mod notes;

mod backends;
mod client;
mod echo;
mod echo_server;
mod expect;
mod half_close;
mod labels;
mod pipe;
mod priority;
mod signal;
mod talker;
mod timer;
mod watermark;

pub use backends::iteration_cost;
pub use echo::LISTENING;
pub use labels::shown_label;
pub use notes::{note_zh, scan as scan_notes, table as note_table, Note, Piece};
pub use watermark::{READ_HIGH, WRITE_LOW};

/// The demo `evscope` opens with no arguments.
pub const DEFAULT: &str = "echo";

/// How a demo runs.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// 1.0 is classroom pace (about one thing a second); 4.0 is four times as fast.
    pub speed: f64,
    /// Where the `echo` demo's server listens, so students can join with `nc` (None: a free
    /// port on 127.0.0.1, told in a note starting with [`LISTENING`]); the `client` demo
    /// connects there instead of to a server of its own. The other demos do not listen.
    pub listen: Option<SocketAddr>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            speed: 1.0,
            listen: None,
        }
    }
}

impl DemoOptions {
    /// `ms` milliseconds of classroom time at this speed.
    pub fn pace(&self, ms: u64) -> Duration {
        let speed = if self.speed.is_finite() && self.speed > 0.0 {
            self.speed
        } else {
            1.0
        };
        Duration::from_secs_f64(ms as f64 / 1000.0 / speed)
    }
}

/// One classroom scenario.
pub struct Demo {
    /// The name given to `evscope demo NAME`.
    pub name: &'static str,
    /// The lesson it belongs to (see `tutorials/`).
    pub lesson: &'static str,
    /// One line on what it shows.
    pub summary: &'static str,
    /// The same line in Chinese.
    pub summary_zh: &'static str,
    /// Creates the demo's events on `base`.
    pub setup: fn(&mut EventBase, &DemoOptions) -> ev::Result<()>,
}

/// Every demo, in the course's order.
pub const DEMOS: &[Demo] = &[
    echo::DEMO,
    timer::DEMO,
    pipe::DEMO,
    client::DEMO,
    signal::DEMO,
    priority::DEMO,
    backends::DEMO,
    half_close::DEMO,
    watermark::DEMO,
];

/// The demo called `name`.
pub fn find(name: &str) -> Option<&'static Demo> {
    DEMOS.iter().find(|d| d.name == name)
}

/// Sets the demo up on `base` and runs the loop, for `duration` if given, else until the loop
/// is broken or exits.
pub fn set_up_and_dispatch(
    demo: &Demo,
    base: &mut EventBase,
    opts: &DemoOptions,
    duration: Option<Duration>,
) -> ev::Result<Exit> {
    note!(
        base,
        "demo {demo}: {summary}",
        "演示 {demo}：{summary}",
        demo = demo.name,
        summary = demo.summary
    );
    (demo.setup)(base, opts)?;
    if let Some(d) = duration {
        base.loopexit(Some(d));
    }
    base.loop_(LoopFlags::NO_EXIT_ON_EMPTY)
}
