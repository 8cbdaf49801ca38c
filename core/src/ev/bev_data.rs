//! What the base keeps for one bufferevent: its fd, its two buffers, its callbacks, and the
//! libevent-style flags the socket side works from.

use std::os::fd::{OwnedFd, RawFd};
use std::time::Duration;

use super::bev_defer::PendingCbs;
use super::bev_rate::BevRate;
use super::buffer::Evbuffer;
use super::bufferevent::{BevDataCb, BevEventCb, BevOptions};
use super::flags::What;
use super::handle::{BevId, EventId};
use crate::trace::Levels;

/// The write side's half-close progress.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Shutdown {
    Open,
    /// `shutdown(SHUT_WR)` once the output buffer is empty.
    WhenDrained,
    Done,
}

/// One direction of a bufferevent: its read side or its write side. libevent keeps the two in
/// one shape (`ev_read` / `ev_write`, `wm_read` / `wm_write`, `timeout_read` / `timeout_write`),
/// and the code that arms them is one code path parameterised by this.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Dir {
    Read,
    Write,
}

impl Dir {
    /// `EV_READ` or `EV_WRITE`.
    pub(crate) fn what(self) -> What {
        match self {
            Dir::Read => What::READ,
            Dir::Write => What::WRITE,
        }
    }
}

/// Why reading or writing is suspended (libevent's `bufferevent_suspend_flags`): a set, and the
/// direction runs again only when it is empty.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct Suspend(u8);

impl Suspend {
    /// Nothing holds the direction back.
    pub(crate) const NONE: Suspend = Suspend(0);
    /// The input reached the read high watermark (`BEV_SUSPEND_WM`).
    pub(crate) const WM: Suspend = Suspend(0x01);
    /// The bufferevent's own token bucket is empty (`BEV_SUSPEND_BW`).
    pub(crate) const BW: Suspend = Suspend(0x02);
    /// Its rate-limit group's bucket is empty (`BEV_SUSPEND_BW_GROUP`).
    pub(crate) const BW_GROUP: Suspend = Suspend(0x04);
    /// A filter bufferevent on top does not read (`BEV_SUSPEND_FILT_READ`).
    pub(crate) const FILT: Suspend = Suspend(0x08);

    /// True when any reason is set.
    pub(crate) const fn any(self) -> bool {
        self.0 != 0
    }

    /// True when `reason` is set.
    pub(crate) const fn has(self, reason: Suspend) -> bool {
        self.0 & reason.0 != 0
    }

    /// With `reason` added.
    pub(crate) const fn with(self, reason: Suspend) -> Suspend {
        Suspend(self.0 | reason.0)
    }

    /// With `reason` removed.
    pub(crate) const fn without(self, reason: Suspend) -> Suspend {
        Suspend(self.0 & !reason.0)
    }
}

/// Everything the base keeps for one bufferevent.
pub(crate) struct BevData {
    pub label: String,
    pub fd: Option<RawFd>,
    /// Set with `CLOSE_ON_FREE`, or when the bufferevent made the socket itself.
    pub owned: Option<OwnedFd>,
    /// sendmsg(MSG_NOSIGNAL) works (false for pipes and the like: writev then).
    pub is_socket: bool,
    pub input: Evbuffer,
    pub output: Evbuffer,
    pub read_ev: Option<EventId>,
    pub write_ev: Option<EventId>,
    pub readcb: Option<BevDataCb>,
    pub writecb: Option<BevDataCb>,
    /// The read callback is out of its slot, running.
    pub readcb_running: bool,
    /// The write callback is out of its slot, running.
    pub writecb_running: bool,
    /// The event callback is out of its slot, running.
    pub eventcb_running: bool,
    pub eventcb: Option<BevEventCb>,
    /// Callbacks waiting for its deferred callback (with `BEV_OPT_DEFER_CALLBACKS`).
    pub pending: PendingCbs,
    /// Bumped by `setcb`, so a callback taken out to run is not put back over new ones.
    pub cb_epoch: u32,
    pub enabled: What,
    pub read_low: usize,
    pub read_high: usize,
    pub write_low: usize,
    pub write_high: usize,
    pub timeout_read: Option<Duration>,
    pub timeout_write: Option<Duration>,
    /// Why reading is held back (the read high watermark, a rate limit), if it is.
    pub read_suspended: Suspend,
    /// Why writing is held back (a rate limit), if it is.
    pub write_suspended: Suspend,
    /// Rate limiting and single read/write sizes, once the program set any (see
    /// `bev_rate.rs`); `None` keeps the defaults at the cost of one test per read and write.
    pub rate: Option<Box<BevRate>>,
    pub connecting: bool,
    /// A read during the connect met ECONNREFUSED; the write handler reports it
    /// (libevent's `connection_refused`).
    pub connection_refused: bool,
    /// An error found outside the write handler, reported from it.
    pub pending_error: Option<i32>,
    /// The errno that went with the last `ERROR` event.
    pub last_error: Option<i32>,
    pub shutdown: Shutdown,
    pub read_eof: bool,
    /// `bufferevent_close_after_flush` was called: the handle is gone for the program.
    pub closing: bool,
    /// The `BEV_OPT_*` options it was made with.
    pub options: BevOptions,
    /// Callbacks of its own now running, and its queued deferred callback (libevent's reference
    /// count less the program's own): a `bufferevent_free` meanwhile takes effect when the last
    /// is done.
    pub refs: u32,
    /// `bufferevent_free` was called while `refs` > 0: the handle stays valid until they end.
    pub freed: bool,
    /// Freed: its events are deleted and its socket closes from the active queue; the handle
    /// is gone for the program.
    pub finalizing: bool,
    /// The levels last told to the observer.
    pub last_levels: Option<Levels>,
    /// The kernel's queue sizes as last sampled, and the loop iteration they were sampled in.
    pub kernel: KernelSample,
    /// One end of a `bufferevent_pair` (libevent's `BEV_IS_PAIR`).
    pub pair: bool,
    /// The pair's other end, until either end's last reference goes (libevent's `partner`).
    pub partner: Option<BevId>,
    /// References the program took with `bufferevent_incref` and has not dropped yet: each
    /// `bufferevent_free` or `bufferevent_decref` drops one before the last one frees.
    pub extra_refs: u32,
    /// The resolver's error from the last `bufferevent_socket_connect_hostname` (libevent's
    /// `dns_error`, an `EVUTIL_EAI_*` code; 0: none).
    pub dns_error: i32,
    /// A filter bufferevent: what it filters, and how (see `bev_filter.rs`).
    pub filter: Option<Box<super::bev_filter::FilterData>>,
}

impl BevData {
    pub(crate) fn new(label: String) -> BevData {
        BevData {
            label,
            fd: None,
            owned: None,
            is_socket: true,
            input: Evbuffer::new(),
            output: Evbuffer::new(),
            read_ev: None,
            write_ev: None,
            readcb: None,
            writecb: None,
            readcb_running: false,
            writecb_running: false,
            eventcb_running: false,
            eventcb: None,
            pending: PendingCbs::default(),
            cb_epoch: 0,
            enabled: What::WRITE,
            read_low: 0,
            read_high: 0,
            write_low: 0,
            write_high: 0,
            timeout_read: None,
            timeout_write: None,
            read_suspended: Suspend::NONE,
            write_suspended: Suspend::NONE,
            rate: None,
            connecting: false,
            connection_refused: false,
            pending_error: None,
            last_error: None,
            shutdown: Shutdown::Open,
            read_eof: false,
            closing: false,
            options: BevOptions::NONE,
            refs: 0,
            freed: false,
            finalizing: false,
            last_levels: None,
            kernel: KernelSample::default(),
            pair: false,
            partner: None,
            extra_refs: 0,
            dns_error: 0,
            filter: None,
        }
    }

    /// Sets the three callbacks (libevent's `bufferevent_setcb`; all `None` when freed). One
    /// taken out of its slot to run is not put back over these, and no longer counts as set.
    pub(crate) fn set_cbs(
        &mut self,
        readcb: Option<BevDataCb>,
        writecb: Option<BevDataCb>,
        eventcb: Option<BevEventCb>,
    ) {
        self.readcb = readcb;
        self.writecb = writecb;
        self.eventcb = eventcb;
        self.readcb_running = false;
        self.writecb_running = false;
        self.eventcb_running = false;
        self.cb_epoch = self.cb_epoch.wrapping_add(1);
    }

    /// Whether it has a read callback: in its slot, or out of it and running (libevent's
    /// `bufev->readcb` stays set while it runs).
    pub(crate) fn has_readcb(&self) -> bool {
        self.readcb.is_some() || self.readcb_running
    }

    /// Whether it has a write callback (see [`BevData::has_readcb`]).
    pub(crate) fn has_writecb(&self) -> bool {
        self.writecb.is_some() || self.writecb_running
    }

    /// Whether it has an event callback (see [`BevData::has_readcb`]).
    pub(crate) fn has_eventcb(&self) -> bool {
        self.eventcb.is_some() || self.eventcb_running
    }

    /// Reading is held back, for any reason: the read high watermark, a rate limit, a filter
    /// on top.
    pub(crate) fn read_held(&self) -> bool {
        self.read_suspended.any()
    }

    /// The internal event of `dir` (`ev_read` / `ev_write`), once there is a socket.
    pub(crate) fn event(&self, dir: Dir) -> Option<EventId> {
        match dir {
            Dir::Read => self.read_ev,
            Dir::Write => self.write_ev,
        }
    }

    /// Why `dir` is suspended.
    pub(crate) fn suspended(&self, dir: Dir) -> Suspend {
        match dir {
            Dir::Read => self.read_suspended,
            Dir::Write => self.write_suspended,
        }
    }

    /// Sets why `dir` is suspended.
    pub(crate) fn set_suspended(&mut self, dir: Dir, why: Suspend) {
        match dir {
            Dir::Read => self.read_suspended = why,
            Dir::Write => self.write_suspended = why,
        }
    }

    /// The timeout of `dir` (`timeout_read` / `timeout_write`).
    pub(crate) fn timeout(&self, dir: Dir) -> Option<Duration> {
        match dir {
            Dir::Read => self.timeout_read,
            Dir::Write => self.timeout_write,
        }
    }

    /// The fill levels as the observer sees them (without the kernel's queues).
    pub(crate) fn levels(&self) -> Levels {
        Levels {
            input: self.input.len() as u64,
            output: self.output.len() as u64,
            read_low: self.read_low as u64,
            read_high: self.read_high as u64,
            write_low: self.write_low as u64,
            write_high: self.write_high as u64,
            enabled: self.enabled,
            kernel_in: None,
            kernel_out: None,
        }
    }
}

/// The kernel's queues beside a bufferevent's own (FIONREAD, SIOCOUTQ), sampled for an observer
/// at most once per [`KernelSample::EVERY_NS`]: two ioctls on every fill-level report cost an
/// observed echo server a fifth of its time. While a viewer may hold the loop at any record
/// (`Observer::may_hold`: paused, stepping, watching for a breakpoint) they are read for every
/// report, so what a stepped trace shows is always fresh.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct KernelSample {
    /// When it was taken, in nanoseconds on the base's clock (`Clock::now_ns`).
    pub at_ns: Option<u64>,
    pub unread: Option<usize>,
    pub unsent: Option<usize>,
}

impl KernelSample {
    /// The longest a sample is reused, in nanoseconds (100 ms).
    pub const EVERY_NS: u64 = 100_000_000;
}
