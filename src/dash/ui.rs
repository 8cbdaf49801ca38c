//! How the user looks at the session: mode, focus, selection, overlays, play state. Changed only
//! by `update`.

use std::collections::BTreeSet;

use super::model::{Lang, Timeline};
use super::quiz::Quiz;

/// Replaying a file, or watching a program live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `evscope replay FILE`.
    Replay,
    /// A demo, `run` or `attach`.
    Live,
}

/// The panel that `↑`/`↓` and `Enter` act on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Focus {
    /// The events table.
    #[default]
    Events,
    /// The buffers panel.
    Buffers,
    /// The timeline.
    Timeline,
}

impl Focus {
    /// The panel after this one.
    pub fn next(self) -> Focus {
        match self {
            Focus::Events => Focus::Buffers,
            Focus::Buffers => Focus::Timeline,
            Focus::Timeline => Focus::Events,
        }
    }
    /// The panel before this one.
    pub fn prev(self) -> Focus {
        self.next().next()
    }
}

/// Play speeds, in records per second.
pub const SPEEDS: [u32; 10] = [1, 2, 5, 10, 20, 50, 100, 500, 2_000, 10_000];

/// The view state.
#[derive(Clone, Debug, PartialEq)]
pub struct Ui {
    /// Replay or live.
    pub mode: Mode,
    /// What is shown: file name, demo, program or address.
    pub source: String,
    /// Language of explanations.
    pub lang: Lang,
    /// The focused panel.
    pub focus: Focus,
    /// Selected row of the events table.
    pub selected: usize,
    /// Selected bufferevent.
    pub selected_bev: usize,
    /// Lines the timeline is scrolled back from the cursor.
    pub scroll: usize,
    /// The help overlay is open.
    pub help: bool,
    /// The history overlay of this event is open.
    pub history: Option<u64>,
    /// Replay: playing. Live: unused.
    pub playing: bool,
    /// Index into [`SPEEDS`].
    pub speed: usize,
    /// Play progress carried between ticks, in thousandths of a record.
    pub carry: u64,
    /// Events with a breakpoint.
    pub breakpoints: BTreeSet<u64>,
    /// Live: the step gate holds the loop.
    pub held: bool,
    /// Live: a step was taken since the loop was held.
    pub stepped: bool,
    /// Live: the cursor follows new records.
    pub follow: bool,
    /// Live: the feed ended, and why.
    pub ended: Option<String>,
    /// A one-line message for the footer (breakpoint hit, link lost, …).
    pub status: Option<String>,
    /// Leave at the next chance.
    pub quit: bool,
    /// Quiz mode (`evscope quiz`): the questions and the score.
    pub quiz: Option<Quiz>,
    /// Replay of a big trace: the records read so far, while the rest is still being read.
    pub indexing: Option<usize>,
}

impl Ui {
    /// The initial view for `mode`.
    pub fn new(mode: Mode, source: &str, lang: Lang) -> Ui {
        Ui {
            mode,
            // A file or program name: shown, so never with its control codes.
            source: crate::trace::escape_text(source).into_owned(),
            lang,
            focus: Focus::Events,
            selected: 0,
            selected_bev: 0,
            scroll: 0,
            help: false,
            history: None,
            playing: false,
            speed: 3,
            carry: 0,
            breakpoints: BTreeSet::new(),
            held: false,
            stepped: false,
            follow: true,
            ended: None,
            status: None,
            quit: false,
            quiz: None,
            indexing: None,
        }
    }

    /// A replay of `timeline` as a quiz, playing from the start (see [`Quiz::new`]).
    pub fn quiz(
        timeline: &Timeline,
        source: &str,
        lang: Lang,
        every: Option<usize>,
        seed: u64,
    ) -> Ui {
        let mut ui = Ui::new(Mode::Replay, source, lang);
        let mut quiz = Quiz::new(timeline, every, seed);
        // A question at the very first record is asked at once.
        ui.playing = !quiz.arrive(0);
        ui.quiz = Some(quiz);
        ui
    }

    /// Records per second at the current speed.
    pub fn speed_rps(&self) -> u32 {
        SPEEDS[self.speed.min(SPEEDS.len() - 1)]
    }

    /// The header's word in Chinese: 回放, 实时, 已暂停, 单步 or 已结束.
    pub fn mode_word_zh(&self) -> &'static str {
        match self.mode_word() {
            "REPLAY" => "回放",
            "QUIZ" => "测验",
            "ENDED" => "已结束",
            "STEP" => "单步",
            "PAUSED" => "已暂停",
            _ => "实时",
        }
    }

    /// The word the header shows: REPLAY, QUIZ, LIVE, PAUSED, STEP or ENDED.
    pub fn mode_word(&self) -> &'static str {
        match self.mode {
            Mode::Replay if self.quiz.is_some() => "QUIZ",
            Mode::Replay => "REPLAY",
            Mode::Live if self.ended.is_some() => "ENDED",
            Mode::Live if self.held && self.stepped => "STEP",
            Mode::Live if self.held => "PAUSED",
            Mode::Live => "LIVE",
        }
    }
}
