//! The rest of `bufferevent.h` on the engine side: the program's references
//! (`bufferevent_incref` / `bufferevent_decref`), running callbacks on demand
//! (`bufferevent_trigger`, `bufferevent_trigger_event`), priorities, giving a socket
//! bufferevent another fd (`bufferevent_setfd`), and the resolver's error of
//! `bufferevent_socket_connect_hostname`.

use std::os::fd::RawFd;

use super::base::EventBase;
use super::bev_data::Dir;
use super::bev_defer::BevCb;
use super::bufferevent::BevOptions;
use super::error::{Error, Result};
use super::flags::{BevEvents, What};
use super::handle::BevId;
use super::state::BevWhy;
use super::sys::{self, socket};

impl EventBase {
    // ----- references ---------------------------------------------------------------------------

    /// Takes a reference for the program (libevent's `bufferevent_incref`): the next
    /// `bufferevent_free` or `bufferevent_decref` only drops it, and the bufferevent goes on
    /// (after a free, without callbacks).
    pub fn bufferevent_incref(&mut self, id: BevId) -> Result<()> {
        let b = self.bev_mut(id)?;
        if b.freed {
            return Err(Error::Stale(format!("bufferevent {id} (already freed)")));
        }
        b.extra_refs += 1;
        Ok(())
    }

    /// Drops a reference of the program's (libevent's `bufferevent_decref`); dropping the last
    /// frees the bufferevent, without clearing its callbacks first as `bufferevent_free` does.
    /// True when that freed it at once (libevent returns 1): false while other references
    /// remain, its own callbacks running or its deferred callback queued among them.
    pub fn bufferevent_decref(&mut self, id: BevId) -> Result<bool> {
        if self.bev_mut(id)?.freed {
            return Err(Error::Stale(format!("bufferevent {id} (already freed)")));
        }
        self.bev_drop_ref(id)
    }

    /// References the program holds besides its first one (`bufferevent_incref`s not yet
    /// dropped), and the bufferevent's own (callbacks running, deferred callback queued).
    pub fn bufferevent_refs(&self, id: BevId) -> Result<(u32, u32)> {
        let b = self.bev_ref(id)?;
        Ok((b.extra_refs, b.refs))
    }

    /// Drops one reference: one the program took with incref, or else its first one, which
    /// frees the bufferevent once no callback of its own holds it.
    pub(crate) fn bev_drop_ref(&mut self, id: BevId) -> Result<bool> {
        let Some(b) = self.bev_any(id) else {
            return Err(Error::Stale(format!("bufferevent {id}")));
        };
        if b.extra_refs > 0 {
            b.extra_refs -= 1;
            return Ok(false);
        }
        if b.freed || b.finalizing {
            return Err(Error::Stale(format!("bufferevent {id} (already freed)")));
        }
        b.freed = true;
        if b.refs == 0 {
            self.bev_finalize(id);
            return Ok(true);
        }
        Ok(false)
    }

    // ----- callbacks on demand ------------------------------------------------------------------

    /// Runs the read and/or write callback as if data had arrived or drained (libevent's
    /// `bufferevent_trigger`): each only if its watermark is met, unless `ignore_watermarks`;
    /// from the loop if `defer` (`BEV_TRIG_DEFER_CALLBACKS`) or the bufferevent defers all its
    /// callbacks, else at once.
    pub fn bufferevent_trigger(
        &mut self,
        id: BevId,
        what: What,
        ignore_watermarks: bool,
        defer: bool,
    ) -> Result<()> {
        let b = self.bev_mut(id)?;
        let read = what.contains(What::READ) && (ignore_watermarks || b.input.len() >= b.read_low);
        let write =
            what.contains(What::WRITE) && (ignore_watermarks || b.output.len() <= b.write_low);
        b.refs += 1;
        let defer = defer || b.options.contains(BevOptions::DEFER_CALLBACKS);
        for (yes, cb) in [(read, BevCb::Read), (write, BevCb::Write)] {
            if !yes {
                continue;
            }
            match (defer, cb) {
                (true, _) => self.bev_schedule_cb(id, cb),
                (false, BevCb::Read) => self.bev_call_readcb(id),
                (false, _) => self.bev_call_writecb(id),
            }
        }
        self.bev_release(id);
        Ok(())
    }

    /// Runs the event callback with `events` (libevent's `bufferevent_trigger_event`), at once
    /// or, with `defer`, from the loop.
    pub fn bufferevent_trigger_event(
        &mut self,
        id: BevId,
        events: BevEvents,
        defer: bool,
    ) -> Result<()> {
        let b = self.bev_mut(id)?;
        b.refs += 1;
        let defer = defer || b.options.contains(BevOptions::DEFER_CALLBACKS);
        if let Some(o) = self.observer() {
            o.bev_event(id, events);
        }
        if defer {
            self.bev_schedule_cb(id, BevCb::Event(events));
        } else {
            self.bev_call_eventcb(id, events);
        }
        self.bev_release(id);
        Ok(())
    }

    // ----- priorities ---------------------------------------------------------------------------

    /// Gives a socket bufferevent's read and write events `priority` (libevent's
    /// `bufferevent_priority_set`). Refused for pairs and filters, for a priority the base does
    /// not have, and while one of the events is active; the read event is set first, as in
    /// libevent.
    pub fn bufferevent_priority_set(&mut self, id: BevId, priority: usize) -> Result<()> {
        self.bev_socket_only(id)?;
        let b = self.bev_ref(id)?;
        for ev in [b.read_ev, b.write_ev].into_iter().flatten() {
            self.event_priority_set(ev, priority)?;
        }
        Ok(())
    }

    /// The priority of the bufferevent's events (libevent's `bufferevent_get_priority`).
    pub fn bufferevent_get_priority(&self, id: BevId) -> Result<usize> {
        match self.bev_ref(id)?.read_ev {
            Some(ev) => self.event_get_priority(ev),
            None => Ok(self.get_npriorities() / 2),
        }
    }

    /// Gives the bufferevent's read (or, with `write`, write) event the base's middle
    /// priority, as `event_base_set` does to an event (for libevent's `bufferevent_base_set`).
    pub fn bufferevent_reset_priority(&mut self, id: BevId, write: bool) -> Result<()> {
        let b = self.bev_ref(id)?;
        let ev = if write { b.write_ev } else { b.read_ev };
        let middle = self.get_npriorities() / 2;
        match ev {
            Some(ev) => self.event_priority_set(ev, middle),
            None => Ok(()),
        }
    }

    /// True for a socket bufferevent (libevent's `BEV_IS_SOCKET`), false for pairs and filters.
    pub fn bufferevent_is_socket(&self, id: BevId) -> Result<bool> {
        let b = self.bev_ref(id)?;
        Ok(!b.pair && b.filter.is_none())
    }

    /// `bufferevent_set_timeouts` on a socket (libevent's
    /// `bufferevent_generic_adj_existing_timeouts_`): a pending event is added again with its
    /// new timeout, or loses its timer (so does one not pending); an event that is not pending
    /// stays so.
    pub(crate) fn bev_socket_adj_timeouts(&mut self, id: BevId) -> Result<()> {
        for dir in [Dir::Read, Dir::Write] {
            let Some(b) = self.bev_any(id) else {
                return Ok(());
            };
            let (Some(ev), timeout) = (b.event(dir), b.timeout(dir)) else {
                continue;
            };
            if timeout.is_some() && self.bev_pending(id, dir) {
                self.bev_add(id, dir, BevWhy::SetTimeouts)?;
            } else if timeout.is_none() {
                // Also for an event not pending: the engine keeps an interval for the next
                // add, and libevent's next add has no timeout.
                self.event_remove_timer(ev)?;
            }
        }
        Ok(())
    }

    // ----- another fd ---------------------------------------------------------------------------

    /// Gives a socket bufferevent the fd `fd` (None: none) (libevent's `bufferevent_setfd`):
    /// its events are deleted, watch `fd` from now on, and are added again as enabled. With
    /// `CLOSE_ON_FREE` the bufferevent owns the new fd; the old one is left open, as libevent
    /// leaves it. A filter passes the call to its underlying bufferevent; a pair refuses it.
    pub fn bufferevent_setfd(&mut self, id: BevId, fd: Option<RawFd>) -> Result<()> {
        if let Some(u) = self.bufferevent_get_underlying(id)? {
            return self.bufferevent_setfd(u, fd);
        }
        self.bev_socket_only(id)?;
        if let Some(fd) = fd {
            sys::set_nonblocking(fd, true)?;
        }
        let b = self.bev_mut(id)?;
        let old = b.owned.take();
        let owned = b
            .options
            .contains(BevOptions::CLOSE_ON_FREE)
            .then_some(fd)
            .flatten()
            .map(socket::adopt);
        // libevent does not close the fd it is taken off.
        std::mem::forget(old);
        b.is_socket = true;
        for dir in [Dir::Read, Dir::Write] {
            self.bev_del(id, dir, BevWhy::SetFd)?;
        }
        let b = self.bev_mut(id)?;
        b.fd = fd;
        b.owned = owned;
        for ev in [b.read_ev, b.write_ev].into_iter().flatten() {
            self.event_set_fd(ev, fd)?;
        }
        if fd.is_some() {
            let b = self.bev_mut(id)?;
            let mut start = b.enabled;
            if b.read_held() {
                start = start & !What::READ;
            }
            self.bev_impl_enable(id, start, BevWhy::SetFd)?;
        }
        self.bev_report(id);
        Ok(())
    }

    // ----- connecting by name -------------------------------------------------------------------

    /// The lookup of `bufferevent_socket_connect_hostname` starts: the error of the last one is
    /// forgotten, and the bufferevent's events are deleted and added again as enabled, as
    /// libevent suspends and resumes them around its blocking lookup.
    pub fn bufferevent_lookup_started(&mut self, id: BevId) -> Result<()> {
        self.bev_socket_only(id)?;
        let b = self.bev_mut(id)?;
        b.dns_error = 0;
        self.bev_impl_disable(id, What::READ | What::WRITE, BevWhy::Connect)?;
        let b = self.bev_mut(id)?;
        let mut start = b.enabled;
        if b.read_held() {
            start = start & !What::READ;
        }
        self.bev_impl_enable(id, start, BevWhy::Connect)?;
        self.bev_report(id);
        Ok(())
    }

    /// The lookup failed with the resolver's `error` (an `EVUTIL_EAI_*` code): the event
    /// callback hears `ERROR` (at once, unless the bufferevent defers its callbacks), and
    /// [`EventBase::bufferevent_socket_get_dns_error`] answers `error`.
    pub fn bufferevent_lookup_failed(&mut self, id: BevId, error: i32) -> Result<()> {
        let b = self.bev_mut(id)?;
        b.dns_error = error;
        b.refs += 1;
        self.bev_run_eventcb(id, BevEvents::ERROR);
        self.bev_release(id);
        Ok(())
    }

    /// The resolver's error from the last `bufferevent_socket_connect_hostname`, 0 for none
    /// (libevent's `bufferevent_socket_get_dns_error`).
    pub fn bufferevent_socket_get_dns_error(&self, id: BevId) -> Result<i32> {
        Ok(self.bev_ref(id)?.dns_error)
    }
}
