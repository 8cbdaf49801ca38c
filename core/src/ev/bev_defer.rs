//! Deferred bufferevent callbacks (libevent's `BEV_OPT_DEFER_CALLBACKS`, which every
//! `bufferevent_pair` has): where a callback would run inside the call that caused it, the
//! bufferevent only marks it pending and queues its one deferred callback in the active queue;
//! that runs every pending callback later, from the loop (libevent's `readcb_pending`,
//! `writecb_pending`, `eventcb_pending` and `bufferevent_run_deferred_callbacks_locked`).

use super::base::{Deferred, EventBase};
use super::bufferevent::BevOptions;
use super::flags::BevEvents;
use super::handle::BevId;

/// The callbacks a bufferevent has pending, and whether its deferred callback is queued.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PendingCbs {
    pub read: bool,
    pub write: bool,
    /// The events for the event callback, or-ed together until it runs.
    pub events: BevEvents,
    /// The deferred callback is in the active queue, holding a reference to the bufferevent
    /// (libevent's `SCHEDULE_DEFERRED` takes one).
    pub queued: bool,
}

/// One of a bufferevent's three callbacks, the event callback with what to tell it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum BevCb {
    Read,
    Write,
    Event(BevEvents),
}

impl EventBase {
    /// True when the bufferevent's callbacks run from its deferred callback.
    pub(crate) fn bev_defers(&mut self, id: BevId) -> bool {
        self.bev_any(id)
            .is_some_and(|b| b.options.contains(BevOptions::DEFER_CALLBACKS))
    }

    /// Marks `cb` pending, if the bufferevent has that callback, and queues its deferred
    /// callback unless it is queued already (libevent's `bufferevent_run_readcb_` and its kin
    /// with `BEV_OPT_DEFER_CALLBACKS`, and `SCHEDULE_DEFERRED`).
    pub(crate) fn bev_schedule_cb(&mut self, id: BevId, cb: BevCb) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        match cb {
            BevCb::Read if b.has_readcb() => b.pending.read = true,
            BevCb::Write if b.has_writecb() => b.pending.write = true,
            BevCb::Event(events) if b.has_eventcb() => b.pending.events |= events,
            _ => return,
        }
        if !b.pending.queued {
            b.pending.queued = true;
            b.refs += 1;
            self.schedule_deferred(Deferred::BevCallbacks(id));
        }
    }

    /// The deferred callback: `CONNECTED` first, then the read, write and event callbacks that
    /// are pending and still set; then the reference its queueing took goes (libevent's
    /// `bufferevent_run_deferred_callbacks_locked`). A callback pending without being set stays
    /// pending, as in libevent.
    pub(crate) fn bev_run_deferred(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        b.pending.queued = false;
        if b.pending.events.contains(BevEvents::CONNECTED) && b.has_eventcb() {
            b.pending.events = b.pending.events.without(BevEvents::CONNECTED);
            self.bev_call_eventcb(id, BevEvents::CONNECTED);
        }
        if let Some(b) = self
            .bev_any(id)
            .filter(|b| b.pending.read && b.has_readcb())
        {
            b.pending.read = false;
            self.bev_call_readcb(id);
        }
        if let Some(b) = self
            .bev_any(id)
            .filter(|b| b.pending.write && b.has_writecb())
        {
            b.pending.write = false;
            self.bev_call_writecb(id);
        }
        if let Some(b) = self
            .bev_any(id)
            .filter(|b| !b.pending.events.is_empty() && b.has_eventcb())
        {
            let events = std::mem::take(&mut b.pending.events);
            self.bev_call_eventcb(id, events);
        }
        self.bev_release(id);
    }
}
