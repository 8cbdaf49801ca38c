//! `listener.h`: `struct evconnlistener`, accepting connections and handing each socket to the
//! program's callback with the peer's address.

use std::net::SocketAddr;
use std::os::fd::{IntoRawFd, OwnedFd};
use std::os::raw::{c_int, c_uint, c_void};

use evscope_core::ev::{EventBase, ListenerFlags, ListenerId};

use crate::base::on_base;
use crate::error::{self, CError, Result};
use crate::handles::{self, LevEntry, Token};
use crate::label;
use crate::sys::call::{self, ListenerCb, ListenerErrCb};
use crate::sys::cptr::SockaddrPtr;
use crate::sys::{current, mem, os};
use crate::types::{evconnlistener, event_base};

const LEV_OPT_CLOSE_ON_EXEC: c_uint = 1 << 2;

fn flags_of(flags: c_uint) -> ListenerFlags {
    [
        (1 << 0, ListenerFlags::LEAVE_SOCKETS_BLOCKING),
        (1 << 1, ListenerFlags::CLOSE_ON_FREE),
        (LEV_OPT_CLOSE_ON_EXEC, ListenerFlags::CLOSE_ON_EXEC),
        (1 << 3, ListenerFlags::REUSEABLE),
        (1 << 5, ListenerFlags::DISABLED),
        (1 << 7, ListenerFlags::REUSEABLE_PORT),
        (1 << 8, ListenerFlags::BIND_IPV6ONLY),
    ]
    .into_iter()
    .filter(|(bit, _)| flags & bit != 0)
    .fold(ListenerFlags::NONE, |acc, (_, f)| acc | f)
}

/// The engine's accept callback: finds the C callback now set, hands it the socket.
fn accept_cb(
    base: usize,
    key: usize,
) -> impl FnMut(&mut EventBase, ListenerId, OwnedFd, Option<SocketAddr>) + 'static {
    move |b, _id, sock, peer| {
        let Ok((Some(f), arg)) = handles::with(|h| h.lev(key).map(|l| (l.cb, l.arg))) else {
            return; // dropping the socket closes it
        };
        let fd = sock.into_raw_fd();
        let addr = peer.map(|p| mem::sockaddr_of(&p));
        current::lend(base, b, || {
            call::listener_cb(f, key, fd, addr.as_ref().map(|(s, l)| (s, *l)), arg)
        });
    }
}

fn error_cb(base: usize, key: usize) -> evscope_core::ev::ListenerErrorCb {
    Box::new(move |b, _id, err| {
        let Ok((Some(f), arg)) = handles::with(|h| h.lev(key).map(|l| (l.errcb, l.arg))) else {
            return;
        };
        let errno = err.raw_os_error().unwrap_or(libc::EIO);
        current::lend(base, b, || {
            mem::set_errno(errno);
            call::listener_err_cb(f, key, arg)
        });
    })
}

/// Makes a listener with `make` (given the label and the accept callback) and registers it.
fn register(
    base: usize,
    cb: Option<ListenerCb>,
    arg: usize,
    make: impl FnOnce(
        &mut EventBase,
        &str,
        Box<dyn FnMut(&mut EventBase, ListenerId, OwnedFd, Option<SocketAddr>)>,
    ) -> evscope_core::ev::Result<ListenerId>,
) -> Result<usize> {
    handles::with(|h| h.base(base).map(drop))?;
    let token = Token::new();
    let key = token.key();
    let label = label::of(cb.map(|f| f as usize));
    let id = on_base(base, |b| {
        let id = make(b, &label, Box::new(accept_cb(base, key)))?;
        if cb.is_none() {
            // libevent accepts nothing until a callback is set.
            b.evconnlistener_set_cb(id, None)?;
        }
        Ok(id)
    })?;
    handles::with(|h| {
        h.levs.insert(
            key,
            LevEntry {
                base,
                id,
                cb,
                errcb: None,
                arg,
                _token: token,
            },
        );
        Ok(key)
    })
}

/// libevent's `evconnlistener_new`: a listener on the socket `fd` (`backlog` > 0: listen with
/// it; negative: with libevent's default, 128; 0: `fd` already listens). Its label is `cb`'s
/// name.
#[no_mangle]
pub extern "C" fn evconnlistener_new(
    base: *mut event_base,
    cb: Option<ListenerCb>,
    arg: *mut c_void,
    flags: c_uint,
    backlog: c_int,
    fd: c_int,
) -> *mut evconnlistener {
    let r = (|| {
        if flags & LEV_OPT_CLOSE_ON_EXEC != 0 {
            os::set_cloexec(fd)?;
        }
        register(base as usize, cb, arg as usize, |b, label, accept| {
            b.labeled(label)
                .evconnlistener_new(fd, flags_of(flags), backlog, accept)
        })
    })();
    error::ptr("evconnlistener_new", r)
}

/// libevent's `evconnlistener_new_bind`: makes a socket, binds it to `sa`, listens (a negative
/// `backlog`: with libevent's default, 128).
#[no_mangle]
pub extern "C" fn evconnlistener_new_bind(
    base: *mut event_base,
    cb: Option<ListenerCb>,
    arg: *mut c_void,
    flags: c_uint,
    backlog: c_int,
    sa: SockaddrPtr<'_>,
    socklen: c_int,
) -> *mut evconnlistener {
    let r = sa
        .read(socklen)
        .ok_or(CError::Invalid("not an IPv4 or IPv6 address".into()))
        .and_then(|addr| {
            register(base as usize, cb, arg as usize, |b, label, accept| {
                b.labeled(label)
                    .evconnlistener_new_bind(addr, flags_of(flags), backlog, accept)
            })
        });
    error::ptr("evconnlistener_new_bind", r)
}

fn lookup(lev: *const evconnlistener) -> Result<(usize, ListenerId)> {
    handles::with(|h| h.lev(lev as usize).map(|l| (l.base, l.id)))
}

/// libevent's `evconnlistener_free`: closes the socket with `LEV_OPT_CLOSE_ON_FREE` (or when
/// `evconnlistener_new_bind` made it).
#[no_mangle]
pub extern "C" fn evconnlistener_free(lev: *mut evconnlistener) {
    let r = lookup(lev).and_then(|(base, id)| {
        handles::with(|h| Ok(h.levs.remove(&(lev as usize))))?;
        on_base(base, |b| b.evconnlistener_free(id))
    });
    error::unit("evconnlistener_free", r)
}

/// libevent's `evconnlistener_enable`.
#[no_mangle]
pub extern "C" fn evconnlistener_enable(lev: *mut evconnlistener) -> c_int {
    let r = lookup(lev).and_then(|(base, id)| on_base(base, |b| b.evconnlistener_enable(id)));
    error::int("evconnlistener_enable", r.map(|()| 0))
}

/// libevent's `evconnlistener_disable`: connections wait in the kernel's backlog.
#[no_mangle]
pub extern "C" fn evconnlistener_disable(lev: *mut evconnlistener) -> c_int {
    let r = lookup(lev).and_then(|(base, id)| on_base(base, |b| b.evconnlistener_disable(id)));
    error::int("evconnlistener_disable", r.map(|()| 0))
}

/// libevent's `evconnlistener_set_cb`: a new callback and argument (NULL: stop accepting).
#[no_mangle]
pub extern "C" fn evconnlistener_set_cb(
    lev: *mut evconnlistener,
    cb: Option<ListenerCb>,
    arg: *mut c_void,
) {
    let key = lev as usize;
    let r = lookup(lev).and_then(|(base, id)| {
        handles::with(|h| {
            let l = h.lev_mut(key)?;
            l.cb = cb;
            l.arg = arg as usize;
            Ok(())
        })?;
        let accept: Option<evscope_core::ev::ListenerCb> = match cb {
            Some(_) => Some(Box::new(accept_cb(base, key))),
            None => None,
        };
        on_base(base, |b| b.evconnlistener_set_cb(id, accept))
    });
    error::unit("evconnlistener_set_cb", r)
}

/// libevent's `evconnlistener_set_error_cb`: told about accept errors (errno says which), such
/// as running out of descriptors.
#[no_mangle]
pub extern "C" fn evconnlistener_set_error_cb(
    lev: *mut evconnlistener,
    errorcb: Option<ListenerErrCb>,
) {
    let key = lev as usize;
    let r = lookup(lev).and_then(|(base, id)| {
        handles::with(|h| {
            h.lev_mut(key)?.errcb = errorcb;
            Ok(())
        })?;
        on_base(base, |b| {
            b.evconnlistener_set_error_cb(id, errorcb.map(|_| error_cb(base, key)))
        })
    });
    error::unit("evconnlistener_set_error_cb", r)
}

/// libevent's `evconnlistener_get_fd`.
#[no_mangle]
pub extern "C" fn evconnlistener_get_fd(lev: *mut evconnlistener) -> c_int {
    let r = lookup(lev).and_then(|(base, id)| on_base(base, |b| b.evconnlistener_get_fd(id)));
    error::int("evconnlistener_get_fd", r)
}

/// libevent's `evconnlistener_get_base`.
#[no_mangle]
pub extern "C" fn evconnlistener_get_base(lev: *mut evconnlistener) -> *mut event_base {
    error::ptr("evconnlistener_get_base", lookup(lev).map(|(base, _)| base))
}
