//! The displayed state of an event and the legal transitions between states (the table in
//! docs/trace-format.md).

use std::fmt;

use super::flags::What;

/// An event's state as traces and the dashboard show it.
///
/// Internally the base keeps libevent-style orthogonal flags (inserted / timeout / active /
/// running); this is what those flags mean to a student.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum State {
    /// Created by `event_new`, never added (新事件).
    New,
    /// Added: waiting for its fd, signal or timeout (未决).
    Pending,
    /// Its condition happened; queued to run (激活).
    Active,
    /// Its callback is running now (回调执行中).
    Callback,
    /// Not waiting: deleted, or a one-shot that fired (非未决).
    NonPending,
    /// `event_free` was called (已释放).
    Freed,
}

impl State {
    /// Every state, in the order the state diagram draws them.
    pub const ALL: [State; 6] = [
        State::New,
        State::Pending,
        State::Active,
        State::Callback,
        State::NonPending,
        State::Freed,
    ];

    /// The name written in traces (`new`, `pending`, `active`, `callback`, `non_pending`, `freed`).
    pub const fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::Pending => "pending",
            State::Active => "active",
            State::Callback => "callback",
            State::NonPending => "non_pending",
            State::Freed => "freed",
        }
    }

    /// Parses a trace name.
    pub fn from_name(name: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// True when `self → to` is in the table of legal transitions (docs/trace-format.md).
    pub const fn can_go_to(self, to: State) -> bool {
        use State::*;
        matches!(
            (self, to),
            (New, Pending)
                | (New, Active)
                | (New, Freed)
                | (Pending, Active)
                | (Pending, NonPending)
                | (Pending, Freed)
                | (Active, Pending)
                | (Active, Callback)
                | (Active, NonPending)
                | (Active, Freed)
                | (Callback, Pending)
                | (Callback, NonPending)
                | (Callback, Freed)
                | (NonPending, Pending)
                | (NonPending, Active)
                | (NonPending, Freed)
        )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a transition happened (the trace's `cause`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cause {
    /// `event_add`.
    Add,
    /// `event_del`.
    Del,
    /// `event_free`.
    Free,
    /// `event_active` called by the program.
    Activate,
    /// The backend reported the fd ready; carries what it was ready for.
    Ready(What),
    /// The event's timeout expired.
    Timeout,
    /// The event's signal arrived.
    Signal,
    /// The loop took the event off the active queue to run its callback.
    Dispatch,
    /// The callback returned; the state after it follows from the event's flags.
    Returned,
    /// A bufferevent added or deleted one of its own read and write events, for this reason.
    Bev(BevWhy),
}

/// Why a bufferevent added or deleted its internal read or write event (libevent's
/// `bufferevent_sock.c` and `bufferevent.c` do it in these places).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BevWhy {
    /// `bufferevent_enable` was called.
    Enable,
    /// `bufferevent_disable` was called.
    Disable,
    /// `bufferevent_free` was called: the bufferevent stops watching its socket.
    Free,
    /// `bufferevent_socket_connect` was called: the socket is (re)assigned and watched.
    Connect,
    /// `bufferevent_set_timeouts` was called (libevent re-adds or deletes both events).
    SetTimeouts,
    /// The output buffer got bytes to send: the write event is added
    /// (`bufferevent_socket_outbuf_cb`).
    OutputAdded,
    /// The output buffer is empty: the write event deletes itself (`bufferevent_writecb`).
    OutputEmpty,
    /// The input reached the read high watermark: reading is suspended.
    ReadHigh,
    /// The input is below the read high watermark again: reading resumes.
    ReadResumed,
    /// End of file: the bufferevent disables reading.
    Eof,
    /// A read or write error: the bufferevent disables that direction.
    Error,
    /// The read or write timeout expired: the bufferevent disables that direction.
    Timeout,
    /// The connect finished and writing is not enabled: the write event is deleted.
    Connected,
    /// The connect failed: both events are deleted.
    ConnectFailed,
    /// Data moved into one end of a `bufferevent_pair`: that end's timeouts restart, and its
    /// write timeout is deleted if it has no output (libevent's `be_pair_transfer`).
    PairTransfer,
    /// A filter bufferevent on top holds the bufferevent's reading while the filter itself
    /// does not read, and lets it read again once the filter does (libevent's
    /// `BEV_SUSPEND_FILT_READ`); or a filter restarted its own timeout after filtering data.
    Filter,
    /// `bufferevent_setfd` was called: the events are deleted, then watch the new fd and are
    /// added again as enabled.
    SetFd,
    /// A rate limit's token bucket (the bufferevent's own, or its group's) is empty: reading
    /// or writing is suspended until it refills (libevent's `BEV_SUSPEND_BW`).
    RateLimited,
    /// A rate limit lets the bufferevent read or write again: its bucket refilled, or the
    /// program changed or removed the limit.
    RateRefilled,
}

impl BevWhy {
    /// The name written in traces.
    pub const fn as_str(self) -> &'static str {
        match self {
            BevWhy::Enable => "bufferevent_enable",
            BevWhy::Disable => "bufferevent_disable",
            BevWhy::Free => "bufferevent_free",
            BevWhy::Connect => "bufferevent_socket_connect",
            BevWhy::SetTimeouts => "bufferevent_set_timeouts",
            BevWhy::OutputAdded => "bev_output_added",
            BevWhy::OutputEmpty => "bev_output_empty",
            BevWhy::ReadHigh => "bev_read_high_watermark",
            BevWhy::ReadResumed => "bev_read_resumed",
            BevWhy::Eof => "bev_eof",
            BevWhy::Error => "bev_error",
            BevWhy::Timeout => "bev_timeout",
            BevWhy::Connected => "bev_connected",
            BevWhy::ConnectFailed => "bev_connect_failed",
            BevWhy::PairTransfer => "bev_pair_transfer",
            BevWhy::Filter => "bev_filter",
            BevWhy::SetFd => "bufferevent_setfd",
            BevWhy::RateLimited => "bev_rate_limited",
            BevWhy::RateRefilled => "bev_rate_refilled",
        }
    }

    /// Every reason, for documentation and checks.
    pub const ALL: [BevWhy; 19] = [
        BevWhy::Enable,
        BevWhy::Disable,
        BevWhy::Free,
        BevWhy::Connect,
        BevWhy::SetTimeouts,
        BevWhy::OutputAdded,
        BevWhy::OutputEmpty,
        BevWhy::ReadHigh,
        BevWhy::ReadResumed,
        BevWhy::Eof,
        BevWhy::Error,
        BevWhy::Timeout,
        BevWhy::Connected,
        BevWhy::ConnectFailed,
        BevWhy::PairTransfer,
        BevWhy::Filter,
        BevWhy::SetFd,
        BevWhy::RateLimited,
        BevWhy::RateRefilled,
    ];
}

impl Cause {
    /// The name written in traces.
    pub const fn as_str(self) -> &'static str {
        match self {
            Cause::Add => "event_add",
            Cause::Del => "event_del",
            Cause::Free => "event_free",
            Cause::Activate => "event_active",
            Cause::Ready(w) => {
                let r = w.contains(What::READ);
                let wr = w.contains(What::WRITE);
                match (r, wr) {
                    (true, true) => "fd_ready",
                    (false, true) => "fd_writable",
                    _ if w.contains(What::CLOSED) && !r => "fd_closed",
                    _ => "fd_readable",
                }
            }
            Cause::Timeout => "timeout",
            Cause::Signal => "signal",
            Cause::Dispatch => "dispatch",
            Cause::Returned => "callback_returned",
            Cause::Bev(why) => why.as_str(),
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_sixteen_legal_transitions() {
        let legal = State::ALL
            .iter()
            .flat_map(|a| State::ALL.iter().map(move |b| (*a, *b)))
            .filter(|(a, b)| a.can_go_to(*b))
            .count();
        assert_eq!(legal, 16);
        assert!(!State::Freed.can_go_to(State::Pending));
        assert!(!State::Pending.can_go_to(State::Callback));
        assert!(!State::Callback.can_go_to(State::Active));
    }

    #[test]
    fn names_round_trip() {
        for s in State::ALL {
            assert_eq!(State::from_name(s.as_str()), Some(s));
        }
        assert_eq!(State::from_name("pendin"), None);
    }
}
