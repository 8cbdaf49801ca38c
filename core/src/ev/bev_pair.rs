//! `bufferevent_pair`: two bufferevents joined in-process, one's output feeding the other's
//! input (libevent's `bufferevent_pair.c`). Data moves at once, inside the call that makes it
//! possible — a write, the reader enabling reading, the reader draining its input below its read
//! high watermark — and never past that watermark; chunks move, not bytes. The callbacks run
//! later from the loop: a pair always has [`BevOptions::DEFER_CALLBACKS`].

use super::base::EventBase;
use super::bev_data::{BevData, Dir, Shutdown};
use super::bufferevent::{BevOptions, FlushMode};
use super::error::{Error, Result};
use super::flags::{BevEvents, What};
use super::handle::BevId;
use super::state::BevWhy;

impl EventBase {
    /// Two bufferevents connected to each other (libevent's `bufferevent_pair_new`, which adds
    /// `BEV_OPT_DEFER_CALLBACKS` to `options`). What one writes, the other reads. Freeing one
    /// end tells the other nothing, as in libevent; [`EventBase::bufferevent_flush`] with
    /// [`FlushMode::Finished`] tells it `EOF`, and so does the write side's half-close
    /// ([`EventBase::bufferevent_shutdown_write`]) once the output has moved.
    pub fn bufferevent_pair_new(&mut self, options: BevOptions) -> Result<(BevId, BevId)> {
        let options = options | BevOptions::DEFER_CALLBACKS;
        let a = self.bev_pair_half(options)?;
        let b = match self.bev_pair_half(options) {
            Ok(b) => b,
            Err(e) => {
                self.bev_destroy(a);
                return Err(e);
            }
        };
        if let Some(x) = self.bev_any(a) {
            x.partner = Some(b);
        }
        if let Some(x) = self.bev_any(b) {
            x.partner = Some(a);
        }
        self.bev_report(a);
        self.bev_report(b);
        Ok((a, b))
    }

    /// One end, with its read and write events: timeout-only events that carry its read and
    /// write timeouts (libevent's `bufferevent_init_generic_timeout_cbs_`).
    fn bev_pair_half(&mut self, options: BevOptions) -> Result<BevId> {
        self.bev_new_virtual(options, true, "", EventBase::bev_pair_timeout)
    }

    /// A bufferevent with no socket of its own (a pair's end, a filter), labelled by its id and
    /// `suffix`, told to the observer, with timeout-only read and write events whose expiry
    /// calls `timeout` (libevent's `bufferevent_init_generic_timeout_cbs_`).
    pub(super) fn bev_new_virtual(
        &mut self,
        options: BevOptions,
        pair: bool,
        suffix: &str,
        timeout: fn(&mut EventBase, BevId, Dir),
    ) -> Result<BevId> {
        let (index, generation) = self.bevs.insert(BevData::new(String::new()));
        let id = BevId::new(index, generation);
        let label = format!("{id}{suffix}");
        if let Some(b) = self.bev_any(id) {
            b.label = label.clone();
            b.options = options;
            b.pair = pair;
        }
        if let Some(o) = self.observer() {
            o.bufferevent_new(id, None, &label);
        }
        for (dir, name) in [(Dir::Read, "read"), (Dir::Write, "write")] {
            let made = self.labeled(&format!("{label} {name}")).event_new(
                None,
                What::NONE,
                move |base, _ev, _what| timeout(base, id, dir),
            );
            let ev = match made {
                Ok(ev) => ev,
                Err(e) => {
                    self.bev_destroy(id);
                    return Err(e);
                }
            };
            if let Some(b) = self.bev_any(id) {
                match dir {
                    Dir::Read => b.read_ev = Some(ev),
                    Dir::Write => b.write_ev = Some(ev),
                }
            }
        }
        Ok(id)
    }

    /// A read or write timeout expired: that direction is disabled and the event callback hears
    /// `TIMEOUT` with it (libevent's `bufferevent_generic_read_timeout_cb` and
    /// `…_write_timeout_cb`). A closing end has no callbacks to tell; it waits on.
    fn bev_pair_timeout(&mut self, id: BevId, dir: Dir) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if b.closing {
            return;
        }
        b.refs += 1;
        b.enabled = b.enabled & !dir.what();
        let stopped = self.bev_del(id, dir, BevWhy::Timeout);
        debug_assert!(stopped.is_ok(), "deleting a live event: {stopped:?}");
        self.bev_report(id);
        let side = match dir {
            Dir::Read => BevEvents::READING,
            Dir::Write => BevEvents::WRITING,
        };
        self.bev_run_eventcb(id, BevEvents::TIMEOUT | side);
        self.bev_release(id);
    }

    /// Adds the event of `dir` again with its timeout, restarting it, if a timeout is set
    /// (libevent's `BEV_RESET_GENERIC_READ_TIMEOUT` and `…_WRITE_TIMEOUT`).
    pub(crate) fn bev_pair_reset_timeout(&mut self, id: BevId, dir: Dir, why: BevWhy) {
        if self
            .bev_any(id)
            .is_some_and(|b| b.timeout(dir).is_some() && !b.closing)
        {
            let added = self.bev_add(id, dir, why);
            debug_assert!(added.is_ok(), "adding a timeout-only event: {added:?}");
        }
    }

    /// The other end of a pair, while both ends live; `None` once it was freed, or for a
    /// socket bufferevent (libevent's `bufferevent_pair_get_partner`).
    pub fn bufferevent_pair_get_partner(&self, id: BevId) -> Result<Option<BevId>> {
        Ok(self.bev_ref(id)?.partner)
    }

    /// `src` has output for `dst`, and `dst` takes it: `src` writes, `dst` reads and is not
    /// held at its read high watermark (libevent's `be_pair_wants_to_talk`). A closing end
    /// takes everything, to discard it.
    fn bev_pair_wants_to_talk(&self, src: BevId, dst: BevId) -> bool {
        let (Some(s), Some(d)) = (
            self.bevs.get(src.index(), src.generation()),
            self.bevs.get(dst.index(), dst.generation()),
        ) else {
            return false;
        };
        s.enabled.contains(What::WRITE)
            && ((d.enabled.contains(What::READ) && !d.read_held()) || d.closing)
            && !s.output.is_empty()
    }

    /// Bytes were added to `id`'s output: hand them over if the partner reads (libevent's
    /// `be_pair_outbuf_cb`).
    pub(crate) fn bev_pair_output_added(&mut self, id: BevId) {
        let Some(partner) = self.bev_any(id).and_then(|b| b.partner) else {
            return;
        };
        if self.bev_pair_wants_to_talk(id, partner) {
            self.bev_pair_transfer(id, partner, false);
        }
    }

    /// `id` starts reading and/or writing (from `bufferevent_enable`, or reading resumed below
    /// the read high watermark, as `why` says): restart its timeouts, take what the partner has
    /// waiting, and give it what `id` has (libevent's `be_pair_enable`). Nothing for a socket
    /// bufferevent.
    pub(crate) fn bev_pair_enable(&mut self, id: BevId, what: What, why: BevWhy) {
        let Some(b) = self.bev_any(id).filter(|b| b.pair) else {
            return;
        };
        let has_output = !b.output.is_empty();
        if what.contains(What::READ) {
            self.bev_pair_reset_timeout(id, Dir::Read, why);
        }
        if what.contains(What::WRITE) && has_output {
            self.bev_pair_reset_timeout(id, Dir::Write, why);
        }
        let Some(partner) = self.bev_any(id).and_then(|b| b.partner) else {
            return;
        };
        if what.contains(What::READ) && self.bev_pair_wants_to_talk(partner, id) {
            self.bev_pair_transfer(partner, id, false);
        }
        if what.contains(What::WRITE) && self.bev_pair_wants_to_talk(id, partner) {
            self.bev_pair_transfer(id, partner, false);
        }
    }

    /// Moves `src`'s output into `dst`'s input: up to `dst`'s read high watermark, or (with
    /// `ignore_wm`, for a flush) all of it when `dst` is already there; then triggers `dst`'s
    /// read callback and `src`'s write callback as their watermarks say — deferred, so they run
    /// from the loop (libevent's `be_pair_transfer`). Returns the bytes moved.
    fn bev_pair_transfer(&mut self, src: BevId, dst: BevId, ignore_wm: bool) -> usize {
        let Some(s) = self.bev_any(src) else {
            return 0;
        };
        let mut out = std::mem::take(&mut s.output);
        let moved = self.bev_any(dst).and_then(|d| {
            let held = d.input.len();
            let n = if d.read_high > 0 && held < d.read_high {
                out.remove_buffer(&mut d.input, d.read_high - held)
            } else if d.read_high == 0 || ignore_wm {
                let n = out.len();
                d.input.add_buffer(&mut out);
                n
            } else {
                return None;
            };
            if d.closing {
                let all = d.input.len();
                d.input.drain(all);
            }
            Some(n)
        });
        if let Some(s) = self.bev_any(src) {
            s.output = out;
        }
        let Some(moved) = moved else {
            return 0;
        };
        self.bev_notify_buffers(src);
        self.bev_notify_buffers(dst);
        // The input's watermark callback, as the evbuffer runs it when bytes arrive.
        self.bev_input_watermark(dst);
        if moved > 0 {
            // libevent restarts the receiving end's timeouts, its write timeout too (or deletes
            // that one when the receiving end has no output).
            self.bev_pair_reset_timeout(dst, Dir::Read, BevWhy::PairTransfer);
            if self.bev_any(dst).is_some_and(|d| !d.output.is_empty()) {
                self.bev_pair_reset_timeout(dst, Dir::Write, BevWhy::PairTransfer);
            } else {
                let deleted = self.bev_del(dst, Dir::Write, BevWhy::PairTransfer);
                debug_assert!(deleted.is_ok(), "deleting a live event: {deleted:?}");
            }
        }
        self.bev_report(src);
        self.bev_report(dst);
        self.bev_trigger(dst, What::READ);
        self.bev_trigger(src, What::WRITE);
        if self.bev_any(src).is_some_and(|s| s.output.is_empty()) {
            self.bev_maybe_shutdown(src);
        }
        moved
    }

    /// `bufferevent_flush` on one end of a pair (libevent's `be_pair_flush`): see
    /// [`EventBase::bufferevent_flush`].
    pub(crate) fn bev_pair_flush(
        &mut self,
        id: BevId,
        what: What,
        mode: FlushMode,
    ) -> Result<usize> {
        let Some(partner) = self.bev_ref(id)?.partner else {
            return Err(Error::Invalid(format!(
                "{id}: the other end of its pair was freed, so there is nothing to flush to"
            )));
        };
        if mode == FlushMode::Normal {
            return Ok(0);
        }
        let mut moved = 0;
        if what.contains(What::READ) {
            moved += self.bev_pair_transfer(partner, id, true);
        }
        if what.contains(What::WRITE) {
            moved += self.bev_pair_transfer(id, partner, true);
        }
        if mode == FlushMode::Finished && self.bev_any(partner).is_some() {
            let mut events = BevEvents::EOF;
            if what.contains(What::READ) {
                events |= BevEvents::WRITING;
            }
            if what.contains(What::WRITE) {
                events |= BevEvents::READING;
            }
            self.bev_run_eventcb(partner, events);
        }
        Ok(moved)
    }

    /// A pair end's write side is shut down, its output moved (evscope's half-close,
    /// [`EventBase::bufferevent_shutdown_write`], as over a socket): the partner reads end of
    /// file; a closing end goes.
    pub(crate) fn bev_pair_shutdown(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        b.shutdown = Shutdown::Done;
        let (closing, partner) = (b.closing, b.partner);
        if let Some(p) = partner {
            self.bev_pair_eof(p);
        }
        if closing {
            self.bev_destroy(id);
        }
    }

    /// The partner shut its write side down: end of file, as a socket reads it (reading is
    /// disabled, the event callback hears `EOF|READING`).
    fn bev_pair_eof(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if b.read_eof {
            return;
        }
        b.read_eof = true;
        if b.closing {
            self.bev_maybe_shutdown(id);
            return;
        }
        b.enabled = b.enabled & !What::READ;
        self.bev_report(id);
        self.bev_run_eventcb(id, BevEvents::EOF | BevEvents::READING);
    }

    /// `id`'s last reference is gone: the two ends forget each other (libevent's
    /// `be_pair_unlink`). The partner is told nothing, as in libevent; what it writes from now on
    /// stays in its output. A closing partner has nowhere left to send, and goes.
    pub(crate) fn bev_pair_unlink(&mut self, id: BevId) {
        let Some(partner) = self.bev_any(id).and_then(|b| b.partner.take()) else {
            return;
        };
        let Some(p) = self.bev_any(partner) else {
            return;
        };
        p.partner = None;
        if p.closing {
            self.bev_destroy(partner);
        }
    }
}
