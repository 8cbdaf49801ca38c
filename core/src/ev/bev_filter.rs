//! Filter bufferevents (libevent's `bufferevent_filter.c`): a bufferevent on top of another one,
//! the *underlying*. What the underlying reads goes through the input filter into the filter's
//! input; what the program writes to the filter goes through the output filter into the
//! underlying's output. The filter takes the underlying's three callbacks over, holds a
//! reference to it, and holds its reading (libevent's `BEV_SUSPEND_FILT_READ`) while the filter
//! itself does not read. Like a pair end it has no socket: its read and write events carry only
//! its timeouts.
//!
//! A filter function is called with the filter and its direction ([`FilterCall`]); it moves
//! bytes from the source buffer to the destination buffer (see [`FilterCall::source`]) and says
//! how it went ([`FilterResult`]).

use std::rc::Rc;

use super::base::EventBase;
use super::bev_data::{Dir, Suspend};
use super::bufferevent::{BevOptions, FlushMode};
use super::error::{Error, Result};
use super::flags::{BevEvents, What};
use super::handle::BevId;
use super::state::BevWhy;

/// What a filter function reports (libevent's `enum bufferevent_filter_result`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FilterResult {
    /// `BEV_OK`: it wrote something to the destination.
    Ok,
    /// `BEV_NEED_MORE`: it cannot produce more output until it gets more input.
    NeedMore,
    /// `BEV_ERROR`: the filter failed.
    Error,
}

/// One call of a filter function: which filter, which direction, how much it may produce and
/// how hard to push.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FilterCall {
    /// The filter bufferevent.
    pub filter: BevId,
    /// The bufferevent under it.
    pub underlying: BevId,
    /// True for the input filter (underlying's input → filter's input), false for the output
    /// filter (filter's output → underlying's output).
    pub input: bool,
    /// The most bytes the destination takes before its high watermark (None: no limit;
    /// libevent's `dst_limit` of -1).
    pub limit: Option<usize>,
    /// `BEV_NORMAL`, `BEV_FLUSH` or `BEV_FINISHED`.
    pub mode: FlushMode,
}

impl FilterCall {
    /// The buffer the filter takes from: (bufferevent, true for its output).
    pub fn source(&self) -> (BevId, bool) {
        if self.input {
            (self.underlying, false)
        } else {
            (self.filter, true)
        }
    }

    /// The buffer the filter adds to: (bufferevent, true for its output).
    pub fn destination(&self) -> (BevId, bool) {
        if self.input {
            (self.filter, false)
        } else {
            (self.underlying, true)
        }
    }
}

/// A filter function (libevent's `bufferevent_filter_cb`). It reaches the two buffers through
/// the base (e.g. [`EventBase::bufferevent_get_input`] of [`FilterCall::source`]). It may be
/// called again while it runs (a drained input filters more at once), so it is `Fn`, shared.
pub type FilterFn = Rc<dyn Fn(&mut EventBase, &FilterCall) -> FilterResult>;

/// Run as a filter bufferevent is destroyed (libevent's `free_context`).
pub type FilterFree = Box<dyn FnOnce(&mut EventBase)>;

/// What a filter bufferevent keeps beside the common fields.
pub(crate) struct FilterData {
    pub underlying: BevId,
    /// None: libevent's `be_null_filter`, which moves everything it may.
    pub input: Option<FilterFn>,
    pub output: Option<FilterFn>,
    /// The output is being filtered: bytes added meanwhile do not start another round
    /// (libevent clears its `outbuf_cb`'s `EVBUFFER_CB_ENABLED`).
    pub output_busy: bool,
    /// The input stopped at the read high watermark with bytes left in the underlying's
    /// input: draining the filter's input filters more (libevent's `inbuf_cb`, enabled then).
    pub inbuf_watch: bool,
    /// The underlying's callback epoch once the filter set them, to tell whether they are
    /// still the filter's when it goes.
    pub underlying_epoch: u32,
    /// The filter is unlinked from the underlying (its last reference went).
    pub unlinked: bool,
    /// Run when the filter is destroyed (libevent's `free_context`).
    pub on_free: Option<FilterFree>,
}

impl EventBase {
    /// A filter bufferevent over `underlying` (libevent's `bufferevent_filter_new`): `input`
    /// filters what the underlying reads, `output` what the program writes (None: pass bytes
    /// through). The underlying's callbacks become the filter's, its reading and writing are
    /// enabled, and its reading is held until the filter enables reading. With
    /// [`BevOptions::CLOSE_ON_FREE`], freeing the filter frees the underlying; `on_free` runs as
    /// the filter is destroyed.
    pub fn bufferevent_filter_new(
        &mut self,
        underlying: BevId,
        input: Option<FilterFn>,
        output: Option<FilterFn>,
        options: BevOptions,
        on_free: Option<FilterFree>,
    ) -> Result<BevId> {
        self.bev_ref(underlying)?;
        let id = self.bev_new_virtual(options, false, " filter", EventBase::bev_filter_timeout)?;
        // libevent's bufferevent_setcb on the underlying: its callbacks are the filter's now.
        self.bufferevent_setcb(
            underlying,
            Some(Box::new(move |base, _u| base.bev_filter_read(id))),
            Some(Box::new(move |base, _u| base.bev_filter_write(id))),
            Some(Box::new(move |base, _u, events| {
                base.bev_filter_event(id, events)
            })),
        )?;
        let epoch = self.bev_any(underlying).map_or(0, |u| {
            u.extra_refs += 1;
            u.cb_epoch
        });
        if let Some(b) = self.bev_any(id) {
            b.filter = Some(Box::new(FilterData {
                underlying,
                input,
                output,
                output_busy: false,
                inbuf_watch: false,
                underlying_epoch: epoch,
                unlinked: false,
                on_free,
            }));
        }
        self.bufferevent_enable(underlying, What::READ | What::WRITE)?;
        self.bev_filt_suspend(underlying);
        self.bev_report(id);
        Ok(id)
    }

    /// The bufferevent under a filter (libevent's `bufferevent_get_underlying`); None for
    /// other kinds.
    pub fn bufferevent_get_underlying(&self, id: BevId) -> Result<Option<BevId>> {
        Ok(self.bev_ref(id)?.filter.as_ref().map(|f| f.underlying))
    }

    /// The filter's underlying bufferevent, while it is a filter.
    fn filter_under(&mut self, id: BevId) -> Option<BevId> {
        self.bev_any(id)
            .and_then(|b| b.filter.as_ref())
            .map(|f| f.underlying)
    }

    /// True for a filter bufferevent.
    pub(crate) fn bev_is_filter(&mut self, id: BevId) -> bool {
        self.bev_any(id).is_some_and(|b| b.filter.is_some())
    }

    // ----- every kind: starting and stopping a direction ----------------------------------------

    /// Starts the directions of `what` as the bufferevent's kind does it (libevent's
    /// `be_ops->enable`): a socket adds its events; a pair end restarts its timeouts and
    /// trades data with its partner; a filter restarts its timeouts and lets its underlying
    /// read.
    pub(crate) fn bev_impl_enable(&mut self, id: BevId, what: What, why: BevWhy) -> Result<()> {
        let Some(b) = self.bev_any(id) else {
            return Ok(());
        };
        if b.pair {
            self.bev_pair_enable(id, what, why);
            Ok(())
        } else if b.filter.is_some() {
            self.bev_filter_enable(id, what, why);
            Ok(())
        } else {
            self.bev_socket_enable(id, what, why)
        }
    }

    /// Stops the directions of `what` as the kind does it (libevent's `be_ops->disable`).
    pub(crate) fn bev_impl_disable(&mut self, id: BevId, what: What, why: BevWhy) -> Result<()> {
        self.bev_socket_disable(id, what, why)?;
        if what.contains(What::READ) {
            if let Some(u) = self.filter_under(id) {
                self.bev_filt_suspend(u);
            }
        }
        Ok(())
    }

    /// A filter on top holds `id`'s reading (libevent's `bufferevent_suspend_read_` with
    /// `BEV_SUSPEND_FILT_READ`).
    pub(crate) fn bev_filt_suspend(&mut self, id: BevId) {
        self.bev_suspend(id, Dir::Read, Suspend::FILT, BevWhy::Filter);
    }

    /// The filter on top lets `id` read again (libevent's `bufferevent_unsuspend_read_` with
    /// `BEV_SUSPEND_FILT_READ`); a bufferevent that is closing stays as it is.
    pub(crate) fn bev_filt_unsuspend(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if b.closing {
            b.read_suspended = b.read_suspended.without(Suspend::FILT);
            return;
        }
        self.bev_unsuspend(id, Dir::Read, Suspend::FILT, BevWhy::Filter);
    }

    // ----- the filter's own events --------------------------------------------------------------

    /// `be_filter_enable`: restart the timeouts of `what`; reading lets the underlying read.
    fn bev_filter_enable(&mut self, id: BevId, what: What, why: BevWhy) {
        if what.contains(What::WRITE) {
            self.bev_pair_reset_timeout(id, Dir::Write, why);
        }
        if what.contains(What::READ) {
            self.bev_pair_reset_timeout(id, Dir::Read, why);
            if let Some(u) = self.filter_under(id) {
                self.bev_filt_unsuspend(u);
            }
        }
    }

    /// A read or write timeout of the filter expired (libevent's generic timeout callbacks):
    /// that direction is disabled and the event callback hears `TIMEOUT`.
    fn bev_filter_timeout(&mut self, id: BevId, dir: Dir) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if b.closing || b.finalizing {
            return;
        }
        b.refs += 1;
        b.enabled = b.enabled & !dir.what();
        let stopped = self.bev_impl_disable(id, dir.what(), BevWhy::Timeout);
        debug_assert!(stopped.is_ok(), "deleting a live event: {stopped:?}");
        self.bev_report(id);
        let side = match dir {
            Dir::Read => BevEvents::READING,
            Dir::Write => BevEvents::WRITING,
        };
        self.bev_run_eventcb(id, BevEvents::TIMEOUT | side);
        self.bev_release(id);
    }

    // ----- filtering ----------------------------------------------------------------------------

    /// The filter's input is at its read high watermark in `mode` (libevent's
    /// `be_readbuf_full`).
    fn filter_readbuf_full(&self, id: BevId, mode: FlushMode) -> bool {
        let Some(b) = self.bevs.get(id.index(), id.generation()) else {
            return true;
        };
        mode == FlushMode::Normal && b.read_high > 0 && b.input.len() >= b.read_high
    }

    /// The underlying's output is at its write high watermark in `mode` (libevent's
    /// `be_underlying_writebuf_full`).
    fn filter_writebuf_full(&self, u: BevId, mode: FlushMode) -> bool {
        let Some(b) = self.bevs.get(u.index(), u.generation()) else {
            return true;
        };
        mode == FlushMode::Normal && b.write_high > 0 && b.output.len() >= b.write_high
    }

    fn bev_live_len(&self, id: BevId, output: bool) -> usize {
        self.bevs.get(id.index(), id.generation()).map_or(0, |b| {
            if output {
                b.output.len()
            } else {
                b.input.len()
            }
        })
    }

    fn bev_enabled(&self, id: BevId, what: What) -> bool {
        self.bevs
            .get(id.index(), id.generation())
            .is_some_and(|b| b.enabled.contains(what) && !b.finalizing)
    }

    /// Calls the filter function of one direction once.
    fn bev_filter_call(&mut self, call: FilterCall) -> FilterResult {
        let f = self.bev_any(call.filter).and_then(|b| b.filter.as_ref());
        let Some(f) = f else {
            return FilterResult::Error;
        };
        let filter = if call.input {
            f.input.clone()
        } else {
            f.output.clone()
        };
        match filter {
            Some(filter) => filter(self, &call),
            None => self.bev_null_filter(&call),
        }
    }

    /// libevent's `be_null_filter`: moves up to the limit from source to destination.
    fn bev_null_filter(&mut self, call: &FilterCall) -> FilterResult {
        let (src, src_out) = call.source();
        let (dst, dst_out) = call.destination();
        let mut moved = super::buffer::Evbuffer::new();
        {
            let Ok(mut s) = (if src_out {
                self.bufferevent_get_output(src)
            } else {
                self.bufferevent_get_input(src)
            }) else {
                return FilterResult::Error;
            };
            let n = call.limit.unwrap_or(usize::MAX);
            s.remove_buffer(&mut moved, n);
        }
        let Ok(mut d) = (if dst_out {
            self.bufferevent_get_output(dst)
        } else {
            self.bufferevent_get_input(dst)
        }) else {
            return FilterResult::Error;
        };
        d.add_buffer(&mut moved);
        FilterResult::Ok
    }

    /// libevent's `be_filter_process_input`: filters the underlying's input into the filter's
    /// while the filter reads and is below its high watermark. Returns the last result and
    /// whether any call succeeded.
    fn bev_filter_process_input(&mut self, id: BevId, mode: FlushMode) -> (FilterResult, bool) {
        let Some(u) = self.filter_under(id) else {
            return (FilterResult::Error, false);
        };
        if mode == FlushMode::Normal
            && (!self.bev_enabled(id, What::READ) || self.filter_readbuf_full(id, mode))
        {
            return (FilterResult::Ok, false);
        }
        let mut processed = false;
        loop {
            let read_high = self
                .bevs
                .get(id.index(), id.generation())
                .map_or(0, |b| b.read_high);
            let limit = (mode == FlushMode::Normal && read_high > 0)
                .then(|| read_high.saturating_sub(self.bev_live_len(id, false)));
            let res = self.bev_filter_call(FilterCall {
                filter: id,
                underlying: u,
                input: true,
                limit,
                mode,
            });
            if res == FilterResult::Ok {
                processed = true;
            }
            if !(res == FilterResult::Ok
                && self.bev_enabled(id, What::READ)
                && self.bev_live_len(u, false) > 0
                && !self.filter_readbuf_full(id, mode))
            {
                if processed {
                    self.bev_pair_reset_timeout(id, Dir::Read, BevWhy::Filter);
                }
                return (res, processed);
            }
        }
    }

    /// libevent's `be_filter_process_output`: filters the filter's output into the
    /// underlying's while the filter writes and the underlying is below its write high
    /// watermark; the write callback runs after each round that produced something.
    fn bev_filter_process_output(&mut self, id: BevId, mode: FlushMode) -> (FilterResult, bool) {
        let Some(u) = self.filter_under(id) else {
            return (FilterResult::Error, false);
        };
        if mode == FlushMode::Normal
            && (!self.bev_enabled(id, What::WRITE)
                || self.filter_writebuf_full(u, mode)
                || self.bev_live_len(id, true) == 0)
        {
            return (FilterResult::Ok, false);
        }
        self.set_output_busy(id, true);
        let mut res;
        let mut processed_any = false;
        loop {
            let mut processed = false;
            loop {
                let write_high = self
                    .bevs
                    .get(u.index(), u.generation())
                    .map_or(0, |b| b.write_high);
                let limit = (mode == FlushMode::Normal && write_high > 0)
                    .then(|| write_high.saturating_sub(self.bev_live_len(u, true)));
                res = self.bev_filter_call(FilterCall {
                    filter: id,
                    underlying: u,
                    input: false,
                    limit,
                    mode,
                });
                if res == FilterResult::Ok {
                    processed = true;
                    processed_any = true;
                }
                if !(res == FilterResult::Ok && self.filter_may_write(id, u, mode)) {
                    break;
                }
            }
            if !processed {
                break;
            }
            self.bev_trigger(id, What::WRITE);
            if !(res == FilterResult::Ok && self.filter_may_write(id, u, mode)) {
                break;
            }
        }
        self.set_output_busy(id, false);
        if processed_any {
            self.bev_pair_reset_timeout(id, Dir::Write, BevWhy::Filter);
        }
        (res, processed_any)
    }

    /// The filter writes, has output, and the underlying takes more.
    fn filter_may_write(&self, id: BevId, u: BevId, mode: FlushMode) -> bool {
        self.bev_enabled(id, What::WRITE)
            && self.bev_live_len(id, true) > 0
            && !self.filter_writebuf_full(u, mode)
    }

    fn set_output_busy(&mut self, id: BevId, busy: bool) {
        if let Some(f) = self.bev_any(id).and_then(|b| b.filter.as_mut()) {
            f.output_busy = busy;
        }
    }

    /// The program added to the filter's output (libevent's `bufferevent_filtered_outbuf_cb`).
    pub(crate) fn bev_filter_output_added(&mut self, id: BevId) {
        let busy = self
            .bev_any(id)
            .and_then(|b| b.filter.as_ref())
            .is_none_or(|f| f.output_busy);
        if busy {
            return;
        }
        if let Some(b) = self.bev_any(id) {
            b.refs += 1;
        }
        self.bev_filter_process_output(id, FlushMode::Normal);
        self.bev_release(id);
    }

    /// The program drained the filter's input (libevent's `bufferevent_filtered_inbuf_cb`,
    /// enabled only after the input stopped at its high watermark with bytes left below).
    pub(crate) fn bev_filter_input_drained(&mut self, id: BevId) {
        let watching = self
            .bev_any(id)
            .and_then(|b| b.filter.as_ref())
            .is_some_and(|f| f.inbuf_watch);
        if !watching || self.filter_readbuf_full(id, FlushMode::Normal) {
            return;
        }
        if let Some(f) = self.bev_any(id).and_then(|b| b.filter.as_mut()) {
            f.inbuf_watch = false;
        }
        let Some(u) = self.filter_under(id) else {
            return;
        };
        if self.bev_live_len(u, false) > 0 {
            self.bev_filter_read(id);
        }
    }

    /// The underlying read (its read callback, taken over: libevent's `be_filter_readcb`).
    fn bev_filter_read(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if b.finalizing || b.closing {
            return;
        }
        b.refs += 1;
        let (_, processed) = self.bev_filter_process_input(id, FlushMode::Normal);
        if processed {
            self.bev_trigger(id, What::READ);
            let u = self.filter_under(id);
            let left = u.is_some_and(|u| self.bev_live_len(u, false) > 0);
            if left && self.filter_readbuf_full(id, FlushMode::Normal) {
                if let Some(f) = self.bev_any(id).and_then(|b| b.filter.as_mut()) {
                    f.inbuf_watch = true;
                }
            }
        }
        self.bev_release(id);
    }

    /// The underlying's output drained to its low watermark (its write callback, taken over:
    /// libevent's `be_filter_writecb`).
    fn bev_filter_write(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if b.finalizing || b.closing {
            return;
        }
        b.refs += 1;
        self.bev_filter_process_output(id, FlushMode::Normal);
        self.bev_release(id);
    }

    /// The underlying's event callback, taken over (libevent's `be_filter_eventcb`): the
    /// filter's own event callback hears the same.
    fn bev_filter_event(&mut self, id: BevId, events: BevEvents) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if b.finalizing || b.closing {
            return;
        }
        b.refs += 1;
        self.bev_run_eventcb(id, events);
        self.bev_release(id);
    }

    /// `bufferevent_flush` on a filter (libevent's `be_filter_flush`): filters input and/or
    /// output in `mode` (past the watermarks unless `Normal`), then flushes the underlying the
    /// same way. True if a filter call produced something (libevent returns 1).
    pub(crate) fn bev_filter_flush(&mut self, id: BevId, what: What, mode: FlushMode) -> bool {
        let Some(u) = self.filter_under(id) else {
            return false;
        };
        if let Some(b) = self.bev_any(id) {
            b.refs += 1;
        }
        let mut processed = false;
        if what.contains(What::READ) {
            processed |= self.bev_filter_process_input(id, mode).1;
        }
        if what.contains(What::WRITE) {
            processed |= self.bev_filter_process_output(id, mode).1;
        }
        if self.bev_ref(u).is_ok() {
            // A pair end whose partner went cannot flush; libevent ignores that too.
            let _ = self.bufferevent_flush(u, what, mode);
        }
        self.bev_release(id);
        processed
    }

    /// The filter's last reference went (libevent's `be_filter_unlink`): with `CLOSE_ON_FREE`
    /// the underlying is freed; otherwise it gets no callbacks (if they were still the
    /// filter's) and may read again.
    pub(crate) fn bev_filter_unlink(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let close = b.options.contains(BevOptions::CLOSE_ON_FREE);
        let Some(f) = b.filter.as_mut() else {
            return;
        };
        if f.unlinked {
            return;
        }
        f.unlinked = true;
        let (u, epoch) = (f.underlying, f.underlying_epoch);
        if close {
            if self.bev_ref(u).is_ok() {
                let freed = self.bufferevent_free(u);
                debug_assert!(freed.is_ok(), "freeing a live bufferevent: {freed:?}");
            }
        } else if let Some(ub) = self.bev_any(u) {
            if ub.cb_epoch == epoch {
                ub.set_cbs(None, None, None);
            }
            self.bev_filt_unsuspend(u);
        }
    }

    /// The filter is destroyed (libevent's `be_filter_destruct`, then the reference to the
    /// underlying taken at creation goes).
    pub(crate) fn bev_filter_destructed(&mut self, f: FilterData) {
        let FilterData {
            underlying,
            on_free,
            ..
        } = f;
        if let Some(on_free) = on_free {
            on_free(self);
        }
        if self.bev_any(underlying).is_some() {
            let dropped = self.bev_drop_ref(underlying);
            debug_assert!(dropped.is_ok(), "dropping a reference: {dropped:?}");
        }
    }

    /// Refuses a call that only socket bufferevents take.
    pub(crate) fn bev_socket_only(&self, id: BevId) -> Result<()> {
        let b = self.bev_ref(id)?;
        if b.pair || b.filter.is_some() {
            let kind = if b.pair {
                "one end of a pair"
            } else {
                "a filter"
            };
            return Err(Error::Invalid(format!(
                "{id} is {kind}, not a socket bufferevent"
            )));
        }
        Ok(())
    }
}
