//! Everything that can change the dashboard: keys (mapped by `input`), ticks and live items.

use super::feed::LiveItem;
use crate::trace::{Control, Record};

/// One message for [`crate::dash::update::update`].
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    /// `q`, Ctrl-C, SIGTERM: leave (a live program runs on).
    Quit,
    /// `n` / `→`: one record forward (live, at the end: release one record).
    Forward,
    /// `p` / `←`: one record back.
    Back,
    /// `space`: play / pause (live: continue / pause the loop).
    PlayPause,
    /// `+`: play faster.
    Faster,
    /// `-`: play slower.
    Slower,
    /// `Home`: the first record.
    Home,
    /// `End`: the last record (live: follow the program again).
    End,
    /// `]`: run to the next loop iteration.
    NextIteration,
    /// `b`: breakpoint on the selected event (toggle).
    Breakpoint,
    /// `Tab`: focus the next panel.
    NextPanel,
    /// `Shift-Tab`: focus the previous panel.
    PrevPanel,
    /// `↑` / `k`: select the row above.
    Up,
    /// `↓` / `j`: select the row below.
    Down,
    /// `Enter`: the selected event's history.
    Enter,
    /// `Esc`: close the open overlay.
    Close,
    /// `?`: the help overlay.
    Help,
    /// `l`: switch the explanations' language.
    Lang,
    /// `B`: show the next base of a process with several.
    NextBase,
    /// `1`…`9`, `i`, `o`: an answer in quiz mode.
    Answer(char),
    /// The play clock ticked (every [`crate::dash::update::TICK_MS`] ms).
    Tick,
    /// Something arrived from the live feed.
    Live(LiveItem),
    /// Replay of a big trace: the next records read ([`crate::dash::feed::Loader`]).
    Loaded(Vec<Record>),
    /// Replay of a big trace: everything was read, or reading stopped at a bad line (why).
    LoadEnded(Option<String>),
}

/// What `update` asks the runner to do outside the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cmd {
    /// Send a control to the observed loop's step gate.
    Gate(Control),
}
