//! One event's slot: what it waits for, its callback, and libevent-style orthogonal flags from
//! which its displayed [`State`] is derived.

use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use super::base::EventBase;
use super::flags::What;
use super::handle::EventId;
use super::state::{Cause, State};

/// An event callback (libevent's `event_callback_fn`): the base, the event, and what fired.
pub type Callback = Box<dyn FnMut(&mut EventBase, EventId, What)>;

/// Everything the base knows of one live event.
pub(crate) struct EventData {
    /// The fd, or the signal number for `SIGNAL` events; None for pure timers.
    pub fd: Option<RawFd>,
    pub what: What,
    /// Taken out while the callback runs.
    pub cb: Option<Callback>,
    pub label: String,
    pub priority: u8,
    /// `EVLIST_INSERTED`: registered with the backend (fd) or the signal table.
    pub inserted: bool,
    /// `EVLIST_TIMEOUT`: armed in the timer heap.
    pub timer_armed: bool,
    /// The interval last given to `event_add`, for persistent re-arming.
    pub interval: Option<Duration>,
    /// The deadline last armed (libevent's `ev_timeout`), kept after it fires.
    pub deadline: Option<Instant>,
    /// `EVLIST_ACTIVE`: queued to run, with what fired (`ev_res`).
    pub active: Option<What>,
    /// Identifies this activation's queue entry; entries with an older token are skipped.
    pub active_token: u32,
    /// How many times a signal arrived since it was queued (`ev_ncalls`).
    pub ncalls: u32,
    /// The callback is running.
    pub running: bool,
    /// What last made the event pending or not pending while its callback ran (an `event_add`
    /// or `event_del` by the program or a bufferevent): the cause shown when it returns.
    pub cb_cause: Option<Cause>,
    /// Freed after its callback (`event_base_once`).
    pub once: bool,
    /// The state last told to the observer.
    pub state: State,
    /// Counted in the base's live-event total.
    pub counted_live: bool,
    /// What it adds to libevent's `event_count`: one for each of inserted, armed, active.
    pub counted_added: u8,
    /// Counted in libevent's `event_count_active`.
    pub counted_active: bool,
    /// `event_finalize` was called (libevent's `EVLIST_FINALIZING`): the event can no longer
    /// be added or activated; its finalizer runs from the active queue.
    pub finalizing: Option<super::finalize::Finalizing>,
    /// Added with libevent's common timeout of this index (see common_timeout.rs).
    pub common_timeout: Option<u8>,
}

impl EventData {
    pub(crate) fn new(fd: Option<RawFd>, what: What, cb: Callback, label: String) -> EventData {
        EventData {
            fd,
            what,
            cb: Some(cb),
            label,
            priority: 0,
            inserted: false,
            timer_armed: false,
            interval: None,
            deadline: None,
            active: None,
            active_token: 0,
            ncalls: 0,
            running: false,
            cb_cause: None,
            once: false,
            state: State::New,
            counted_live: false,
            counted_added: 0,
            counted_active: false,
            finalizing: None,
            common_timeout: None,
        }
    }

    /// Counts toward "the base has events" (libevent's `event_count`).
    pub(crate) fn is_live(&self) -> bool {
        self.inserted || self.timer_armed || self.active.is_some()
    }

    /// The displayed state the flags add up to. A running callback shows as `callback` whatever
    /// it does to its own event until it returns.
    pub(crate) fn derived_state(&self) -> State {
        if self.running {
            State::Callback
        } else if self.active.is_some() {
            State::Active
        } else if self.inserted || self.timer_armed {
            State::Pending
        } else if self.state == State::New {
            State::New
        } else {
            State::NonPending
        }
    }

    /// Waiting for its fd, signal or timeout (libevent's `EVLIST_INSERTED | EVLIST_TIMEOUT`).
    pub(crate) fn is_waiting(&self) -> bool {
        self.inserted || self.timer_armed
    }

    /// The interest this event adds to its fd's backend registration.
    pub(crate) fn io_interest(&self) -> What {
        self.what & (What::READ | What::WRITE | What::CLOSED | What::ET)
    }

    pub(crate) fn is_io(&self) -> bool {
        self.fd.is_some()
            && !self.what.contains(What::SIGNAL)
            && self
                .what
                .intersects(What::READ | What::WRITE | What::CLOSED)
    }
}
