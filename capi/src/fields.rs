//! What the public fields of `struct event` and `struct bufferevent` hold, as libevent 2.1.12
//! writes them (event.c: `event_assign`, `event_add_nolock_`, `event_active_nolock_`,
//! `event_del_nolock_`; bufferevent.c and bufferevent_sock.c), computed from the engine. The
//! handle tables write these values into the C structs (`sys::cstruct`).

use std::os::raw::{c_int, c_short};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use evscope_core::ev::{EventBase, EventId, What};

use crate::sys::call::{BevDataCb, BevEventCb, EventCb};
use crate::sys::os;
use crate::types::{closure, event_watermark, evlist};

const EV_SIGNAL: c_short = 0x08;
const EV_PERSIST: c_short = 0x10;
const EV_FINALIZE: c_short = 0x40;
/// `EV_READ|EV_WRITE|EV_CLOSED|EV_SIGNAL`: what being inserted makes an event pending for.
const EV_WATCHED: c_short = 0x02 | 0x04 | 0x80 | EV_SIGNAL;
/// `EV_TIMEOUT`.
pub(crate) const EV_TIMEOUT: c_short = 0x01;
/// `EV_READ|EV_PERSIST|EV_FINALIZE`: a socket bufferevent's `ev_read`.
pub(crate) const BEV_READ_EVENTS: c_short = 0x02 | EV_PERSIST | EV_FINALIZE;
/// `EV_WRITE|EV_PERSIST|EV_FINALIZE`: its `ev_write`.
pub(crate) const BEV_WRITE_EVENTS: c_short = 0x04 | EV_PERSIST | EV_FINALIZE;
/// `EV_FINALIZE`: the timeout-only events of a bufferevent pair.
pub(crate) const BEV_PAIR_EVENTS: c_short = EV_FINALIZE;
/// `EV_WRITE`: a new bufferevent's `enabled`.
pub(crate) const EV_WRITE: c_short = 0x04;

/// What `event_assign` writes into a `struct event`.
pub(crate) struct EventSetup {
    /// `ev_base` (0: NULL).
    pub base: usize,
    pub fd: c_int,
    pub events: c_short,
    pub callback: Option<EventCb>,
    pub arg: usize,
    pub flags: c_short,
    pub closure: u8,
    /// A persistent event's `ev_io_timeout` is cleared.
    pub clear_io_timeout: bool,
    /// `ev_pri`: the base's middle priority; left alone without a base.
    pub pri: Option<u8>,
}

impl EventSetup {
    /// `event_assign(ev, base, fd, events, cb, arg)` on a base with `npriorities` queues (None:
    /// no base).
    pub(crate) fn assign(
        base: Option<usize>,
        npriorities: Option<usize>,
        fd: c_int,
        events: c_short,
        callback: Option<EventCb>,
        arg: usize,
    ) -> EventSetup {
        let (closure, clear_io_timeout) = if events & EV_SIGNAL != 0 {
            (closure::SIGNAL, false)
        } else if events & EV_PERSIST != 0 {
            (closure::PERSIST, true)
        } else {
            (closure::EVENT, false)
        };
        EventSetup {
            base: base.unwrap_or(0),
            fd,
            events,
            callback,
            arg,
            flags: evlist::INIT,
            closure,
            clear_io_timeout,
            pri: npriorities.map(middle_priority),
        }
    }

    /// What a new event's struct shows.
    pub(crate) fn shown(&self) -> EventShown {
        EventShown {
            flags: self.flags,
            res: 0,
            pri: self.pri,
            timeout: None,
            io_timeout: None,
        }
    }
}

/// The priority new events get: the middle one (`nactivequeues / 2`).
pub(crate) fn middle_priority(npriorities: usize) -> u8 {
    (npriorities / 2).min(255) as u8
}

/// The fields of a `struct event` that change as it lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EventShown {
    /// `EVLIST_*`.
    pub flags: c_short,
    /// `ev_res`: what the last activation was for (kept after it ran, as by libevent).
    pub res: c_short,
    /// `ev_pri`; None: not written yet (no base).
    pub pri: Option<u8>,
    /// `ev_timeout` (monotonic), once a timeout was armed; kept after it fires.
    pub timeout: Option<Tv>,
    /// `ev_io_timeout`: the interval a persistent event was last added with.
    pub io_timeout: Option<Tv>,
}

/// `EVLIST_INSERTED|EVLIST_TIMEOUT|EVLIST_ACTIVE`: on one of the base's lists.
const LISTED: c_short = evlist::INSERTED | evlist::TIMEOUT | evlist::ACTIVE;

impl EventShown {
    /// The event `id` as the engine has it now; `prev` is what its struct showed, for the
    /// fields libevent leaves as they were. None when the engine no longer has it.
    pub(crate) fn of(b: &EventBase, id: EventId, prev: &EventShown) -> Option<EventShown> {
        let (inserted, armed, active) = b.event_lists(id).ok()?;
        let mut flags = prev.flags & !LISTED;
        if inserted {
            flags |= evlist::INSERTED;
        }
        if armed {
            flags |= evlist::TIMEOUT;
        }
        if active.is_some() {
            flags |= evlist::ACTIVE;
        }
        let deadline = if armed {
            b.event_pending(id, What::TIMEOUT).ok().and_then(|(_, d)| d)
        } else {
            None
        };
        Some(EventShown {
            flags,
            res: active.map_or(prev.res, bits),
            pri: b.event_get_priority(id).ok().map(|p| p.min(255) as u8),
            timeout: deadline.map(monotonic).or(prev.timeout),
            io_timeout: prev.io_timeout,
        })
    }

    /// On one of the base's lists: added, armed or active.
    pub(crate) fn listed(&self) -> bool {
        self.flags & LISTED != 0
    }

    /// `event_pending`'s answer from these fields, for `events` of an event made for `what`.
    pub(crate) fn pending(&self, what: c_short, events: c_short) -> c_short {
        let mut flags = 0;
        if self.flags & evlist::INSERTED != 0 {
            flags |= what & EV_WATCHED;
        }
        if self.flags & evlist::ACTIVE != 0 {
            flags |= self.res;
        }
        if self.flags & evlist::TIMEOUT != 0 {
            flags |= EV_TIMEOUT;
        }
        flags & events & (EV_TIMEOUT | EV_WATCHED)
    }

    /// The same fields after `event_del`: off every list.
    pub(crate) fn deleted(&self) -> EventShown {
        EventShown {
            flags: self.flags & !LISTED,
            ..*self
        }
    }
}

/// A flag set as the `short` C sees.
pub(crate) fn bits(w: What) -> c_short {
    w.bits() as c_short
}

/// `deadline` on `CLOCK_MONOTONIC`, as `ev_timeout` holds it.
pub(crate) fn monotonic(deadline: Instant) -> Tv {
    let now = Instant::now();
    let mono = os::monotonic_now();
    let at = if deadline >= now {
        mono + (deadline - now)
    } else {
        mono.saturating_sub(now - deadline)
    };
    Tv::of(at)
}

/// The microseconds of a `tv_usec` that may carry a common timeout's magic and index bits
/// (libevent's `MICROSECONDS_MASK`).
pub(crate) const MICROSECONDS_MASK: libc::suseconds_t = 0x000f_ffff;

/// A monotonic `ev_timeout` as the time of day (libevent adds its `tv_clock_diff`), without
/// the bits of a common timeout.
pub(crate) fn wall_of_monotonic(tv: Tv) -> Tv {
    let at = Duration::new(tv.sec.max(0) as u64, 0)
        + Duration::from_micros((tv.usec & MICROSECONDS_MASK).clamp(0, 999_999) as u64);
    let mono = os::monotonic_now();
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let d = if at >= mono {
        wall + (at - mono)
    } else {
        wall.saturating_sub(mono - at)
    };
    Tv::of(d)
}

/// A `struct timeval`'s two numbers, comparable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tv {
    pub sec: libc::time_t,
    pub usec: libc::suseconds_t,
}

impl Tv {
    /// A zero `struct timeval` (`evutil_timerclear`).
    pub(crate) const ZERO: Tv = Tv { sec: 0, usec: 0 };

    /// A duration.
    pub(crate) fn of(d: Duration) -> Tv {
        Tv {
            sec: d.as_secs() as libc::time_t,
            usec: d.subsec_micros().into(),
        }
    }

    /// The values of a C `struct timeval`, as given.
    pub(crate) fn from_c(tv: &libc::timeval) -> Tv {
        Tv {
            sec: tv.tv_sec,
            usec: tv.tv_usec,
        }
    }

    /// As a C `struct timeval`.
    pub(crate) fn to_c(self) -> libc::timeval {
        libc::timeval {
            tv_sec: self.sec,
            tv_usec: self.usec,
        }
    }

    /// `evutil_timerisset`.
    pub(crate) fn is_set(self) -> bool {
        self != Tv::ZERO
    }
}

/// The public fields of a `struct bufferevent` besides its two events.
#[derive(Clone, Copy)]
pub(crate) struct BevShown {
    pub base: usize,
    pub input: usize,
    pub output: usize,
    pub wm_read: event_watermark,
    pub wm_write: event_watermark,
    pub readcb: Option<BevDataCb>,
    pub writecb: Option<BevDataCb>,
    pub errorcb: Option<BevEventCb>,
    pub cbarg: usize,
    pub timeout_read: Tv,
    pub timeout_write: Tv,
    pub enabled: c_short,
}
