//! [`Bufferevent`](BevId): a socket with an input and an output [`Evbuffer`] and three
//! callbacks (libevent's `bufferevent_socket_*`). The public calls live here; the socket side
//! (reading, writing, connecting, closing) is in `bev_io.rs`.
//!
//! By default writing is enabled and reading is not, as in libevent: call
//! [`EventBase::bufferevent_enable`] with `What::READ` to start reading.

use std::io;
use std::net::SocketAddr;
use std::ops::BitOr;
use std::os::fd::{OwnedFd, RawFd};
use std::time::Duration;

use super::base::{Deferred, EventBase};
use super::bev_data::{BevData, Dir, Shutdown, Suspend};
use super::buffer::Evbuffer;
use super::error::{Error, Result};
use super::flags::{BevEvents, What};
use super::handle::{BevId, EventId};
use super::labeled::Labeled;
use super::state::BevWhy;
use super::sys::{self, socket};
use crate::trace::Levels;

/// A read or write callback (libevent's `bufferevent_data_cb`).
pub type BevDataCb = Box<dyn FnMut(&mut EventBase, BevId)>;
/// An event callback (libevent's `bufferevent_event_cb`): what happened, as `BevEvents`.
pub type BevEventCb = Box<dyn FnMut(&mut EventBase, BevId, BevEvents)>;

/// Options for [`EventBase::bufferevent_socket_new`] (libevent's `BEV_OPT_*`, same values).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct BevOptions(u8);

impl BevOptions {
    /// No options.
    pub const NONE: BevOptions = BevOptions(0);
    /// `BEV_OPT_CLOSE_ON_FREE`: the bufferevent owns the fd and closes it when freed.
    pub const CLOSE_ON_FREE: BevOptions = BevOptions(0x01);
    /// `BEV_OPT_DEFER_CALLBACKS`: the callbacks run later from the loop (from one deferred
    /// callback per bufferevent), not inside the call that caused them. Every
    /// `bufferevent_pair` has it.
    pub const DEFER_CALLBACKS: BevOptions = BevOptions(0x04);
    /// An evscope extension, not in libevent: bytes added to an idle output are written at
    /// once, inside the program's call, and the write event is added only when the socket is
    /// full. Faster (no write event per reply), but not what a libevent program does: by
    /// default, as in libevent, the output is written from the write event in the loop.
    pub const WRITE_INLINE: BevOptions = BevOptions(0x80);

    /// True when every option of `other` is set here.
    pub const fn contains(self, other: BevOptions) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for BevOptions {
    type Output = BevOptions;
    fn bitor(self, rhs: BevOptions) -> BevOptions {
        BevOptions(self.0 | rhs.0)
    }
}

/// How hard [`EventBase::bufferevent_flush`] pushes (libevent's `enum bufferevent_flush_mode`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FlushMode {
    /// `BEV_NORMAL`: write what the socket takes now.
    Normal,
    /// `BEV_FLUSH`: the same, for sockets.
    Flush,
    /// `BEV_FINISHED`: no more data will be written: shut the write side down once drained.
    Finished,
}

impl EventBase {
    // ----- handles ------------------------------------------------------------------------------

    /// The bufferevent, unless freed or closing. Freed inside one of its own callbacks, it
    /// stays valid until that callback returns, as libevent's reference count keeps it.
    pub(crate) fn bev_ref(&self, id: BevId) -> Result<&BevData> {
        match self.bevs.get(id.index(), id.generation()) {
            Some(b) if !b.closing && !b.finalizing => Ok(b),
            _ => Err(Error::Stale(format!("bufferevent {id}"))),
        }
    }

    pub(crate) fn bev_mut(&mut self, id: BevId) -> Result<&mut BevData> {
        match self.bevs.get_mut(id.index(), id.generation()) {
            Some(b) if !b.closing && !b.finalizing => Ok(b),
            _ => Err(Error::Stale(format!("bufferevent {id}"))),
        }
    }

    /// The bufferevent even while it closes (for the library's own handlers).
    pub(crate) fn bev_any(&mut self, id: BevId) -> Option<&mut BevData> {
        self.bevs.get_mut(id.index(), id.generation())
    }

    // ----- creation -----------------------------------------------------------------------------

    /// A bufferevent on socket `fd`, or on none yet (`None`: give it one with
    /// [`EventBase::bufferevent_socket_connect`]) (libevent's `bufferevent_socket_new`). The fd is
    /// made non-blocking. With [`BevOptions::CLOSE_ON_FREE`] the bufferevent takes ownership of
    /// `fd` and closes it when freed.
    pub fn bufferevent_socket_new(
        &mut self,
        fd: impl Into<Option<RawFd>>,
        options: BevOptions,
    ) -> Result<BevId> {
        self.labeled("").bufferevent_socket_new(fd, options)
    }

    fn bufferevent_socket_new_with_label(
        &mut self,
        fd: impl Into<Option<RawFd>>,
        options: BevOptions,
        label: &str,
    ) -> Result<BevId> {
        let fd = fd.into();
        if let Some(fd) = fd {
            if fd < 0 {
                return Err(Error::Invalid(format!("{fd} is not a descriptor")));
            }
            sys::set_nonblocking(fd, true)?;
        }
        let (index, generation) = self.bevs.insert(BevData::new(String::new()));
        let id = BevId::new(index, generation);
        let label = match label {
            "" => id.to_string(),
            given => given.to_string(),
        };
        if let Some(b) = self.bev_any(id) {
            b.label = label.clone();
            b.options = options;
        }
        if let Some(o) = self.observer() {
            o.bufferevent_new(id, fd, &label);
            if options.contains(BevOptions::WRITE_INLINE) {
                o.note(&format!(
                    "{label} uses evscope's WRITE_INLINE extension: its output is written inside \
                     the program's call, and its write event is added only when the socket is \
                     full (libevent always writes from the write event)"
                ));
            }
        }
        let owned = options
            .contains(BevOptions::CLOSE_ON_FREE)
            .then_some(fd)
            .flatten()
            .map(socket::adopt);
        if let Err(e) = self.bev_make_events(id, fd, owned) {
            self.bev_destroy(id);
            return Err(e);
        }
        self.bev_report(id);
        Ok(id)
    }

    /// Makes the internal read and write events, on `fd` or on none yet: as libevent assigns
    /// `ev_read` and `ev_write` with fd -1, they can be added (and so pending) before there is
    /// a socket, and watch it once `bufferevent_socket_connect` gives them one.
    fn bev_make_events(
        &mut self,
        id: BevId,
        fd: Option<RawFd>,
        owned: Option<OwnedFd>,
    ) -> Result<()> {
        let label = self
            .bev_any(id)
            .map(|b| b.label.clone())
            .unwrap_or_default();
        let read_ev = self.event_new_unchecked(
            fd,
            What::READ | What::PERSIST,
            &format!("{label} read"),
            Box::new(move |base, _ev, what| base.bev_on_read(id, what)),
        )?;
        let write_ev = self.event_new_unchecked(
            fd,
            What::WRITE | What::PERSIST,
            &format!("{label} write"),
            Box::new(move |base, _ev, what| base.bev_on_write(id, what)),
        )?;
        let b = self
            .bev_any(id)
            .ok_or_else(|| Error::Stale(format!("bufferevent {id}")))?;
        b.fd = fd;
        b.owned = owned;
        b.read_ev = Some(read_ev);
        b.write_ev = Some(write_ev);
        Ok(())
    }

    /// Gives the bufferevent its socket (libevent's `bufferevent_setfd` as the connect does
    /// it): its events, deleted, now watch `fd`.
    pub(crate) fn bev_attach_fd(
        &mut self,
        id: BevId,
        fd: Option<RawFd>,
        owned: Option<OwnedFd>,
    ) -> Result<()> {
        self.bev_socket_disable(id, What::READ | What::WRITE, BevWhy::Connect)?;
        let b = self
            .bev_any(id)
            .ok_or_else(|| Error::Stale(format!("bufferevent {id}")))?;
        b.fd = fd;
        b.owned = owned;
        for ev in [b.read_ev, b.write_ev].into_iter().flatten() {
            self.event_set_fd(ev, fd)?;
        }
        Ok(())
    }

    /// Starts a non-blocking connect to `addr`, making a socket first if the bufferevent has
    /// none (libevent's `bufferevent_socket_connect`). As in libevent, the socket's events are
    /// (re)assigned and added as enabled — the read event too, if reading is enabled — and the
    /// write event stays pending until the connect finishes. The event callback hears
    /// `CONNECTED`, or `ERROR` with the errno in [`EventBase::bufferevent_get_error`] (e.g.
    /// ECONNREFUSED).
    pub fn bufferevent_socket_connect(&mut self, id: BevId, addr: SocketAddr) -> Result<()> {
        let b = self.bev_mut(id)?;
        if b.pair {
            return Err(Error::Invalid(format!(
                "{id} is one end of a pair, not a socket"
            )));
        }
        let (fd, made) = match b.fd {
            Some(fd) => (fd, None),
            None => {
                // libevent's connect socket is not close-on-exec.
                let sock = socket::stream_socket(&addr, false)?;
                (std::os::fd::AsRawFd::as_raw_fd(&sock), Some(sock))
            }
        };
        let refused = match socket::connect(fd, &addr) {
            Ok(()) => false,
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => false,
            Err(e) if e.raw_os_error() == Some(libc::ECONNREFUSED) => true,
            // A socket made here closes as `made` drops.
            Err(e) => return Err(e.into()),
        };
        // libevent's bufferevent_setfd: the events are deleted and assigned again.
        let owned = match made {
            Some(sock) => Some(sock),
            None => self.bev_mut(id)?.owned.take(),
        };
        self.bev_attach_fd(id, Some(fd), owned)?;
        let b = self.bev_mut(id)?;
        if refused {
            // Refused at once: the event callback hears it from the loop; nothing is enabled.
            b.last_error = Some(libc::ECONNREFUSED);
            b.enabled = What::NONE;
            self.bev_report(id);
            self.defer(Deferred::BevEvent(id, BevEvents::ERROR));
            return Ok(());
        }
        let mut enabled = b.enabled;
        if b.read_held() {
            enabled = enabled & !What::READ;
        }
        if b.write_suspended.any() {
            enabled = enabled & !What::WRITE;
        }
        // bufferevent_setfd enables what was enabled; then the write event waits for the
        // connect to finish.
        self.bev_socket_enable(id, enabled, BevWhy::Connect)?;
        self.bev_add(id, Dir::Write, BevWhy::Connect)?;
        self.bev_mut(id)?.connecting = true;
        self.bev_report(id);
        Ok(())
    }

    // ----- callbacks and enabling ---------------------------------------------------------------

    /// Sets the three callbacks; `None` clears one (libevent's `bufferevent_setcb`).
    pub fn bufferevent_setcb(
        &mut self,
        id: BevId,
        readcb: Option<BevDataCb>,
        writecb: Option<BevDataCb>,
        eventcb: Option<BevEventCb>,
    ) -> Result<()> {
        self.bev_mut(id)?.set_cbs(readcb, writecb, eventcb);
        Ok(())
    }

    /// Enables reading and/or writing (libevent's `bufferevent_enable`): adds the socket's
    /// events of `what` (restarting their timeouts). As in libevent, enabling `WRITE` adds the
    /// write event even with nothing to send, so the write callback runs once the socket is
    /// writable.
    pub fn bufferevent_enable(&mut self, id: BevId, what: What) -> Result<()> {
        let b = self.bev_mut(id)?;
        let what = what & (What::READ | What::WRITE);
        b.enabled |= what;
        let mut start = what;
        if b.read_held() {
            start = start & !What::READ;
        }
        if b.write_suspended.any() {
            start = start & !What::WRITE;
        }
        self.bev_impl_enable(id, start, BevWhy::Enable)?;
        self.bev_report(id);
        Ok(())
    }

    /// Disables reading and/or writing (libevent's `bufferevent_disable`): deletes its events of
    /// `what` (a socket's write event stays while a connect is in progress; a pair end's events
    /// carry only its timeouts).
    pub fn bufferevent_disable(&mut self, id: BevId, what: What) -> Result<()> {
        let b = self.bev_mut(id)?;
        let what = what & (What::READ | What::WRITE);
        b.enabled = b.enabled & !what;
        self.bev_impl_disable(id, what, BevWhy::Disable)?;
        self.bev_report(id);
        Ok(())
    }

    /// Which of `READ` and `WRITE` are enabled (libevent's `bufferevent_get_enabled`).
    pub fn bufferevent_get_enabled(&self, id: BevId) -> Result<What> {
        Ok(self.bev_ref(id)?.enabled)
    }

    /// Sets the read and/or write watermarks (libevent's `bufferevent_setwatermark`). Read low:
    /// the read callback runs only with at least this much input. Read high (0: none): stop
    /// reading from the socket at this much input, resume below it. Write low: the write
    /// callback runs when the output drains to this much.
    pub fn bufferevent_setwatermark(
        &mut self,
        id: BevId,
        what: What,
        low: usize,
        high: usize,
    ) -> Result<()> {
        let b = self.bev_mut(id)?;
        if what.contains(What::WRITE) {
            b.write_low = low;
            b.write_high = high;
        }
        if what.contains(What::READ) {
            b.read_low = low;
            b.read_high = high;
            if high > 0 && b.input.len() >= high {
                self.bev_suspend_read(id);
            } else {
                self.bev_unsuspend_read(id);
            }
        }
        self.bev_report(id);
        Ok(())
    }

    /// The (low, high) watermarks of `READ` or `WRITE` (libevent's `bufferevent_getwatermark`).
    pub fn bufferevent_getwatermark(&self, id: BevId, what: What) -> Result<(usize, usize)> {
        let b = self.bev_ref(id)?;
        if what == What::READ {
            Ok((b.read_low, b.read_high))
        } else if what == What::WRITE {
            Ok((b.write_low, b.write_high))
        } else {
            Err(Error::Invalid(
                "ask for READ or WRITE watermarks, one at a time".into(),
            ))
        }
    }

    /// Sets the read and write timeouts; `None` clears one (libevent's
    /// `bufferevent_set_timeouts`). A timeout gives the event callback `TIMEOUT|READING` or
    /// `TIMEOUT|WRITING` and disables that direction. For a socket, as libevent 2.1's
    /// `bufferevent_generic_adj_existing_timeouts_`, each pending event is added again with its
    /// new timeout, or loses its timer when the timeout is cleared. For a pair end or a filter
    /// (`bufferevent_generic_adj_timeouts_`), each event is added again with its timeout if its
    /// direction is enabled (and, for writing, output is waiting), and deleted otherwise — also
    /// when its timeout is cleared.
    pub fn bufferevent_set_timeouts(
        &mut self,
        id: BevId,
        read: Option<Duration>,
        write: Option<Duration>,
    ) -> Result<()> {
        let b = self.bev_mut(id)?;
        b.timeout_read = read;
        b.timeout_write = write;
        if !b.pair && b.filter.is_none() {
            return self.bev_socket_adj_timeouts(id);
        }
        let readable = b.enabled.contains(What::READ) && !b.read_held() && read.is_some();
        let writable = b.enabled.contains(What::WRITE)
            && !b.write_suspended.any()
            && write.is_some()
            && !b.output.is_empty();
        for (dir, on) in [(Dir::Read, readable), (Dir::Write, writable)] {
            if on {
                self.bev_add(id, dir, BevWhy::SetTimeouts)?;
            } else {
                self.bev_del(id, dir, BevWhy::SetTimeouts)?;
                // Forget the interval, so a later add does not bring an old timeout back.
                if let Some(ev) = self.bev_any(id).and_then(|b| b.event(dir)) {
                    self.event_remove_timer(ev)?;
                }
            }
        }
        Ok(())
    }

    // ----- data ---------------------------------------------------------------------------------

    /// Appends `data` to the output buffer (libevent's `bufferevent_write`). The bufferevent
    /// adds its write event, and the bytes are written from it when the loop finds the socket
    /// writable (at once with [`BevOptions::WRITE_INLINE`]).
    pub fn bufferevent_write(&mut self, id: BevId, data: &[u8]) -> Result<()> {
        let b = self.bev_mut(id)?;
        if b.shutdown != Shutdown::Open {
            return Err(Error::Invalid(format!(
                "{id}: the write side was shut down"
            )));
        }
        b.output.add(data);
        self.bev_report(id);
        self.bev_output_added(id);
        Ok(())
    }

    /// Moves all of `src` to the output buffer, chunks rather than bytes (libevent's
    /// `bufferevent_write_buffer`).
    pub fn bufferevent_write_buffer(&mut self, id: BevId, src: &mut Evbuffer) -> Result<()> {
        let b = self.bev_mut(id)?;
        if b.shutdown != Shutdown::Open {
            return Err(Error::Invalid(format!(
                "{id}: the write side was shut down"
            )));
        }
        b.output.add_buffer(src);
        self.bev_report(id);
        self.bev_output_added(id);
        Ok(())
    }

    /// Takes up to `out.len()` bytes from the input buffer (libevent's `bufferevent_read`).
    pub fn bufferevent_read(&mut self, id: BevId, out: &mut [u8]) -> Result<usize> {
        let n = self.bev_mut(id)?.input.remove(out);
        self.bev_input_changed(id);
        Ok(n)
    }

    /// Moves the whole input buffer to the end of `dst` (libevent's `bufferevent_read_buffer`).
    pub fn bufferevent_read_buffer(&mut self, id: BevId, dst: &mut Evbuffer) -> Result<()> {
        let b = self.bev_mut(id)?;
        dst.add_buffer(&mut b.input);
        self.bev_input_changed(id);
        Ok(())
    }

    /// libevent's `bufferevent_flush`: for a socket it does nothing and returns 0, as in
    /// libevent (the write event sends the output). For one end of a pair (`be_pair_flush`),
    /// [`FlushMode::Flush`] and [`FlushMode::Finished`] move the data `what` names between the
    /// two ends at once, past the reader's high watermark and whatever is enabled; `Finished`
    /// then tells the partner's event callback `EOF` (with `READING` for `WRITE`, `WRITING` for
    /// `READ`), leaving what it has enabled as it was. An end whose partner was freed gives an
    /// error (libevent: -1). Returns the bytes moved.
    pub fn bufferevent_flush(&mut self, id: BevId, what: What, mode: FlushMode) -> Result<usize> {
        if self.bev_ref(id)?.pair {
            return self.bev_pair_flush(id, what, mode);
        }
        if self.bev_is_filter(id) {
            return Ok(usize::from(self.bev_filter_flush(id, what, mode)));
        }
        Ok(0)
    }

    /// Half-close: shut the write side down (`shutdown(SHUT_WR)`) as soon as the output buffer
    /// has drained, so the peer reads end of file after every queued byte; reading goes on.
    /// Later writes are refused.
    pub fn bufferevent_shutdown_write(&mut self, id: BevId) -> Result<()> {
        let b = self.bev_mut(id)?;
        if b.shutdown == Shutdown::Open {
            b.shutdown = Shutdown::WhenDrained;
        }
        self.bev_maybe_shutdown(id);
        Ok(())
    }

    // ----- freeing ------------------------------------------------------------------------------

    /// Frees the bufferevent (libevent's `bufferevent_free`): its callbacks are cleared at
    /// once and unsent output is dropped. Inside one of its own callbacks the handle stays
    /// valid until that callback returns, as libevent's reference count keeps it; then its
    /// events are deleted, and its fd is closed (with `CLOSE_ON_FREE`) from the active queue,
    /// after the callbacks already queued — as libevent finalizes a bufferevent. To send every
    /// queued byte first, use [`EventBase::bufferevent_close_after_flush`].
    pub fn bufferevent_free(&mut self, id: BevId) -> Result<()> {
        let b = self.bev_mut(id)?;
        if b.freed {
            return Err(Error::Stale(format!("bufferevent {id} (already freed)")));
        }
        b.set_cbs(None, None, None);
        // The program's reference goes; one it took with bufferevent_incref keeps it.
        self.bev_drop_ref(id)?;
        Ok(())
    }

    /// Frees the bufferevent once every queued output byte is sent: no more callbacks, the write
    /// side is shut down after the output drains, and input is read and discarded until the
    /// peer closes (so unread input cannot turn the close into a reset that loses data), for at
    /// most [`LINGER`]. The handle is stale from now on.
    pub fn bufferevent_close_after_flush(&mut self, id: BevId) -> Result<()> {
        let b = self.bev_mut(id)?;
        b.closing = true;
        b.set_cbs(None, None, None);
        b.read_suspended = Suspend::NONE;
        b.read_low = 0;
        b.read_high = 0;
        if b.shutdown == Shutdown::Open {
            b.shutdown = Shutdown::WhenDrained;
        }
        b.enabled |= What::WRITE;
        if b.fd.is_none() && b.partner.is_none() {
            // No socket and no partner: nowhere to flush to.
            self.bev_destroy(id);
            return Ok(());
        }
        let Some(b) = self.bev_any(id) else {
            return Ok(());
        };
        if b.shutdown == Shutdown::Done {
            self.bev_linger(id);
            return Ok(());
        }
        if b.fd.is_some() && !b.connecting && !b.read_eof {
            // Discard input from now on, so a peer blocked on writing to us cannot stall the
            // flush (no timeout yet: the peer may be slow to take our output).
            self.bev_arm_discard(id, None);
        }
        self.bev_output_added(id);
        // A pair's closing end takes what its partner sends, to discard it.
        self.bev_pair_enable(id, What::READ, BevWhy::Free);
        self.bev_maybe_shutdown(id);
        Ok(())
    }

    // ----- accessors ----------------------------------------------------------------------------

    /// The socket, if it has one yet (libevent's `bufferevent_getfd`).
    pub fn bufferevent_getfd(&self, id: BevId) -> Result<Option<RawFd>> {
        let b = self.bev_ref(id)?;
        if let Some(f) = &b.filter {
            // libevent's filter asks its underlying bufferevent.
            return self.bufferevent_getfd(f.underlying);
        }
        Ok(b.fd)
    }

    /// The error that went with the last `ERROR` event, e.g. `ECONNREFUSED` (what libevent's
    /// event callback reads from `EVUTIL_SOCKET_ERROR()`).
    pub fn bufferevent_get_error(&self, id: BevId) -> Result<Option<io::Error>> {
        Ok(self
            .bev_ref(id)?
            .last_error
            .map(io::Error::from_raw_os_error))
    }

    /// The current fill levels and watermarks.
    pub fn bufferevent_levels(&self, id: BevId) -> Result<Levels> {
        Ok(self.bev_ref(id)?.levels())
    }

    /// The bufferevent's internal read and write events, once it has a socket (libevent's
    /// `bev->ev_read` and `bev->ev_write`): `pending` on them answers what `event_pending`
    /// answers for a libevent program.
    pub fn bufferevent_events(&self, id: BevId) -> Result<(Option<EventId>, Option<EventId>)> {
        let b = self.bev_ref(id)?;
        Ok((b.read_ev, b.write_ev))
    }

    /// True while `id` names a live bufferevent.
    pub fn bufferevent_is_live(&self, id: BevId) -> bool {
        self.bev_ref(id).is_ok()
    }

    /// Every live bufferevent, in slot order.
    pub fn bufferevent_ids(&self) -> Vec<BevId> {
        self.bevs
            .keys()
            .into_iter()
            .map(|(i, g)| BevId::new(i, g))
            .filter(|id| self.bev_ref(*id).is_ok())
            .collect()
    }
}

/// How long a closing bufferevent waits for the peer to close after its output is sent.
pub const LINGER: Duration = Duration::from_secs(30);

impl Labeled<'_> {
    /// [`EventBase::bufferevent_socket_new`], labelled.
    pub fn bufferevent_socket_new(
        self,
        fd: impl Into<Option<RawFd>>,
        options: BevOptions,
    ) -> Result<BevId> {
        self.base
            .bufferevent_socket_new_with_label(fd, options, self.label)
    }
}
