//! `bufferevent.h` for sockets (and `bufferevent_pair_new`): a socket with two evbuffers and
//! three callbacks. Each `struct bufferevent *` is a real `struct bufferevent` whose public
//! fields (`input`, `output`, `ev_read`, `ev_write`, `enabled`, `wm_read`, the callbacks, the
//! timeouts) are written as libevent keeps them: after each call on it returns and before each
//! of its callbacks runs. Its two buffers keep their `struct evbuffer *` for its life.
//!
//! The engine's bufferevent is made at the first call that needs it — in practice the
//! `bufferevent_setcb` that follows `bufferevent_socket_new` — so the trace names it after its
//! callbacks (`read_cb/event_cb`) from its first record on. Until then its events are assigned
//! but not added, as libevent's are.

use std::os::raw::{c_int, c_short, c_void};

use evscope_core::ev::{BevEvents, BevId, BevOptions, EventBase, FlushMode, What};

use crate::base::{on_base, with_base};
use crate::buffer::{put_all, take_all};
use crate::error::{self, CError, Result};
use crate::fields::{self, BevShown, EventSetup, EventShown, Tv};
use crate::handles::{self, BevCbs, BevState, Handles, Home, Moment};
use crate::label;
use crate::sys::call::{self, BevDataCb, BevEventCb, EventCb};
use crate::sys::cptr::{In, InSlice, Out, OutSlice, SockaddrPtr};
use crate::sys::{current, mem};
use crate::types::{bufferevent, evbuffer, event_base, event_watermark, evlist};

const BEV_OPT_CLOSE_ON_FREE: c_int = 0x01;

/// What a socket bufferevent's `ev_read.ev_callback` points to, as libevent's
/// `bufferevent_readcb` does; the engine runs the bufferevent, so it is never called.
extern "C" fn bufferevent_readcb(_fd: c_int, _what: c_short, _bev: *mut c_void) {}

/// `ev_write.ev_callback` (libevent's `bufferevent_writecb`).
extern "C" fn bufferevent_writecb(_fd: c_int, _what: c_short, _bev: *mut c_void) {}

/// A pair's timeout-only events' callback (libevent's generic timeout callbacks).
extern "C" fn bufferevent_generic_timeout_cb(_fd: c_int, _what: c_short, _bev: *mut c_void) {}

/// How a bufferevent's `ev_read` / `ev_write` are assigned: for a socket, `EV_READ|EV_PERSIST|
/// EV_FINALIZE` (or `EV_WRITE|…`) on its fd (bufferevent_sock.c); for a pair, timeout-only
/// events on -1 (`bufferevent_init_generic_timeout_cbs_`). The argument is the bufferevent.
pub(crate) fn event_setup(
    base: usize,
    npriorities: usize,
    fd: c_int,
    write: bool,
    pair: bool,
    bev: usize,
) -> EventSetup {
    let (fd, events, cb): (c_int, c_short, EventCb) = match (pair, write) {
        (true, _) => (-1, fields::BEV_PAIR_EVENTS, bufferevent_generic_timeout_cb),
        (false, false) => (fd, fields::BEV_READ_EVENTS, bufferevent_readcb),
        (false, true) => (fd, fields::BEV_WRITE_EVENTS, bufferevent_writecb),
    };
    EventSetup::assign(Some(base), Some(npriorities), fd, events, Some(cb), bev)
}

/// Brings the struct of the bufferevent `key` (and its two events) up to date with the engine
/// `b`. A bufferevent freed inside its own callback keeps what it showed.
pub(crate) fn sync(key: usize, b: &EventBase) {
    // Nothing follows from it: an out-of-reach table only leaves the struct as it was.
    let _ = handles::with(|h| {
        sync_in(h, key, b);
        Ok(())
    });
}

fn sync_in(h: &mut Handles, key: usize, b: &EventBase) {
    let Some(e) = h.bevs.get(&key) else {
        return;
    };
    if e.freed {
        return;
    }
    let (enabled, wm_read, wm_write, events, fd) = match e.state {
        BevState::Unborn { fd, .. } => (
            fields::EV_WRITE,
            Default::default(),
            Default::default(),
            (None, None),
            fd,
        ),
        BevState::Live(id) => {
            if !b.bufferevent_is_live(id) {
                return;
            }
            let wm = |w| {
                b.bufferevent_getwatermark(id, w)
                    .map(|(low, high)| event_watermark { low, high })
                    .unwrap_or_default()
            };
            (
                b.bufferevent_get_enabled(id)
                    .map_or(e.shown.enabled, fields::bits),
                wm(What::READ),
                wm(What::WRITE),
                b.bufferevent_events(id).unwrap_or((None, None)),
                b.bufferevent_getfd(id).ok().flatten(),
            )
        }
    };
    let shown = BevShown {
        enabled,
        wm_read,
        wm_write,
        readcb: e.cbs.read,
        writecb: e.cbs.write,
        errorcb: e.cbs.event,
        cbarg: e.cbs.arg,
        timeout_read: e.timeouts[0],
        timeout_write: e.timeouts[1],
        ..e.shown
    };
    let (base, pair, timeouts) = (e.base, e.pair, e.timeouts);
    e.mem.show(&shown);
    let keys = [e.event_key(false), e.event_key(true)];
    let npriorities = b.get_npriorities();
    if let Some(e) = h.bevs.get_mut(&key) {
        e.shown = shown;
    }
    for (i, (write, id)) in [(false, events.0), (true, events.1)]
        .into_iter()
        .enumerate()
    {
        let ev_key = keys[i];
        let fd = fd.unwrap_or(-1);
        let Ok(ev) = h.event(ev_key) else {
            continue;
        };
        if !pair && ev.fd != fd {
            // A socket given later (bufferevent_socket_connect) is assigned to both events,
            // as be_socket_setfd does.
            let setup = event_setup(base, npriorities, fd, write, false, key);
            h.insert_event(
                ev_key,
                Home::InBev { bev: key, write },
                &setup,
                id,
                setup.callback,
            );
        }
        if let Ok(ev) = h.event_mut(ev_key) {
            ev.id = id;
        }
        h.sync_event(ev_key, b, Moment::Look);
        // libevent adds a bufferevent's events with its timeouts, which a persistent event
        // keeps as its interval.
        let t = timeouts[i];
        if let Ok(ev) = h.event(ev_key) {
            if t.is_set() && ev.shown.flags & evlist::TIMEOUT != 0 && ev.shown.io_timeout != Some(t)
            {
                let shown = EventShown {
                    io_timeout: Some(t),
                    ..ev.shown
                };
                h.show_event(ev_key, shown);
            }
        }
    }
}

/// The engine's id for the bufferevent `key` (and its base), making it if it is still unborn,
/// labeled `label` (None: the handle's name). A bufferevent freed inside its own callback is
/// refused: only its getters still answer.
pub(crate) fn live(key: usize, label: Option<&str>) -> Result<(usize, BevId)> {
    let (base, state) = handles::with(|h| {
        let b = h.bev(key)?;
        if b.freed {
            return Err(CError::Stale("bufferevent"));
        }
        Ok((b.base, b.state))
    })?;
    match state {
        BevState::Live(id) => Ok((base, id)),
        BevState::Unborn { fd, options } => {
            let label = label.unwrap_or("");
            let id = on_base(base, |b| {
                b.labeled(label).bufferevent_socket_new(fd, options)
            })?;
            handles::with(|h| {
                h.bev_mut(key)?.state = BevState::Live(id);
                Ok(())
            })?;
            with_base(base, |b| sync(key, b))?;
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
    error::ptr(
        "bufferevent_socket_new",
        socket_new(base as usize, fd, options),
    )
}

/// `bufferevent_socket_new` on the base `base`; the new bufferevent's key.
pub(crate) fn socket_new(base: usize, fd: c_int, options: c_int) -> Result<usize> {
    handles::with(|h| h.base(base).map(drop))?;
    let fd = (fd >= 0).then_some(fd);
    if let Some(fd) = fd {
        evscope_core::ev::set_nonblocking(fd, true)?;
    }
    let options = if options & BEV_OPT_CLOSE_ON_FREE != 0 {
        BevOptions::CLOSE_ON_FREE
    } else {
        BevOptions::NONE
    };
    let npriorities = with_base(base, |b| b.get_npriorities())?;
    handles::with(|h| {
        Ok(h.insert_bev(
            base,
            BevState::Unborn { fd, options },
            false,
            |bev, write| event_setup(base, npriorities, fd.unwrap_or(-1), write, false, bev),
        ))
    })
}

/// Shows NULL as the bufferevent `key`'s `ev_base` (and `bufferevent_get_base`), as for one
/// `bufferevent_new` made: its events are on the current base all the same.
pub(crate) fn show_no_base(key: usize) -> Result<()> {
    handles::with(|h| {
        let b = h.bev_mut(key)?;
        b.shown.base = 0;
        b.mem.show(&b.shown);
        Ok(())
    })
}

/// Which of a socket bufferevent's events runs its callback for `events`, and with what
/// (`ev_res`): reading, end of file and read errors come from `ev_read` (`EV_READ`),
/// writing and connecting from `ev_write`, timeouts with `EV_TIMEOUT`.
fn fired_by(events: BevEvents) -> (bool, What) {
    let write = events.contains(BevEvents::WRITING) || events.contains(BevEvents::CONNECTED);
    let res = if events.contains(BevEvents::TIMEOUT) {
        What::TIMEOUT
    } else if write {
        What::WRITE
    } else {
        What::READ
    };
    (write, res)
}

/// Before a C callback of the bufferevent `key`, called from its `ev_read` or `ev_write`
/// (`fired`: which one, and what for): shows it as it is now, and holds it while the callback
/// runs (libevent's reference). False once it was freed: no more callbacks.
fn enter(key: usize, b: &EventBase, fired: (bool, What)) -> bool {
    handles::with(|h| {
        let e = h.bev_mut(key)?;
        if e.freed {
            return Ok(false);
        }
        e.running += 1;
        let (pair, ev_key) = (e.pair, e.event_key(fired.0));
        sync_in(h, key, b);
        if !pair {
            // The internal event ran with this `ev_res` before calling back (a pair's events
            // are timeouts only).
            let shown = EventShown {
                res: fields::bits(fired.1),
                ..h.event(ev_key)?.shown
            };
            h.show_event(ev_key, shown);
        }
        Ok(true)
    })
    .unwrap_or(false)
}

/// After a C callback of the bufferevent `key`: lets it go, and forgets it if it was freed
/// inside its callbacks and none is running any more.
fn leave(key: usize) {
    // Refused only for a call from inside the tables, which never calls back; nothing to undo.
    let _ = handles::with(|h| {
        let e = h.bev_mut(key)?;
        e.running = e.running.saturating_sub(1);
        if e.running == 0 && e.freed {
            h.remove_bev(key);
        }
        Ok(())
    });
}

fn data_cb(
    base: usize,
    key: usize,
    f: BevDataCb,
    arg: usize,
    write: bool,
) -> evscope_core::ev::BevDataCb {
    let fired = (write, if write { What::WRITE } else { What::READ });
    Box::new(move |b: &mut EventBase, _id| {
        if enter(key, b, fired) {
            current::lend(base, b, || call::bev_data_cb(f, key, arg));
            leave(key);
        }
    })
}

fn event_cb(base: usize, key: usize, f: BevEventCb, arg: usize) -> evscope_core::ev::BevEventCb {
    Box::new(move |b: &mut EventBase, id, events: BevEvents| {
        // The callback reads the error from errno (EVUTIL_SOCKET_ERROR()).
        let errno = events
            .contains(BevEvents::ERROR)
            .then(|| b.bufferevent_get_error(id).ok().flatten())
            .flatten()
            .and_then(|e| e.raw_os_error());
        if !enter(key, b, fired_by(events)) {
            return;
        }
        current::lend(base, b, || {
            if let Some(e) = errno {
                mem::set_errno(e);
            }
            call::bev_event_cb(f, key, events.bits() as c_short, arg)
        });
        leave(key);
    })
}

/// Runs an engine call on the live bufferevent `bev`, then shows its new state in its struct.
pub(crate) fn on_bev<R>(
    bev: *const bufferevent,
    f: impl FnOnce(&mut EventBase, BevId) -> evscope_core::ev::Result<R>,
) -> Result<R> {
    let key = bev as usize;
    let (base, id) = live(key, None)?;
    let r = with_base(base, |b| {
        let r = f(b, id);
        sync(key, b);
        r
    })?;
    Ok(r?)
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
            let r = b.bufferevent_setcb(
                id,
                readcb.map(|f| data_cb(base, key, f, arg, false)),
                writecb.map(|f| data_cb(base, key, f, arg, true)),
                eventcb.map(|f| event_cb(base, key, f, arg)),
            );
            sync(key, b);
            r
        })
    })();
    error::unit("bufferevent_setcb", r)
}

/// libevent's `bufferevent_getcb`: the callbacks and argument (any out-pointer may be NULL).
#[no_mangle]
pub extern "C" fn bufferevent_getcb(
    bev: *mut bufferevent,
    readcb: Out<'_, Option<BevDataCb>>,
    writecb: Out<'_, Option<BevDataCb>>,
    eventcb: Out<'_, Option<BevEventCb>>,
    cbarg: Out<'_, *mut c_void>,
) {
    match handles::with(|h| h.bev(bev as usize).map(|b| b.cbs)) {
        Ok(cbs) => {
            readcb.write(cbs.read);
            writecb.write(cbs.write);
            eventcb.write(cbs.event);
            cbarg.write(cbs.arg as *mut c_void);
        }
        Err(e) => error::report("bufferevent_getcb", &e),
    }
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

/// What a bufferevent freed inside its own callback still shows, for the getters libevent
/// answers from its struct until the callback returns.
fn freed_shown(bev: *const bufferevent) -> Option<BevShown> {
    handles::with(|h| {
        let b = h.bev(bev as usize)?;
        Ok(b.freed.then_some(b.shown))
    })
    .ok()
    .flatten()
}

/// libevent's `bufferevent_get_enabled`.
#[no_mangle]
pub extern "C" fn bufferevent_get_enabled(bev: *mut bufferevent) -> c_short {
    if let Some(shown) = freed_shown(bev) {
        return shown.enabled;
    }
    match on_bev(bev, |b, id| b.bufferevent_get_enabled(id)) {
        Ok(w) => fields::bits(w),
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
    data: InSlice<'_, u8>,
    size: usize,
) -> c_int {
    if output_frozen(bev) {
        return -1;
    }
    let r = data
        .get(size)
        .ok_or(CError::Invalid("the data pointer is NULL".into()))
        .and_then(|d| on_bev(bev, |b, id| b.bufferevent_write(id, d)));
    error::int("bufferevent_write", r.map(|()| 0))
}

/// True when the program froze the end of the bufferevent's output (`evbuffer_freeze`): what
/// would add to it is refused, as libevent's `evbuffer_add` refuses it.
fn output_frozen(bev: *mut bufferevent) -> bool {
    let output = handles::with(|h| Ok(h.bev(bev as usize)?.output));
    output.is_ok_and(|o| crate::buffer::frozen(o as *const evbuffer).is_ok_and(|f| f.1))
}

/// libevent's `bufferevent_write_buffer`: move all of `buf` to the output.
#[no_mangle]
pub extern "C" fn bufferevent_write_buffer(bev: *mut bufferevent, buf: *mut evbuffer) -> c_int {
    if output_frozen(bev) {
        return -1;
    }
    let r = (|| {
        let (base, id) = live(bev as usize, None)?;
        let mut moved = take_all(buf)?;
        let sent = on_base(base, |b| {
            let r = b.bufferevent_write_buffer(id, &mut moved);
            sync(bev as usize, b);
            r
        });
        if !moved.is_empty() {
            put_all(buf, &mut moved)?;
        }
        sent
    })();
    error::int("bufferevent_write_buffer", r.map(|()| 0))
}

/// libevent's `bufferevent_read`: take up to `size` bytes of input; returns how many.
#[no_mangle]
pub extern "C" fn bufferevent_read(
    bev: *mut bufferevent,
    data: OutSlice<'_, u8>,
    size: usize,
) -> usize {
    let r = data
        .get_mut(size)
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
        let mut moved = evscope_core::ev::Evbuffer::new();
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
/// bufferevent's life (`bev->input`).
#[no_mangle]
pub extern "C" fn bufferevent_get_input(bev: *mut bufferevent) -> *mut evbuffer {
    buffer_of("bufferevent_get_input", bev, false)
}

/// libevent's `bufferevent_get_output`: the output buffer, the same pointer for the
/// bufferevent's life (`bev->output`).
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
    low: Out<'_, usize>,
    high: Out<'_, usize>,
) -> c_int {
    let r = match freed_shown(bev) {
        Some(shown) => match what_of(events) {
            w if w == What::READ => Ok((shown.wm_read.low, shown.wm_read.high)),
            w if w == What::WRITE => Ok((shown.wm_write.low, shown.wm_write.high)),
            _ => Err(CError::Invalid(
                "ask for READ or WRITE watermarks, one at a time".into(),
            )),
        },
        None => on_bev(bev, |b, id| b.bufferevent_getwatermark(id, what_of(events))),
    };
    error::int(
        "bufferevent_getwatermark",
        r.map(|(l, h)| {
            low.write(l);
            high.write(h);
            0
        }),
    )
}

/// libevent's `bufferevent_set_timeouts`: read and write timeouts (NULL: none).
#[no_mangle]
pub extern "C" fn bufferevent_set_timeouts(
    bev: *mut bufferevent,
    tv_read: In<'_, libc::timeval>,
    tv_write: In<'_, libc::timeval>,
) -> c_int {
    let (read, write) = (tv_read.duration(), tv_write.duration());
    let given = |tv: In<'_, libc::timeval>| tv.read().map_or(Tv::ZERO, |c| Tv::from_c(&c));
    let timeouts = [given(tv_read), given(tv_write)];
    let key = bev as usize;
    let r = live(key, None).and_then(|_| {
        handles::with(|h| {
            h.bev_mut(key)?.timeouts = timeouts;
            Ok(())
        })?;
        on_bev(bev, |b, id| b.bufferevent_set_timeouts(id, read, write))
    });
    error::int("bufferevent_set_timeouts", r.map(|()| 0))
}

/// libevent's `bufferevent_socket_connect`: a non-blocking connect (making a socket if the
/// bufferevent has none); the event callback hears `BEV_EVENT_CONNECTED` or
/// `BEV_EVENT_ERROR`.
#[no_mangle]
pub extern "C" fn bufferevent_socket_connect(
    bev: *mut bufferevent,
    sa: SockaddrPtr<'_>,
    socklen: c_int,
) -> c_int {
    let r = sa
        .read(socklen)
        .ok_or(CError::Invalid("not an IPv4 or IPv6 address".into()))
        .and_then(|addr| on_bev(bev, |b, id| b.bufferevent_socket_connect(id, addr)))
        .and_then(|()| {
            // libevent's connect ends in bufferevent_setfd, which thaws the buffers.
            let (input, output) = handles::with(|h| {
                let b = h.bev(bev as usize)?;
                Ok((b.input, b.output))
            })?;
            crate::buffer::thaw(input, output)
        });
    error::int("bufferevent_socket_connect", r.map(|()| 0))
}

/// libevent's `bufferevent_flush` (for sockets: write what the socket takes now; with
/// `BEV_FINISHED`, shut the write side down once drained). Returns 0, as for libevent's
/// sockets and pairs; a filter returns 1 if its filters produced something.
#[no_mangle]
pub extern "C" fn bufferevent_flush(bev: *mut bufferevent, iotype: c_short, mode: c_int) -> c_int {
    let mode = match mode {
        0 => FlushMode::Normal,
        1 => FlushMode::Flush,
        _ => FlushMode::Finished,
    };
    let r = on_bev(bev, |b, id| {
        let n = b.bufferevent_flush(id, what_of(iotype), mode)?;
        // A filter answers whether its filters produced anything (1 or 0); the others 0.
        Ok(if b.bufferevent_get_underlying(id)?.is_some() {
            c_int::from(n > 0)
        } else {
            0
        })
    });
    error::int("bufferevent_flush", r)
}

/// libevent's `bufferevent_free`: frees it (unsent output is dropped) and closes the socket
/// with `BEV_OPT_CLOSE_ON_FREE`. Inside one of its own callbacks the handle stays valid, with
/// its callbacks cleared, until that callback returns, as libevent's reference keeps it.
#[no_mangle]
pub extern "C" fn bufferevent_free(bev: *mut bufferevent) {
    let key = bev as usize;
    let r = (|| {
        let unborn_owner = handles::with(|h| {
            let b = h.bev(key)?;
            Ok(matches!(b.state, BevState::Unborn { fd: Some(_), options }
                if options.contains(BevOptions::CLOSE_ON_FREE) && !b.freed))
        })?;
        if unborn_owner {
            // The engine closes the socket when it finalizes the bufferevent, as libevent
            // does from its loop, not at once.
            live(key, None)?;
        }
        if crate::bufferevent_extra::release_extra(key)? {
            // A reference the program took with bufferevent_incref keeps it going.
            return Ok(());
        }
        let (base, state) = handles::with(|h| {
            let b = h.bev_mut(key)?;
            if b.freed {
                return Err(CError::Stale("bufferevent"));
            }
            let found = (b.base, b.state);
            if b.running > 0 {
                // libevent's bufferevent_free starts with bufferevent_setcb(NULL…).
                b.freed = true;
                b.clear_callbacks();
            } else {
                h.remove_bev(key);
            }
            Ok(found)
        })?;
        match state {
            BevState::Live(id) => on_base(base, |b| b.bufferevent_free(id)),
            BevState::Unborn { .. } => Ok(()),
        }
    })();
    error::unit("bufferevent_free", r)
}

/// libevent's `bufferevent_get_base`: its `ev_base` (still answered inside the callback that
/// freed it; NULL for one `bufferevent_new` made).
#[no_mangle]
pub extern "C" fn bufferevent_get_base(bev: *mut bufferevent) -> *mut event_base {
    match handles::with(|h| h.bev(bev as usize).map(|b| b.shown.base)) {
        Ok(base) => base as *mut event_base,
        Err(e) => {
            error::report("bufferevent_get_base", &e);
            std::ptr::null_mut()
        }
    }
}

/// libevent's `bufferevent_getfd`: its socket, or -1.
#[no_mangle]
pub extern "C" fn bufferevent_getfd(bev: *mut bufferevent) -> c_int {
    let r = handles::with(|h| {
        let b = h.bev(bev as usize)?;
        // What its ev_read was assigned, as libevent answers (also once freed in a callback).
        let assigned = h.event(b.event_key(false)).map_or(-1, |e| e.fd);
        Ok((b.base, b.state, b.freed, b.pair, assigned))
    })
    .and_then(|(base, state, freed, pair, assigned)| match state {
        _ if freed => Ok(Some(assigned).filter(|fd| *fd >= 0)),
        // A pair has none; a filter answers its underlying bufferevent's.
        BevState::Live(id) if pair => on_base(base, |b| b.bufferevent_getfd(id)),
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
    pair: Out<'_, [*mut bufferevent; 2]>,
) -> c_int {
    let base = base as usize;
    let r = (|| {
        if pair.is_null() {
            return Err(CError::Invalid("the pair array pointer is NULL".into()));
        }
        let (a, b, npriorities) = on_base(base, |b| {
            let (x, y) = b.bufferevent_pair_new(BevOptions::NONE)?;
            Ok((x, y, b.get_npriorities()))
        })?;
        let (ka, kb) = handles::with(|h| {
            let mut insert = |id| {
                h.insert_bev(base, BevState::Live(id), true, |bev, write| {
                    event_setup(base, npriorities, -1, write, true, bev)
                })
            };
            Ok((insert(a), insert(b)))
        })?;
        with_base(base, |b| {
            sync(ka, b);
            sync(kb, b);
        })?;
        pair.write([ka as *mut bufferevent, kb as *mut bufferevent]);
        Ok(0)
    })();
    error::int("bufferevent_pair_new", r)
}

/// libevent's `bufferevent_pair_get_partner`: the other end of a pair, or NULL once it was
/// freed, and for a socket bufferevent.
#[no_mangle]
pub extern "C" fn bufferevent_pair_get_partner(bev: *mut bufferevent) -> *mut bufferevent {
    let key = bev as usize;
    let r = (|| {
        let (base, state, pair) = handles::with(|h| {
            let b = h.bev(key)?;
            Ok((b.base, b.state, b.pair))
        })?;
        let BevState::Live(id) = state else {
            return Ok(0);
        };
        if !pair {
            return Ok(0);
        }
        let Some(partner) = on_base(base, |b| b.bufferevent_pair_get_partner(id))? else {
            return Ok(0);
        };
        handles::with(|h| {
            Ok(h.bevs
                .iter()
                .find(|(_, e)| !e.freed && matches!(e.state, BevState::Live(p) if p == partner))
                .map_or(0, |(k, _)| *k))
        })
    })();
    error::ptr("bufferevent_pair_get_partner", r)
}

/// libevent's `bufferevent_lock`: one thread per base here, nothing to lock.
#[no_mangle]
pub extern "C" fn bufferevent_lock(_bev: *mut bufferevent) {}

/// libevent's `bufferevent_unlock`.
#[no_mangle]
pub extern "C" fn bufferevent_unlock(_bev: *mut bufferevent) {}
