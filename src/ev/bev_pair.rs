//! `bufferevent_pair`: two bufferevents joined in-process, one's output feeding the other's
//! input, with watermarks and callbacks as over a socket. Data moves (chunks, not bytes) from an
//! internal event, never inside the caller's code.

use super::base::EventBase;
use super::bev_data::{BevData, Shutdown};
use super::bufferevent::BevOptions;
use super::error::Result;
use super::flags::{BevEvents, What};
use super::handle::BevId;

impl EventBase {
    /// Two bufferevents connected to each other (libevent's `bufferevent_pair_new`). What one
    /// writes, the other reads; shutting one's write side down (or freeing it) gives the other
    /// `EOF`.
    pub fn bufferevent_pair_new(&mut self, _options: BevOptions) -> Result<(BevId, BevId)> {
        let a = self.bev_pair_half()?;
        let b = match self.bev_pair_half() {
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

    fn bev_pair_half(&mut self) -> Result<BevId> {
        let (index, generation) = self.bevs.insert(BevData::new(String::new()));
        let id = BevId::new(index, generation);
        let label = id.to_string();
        if let Some(o) = self.observer() {
            o.bufferevent_new(id, None, &label);
        }
        let ev = match self.event_new_labeled(
            None,
            What::NONE,
            &format!("{label} pair"),
            move |base, _ev, _what| base.bev_pair_run(id),
        ) {
            Ok(ev) => ev,
            Err(e) => {
                self.bev_destroy(id);
                return Err(e);
            }
        };
        if let Some(b) = self.bev_any(id) {
            b.label = label;
            b.pair_ev = Some(ev);
        }
        Ok(id)
    }

    /// Schedules a pair's transfer (nothing for a socket bufferevent).
    pub(crate) fn bev_pair_kick(&mut self, id: BevId) {
        if let Some(ev) = self.bev_any(id).and_then(|b| b.pair_ev) {
            let _ = self.active(ev, What::WRITE);
        }
    }

    /// The pair's internal event: deliver a due end of file, then move data both ways.
    fn bev_pair_run(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if b.pair_eof_due {
            b.pair_eof_due = false;
            b.read_eof = true;
            b.enabled = b.enabled & !What::READ;
            let closing = b.closing;
            self.bev_report(id);
            if closing {
                self.bev_maybe_shutdown(id);
            } else {
                self.bev_run_eventcb(id, BevEvents::EOF | BevEvents::READING);
            }
        }
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let Some(partner) = b.partner else {
            // Nobody left to send to: a closing end has nothing more to do.
            if b.closing {
                self.bev_destroy(id);
            }
            return;
        };
        self.bev_pair_transfer(id, partner);
        self.bev_pair_transfer(partner, id);
    }

    /// Moves `src`'s output into `dst`'s input, up to `dst`'s read high watermark, then runs
    /// `dst`'s read callback and `src`'s write callback as their watermarks say.
    fn bev_pair_transfer(&mut self, src: BevId, dst: BevId) {
        let Some(s) = self.bev_any(src) else {
            return;
        };
        if !s.enabled.contains(What::WRITE) || s.output.is_empty() {
            return;
        }
        let mut out = std::mem::take(&mut s.output);
        let moved = match self.bev_any(dst) {
            Some(d) if d.enabled.contains(What::READ) || d.closing => {
                let room = if d.read_high > 0 {
                    d.read_high.saturating_sub(d.input.len())
                } else {
                    usize::MAX
                };
                let moved = out.remove_buffer(&mut d.input, room);
                if d.closing {
                    let n = d.input.len();
                    d.input.drain(n);
                }
                moved
            }
            _ => 0,
        };
        if let Some(s) = self.bev_any(src) {
            s.output = out;
        }
        if moved == 0 {
            return;
        }
        self.bev_report(src);
        self.bev_report(dst);
        if let Some(d) = self.bev_any(dst) {
            if !d.closing && d.input.len() >= d.read_low {
                self.bev_run_readcb(dst);
            }
        }
        if let Some(s) = self.bev_any(src) {
            let (drained, low_reached) = (s.output.is_empty(), s.output.len() <= s.write_low);
            if low_reached {
                self.bev_run_writecb(src);
            }
            if drained {
                self.bev_maybe_shutdown(src);
            }
        }
    }

    /// A pair end's write side is done: the partner reads end of file; a closing end goes.
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

    /// The partner went away: unlink it and deliver end of file.
    pub(crate) fn bev_pair_unlink(&mut self, id: BevId) {
        if let Some(b) = self.bev_any(id) {
            b.partner = None;
        }
        self.bev_pair_eof(id);
    }

    fn bev_pair_eof(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if !b.read_eof {
            b.pair_eof_due = true;
            self.bev_pair_kick(id);
        }
    }
}
