//! `bufferevent.h` for sockets (and `bufferevent_pair_new`): a socket with two evbuffers and
//! three callbacks. Each `struct bufferevent *` keeps its two `struct evbuffer *` for its life.
//!
//! The engine's bufferevent is made at the first call that needs it — in practice the
//! `bufferevent_setcb` that follows `bufferevent_socket_new` — so the trace names it after its
//! callbacks (`read_cb/event_cb`) from its first record on.

use std::os::raw::{c_int, c_short, c_void};

use evscope::ev::{BevEvents, BevId, BevOptions, EventBase, FlushMode, What};

use crate::base::on_base;
use crate::buffer::{put_all, take_all};
use crate::error::{self, CError, Result};
use crate::handles::{self, BevCbs, BevState};
use crate::label;
use crate::sys::call::{self, BevDataCb, BevEventCb};
use crate::sys::{current, mem, os};
use crate::types::{bufferevent, evbuffer, event_base};

const BEV_OPT_CLOSE_ON_FREE: c_int = 0x01;

/// The engine's id for the bufferevent `key` (and its base), making it if it is still unborn,
/// labeled `label` (None: the handle's name).
pub(crate) fn live(key: usize, label: Option<&str>) -> Result<(usize, BevId)> {
    let (base, state) = handles::with(|h| {
        let b = h.bev(key)?;
        Ok((b.base, b.state))
    })?;
    match state {
        BevState::Live(id) => Ok((base, id)),
        BevState::Unborn { fd, options } => {
            let label = label.unwrap_or("");
            let id = on_base(base, |b| {
                b.bufferevent_socket_new_labeled(fd, options, label)
            })?;
            handles::with(|h| {
                h.bev_mut(key)?.state = BevState::Live(id);
                Ok(())
            })?;
            Ok((base, id))
        }
    }
}

fn what_of(what: c_short) -> What {
    What::from_bits_truncate(what as u16) & (What::READ | What::WRITE)
}

/// libevent's `bufferevent_socket_new`: a bufferevent on socket `fd` (-1: none yet, for
/// `bufferevent_socket_connect`). The fd is made non-blocking. `BEV_OPT_CLOSE_ON_FREE` closes
/// it with the bufferevent; the other options are accepted and ignored.
#[no_mangle]
pub extern "C" fn bufferevent_socket_new(
    base: *mut event_base,
    fd: c_int,
    options: c_int,
) -> *mut bufferevent {
    let base = base as usize;
    let r = (|| {
        handles::with(|h| h.base(base).map(drop))?;
        let fd = (fd >= 0).then_some(fd);
        if let Some(fd) = fd {
            evscope::ev::set_nonblocking(fd, true)?;
        }
        let options = if options & BEV_OPT_CLOSE_ON_FREE != 0 {
            BevOptions::CLOSE_ON_FREE
        } else {
            BevOptions::NONE
        };
        handles::with(|h| Ok(h.insert_bev(base, BevState::Unborn { fd, options })))
    })();
    error::ptr("bufferevent_socket_new", r)
}

fn data_cb(base: usize, key: usize, f: BevDataCb, arg: usize) -> evscope::ev::BevDataCb {
    Box::new(move |b: &mut EventBase, _id| {
        current::lend(base, b, || call::bev_data_cb(f, key, arg))
    })
}

fn event_cb(base: usize, key: usize, f: BevEventCb, arg: usize) -> evscope::ev::BevEventCb {
    Box::new(move |b: &mut EventBase, id, events: BevEvents| {
        // The callback reads the error from errno (EVUTIL_SOCKET_ERROR()).
        let errno = events
            .contains(BevEvents::ERROR)
            .then(|| b.bufferevent_get_error(id).ok().flatten())
            .flatten()
            .and_then(|e| e.raw_os_error());
        current::lend(base, b, || {
            if let Some(e) = errno {
                mem::set_errno(e);
            }
            call::bev_event_cb(f, key, events.bits() as c_short, arg)
        })
    })
}

/// libevent's `bufferevent_setcb`: the read, write and event callbacks (NULL: none) and their
/// argument.
#[no_mangle]
pub extern "C" fn bufferevent_setcb(
    bev: *mut bufferevent,
    readcb: Option<BevDataCb>,
    writecb: Option<BevDataCb>,
    eventcb: Option<BevEventCb>,
    cbarg: *mut c_void,
) {
    let key = bev as usize;
    let arg = cbarg as usize;
    let r = (|| {
        let label = label::joined(&[
            readcb.map(|f| f as usize),
            writecb.map(|f| f as usize),
            eventcb.map(|f| f as usize),
        ]);
        let (base, id) = live(key, Some(&label))?;
        handles::with(|h| {
            h.bev_mut(key)?.cbs = BevCbs {
                read: readcb,
                write: writecb,
                event: eventcb,
                arg,
            };
            Ok(())
        })?;
        on_base(base, |b| {
            b.bufferevent_setcb(
                id,
                readcb.map(|f| data_cb(base, key, f, arg)),
                writecb.map(|f| data_cb(base, key, f, arg)),
                eventcb.map(|f| event_cb(base, key, f, arg)),
            )
        })
    })();
    error::unit("bufferevent_setcb", r)
}

/// libevent's `bufferevent_getcb`: the callbacks and argument (any out-pointer may be NULL).
#[no_mangle]
pub extern "C" fn bufferevent_getcb(
    bev: *mut bufferevent,
    readcb: *mut Option<BevDataCb>,
    writecb: *mut Option<BevDataCb>,
    eventcb: *mut Option<BevEventCb>,
    cbarg: *mut *mut c_void,
) {
    match handles::with(|h| h.bev(bev as usize).map(|b| b.cbs)) {
        Ok(cbs) => {
            mem::write_out(readcb, cbs.read);
            mem::write_out(writecb, cbs.write);
            mem::write_out(eventcb, cbs.event);
            mem::write_out(cbarg, cbs.arg as *mut c_void);
        }
        Err(e) => error::report("bufferevent_getcb", &e),
    }
}

/// Runs an engine call on the live bufferevent `bev`.
fn on_bev<R>(
    bev: *const bufferevent,
    f: impl FnOnce(&mut EventBase, BevId) -> evscope::ev::Result<R>,
) -> Result<R> {
    let (base, id) = live(bev as usize, None)?;
    on_base(base, |b| f(b, id))
}

/// libevent's `bufferevent_enable`: `EV_READ` and/or `EV_WRITE` (reading starts disabled).
#[no_mangle]
pub extern "C" fn bufferevent_enable(bev: *mut bufferevent, what: c_short) -> c_int {
    let r = on_bev(bev, |b, id| b.bufferevent_enable(id, what_of(what)));
    error::int("bufferevent_enable", r.map(|()| 0))
}

/// libevent's `bufferevent_disable`.
#[no_mangle]
pub extern "C" fn bufferevent_disable(bev: *mut bufferevent, what: c_short) -> c_int {
    let r = on_bev(bev, |b, id| b.bufferevent_disable(id, what_of(what)));
    error::int("bufferevent_disable", r.map(|()| 0))
}

/// libevent's `bufferevent_get_enabled`.
#[no_mangle]
pub extern "C" fn bufferevent_get_enabled(bev: *mut bufferevent) -> c_short {
    match on_bev(bev, |b, id| b.bufferevent_get_enabled(id)) {
        Ok(w) => w.bits() as c_short,
        Err(e) => {
            error::report("bufferevent_get_enabled", &e);
            0
        }
    }
}

/// libevent's `bufferevent_write`: append `size` bytes to the output; they are sent as the
/// socket takes them.
#[no_mangle]
pub extern "C" fn bufferevent_write(
    bev: *mut bufferevent,
    data: *const c_void,
    size: usize,
) -> c_int {
    let r = mem::bytes(data, size)
        .ok_or(CError::Invalid("the data pointer is NULL".into()))
        .and_then(|d| on_bev(bev, |b, id| b.bufferevent_write(id, d)));
    error::int("bufferevent_write", r.map(|()| 0))
}

/// libevent's `bufferevent_write_buffer`: move all of `buf` to the output.
#[no_mangle]
pub extern "C" fn bufferevent_write_buffer(bev: *mut bufferevent, buf: *mut evbuffer) -> c_int {
    let r = (|| {
        let (base, id) = live(bev as usize, None)?;
        let mut moved = take_all(buf)?;
        let sent = on_base(base, |b| b.bufferevent_write_buffer(id, &mut moved));
        if !moved.is_empty() {
            put_all(buf, &mut moved)?;
        }
        sent
    })();
    error::int("bufferevent_write_buffer", r.map(|()| 0))
}

/// libevent's `bufferevent_read`: take up to `size` bytes of input; returns how many.
#[no_mangle]
pub extern "C" fn bufferevent_read(bev: *mut bufferevent, data: *mut c_void, size: usize) -> usize {
    let r = mem::bytes_mut(data, size)
        .ok_or(CError::Invalid("the data pointer is NULL".into()))
        .and_then(|out| on_bev(bev, |b, id| b.bufferevent_read(id, out)));
    r.unwrap_or_else(|e| {
        error::report("bufferevent_read", &e);
        0
    })
}

/// libevent's `bufferevent_read_buffer`: move all input to the end of `buf`.
#[no_mangle]
pub extern "C" fn bufferevent_read_buffer(bev: *mut bufferevent, buf: *mut evbuffer) -> c_int {
    let r = (|| {
        crate::buffer::with_buffer(buf, |_| ())?;
        let mut moved = evscope::ev::Evbuffer::new();
        on_bev(bev, |b, id| b.bufferevent_read_buffer(id, &mut moved))?;
        put_all(buf, &mut moved)
    })();
    error::int("bufferevent_read_buffer", r.map(|()| 0))
}

fn buffer_of(call: &str, bev: *mut bufferevent, output: bool) -> *mut evbuffer {
    let r = handles::with(|h| {
        let b = h.bev(bev as usize)?;
        Ok(if output { b.output } else { b.input })
    });
    error::ptr(call, r)
}

/// libevent's `bufferevent_get_input`: the input buffer, the same pointer for the
/// bufferevent's life.
#[no_mangle]
pub extern "C" fn bufferevent_get_input(bev: *mut bufferevent) -> *mut evbuffer {
    buffer_of("bufferevent_get_input", bev, false)
}

/// libevent's `bufferevent_get_output`: the output buffer, the same pointer for the
/// bufferevent's life.
#[no_mangle]
pub extern "C" fn bufferevent_get_output(bev: *mut bufferevent) -> *mut evbuffer {
    buffer_of("bufferevent_get_output", bev, true)
}

/// libevent's `bufferevent_setwatermark`: low and high watermarks (high 0: none) for
/// `EV_READ` and/or `EV_WRITE`.
#[no_mangle]
pub extern "C" fn bufferevent_setwatermark(
    bev: *mut bufferevent,
    events: c_short,
    low: usize,
    high: usize,
) {
    let r = on_bev(bev, |b, id| {
        b.bufferevent_setwatermark(id, what_of(events), low, high)
    });
    error::unit("bufferevent_setwatermark", r)
}

/// libevent's `bufferevent_getwatermark`: for one of `EV_READ` / `EV_WRITE`.
#[no_mangle]
pub extern "C" fn bufferevent_getwatermark(
    bev: *mut bufferevent,
    events: c_short,
    low: *mut usize,
    high: *mut usize,
) -> c_int {
    let r = on_bev(bev, |b, id| b.bufferevent_getwatermark(id, what_of(events)));
    error::int(
        "bufferevent_getwatermark",
        r.map(|(l, h)| {
            mem::write_out(low, l);
            mem::write_out(high, h);
            0
        }),
    )
}

/// libevent's `bufferevent_set_timeouts`: read and write timeouts (NULL: none).
#[no_mangle]
pub extern "C" fn bufferevent_set_timeouts(
    bev: *mut bufferevent,
    tv_read: *const libc::timeval,
    tv_write: *const libc::timeval,
) -> c_int {
    let (read, write) = (mem::read_timeval(tv_read), mem::read_timeval(tv_write));
    let r = on_bev(bev, |b, id| b.bufferevent_set_timeouts(id, read, write));
    error::int("bufferevent_set_timeouts", r.map(|()| 0))
}

/// libevent's `bufferevent_socket_connect`: a non-blocking connect (making a socket if the
/// bufferevent has none); the event callback hears `BEV_EVENT_CONNECTED` or
/// `BEV_EVENT_ERROR`.
#[no_mangle]
pub extern "C" fn bufferevent_socket_connect(
    bev: *mut bufferevent,
    sa: *const libc::sockaddr,
    socklen: c_int,
) -> c_int {
    let r = mem::read_sockaddr(sa, socklen)
        .ok_or(CError::Invalid("not an IPv4 or IPv6 address".into()))
        .and_then(|addr| on_bev(bev, |b, id| b.bufferevent_socket_connect(id, addr)));
    error::int("bufferevent_socket_connect", r.map(|()| 0))
}

/// libevent's `bufferevent_flush` (for sockets: write what the socket takes now; with
/// `BEV_FINISHED`, shut the write side down once drained). Returns 0, as for libevent's
/// sockets.
#[no_mangle]
pub extern "C" fn bufferevent_flush(bev: *mut bufferevent, iotype: c_short, mode: c_int) -> c_int {
    let mode = match mode {
        0 => FlushMode::Normal,
        1 => FlushMode::Flush,
        _ => FlushMode::Finished,
    };
    let r = on_bev(bev, |b, id| b.bufferevent_flush(id, what_of(iotype), mode));
    error::int("bufferevent_flush", r.map(|_| 0))
}

/// libevent's `bufferevent_free`: frees it now (unsent output is dropped) and closes the
/// socket with `BEV_OPT_CLOSE_ON_FREE`. Allowed inside its own callbacks.
#[no_mangle]
pub extern "C" fn bufferevent_free(bev: *mut bufferevent) {
    let key = bev as usize;
    let r = (|| {
        let (base, state) = handles::with(|h| {
            let b = h.bev(key)?;
            Ok((b.base, b.state))
        })?;
        handles::with(|h| Ok(h.remove_bev(key)))?;
        match state {
            BevState::Live(id) => on_base(base, |b| b.bufferevent_free(id)),
            BevState::Unborn {
                fd: Some(fd),
                options,
            } if options.contains(BevOptions::CLOSE_ON_FREE) => Ok(os::close(fd)?),
            BevState::Unborn { .. } => Ok(()),
        }
    })();
    error::unit("bufferevent_free", r)
}

/// libevent's `bufferevent_get_base`.
#[no_mangle]
pub extern "C" fn bufferevent_get_base(bev: *mut bufferevent) -> *mut event_base {
    error::ptr(
        "bufferevent_get_base",
        handles::with(|h| h.bev(bev as usize).map(|b| b.base)),
    )
}

/// libevent's `bufferevent_getfd`: its socket, or -1.
#[no_mangle]
pub extern "C" fn bufferevent_getfd(bev: *mut bufferevent) -> c_int {
    let r = handles::with(|h| {
        let b = h.bev(bev as usize)?;
        Ok((b.base, b.state))
    })
    .and_then(|(base, state)| match state {
        BevState::Unborn { fd, .. } => Ok(fd),
        BevState::Live(id) => on_base(base, |b| b.bufferevent_getfd(id)),
    });
    error::int("bufferevent_getfd", r.map(|fd| fd.unwrap_or(-1)))
}

/// libevent's `bufferevent_pair_new`: two bufferevents joined to each other; what one writes
/// the other reads.
#[no_mangle]
pub extern "C" fn bufferevent_pair_new(
    base: *mut event_base,
    _options: c_int,
    pair: *mut *mut bufferevent,
) -> c_int {
    let base = base as usize;
    let r = (|| {
        if pair.is_null() {
            return Err(CError::Invalid("the pair array pointer is NULL".into()));
        }
        let (a, b) = on_base(base, |b| b.bufferevent_pair_new(BevOptions::NONE))?;
        let (ka, kb) = handles::with(|h| {
            Ok((
                h.insert_bev(base, BevState::Live(a)),
                h.insert_bev(base, BevState::Live(b)),
            ))
        })?;
        mem::write_out(pair, ka as *mut bufferevent);
        mem::write_out(pair.wrapping_add(1), kb as *mut bufferevent);
        Ok(0)
    })();
    error::int("bufferevent_pair_new", r)
}

/// libevent's `bufferevent_lock`: one thread per base here, nothing to lock.
#[no_mangle]
pub extern "C" fn bufferevent_lock(_bev: *mut bufferevent) {}

/// libevent's `bufferevent_unlock`.
#[no_mangle]
pub extern "C" fn bufferevent_unlock(_bev: *mut bufferevent) {}
