//! The socket side of a bufferevent (libevent's `bufferevent_readcb` / `bufferevent_writecb`):
//! what its internal read and write events do, how callbacks are run, and how fill levels reach
//! the observer.
//!
//! The hot path of an echo: the read event fires, one readv fills the input, the read callback
//! moves the input's chunks to the output, and the output is written at once with one writev.
//! EV_WRITE is armed only when the socket would block, so a reply costs no epoll_ctl.

use std::io;
use std::time::Instant;

use super::base::EventBase;
use super::bev_data::{KernelSample, Shutdown};
use super::buffer::MAX_READ;
use super::bufferevent::LINGER;
use super::flags::{BevEvents, What};
use super::handle::BevId;
use super::sys::socket;

fn would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

fn errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

impl EventBase {
    // ----- arming the internal events -----------------------------------------------------------

    /// Adds the read event (with the read timeout); `readd` re-adds an armed one, restarting
    /// its timeout, as libevent's `bufferevent_enable` does.
    pub(crate) fn bev_arm_read(&mut self, id: BevId, readd: bool) -> super::Result<()> {
        let Some(b) = self.bev_any(id) else {
            return Ok(());
        };
        let (Some(ev), armed, timeout) = (b.read_ev, b.read_armed, b.timeout_read) else {
            return Ok(());
        };
        if armed && !readd {
            return Ok(());
        }
        self.add(ev, timeout)?;
        if let Some(b) = self.bev_any(id) {
            b.read_armed = true;
        }
        Ok(())
    }

    pub(crate) fn bev_disarm_read(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if let (true, Some(ev)) = (b.read_armed, b.read_ev) {
            b.read_armed = false;
            let _ = self.del(ev);
        }
    }

    /// Adds the write event (with the write timeout) unless it is armed.
    pub(crate) fn bev_arm_write(&mut self, id: BevId) -> super::Result<()> {
        let Some(b) = self.bev_any(id) else {
            return Ok(());
        };
        let (Some(ev), false, timeout) = (b.write_ev, b.write_armed, b.timeout_write) else {
            return Ok(());
        };
        self.add(ev, timeout)?;
        if let Some(b) = self.bev_any(id) {
            b.write_armed = true;
        }
        Ok(())
    }

    pub(crate) fn bev_disarm_write(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if let (true, Some(ev)) = (b.write_armed, b.write_ev) {
            b.write_armed = false;
            let _ = self.del(ev);
        }
    }

    /// The input reached the read high watermark: stop reading from the socket.
    pub(crate) fn bev_suspend_read(&mut self, id: BevId) {
        if let Some(b) = self.bev_any(id) {
            b.read_suspended = true;
        }
        self.bev_disarm_read(id);
    }

    /// The input fell below the read high watermark: read again if reading is enabled.
    pub(crate) fn bev_unsuspend_read(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if !b.read_suspended {
            return;
        }
        b.read_suspended = false;
        if b.enabled.contains(What::READ) && !b.connecting && b.fd.is_some() {
            let _ = self.bev_arm_read(id, false);
        }
    }

    // ----- reacting to the program's changes ----------------------------------------------------

    /// The output buffer grew (or writing was enabled): write at once if nothing is in the way.
    pub(crate) fn bev_output_changed(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if b.partner.is_some() {
            self.bev_pair_kick(id);
            return;
        }
        let blocked = b.output.is_empty()
            || b.fd.is_none()
            || b.connecting
            || b.write_armed
            || b.pending_error.is_some()
            || b.shutdown == Shutdown::Done
            || !b.enabled.contains(What::WRITE);
        if !blocked {
            self.bev_write_now(id);
        }
    }

    /// The input buffer shrank: resume reading below the high watermark.
    pub(crate) fn bev_input_changed(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if b.read_high == 0 || b.input.len() < b.read_high {
            self.bev_unsuspend_read(id);
        }
        self.bev_report(id);
        self.bev_pair_kick(id);
    }

    /// One direct write of the output (the output was empty, so no EV_WRITE is armed). Leftover
    /// bytes arm EV_WRITE; an error is reported later from the write event, never inside the
    /// caller's code.
    pub(crate) fn bev_write_now(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let Some(fd) = b.fd else {
            return;
        };
        let res = match b.is_socket {
            true => match b.output.send_atmost(fd, usize::MAX) {
                Err(e) if e.raw_os_error() == Some(libc::ENOTSOCK) => {
                    b.is_socket = false;
                    b.output.write_to(fd)
                }
                other => other,
            },
            false => b.output.write_to(fd),
        };
        match res {
            Ok(_) => {
                self.bev_report(id);
                let Some(b) = self.bev_any(id) else {
                    return;
                };
                let (empty, low_reached) = (b.output.is_empty(), b.output.len() <= b.write_low);
                let has_writecb = b.writecb.is_some() || b.writecb_running;
                let write_ev = b.write_ev;
                if !empty {
                    let _ = self.bev_arm_write(id);
                } else {
                    self.bev_disarm_write(id);
                }
                if low_reached && has_writecb {
                    // The write callback runs from the write event, not inside the caller.
                    if let Some(ev) = write_ev {
                        let _ = self.active(ev, What::WRITE);
                    }
                }
                if empty {
                    self.bev_maybe_shutdown(id);
                }
            }
            Err(e) if would_block(&e) => {
                let _ = self.bev_arm_write(id);
            }
            Err(e) => {
                b.pending_error = Some(errno(&e));
                if let Some(ev) = b.write_ev {
                    let _ = self.active(ev, What::WRITE);
                }
            }
        }
    }

    /// Half-close once drained; a closing bufferevent then lingers for the peer's end of file.
    pub(crate) fn bev_maybe_shutdown(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if b.shutdown != Shutdown::WhenDrained || !b.output.is_empty() || b.connecting {
            return;
        }
        if b.partner.is_some() || b.pair_ev.is_some() {
            self.bev_pair_shutdown(id);
            return;
        }
        if let Some(fd) = b.fd {
            let _ = socket::shutdown_write(fd);
        }
        b.shutdown = Shutdown::Done;
        if b.closing {
            self.bev_linger(id);
        }
    }

    /// A closing bufferevent whose output is sent and write side shut: read and discard until
    /// the peer closes, for at most LINGER, then go.
    pub(crate) fn bev_linger(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if b.read_eof || b.fd.is_none() {
            self.bev_destroy(id);
            return;
        }
        self.bev_arm_discard(id, Some(LINGER));
    }

    /// Arms the read event of a closing bufferevent, which then only discards, with `timeout`
    /// replacing the read timeout.
    pub(crate) fn bev_arm_discard(&mut self, id: BevId, timeout: Option<std::time::Duration>) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let Some(ev) = b.read_ev else {
            return;
        };
        b.read_suspended = false;
        b.read_armed = true;
        let armed = self.remove_timer(ev).and_then(|()| self.add(ev, timeout));
        if armed.is_err() {
            self.bev_destroy(id);
        }
    }

    // ----- the internal events ------------------------------------------------------------------

    /// The read event fired (libevent's `bufferevent_readcb`).
    pub(crate) fn bev_on_read(&mut self, id: BevId, what: What) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let Some(fd) = b.fd else {
            return;
        };
        let timed_out = what.contains(What::TIMEOUT) && !what.contains(What::READ);
        if b.closing {
            self.bev_linger_read(id, fd, timed_out);
            return;
        }
        if timed_out {
            b.enabled = b.enabled & !What::READ;
            self.bev_disarm_read(id);
            self.bev_report(id);
            self.bev_run_eventcb(id, BevEvents::TIMEOUT | BevEvents::READING);
            return;
        }
        let howmuch = if b.read_high > 0 {
            if b.input.len() >= b.read_high {
                self.bev_suspend_read(id);
                return;
            }
            b.read_high - b.input.len()
        } else {
            MAX_READ
        };
        match b.input.read_from(fd, howmuch) {
            Ok(0) => {
                b.read_eof = true;
                b.enabled = b.enabled & !What::READ;
                self.bev_disarm_read(id);
                self.bev_report(id);
                self.bev_run_eventcb(id, BevEvents::EOF | BevEvents::READING);
            }
            Ok(_) => {
                let (len, low, high) = (b.input.len(), b.read_low, b.read_high);
                if high > 0 && len >= high {
                    self.bev_suspend_read(id);
                }
                self.bev_report(id);
                if len >= low {
                    self.bev_run_readcb(id);
                }
            }
            Err(e) if would_block(&e) => {}
            Err(e) => {
                b.last_error = Some(errno(&e));
                b.enabled = b.enabled & !What::READ;
                self.bev_disarm_read(id);
                self.bev_report(id);
                self.bev_run_eventcb(id, BevEvents::ERROR | BevEvents::READING);
            }
        }
    }

    /// A closing bufferevent reads only to discard, until end of file, an error, or LINGER.
    fn bev_linger_read(&mut self, id: BevId, fd: i32, timed_out: bool) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if timed_out {
            self.bev_destroy(id);
            return;
        }
        match b.input.read_from(fd, MAX_READ) {
            Ok(0) => {
                b.read_eof = true;
                if b.shutdown == Shutdown::Done {
                    self.bev_destroy(id);
                } else {
                    self.bev_disarm_read(id);
                }
            }
            Ok(_) => {
                let n = b.input.len();
                b.input.drain(n);
                self.bev_report(id);
            }
            Err(e) if would_block(&e) => {}
            Err(_) => self.bev_destroy(id),
        }
    }

    /// The write event fired (libevent's `bufferevent_writecb`): finish a connect, write the
    /// output, run the write callback at the low watermark.
    pub(crate) fn bev_on_write(&mut self, id: BevId, what: What) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let Some(fd) = b.fd else {
            return;
        };
        if what.contains(What::TIMEOUT) && !what.contains(What::WRITE) {
            if b.closing {
                self.bev_destroy(id);
                return;
            }
            b.enabled = b.enabled & !What::WRITE;
            self.bev_disarm_write(id);
            self.bev_report(id);
            self.bev_run_eventcb(id, BevEvents::TIMEOUT | BevEvents::WRITING);
            return;
        }
        let mut just_connected = false;
        if b.connecting {
            let outcome = match b.pending_error.take() {
                Some(err) => Some(err),
                None => match socket::take_error(fd) {
                    Ok(err) => err,
                    Err(e) => Some(errno(&e)),
                },
            };
            b.connecting = false;
            if let Some(err) = outcome {
                b.last_error = Some(err);
                self.bev_disarm_write(id);
                self.bev_disarm_read(id);
                self.bev_fail(id, BevEvents::ERROR);
                return;
            }
            just_connected = true;
            let (reading, suspended, writing) = (
                b.enabled.contains(What::READ),
                b.read_suspended,
                b.enabled.contains(What::WRITE),
            );
            if b.closing {
                self.bev_arm_discard(id, None);
            } else if reading && !suspended {
                let _ = self.bev_arm_read(id, false);
            }
            self.bev_run_eventcb(id, BevEvents::CONNECTED);
            if !writing
                || !self
                    .bev_any(id)
                    .is_some_and(|b| b.enabled.contains(What::WRITE))
            {
                self.bev_disarm_write(id);
                self.bev_report(id);
                return;
            }
        } else if let Some(err) = b.pending_error.take() {
            b.last_error = Some(err);
            self.bev_fail(id, BevEvents::ERROR | BevEvents::WRITING);
            return;
        }
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let mut wrote = false;
        if !b.output.is_empty() && b.shutdown != Shutdown::Done {
            let res = match b.is_socket {
                true => match b.output.send_atmost(fd, usize::MAX) {
                    Err(e) if e.raw_os_error() == Some(libc::ENOTSOCK) => {
                        b.is_socket = false;
                        b.output.write_to(fd)
                    }
                    other => other,
                },
                false => b.output.write_to(fd),
            };
            match res {
                Ok(n) => wrote = n > 0,
                Err(e) if would_block(&e) => {
                    let _ = self.bev_arm_write(id);
                    return;
                }
                Err(e) => {
                    b.last_error = Some(errno(&e));
                    self.bev_fail(id, BevEvents::ERROR | BevEvents::WRITING);
                    return;
                }
            }
        }
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let (empty, low_reached) = (b.output.is_empty(), b.output.len() <= b.write_low);
        if empty {
            self.bev_disarm_write(id);
        } else {
            let _ = self.bev_arm_write(id);
        }
        self.bev_report(id);
        if empty {
            self.bev_maybe_shutdown(id);
        }
        if (wrote || !just_connected) && low_reached {
            self.bev_run_writecb(id);
        }
    }

    /// A write-side failure: stop writing and tell the event callback (a closing bufferevent
    /// can deliver nothing more, so it goes).
    fn bev_fail(&mut self, id: BevId, events: BevEvents) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if b.closing {
            self.bev_destroy(id);
            return;
        }
        b.enabled = b.enabled & !What::WRITE;
        self.bev_disarm_write(id);
        self.bev_report(id);
        self.bev_run_eventcb(id, events);
    }

    // ----- callbacks ----------------------------------------------------------------------------

    /// Runs the read callback, taken out of its slot so it may do anything, even free the
    /// bufferevent (libevent's `bufferevent_run_readcb_`).
    pub(crate) fn bev_run_readcb(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let Some(mut cb) = b.readcb.take() else {
            return;
        };
        let epoch = b.cb_epoch;
        cb(self, id);
        if let Some(b) = self.bev_any(id) {
            if b.cb_epoch == epoch && b.readcb.is_none() {
                b.readcb = Some(cb);
            }
        }
    }

    /// Runs the write callback (libevent's `bufferevent_run_writecb_`).
    pub(crate) fn bev_run_writecb(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let Some(mut cb) = b.writecb.take() else {
            return;
        };
        let epoch = b.cb_epoch;
        b.writecb_running = true;
        cb(self, id);
        if let Some(b) = self.bev_any(id) {
            b.writecb_running = false;
            if b.cb_epoch == epoch && b.writecb.is_none() {
                b.writecb = Some(cb);
            }
        }
    }

    /// Tells the observer, then the event callback, `events` (libevent's
    /// `bufferevent_run_eventcb_`).
    pub(crate) fn bev_run_eventcb(&mut self, id: BevId, events: BevEvents) {
        if let Some(o) = self.observer() {
            o.bev_event(id, events);
        }
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let Some(mut cb) = b.eventcb.take() else {
            return;
        };
        let epoch = b.cb_epoch;
        cb(self, id, events);
        if let Some(b) = self.bev_any(id) {
            if b.cb_epoch == epoch && b.eventcb.is_none() {
                b.eventcb = Some(cb);
            }
        }
    }

    // ----- observing and freeing ----------------------------------------------------------------

    /// Tells the observer the fill levels if they changed since last told, with the kernel's
    /// queues beside them. Without an observer this is one branch and no system call.
    pub(crate) fn bev_report(&mut self, id: BevId) {
        if self.observer().is_none() {
            return;
        }
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let mut levels = b.levels();
        if b.last_levels == Some(levels) {
            return;
        }
        b.last_levels = Some(levels);
        if let Some(fd) = b.fd {
            let k = &mut b.kernel;
            let now = Instant::now();
            if k.at
                .is_none_or(|at| now.duration_since(at) >= KernelSample::EVERY)
            {
                k.at = Some(now);
                k.unread = socket::unread_bytes(fd).ok();
                k.unsent = socket::unsent_bytes(fd).ok();
            }
            levels.kernel_in = k.unread;
            levels.kernel_out = k.unsent;
        }
        if let Some(o) = self.observer() {
            o.buffer(id, &levels);
        }
    }

    /// Frees the internal events, closes an owned fd, and tells the observer.
    pub(crate) fn bev_destroy(&mut self, id: BevId) {
        let Some(b) = self.bevs.remove(id.index(), id.generation()) else {
            return;
        };
        for ev in [b.read_ev, b.write_ev, b.pair_ev].into_iter().flatten() {
            let _ = self.free(ev);
        }
        if let Some(partner) = b.partner {
            self.bev_pair_unlink(partner);
        }
        drop(b);
        if let Some(o) = self.observer() {
            o.bufferevent_freed(id);
        }
    }
}
