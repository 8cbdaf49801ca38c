//! [`Listener`](ListenerId): accepts connections on a listening socket and hands each to a
//! callback (libevent's `evconnlistener`).
//!
//! It accepts in a loop until EAGAIN. When the process (EMFILE) or the system (ENFILE) runs out
//! of descriptors, it does not spin on a listening socket that stays readable: it stops
//! watching it, tells the error callback once, and retries on a timer with growing delays
//! (10 ms up to 250 ms) until an accept succeeds again.

use std::io;
use std::net::SocketAddr;
use std::ops::BitOr;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::base::EventBase;
use super::error::{Error, Result};
use super::flags::What;
use super::handle::{EventId, ListenerId};
use super::labeled::Labeled;
use super::sys::{self, socket};

/// The accept callback (libevent's `evconnlistener_cb`): the new connection's socket (yours to
/// keep or drop) and the peer's address (None for non-IP sockets).
pub type ListenerCb = Box<dyn FnMut(&mut EventBase, ListenerId, OwnedFd, Option<SocketAddr>)>;
/// The error callback (libevent's `evconnlistener_errorcb`), with the error.
pub type ListenerErrorCb = Box<dyn FnMut(&mut EventBase, ListenerId, io::Error)>;

/// Listener options (libevent's `LEV_OPT_*`, same values).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ListenerFlags(u32);

impl ListenerFlags {
    /// No options.
    pub const NONE: ListenerFlags = ListenerFlags(0);
    /// `LEV_OPT_LEAVE_SOCKETS_BLOCKING`: accepted sockets stay blocking.
    pub const LEAVE_SOCKETS_BLOCKING: ListenerFlags = ListenerFlags(1 << 0);
    /// `LEV_OPT_CLOSE_ON_FREE`: close the listening socket when the listener is freed.
    pub const CLOSE_ON_FREE: ListenerFlags = ListenerFlags(1 << 1);
    /// `LEV_OPT_CLOSE_ON_EXEC`: the listening and accepted sockets are close-on-exec.
    pub const CLOSE_ON_EXEC: ListenerFlags = ListenerFlags(1 << 2);
    /// `LEV_OPT_REUSEABLE`: `SO_REUSEADDR`, so a restarted server can bind at once.
    pub const REUSEABLE: ListenerFlags = ListenerFlags(1 << 3);
    /// `LEV_OPT_DISABLED`: start disabled.
    pub const DISABLED: ListenerFlags = ListenerFlags(1 << 5);
    /// `LEV_OPT_REUSEABLE_PORT`: `SO_REUSEPORT`.
    pub const REUSEABLE_PORT: ListenerFlags = ListenerFlags(1 << 7);
    /// `LEV_OPT_BIND_IPV6ONLY`: `IPV6_V6ONLY` on an IPv6 socket.
    pub const BIND_IPV6ONLY: ListenerFlags = ListenerFlags(1 << 8);

    /// True when every flag of `other` is set here.
    pub const fn contains(self, other: ListenerFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for ListenerFlags {
    type Output = ListenerFlags;
    fn bitor(self, rhs: ListenerFlags) -> ListenerFlags {
        ListenerFlags(self.0 | rhs.0)
    }
}

const BACKOFF_FIRST: Duration = Duration::from_millis(10);
const BACKOFF_MAX: Duration = Duration::from_millis(250);

/// Everything the base keeps for one listener.
pub(crate) struct ListenerData {
    fd: RawFd,
    _owned: Option<OwnedFd>,
    flags: ListenerFlags,
    accept_ev: Option<EventId>,
    backoff_ev: Option<EventId>,
    cb: Option<ListenerCb>,
    errorcb: Option<ListenerErrorCb>,
    cb_epoch: u32,
    err_epoch: u32,
    enabled: bool,
    /// Out of descriptors: not watching the socket, retrying on a timer.
    backing_off: bool,
    backoff: Duration,
}

impl EventBase {
    fn lev(&mut self, id: ListenerId) -> Result<&mut ListenerData> {
        self.listeners
            .get_mut(id.index(), id.generation())
            .ok_or_else(|| Error::Stale(format!("listener {id}")))
    }

    fn lev_ref(&self, id: ListenerId) -> Result<&ListenerData> {
        self.listeners
            .get(id.index(), id.generation())
            .ok_or_else(|| Error::Stale(format!("listener {id}")))
    }

    /// Binds a socket to `addr` and listens on it (libevent's `evconnlistener_new_bind`).
    /// `backlog` > 0 listens with it, a negative one with libevent's "reasonable default", 128;
    /// 0 is refused, as libevent refuses it. The socket it makes is always closed when the
    /// listener is freed.
    pub fn evconnlistener_new_bind<F>(
        &mut self,
        addr: SocketAddr,
        flags: ListenerFlags,
        backlog: i32,
        cb: F,
    ) -> Result<ListenerId>
    where
        F: FnMut(&mut EventBase, ListenerId, OwnedFd, Option<SocketAddr>) + 'static,
    {
        self.labeled("")
            .evconnlistener_new_bind(addr, flags, backlog, cb)
    }

    fn evconnlistener_new_bind_with_label<F>(
        &mut self,
        addr: SocketAddr,
        flags: ListenerFlags,
        backlog: i32,
        label: &str,
        cb: F,
    ) -> Result<ListenerId>
    where
        F: FnMut(&mut EventBase, ListenerId, OwnedFd, Option<SocketAddr>) + 'static,
    {
        if backlog == 0 {
            // libevent's evconnlistener_new_bind returns NULL for it: a socket it made itself
            // cannot already listen.
            return Err(Error::Invalid(
                "evconnlistener_new_bind: backlog 0 means an fd that already listens; use -1 \
                 for the default"
                    .into(),
            ));
        }
        let sock = socket::stream_socket(&addr, flags.contains(ListenerFlags::CLOSE_ON_EXEC))?;
        let fd = sock.as_raw_fd();
        if flags.contains(ListenerFlags::REUSEABLE) {
            socket::set_int_option(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
        }
        if flags.contains(ListenerFlags::REUSEABLE_PORT) {
            socket::set_int_option(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1)?;
        }
        if flags.contains(ListenerFlags::BIND_IPV6ONLY) && addr.is_ipv6() {
            socket::set_int_option(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 1)?;
        }
        socket::bind(&sock, &addr)?;
        self.listener_new_inner(fd, Some(sock), flags, backlog, label, Some(Box::new(cb)))
    }

    /// A listener on an existing socket (libevent's `evconnlistener_new`). `backlog` > 0 calls
    /// listen with it, a negative one with libevent's default, 128; 0 means the socket already
    /// listens. With
    /// `CLOSE_ON_FREE` the listener takes ownership of `fd`.
    pub fn evconnlistener_new<F>(
        &mut self,
        fd: RawFd,
        flags: ListenerFlags,
        backlog: i32,
        cb: F,
    ) -> Result<ListenerId>
    where
        F: FnMut(&mut EventBase, ListenerId, OwnedFd, Option<SocketAddr>) + 'static,
    {
        self.labeled("").evconnlistener_new(fd, flags, backlog, cb)
    }

    fn evconnlistener_new_with_label<F>(
        &mut self,
        fd: RawFd,
        flags: ListenerFlags,
        backlog: i32,
        label: &str,
        cb: F,
    ) -> Result<ListenerId>
    where
        F: FnMut(&mut EventBase, ListenerId, OwnedFd, Option<SocketAddr>) + 'static,
    {
        if fd < 0 {
            return Err(Error::Invalid(format!("{fd} is not a descriptor")));
        }
        let owned = flags
            .contains(ListenerFlags::CLOSE_ON_FREE)
            .then(|| socket::adopt(fd));
        self.listener_new_inner(fd, owned, flags, backlog, label, Some(Box::new(cb)))
    }

    fn listener_new_inner(
        &mut self,
        fd: RawFd,
        owned: Option<OwnedFd>,
        flags: ListenerFlags,
        backlog: i32,
        label: &str,
        cb: Option<ListenerCb>,
    ) -> Result<ListenerId> {
        sys::set_nonblocking(fd, true)?;
        if backlog != 0 {
            // libevent 2.1's "reasonable default" for a negative backlog.
            let n = if backlog < 0 { 128 } else { backlog };
            socket::listen(fd, n)?;
        }
        // The slot first, so the accept event's closure can name the listener.
        let (index, generation) = self.listeners.insert(ListenerData {
            fd,
            _owned: owned,
            flags,
            accept_ev: None,
            backoff_ev: None,
            cb,
            errorcb: None,
            cb_epoch: 0,
            err_epoch: 0,
            enabled: false,
            backing_off: false,
            backoff: BACKOFF_FIRST,
        });
        let id = ListenerId::new(index, generation);
        let accept_ev = match self
            .labeled(&match label {
                "" => format!("{id} accept"),
                given => format!("{given} accept"),
            })
            .event_new(fd, What::READ | What::PERSIST, move |base, _ev, _what| {
                base.listener_on_accept(id)
            }) {
            Ok(ev) => ev,
            Err(e) => {
                self.listeners.remove(index, generation);
                return Err(e);
            }
        };
        self.lev(id)?.accept_ev = Some(accept_ev);
        if !flags.contains(ListenerFlags::DISABLED) {
            if let Err(e) = self.evconnlistener_enable(id) {
                let freed = self.evconnlistener_free(id);
                debug_assert!(freed.is_ok(), "freeing the listener just made: {freed:?}");
                return Err(e);
            }
        }
        Ok(id)
    }

    /// Starts accepting (libevent's `evconnlistener_enable`).
    pub fn evconnlistener_enable(&mut self, id: ListenerId) -> Result<()> {
        let l = self.lev(id)?;
        l.enabled = true;
        let (backing_off, ev, has_cb) = (l.backing_off, l.accept_ev, l.cb.is_some());
        if let (false, true, Some(ev)) = (backing_off, has_cb, ev) {
            self.event_add(ev, None)?;
        }
        Ok(())
    }

    /// Stops accepting; connections wait in the kernel's backlog (libevent's
    /// `evconnlistener_disable`).
    pub fn evconnlistener_disable(&mut self, id: ListenerId) -> Result<()> {
        let l = self.lev(id)?;
        l.enabled = false;
        for ev in [l.accept_ev, l.backoff_ev].into_iter().flatten() {
            self.event_del(ev)?;
        }
        if let Ok(l) = self.lev(id) {
            l.backing_off = false;
        }
        Ok(())
    }

    /// Replaces the accept callback; with none the listener stops accepting (libevent's
    /// `evconnlistener_set_cb`).
    pub fn evconnlistener_set_cb(&mut self, id: ListenerId, cb: Option<ListenerCb>) -> Result<()> {
        let l = self.lev(id)?;
        let had = l.cb.is_some();
        let has = cb.is_some();
        l.cb = cb;
        l.cb_epoch = l.cb_epoch.wrapping_add(1);
        let (enabled, ev) = (l.enabled, l.accept_ev);
        if enabled && had != has {
            if has {
                self.evconnlistener_enable(id)?;
            } else if let Some(ev) = ev {
                self.event_del(ev)?;
            }
        }
        Ok(())
    }

    /// Sets the callback told about accept errors, such as running out of descriptors
    /// (libevent's `evconnlistener_set_error_cb`).
    pub fn evconnlistener_set_error_cb(
        &mut self,
        id: ListenerId,
        cb: Option<ListenerErrorCb>,
    ) -> Result<()> {
        let l = self.lev(id)?;
        l.errorcb = cb;
        l.err_epoch = l.err_epoch.wrapping_add(1);
        Ok(())
    }

    /// The listening socket (libevent's `evconnlistener_get_fd`).
    pub fn evconnlistener_get_fd(&self, id: ListenerId) -> Result<RawFd> {
        Ok(self.lev_ref(id)?.fd)
    }

    /// The address the listener is bound to, e.g. the port the system chose for port 0.
    pub fn evconnlistener_local_addr(&self, id: ListenerId) -> Result<SocketAddr> {
        Ok(socket::local_addr(self.lev_ref(id)?.fd)?)
    }

    /// Frees the listener, closing its socket if it owns it (libevent's `evconnlistener_free`).
    /// Freeing inside its own callback is allowed.
    pub fn evconnlistener_free(&mut self, id: ListenerId) -> Result<()> {
        let l = self
            .listeners
            .remove(id.index(), id.generation())
            .ok_or_else(|| Error::Stale(format!("listener {id}")))?;
        for ev in [l.accept_ev, l.backoff_ev].into_iter().flatten() {
            let freed = self.event_free(ev);
            debug_assert!(
                freed.is_ok(),
                "a listener's events live as long as it: {freed:?}"
            );
        }
        Ok(())
    }

    /// The accept event fired: accept until EAGAIN.
    fn listener_on_accept(&mut self, id: ListenerId) {
        loop {
            let Ok(l) = self.lev(id) else {
                return;
            };
            if !l.enabled || l.cb.is_none() {
                return;
            }
            let (fd, flags) = (l.fd, l.flags);
            let nonblocking = !flags.contains(ListenerFlags::LEAVE_SOCKETS_BLOCKING);
            match socket::accept(
                fd,
                nonblocking,
                flags.contains(ListenerFlags::CLOSE_ON_EXEC),
            ) {
                Ok((sock, peer)) => {
                    l.backing_off = false;
                    l.backoff = BACKOFF_FIRST;
                    if let Some(o) = self.observer() {
                        o.accept(id, sock.as_raw_fd(), peer.as_ref());
                    }
                    self.listener_run_cb(id, sock, peer);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                // The connection died in the backlog, or a signal: try the next one.
                Err(e) if matches!(e.raw_os_error(), Some(libc::ECONNABORTED | libc::EPROTO)) => {}
                Err(e) => {
                    self.listener_back_off(id, e);
                    return;
                }
            }
        }
    }

    fn listener_run_cb(&mut self, id: ListenerId, sock: OwnedFd, peer: Option<SocketAddr>) {
        let Ok(l) = self.lev(id) else {
            return;
        };
        let Some(mut cb) = l.cb.take() else {
            return;
        };
        let epoch = l.cb_epoch;
        cb(self, id, sock, peer);
        if let Ok(l) = self.lev(id) {
            if l.cb_epoch == epoch && l.cb.is_none() {
                l.cb = Some(cb);
            }
        }
    }

    /// Out of descriptors (or another accept error): stop watching the socket, which would
    /// stay readable and spin the loop; retry on a timer, with the delay doubling up to
    /// 250 ms. The error callback hears the first failure of each episode.
    fn listener_back_off(&mut self, id: ListenerId, err: io::Error) {
        let Ok(l) = self.lev(id) else {
            return;
        };
        let first = !l.backing_off;
        l.backing_off = true;
        let delay = l.backoff;
        l.backoff = (delay * 2).min(BACKOFF_MAX);
        let (accept_ev, timer) = (l.accept_ev, l.backoff_ev);
        if let Some(ev) = accept_ev {
            let stopped = self.event_del(ev);
            self.warn_on("event_del", stopped);
        }
        let timer = match timer {
            Some(t) => t,
            None => {
                let Ok(t) = self
                    .labeled(&format!("{id} backoff"))
                    .event_new(None, What::NONE, {
                        move |base, _ev, _what| base.listener_retry(id)
                    })
                else {
                    return;
                };
                if let Ok(l) = self.lev(id) {
                    l.backoff_ev = Some(t);
                }
                t
            }
        };
        let armed = self.event_add(timer, Some(delay));
        debug_assert!(armed.is_ok(), "adding a live timer: {armed:?}");
        if first {
            self.listener_run_errorcb(id, err);
        }
    }

    /// The back-off timer: watch the socket again; the next accept tells whether descriptors
    /// came back.
    fn listener_retry(&mut self, id: ListenerId) {
        let Ok(l) = self.lev(id) else {
            return;
        };
        if let (true, true, Some(ev)) = (l.enabled, l.cb.is_some(), l.accept_ev) {
            // The socket refused by the backend (closed under the listener, say) is an error
            // the program hears, as it would have from `evconnlistener_enable`.
            match self.event_add(ev, None) {
                Ok(()) => {}
                Err(super::Error::Io(e)) => self.listener_run_errorcb(id, e),
                Err(e) => self.warn("event_add", &e),
            }
        }
    }

    fn listener_run_errorcb(&mut self, id: ListenerId, err: io::Error) {
        let Ok(l) = self.lev(id) else {
            return;
        };
        let Some(mut cb) = l.errorcb.take() else {
            return;
        };
        let epoch = l.err_epoch;
        cb(self, id, err);
        if let Ok(l) = self.lev(id) {
            if l.err_epoch == epoch && l.errorcb.is_none() {
                l.errorcb = Some(cb);
            }
        }
    }

    /// Every live listener, in slot order.
    pub fn evconnlistener_ids(&self) -> Vec<ListenerId> {
        self.listeners
            .keys()
            .into_iter()
            .map(|(i, g)| ListenerId::new(i, g))
            .collect()
    }
}

impl Labeled<'_> {
    /// [`EventBase::evconnlistener_new_bind`], labelled.
    pub fn evconnlistener_new_bind<F>(
        self,
        addr: SocketAddr,
        flags: ListenerFlags,
        backlog: i32,
        cb: F,
    ) -> Result<ListenerId>
    where
        F: FnMut(&mut EventBase, ListenerId, OwnedFd, Option<SocketAddr>) + 'static,
    {
        self.base
            .evconnlistener_new_bind_with_label(addr, flags, backlog, self.label, cb)
    }

    /// [`EventBase::evconnlistener_new`], labelled.
    pub fn evconnlistener_new<F>(
        self,
        fd: RawFd,
        flags: ListenerFlags,
        backlog: i32,
        cb: F,
    ) -> Result<ListenerId>
    where
        F: FnMut(&mut EventBase, ListenerId, OwnedFd, Option<SocketAddr>) + 'static,
    {
        self.base
            .evconnlistener_new_with_label(fd, flags, backlog, self.label, cb)
    }
}
