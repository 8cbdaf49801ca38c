//! Where the loop is within one iteration (libevent's `event_base_loop` step list).

/// One step of an iteration, as the phase strip lights it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phase {
    /// Before the first iteration: the program is setting things up.
    #[default]
    Setup,
    /// A new iteration started; not yet waiting.
    Begin,
    /// Waiting in the backend (`epoll_wait`, `poll`, `select`).
    Waiting,
    /// The backend returned; ready fds are made active.
    FdsReady,
    /// Expired timeouts are made active.
    TimersExpired,
    /// Callbacks of one priority's active queue run.
    RunningActive,
}

impl Phase {
    /// The four phases the strip draws, in loop order.
    pub const STRIP: [Phase; 4] = [
        Phase::Waiting,
        Phase::FdsReady,
        Phase::TimersExpired,
        Phase::RunningActive,
    ];
}

/// What the current iteration has shown so far, for the phase strip's figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IterationInfo {
    /// The wait's timeout: `Some(None)` means waiting with no timeout.
    pub timeout_us: Option<Option<u64>>,
    /// How many fds the backend reported ready.
    pub ready: Option<u64>,
    /// How many timeouts expired.
    pub expired: Option<u64>,
    /// The active queue running: (priority, callbacks queued).
    pub active: Option<(u8, u64)>,
}
