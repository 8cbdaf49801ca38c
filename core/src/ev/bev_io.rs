//! The socket side of a bufferevent, as libevent's `bufferevent_sock.c` and `bufferevent.c` do
//! it: what its internal read and write events do, how the program's changes add and delete
//! them, how callbacks run, and how fill levels reach the observer.
//!
//! The flow of one reply, as libevent has it and a student sees it: the program adds bytes to
//! the output; the bufferevent adds its write event (pending); the loop finds the socket
//! writable (active); the write event's callback writes and, the output empty, deletes itself
//! (non-pending), then runs the program's write callback. With [`BevOptions::WRITE_INLINE`] (an
//! evscope extension) the bytes are written at once instead, and the write event is added only
//! when the socket is full.

use std::io;

use super::base::{Deferred, EventBase};
use super::bev_data::{Dir, KernelSample, Shutdown, Suspend};
use super::bev_defer::BevCb;
use super::bufferevent::{BevOptions, LINGER};
use super::flags::{BevEvents, What};
use super::handle::BevId;
use super::state::{BevWhy, Cause};
use super::sys::socket;

/// The most one read callback reads (libevent's `MAX_SINGLE_READ_DEFAULT`).
pub(crate) const MAX_SINGLE_READ: usize = 16384;
/// The most one write callback writes (libevent's `MAX_SINGLE_WRITE_DEFAULT`).
pub(crate) const MAX_SINGLE_WRITE: usize = 16384;

fn would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

fn errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

impl EventBase {
    // ----- the internal events ------------------------------------------------------------------

    /// Adds the event of `dir` with that direction's timeout (libevent's
    /// `bufferevent_add_event_`). Nothing to add before the bufferevent has a socket.
    #[inline(always)]
    pub(crate) fn bev_add(&mut self, id: BevId, dir: Dir, why: BevWhy) -> super::Result<()> {
        let Some(b) = self.bev_any(id) else {
            return Ok(());
        };
        let (Some(ev), timeout) = (b.event(dir), b.timeout(dir)) else {
            return Ok(());
        };
        self.add_because(ev, timeout, Cause::Bev(why))
    }

    /// Deletes the event of `dir`.
    pub(crate) fn bev_del(&mut self, id: BevId, dir: Dir, why: BevWhy) -> super::Result<()> {
        match self.bev_any(id).and_then(|b| b.event(dir)) {
            Some(ev) => self.del_because(ev, Cause::Bev(why)),
            None => Ok(()),
        }
    }

    /// True while the event of `dir` is pending.
    pub(crate) fn bev_pending(&mut self, id: BevId, dir: Dir) -> bool {
        self.bev_any(id)
            .and_then(|b| b.event(dir))
            .is_some_and(|ev| self.is_waiting(ev))
    }

    /// Adds the events of `what` (libevent's `be_socket_enable`).
    pub(crate) fn bev_socket_enable(
        &mut self,
        id: BevId,
        what: What,
        why: BevWhy,
    ) -> super::Result<()> {
        for dir in [Dir::Read, Dir::Write] {
            if what.contains(dir.what()) {
                self.bev_add(id, dir, why)?;
            }
        }
        Ok(())
    }

    /// Deletes the events of `what`; the write event stays while connecting (libevent's
    /// `be_socket_disable`).
    pub(crate) fn bev_socket_disable(
        &mut self,
        id: BevId,
        what: What,
        why: BevWhy,
    ) -> super::Result<()> {
        let connecting = self.bev_any(id).is_some_and(|b| b.connecting);
        for dir in [Dir::Read, Dir::Write] {
            if what.contains(dir.what()) && !(dir == Dir::Write && connecting) {
                self.bev_del(id, dir, why)?;
            }
        }
        Ok(())
    }

    /// `bufferevent_disable` as the bufferevent does it to itself on end of file, an error or a
    /// timeout, before telling the event callback.
    fn bev_stop(&mut self, id: BevId, dir: Dir, why: BevWhy) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        b.enabled = b.enabled & !dir.what();
        let stopped = self.bev_socket_disable(id, dir.what(), why);
        self.warn_on("event_del", stopped);
        self.bev_report(id);
    }

    /// The input reached the read high watermark: stop reading from the socket.
    pub(crate) fn bev_suspend_read(&mut self, id: BevId) {
        self.bev_suspend(id, Dir::Read, Suspend::WM, BevWhy::ReadHigh);
    }

    /// The input is below the read high watermark: read again if reading is enabled and
    /// nothing else holds it back (libevent enables reading each time: a socket adds the read
    /// event, restarting its timeout; a pair end takes what its partner has waiting).
    pub(crate) fn bev_unsuspend_read(&mut self, id: BevId) {
        self.bev_unsuspend(id, Dir::Read, Suspend::WM, BevWhy::ReadResumed);
    }

    /// An add the bufferevent made for itself failed (the backend refused the fd): that
    /// direction stops, and the event callback hears an error.
    pub(crate) fn bev_fail_add(&mut self, id: BevId, dir: Dir, e: &super::Error) {
        let err = match e {
            super::Error::Io(e) => errno(e),
            _ => libc::EINVAL,
        };
        if let Some(b) = self.bev_any(id) {
            b.last_error = Some(err);
        }
        self.bev_stop(id, dir, BevWhy::Error);
        let reading = match dir {
            Dir::Read => BevEvents::READING,
            Dir::Write => BevEvents::WRITING,
        };
        self.bev_run_eventcb(id, BevEvents::ERROR | reading);
    }

    // ----- reacting to the program's changes ----------------------------------------------------

    /// Bytes were added to the output: start writing if writing is enabled and the write event
    /// is not pending (libevent's `bufferevent_socket_outbuf_cb`).
    pub(crate) fn bev_output_added(&mut self, id: BevId) {
        let Some(mut b) = self.bev_any(id) else {
            return;
        };
        if b.output.has_changes() || b.input.has_changes() {
            // The program's buffer callbacks first, as libevent's list has them before this.
            self.bev_notify_buffers(id);
            let Some(again) = self.bev_any(id) else {
                return;
            };
            b = again;
        }
        if b.pair {
            self.bev_pair_output_added(id);
            return;
        }
        if b.filter.is_some() {
            self.bev_filter_output_added(id);
            return;
        }
        if b.output.is_empty() || !b.enabled.contains(What::WRITE) || b.write_suspended.any() {
            return;
        }
        let inline = b.options.contains(BevOptions::WRITE_INLINE)
            && b.rate.is_none()
            && b.fd.is_some()
            && !b.connecting
            && b.pending_error.is_none()
            && b.shutdown != Shutdown::Done;
        if self.bev_pending(id, Dir::Write) {
            return;
        }
        if inline {
            self.bev_write_inline(id);
        } else if let Err(e) = self.bev_add(id, Dir::Write, BevWhy::OutputAdded) {
            self.bev_fail_add(id, Dir::Write, &e);
        }
    }

    /// The input changed: with a read high watermark, suspend or resume reading (libevent's
    /// `bufferevent_inbuf_wm_cb`, installed only while a high watermark is set).
    pub(crate) fn bev_input_watermark(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if b.read_high == 0 {
            return;
        }
        if b.input.len() >= b.read_high {
            self.bev_suspend_read(id);
        } else {
            self.bev_unsuspend_read(id);
        }
    }

    /// The program took bytes from the input.
    pub(crate) fn bev_input_changed(&mut self, id: BevId) {
        if self
            .bev_any(id)
            .is_some_and(|b| b.output.has_changes() || b.input.has_changes())
        {
            self.bev_notify_buffers(id);
        }
        self.bev_input_watermark(id);
        self.bev_filter_input_drained(id);
        self.bev_report(id);
    }

    /// Writes at most `most` bytes of the output: `sendmsg` with `MSG_NOSIGNAL` on a socket
    /// (a closed peer gives EPIPE, not SIGPIPE), `writev` on anything else.
    fn bev_send(&mut self, id: BevId, fd: i32, most: usize) -> io::Result<usize> {
        let Some(b) = self.bev_any(id) else {
            return Ok(0);
        };
        let r = match b.is_socket {
            true => match b.output.send_atmost(fd, most) {
                Err(e) if e.raw_os_error() == Some(libc::ENOTSOCK) => {
                    b.is_socket = false;
                    b.output.write_atmost(fd, most)
                }
                other => other,
            },
            false => b.output.write_atmost(fd, most),
        };
        if b.output.has_changes() {
            // The program's callbacks on the output see the drain, as libevent's do.
            self.bev_notify_buffers(id);
        }
        r
    }

    /// [`BevOptions::WRITE_INLINE`]: write the new output at once; leftover bytes add the write
    /// event. The write callback and any error still come from the write event, never inside
    /// the program's own call.
    fn bev_write_inline(&mut self, id: BevId) {
        let Some(fd) = self.bev_any(id).and_then(|b| b.fd) else {
            return;
        };
        let res = self.bev_send(id, fd, usize::MAX);
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let write_ev = b.write_ev;
        match res {
            Ok(_) => {
                let (empty, low_reached) = (b.output.is_empty(), b.output.len() <= b.write_low);
                let has_writecb = b.writecb.is_some() || b.writecb_running;
                self.bev_report(id);
                if !empty {
                    if let Err(e) = self.bev_add(id, Dir::Write, BevWhy::OutputAdded) {
                        self.bev_fail_add(id, Dir::Write, &e);
                    }
                } else if low_reached && has_writecb {
                    if let Some(ev) = write_ev {
                        let queued = self.event_active(ev, What::WRITE);
                        debug_assert!(queued.is_ok(), "activating a live event: {queued:?}");
                    }
                }
                if empty {
                    self.bev_maybe_shutdown(id);
                }
            }
            Err(e) if would_block(&e) => {
                if let Err(e) = self.bev_add(id, Dir::Write, BevWhy::OutputAdded) {
                    self.bev_fail_add(id, Dir::Write, &e);
                }
            }
            Err(e) => {
                b.pending_error = Some(errno(&e));
                if let Some(ev) = write_ev {
                    let queued = self.event_active(ev, What::WRITE);
                    debug_assert!(queued.is_ok(), "activating a live event: {queued:?}");
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
        if b.pair {
            self.bev_pair_shutdown(id);
            return;
        }
        if let Some(fd) = b.fd {
            // A socket the peer already reset cannot be shut down; nothing is left to send.
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
        b.read_suspended = Suspend::NONE;
        let armed = self
            .event_remove_timer(ev)
            .and_then(|()| self.add_because(ev, timeout, Cause::Bev(BevWhy::Free)));
        if armed.is_err() {
            self.bev_destroy(id);
        }
    }

    // ----- the internal events' callbacks -------------------------------------------------------

    /// The read event fired (libevent's `bufferevent_readcb`).
    pub(crate) fn bev_on_read(&mut self, id: BevId, what: What) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let Some(fd) = b.fd else {
            return;
        };
        if b.closing {
            self.bev_linger_read(id, fd, what == What::TIMEOUT);
            return;
        }
        b.refs += 1;
        self.bev_readcb(id, fd, what);
        self.bev_release(id);
    }

    fn bev_readcb(&mut self, id: BevId, fd: i32, what: What) {
        if what == What::TIMEOUT {
            // Only a bare timeout counts: TIMEOUT|READ means a read happened too.
            self.bev_stop(id, Dir::Read, BevWhy::Timeout);
            self.bev_run_eventcb(id, BevEvents::TIMEOUT | BevEvents::READING);
            return;
        }
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let mut room = usize::MAX;
        if b.read_high > 0 {
            let len = b.input.len();
            if len >= b.read_high {
                // The watermark was lowered under what is held: stop reading.
                self.bev_suspend_read(id);
                return;
            }
            room = b.read_high - len;
        }
        let limited = b.rate.is_some();
        let mut readmax = MAX_SINGLE_READ;
        let mut b = b;
        if limited {
            readmax = self.bev_rate_max(id, Dir::Read);
            let Some(again) = self.bev_any(id) else {
                return;
            };
            b = again;
        }
        if b.read_suspended.any() {
            return;
        }
        match b.input.read_from(fd, room.min(readmax)) {
            Ok(0) => {
                b.read_eof = true;
                self.bev_stop(id, Dir::Read, BevWhy::Eof);
                self.bev_run_eventcb(id, BevEvents::EOF | BevEvents::READING);
            }
            Ok(n) => {
                if b.input.has_changes() {
                    // The program's callbacks on the input see the read first, as in libevent.
                    self.bev_notify_buffers(id);
                }
                self.bev_input_watermark(id);
                if limited {
                    self.bev_rate_spent(id, Dir::Read, n);
                }
                self.bev_report(id);
                self.bev_trigger(id, What::READ);
            }
            Err(e) if would_block(&e) => {}
            Err(e) if e.raw_os_error() == Some(libc::ECONNREFUSED) => {
                // Reported by the write event, which finishes the connect.
                b.connection_refused = true;
                b.last_error = Some(libc::ECONNREFUSED);
            }
            Err(e) => {
                b.last_error = Some(errno(&e));
                self.bev_stop(id, Dir::Read, BevWhy::Error);
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
        match b.input.read_from(fd, MAX_SINGLE_READ) {
            Ok(0) => {
                b.read_eof = true;
                if b.shutdown == Shutdown::Done {
                    self.bev_destroy(id);
                } else {
                    let stopped = self.bev_del(id, Dir::Read, BevWhy::Eof);
                    self.warn_on("event_del", stopped);
                }
            }
            Ok(_) => {
                let n = b.input.len();
                b.input.drain(n);
                if b.input.has_changes() {
                    self.bev_notify_buffers(id);
                }
                self.bev_report(id);
            }
            Err(e) if would_block(&e) => {}
            Err(_) => self.bev_destroy(id),
        }
    }

    /// The write event fired (libevent's `bufferevent_writecb`): finish a connect, write up to
    /// 16 KiB of the output, delete itself once the output is empty, and run the write callback
    /// at the low watermark.
    pub(crate) fn bev_on_write(&mut self, id: BevId, what: What) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let Some(fd) = b.fd else {
            return;
        };
        b.refs += 1;
        self.bev_writecb(id, fd, what);
        self.bev_release(id);
    }

    fn bev_writecb(&mut self, id: BevId, fd: i32, what: What) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        if what == What::TIMEOUT {
            if b.closing {
                self.bev_destroy(id);
                return;
            }
            self.bev_stop(id, Dir::Write, BevWhy::Timeout);
            self.bev_run_eventcb(id, BevEvents::TIMEOUT | BevEvents::WRITING);
            return;
        }
        let mut connected = false;
        if b.connecting {
            // Ok(true): connected; Ok(false): not yet; Err: failed with that errno.
            let mut outcome = match b.pending_error.take() {
                Some(err) => Err(err),
                None => match socket::take_error(fd) {
                    Ok(None) => Ok(true),
                    Ok(Some(e)) if e == libc::EINPROGRESS || e == libc::EINTR => Ok(false),
                    Ok(Some(e)) => Err(e),
                    Err(e) => Err(errno(&e)),
                },
            };
            if std::mem::take(&mut b.connection_refused) {
                outcome = Err(libc::ECONNREFUSED);
            }
            match outcome {
                Ok(false) => return,
                Err(err) => {
                    b.connecting = false;
                    b.last_error = Some(err);
                    if b.closing {
                        self.bev_destroy(id);
                        return;
                    }
                    for dir in [Dir::Write, Dir::Read] {
                        let stopped = self.bev_del(id, dir, BevWhy::ConnectFailed);
                        self.warn_on("event_del", stopped);
                    }
                    self.bev_report(id);
                    self.bev_run_eventcb(id, BevEvents::ERROR);
                    return;
                }
                Ok(true) => {
                    b.connecting = false;
                    connected = true;
                    if b.closing {
                        self.bev_arm_discard(id, None);
                    }
                    self.bev_run_eventcb(id, BevEvents::CONNECTED);
                    let writing = self.bev_any(id).is_some_and(|b| {
                        b.enabled.contains(What::WRITE) && !b.write_suspended.any()
                    });
                    if !writing {
                        let stopped = self.bev_del(id, Dir::Write, BevWhy::Connected);
                        self.warn_on("event_del", stopped);
                        self.bev_report(id);
                        return;
                    }
                }
            }
        } else if let Some(err) = b.pending_error.take() {
            b.last_error = Some(err);
            self.bev_write_failed(id, BevEvents::ERROR | BevEvents::WRITING);
            return;
        }
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let limited = b.rate.is_some();
        let mut atmost = MAX_SINGLE_WRITE;
        let mut b = b;
        if limited {
            atmost = self.bev_rate_max(id, Dir::Write);
            let Some(again) = self.bev_any(id) else {
                return;
            };
            b = again;
        }
        if b.write_suspended.any() {
            return;
        }
        let mut wrote = 0;
        if !b.output.is_empty() && b.shutdown != Shutdown::Done {
            match self.bev_send(id, fd, atmost) {
                Ok(0) => {
                    self.bev_write_failed(id, BevEvents::EOF | BevEvents::WRITING);
                    return;
                }
                Ok(n) => {
                    wrote = n;
                    if limited {
                        self.bev_rate_spent(id, Dir::Write, n);
                    }
                }
                Err(e) if would_block(&e) => {
                    // Try again when writable; nothing to wait for if the output emptied.
                    if self.bev_any(id).is_some_and(|b| b.output.is_empty()) {
                        let stopped = self.bev_del(id, Dir::Write, BevWhy::OutputEmpty);
                        self.warn_on("event_del", stopped);
                    }
                    return;
                }
                Err(e) => {
                    if let Some(b) = self.bev_any(id) {
                        b.last_error = Some(errno(&e));
                    }
                    self.bev_write_failed(id, BevEvents::ERROR | BevEvents::WRITING);
                    return;
                }
            }
        }
        let empty = self.bev_any(id).is_some_and(|b| b.output.is_empty());
        if empty {
            let stopped = self.bev_del(id, Dir::Write, BevWhy::OutputEmpty);
            self.warn_on("event_del", stopped);
        }
        self.bev_report(id);
        if empty {
            self.bev_maybe_shutdown(id);
        }
        if wrote > 0 || !connected {
            self.bev_trigger(id, What::WRITE);
        }
    }

    /// A write-side failure: stop writing and tell the event callback (a closing bufferevent
    /// can deliver nothing more, so it goes).
    fn bev_write_failed(&mut self, id: BevId, events: BevEvents) {
        if self.bev_any(id).is_some_and(|b| b.closing) {
            self.bev_destroy(id);
            return;
        }
        let why = if events.contains(BevEvents::ERROR) {
            BevWhy::Error
        } else {
            BevWhy::Eof
        };
        self.bev_stop(id, Dir::Write, why);
        self.bev_run_eventcb(id, events);
    }

    // ----- callbacks ----------------------------------------------------------------------------

    /// Runs the read callback with at least the read low watermark's bytes, and the write
    /// callback with at most the write low watermark's (libevent's
    /// `bufferevent_trigger_nolock_`).
    #[inline]
    pub(crate) fn bev_trigger(&mut self, id: BevId, what: What) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let read = what.contains(What::READ) && b.input.len() >= b.read_low;
        let write = what.contains(What::WRITE) && b.output.len() <= b.write_low;
        if read {
            self.bev_run_readcb(id);
        }
        if write {
            self.bev_run_writecb(id);
        }
    }

    /// Runs the read callback (libevent's `bufferevent_run_readcb_`): at once, or with
    /// [`BevOptions::DEFER_CALLBACKS`] later from the bufferevent's deferred callback.
    pub(crate) fn bev_run_readcb(&mut self, id: BevId) {
        if self.bev_defers(id) {
            self.bev_schedule_cb(id, BevCb::Read);
        } else {
            self.bev_call_readcb(id);
        }
    }

    /// Calls the read callback now, taken out of its slot so it may do anything, even free the
    /// bufferevent. If the input is still at the high watermark afterwards, the read callback
    /// runs again, deferred (`bufferevent_inbuf_wm_check`): reading is suspended, so only the
    /// program can drain it.
    pub(crate) fn bev_call_readcb(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let Some(mut cb) = b.readcb.take() else {
            return;
        };
        let epoch = b.cb_epoch;
        b.readcb_running = true;
        b.refs += 1;
        cb(self, id);
        if let Some(b) = self.bev_any(id) {
            if b.cb_epoch == epoch {
                b.readcb_running = false;
                if b.readcb.is_none() {
                    b.readcb = Some(cb);
                }
            }
            let full =
                b.read_high > 0 && b.enabled.contains(What::READ) && b.input.len() >= b.read_high;
            if full && b.input.len() >= b.read_low {
                self.bev_schedule_cb(id, BevCb::Read);
            }
        }
        self.bev_release(id);
    }

    /// Runs the write callback (libevent's `bufferevent_run_writecb_`), at once or deferred.
    pub(crate) fn bev_run_writecb(&mut self, id: BevId) {
        if self.bev_defers(id) {
            self.bev_schedule_cb(id, BevCb::Write);
        } else {
            self.bev_call_writecb(id);
        }
    }

    /// Calls the write callback now.
    pub(crate) fn bev_call_writecb(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let Some(mut cb) = b.writecb.take() else {
            return;
        };
        let epoch = b.cb_epoch;
        b.writecb_running = true;
        b.refs += 1;
        cb(self, id);
        if let Some(b) = self.bev_any(id) {
            if b.cb_epoch == epoch {
                b.writecb_running = false;
                if b.writecb.is_none() {
                    b.writecb = Some(cb);
                }
            }
        }
        self.bev_release(id);
    }

    /// Tells the observer `events`, then the event callback, at once or deferred (libevent's
    /// `bufferevent_run_eventcb_`).
    pub(crate) fn bev_run_eventcb(&mut self, id: BevId, events: BevEvents) {
        if let Some(o) = self.observer() {
            o.bev_event(id, events);
        }
        if self.bev_defers(id) {
            self.bev_schedule_cb(id, BevCb::Event(events));
        } else {
            self.bev_call_eventcb(id, events);
        }
    }

    /// Calls the event callback now with `events`.
    pub(crate) fn bev_call_eventcb(&mut self, id: BevId, events: BevEvents) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let Some(mut cb) = b.eventcb.take() else {
            return;
        };
        let epoch = b.cb_epoch;
        b.eventcb_running = true;
        b.refs += 1;
        cb(self, id, events);
        if let Some(b) = self.bev_any(id) {
            if b.cb_epoch == epoch {
                b.eventcb_running = false;
                if b.eventcb.is_none() {
                    b.eventcb = Some(cb);
                }
            }
        }
        self.bev_release(id);
    }

    /// Drops a reference taken for a running callback; the last one finishes a free the
    /// program asked for meanwhile (libevent's `bufferevent_decref_and_unlock_`).
    pub(crate) fn bev_release(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        b.refs = b.refs.saturating_sub(1);
        if b.refs == 0 && b.freed && !b.finalizing {
            self.bev_finalize(id);
        }
    }

    /// The last reference is gone: no more callbacks, both events deleted now, and the socket
    /// closed from the active queue, after the callbacks already queued (libevent's
    /// `event_callback_finalize_many_` with `bufferevent_finalize_cb_`).
    pub(crate) fn bev_finalize(&mut self, id: BevId) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        b.finalizing = true;
        b.set_cbs(None, None, None);
        for dir in [Dir::Read, Dir::Write] {
            let stopped = self.bev_del(id, dir, BevWhy::Free);
            self.warn_on("event_del", stopped);
        }
        self.bev_pair_unlink(id);
        self.bev_filter_unlink(id);
        self.defer(Deferred::FinalizeBev(id));
    }

    // ----- observing and freeing ----------------------------------------------------------------

    /// Tells the observer the fill levels if they changed since last told, with the kernel's
    /// queues beside them. Without an observer this is one branch and no system call.
    pub(crate) fn bev_report(&mut self, id: BevId) {
        if self.observer.is_none() {
            return;
        }
        // The bufferevent, the clock and the observer are borrowed apart: one lookup.
        let Some(b) = self.bevs.get_mut(id.index(), id.generation()) else {
            return;
        };
        let mut levels = b.levels();
        if b.last_levels == Some(levels) {
            return;
        }
        b.last_levels = Some(levels);
        if let Some(fd) = b.fd {
            let k = &mut b.kernel;
            // The base's clock: the processor's counter where it can be trusted.
            let now = self.clock.now_ns();
            let stale = k
                .at_ns
                .is_none_or(|at| now.saturating_sub(at) >= KernelSample::EVERY_NS);
            // A viewer that may hold the loop is asked only when the sample is not due anyway.
            if stale || self.observer.as_deref().is_some_and(|o| o.may_hold()) {
                k.at_ns = Some(now);
                k.unread = socket::unread_bytes(fd).ok();
                k.unsent = socket::unsent_bytes(fd).ok();
            }
            levels.kernel_in = k.unread.map(|n| n as u64);
            levels.kernel_out = k.unsent.map(|n| n as u64);
        }
        if let Some(o) = self.observer() {
            o.buffer(id, &levels);
        }
    }

    /// Frees the internal events, closes an owned fd, and tells the observer.
    pub(crate) fn bev_destroy(&mut self, id: BevId) {
        self.bev_pair_unlink(id);
        self.bev_filter_unlink(id);
        self.bev_rate_release(id);
        let Some(mut b) = self.bevs.remove(id.index(), id.generation()) else {
            return;
        };
        let filter = b.filter.take();
        for ev in [b.read_ev, b.write_ev].into_iter().flatten() {
            let freed = self.event_free(ev);
            debug_assert!(freed.is_ok(), "freeing a live event: {freed:?}");
        }
        drop(b);
        if let Some(o) = self.observer() {
            o.bufferevent_freed(id);
        }
        if let Some(f) = filter {
            self.bev_filter_destructed(*f);
        }
    }
}
