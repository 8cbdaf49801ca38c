//! The pre-2.0 calls older course notes and older programs (tmux) use: `event_compat.h`
//! (`event_init`, `event_set`, `event_dispatch`, …), `bufferevent_compat.h`
//! (`bufferevent_new`) and `buffer_compat.h` (`evbuffer_readline`), on the process's "current
//! base" that `event_init` makes.

use std::os::raw::{c_char, c_int, c_short, c_void};

use crate::base::{self, current_base as current};
use crate::bufferevent as bev;
use crate::error::{self, CError};
use crate::event as ev;
use crate::sys::call::{BevDataCb, BevEventCb, EventCb};
use crate::sys::cptr::{In, Out, ProgramEvent};
use crate::types::{bufferevent, evbuffer, event, event_base};

/// libevent's `event_init`: `event_base_new`, remembered as the current base.
#[no_mangle]
pub extern "C" fn event_init() -> *mut event_base {
    let b = base::event_base_new();
    base::set_current_base(b as usize);
    b
}

/// libevent's `event_set`: `event_assign` on the current base. With no current base yet (no
/// `event_init`; memcached's pattern) the event has no base until `event_base_set`.
#[no_mangle]
pub extern "C" fn event_set(
    e: ProgramEvent,
    fd: c_int,
    what: c_short,
    cb: Option<EventCb>,
    arg: *mut c_void,
) {
    // A NULL base is the current one in event_assign.
    ev::event_assign(e, std::ptr::null_mut(), fd, what, cb, arg);
}

/// libevent's `event_base_set`: puts an event that is neither pending nor active on `base`.
#[no_mangle]
pub extern "C" fn event_base_set(base: *mut event_base, e: *mut event) -> c_int {
    error::int("event_base_set", ev::base_set(base as usize, e).map(|()| 0))
}

/// libevent's `event_dispatch`: `event_base_dispatch` on the current base.
#[no_mangle]
pub extern "C" fn event_dispatch() -> c_int {
    base::event_base_dispatch(current() as *mut event_base)
}

/// libevent's `event_loop`: `event_base_loop` on the current base.
#[no_mangle]
pub extern "C" fn event_loop(flags: c_int) -> c_int {
    base::event_base_loop(current() as *mut event_base, flags)
}

/// libevent's `event_loopexit`: `event_base_loopexit` on the current base.
#[no_mangle]
pub extern "C" fn event_loopexit(tv: In<'_, libc::timeval>) -> c_int {
    base::event_base_loopexit(current() as *mut event_base, tv)
}

/// libevent's `event_loopbreak`: `event_base_loopbreak` on the current base.
#[no_mangle]
pub extern "C" fn event_loopbreak() -> c_int {
    base::event_base_loopbreak(current() as *mut event_base)
}

/// libevent's `event_get_method`: the current base's backend.
#[no_mangle]
pub extern "C" fn event_get_method() -> *const c_char {
    base::event_base_get_method(current() as *const event_base)
}

/// libevent's `event_priority_init`: `event_base_priority_init` on the current base.
#[no_mangle]
pub extern "C" fn event_priority_init(n: c_int) -> c_int {
    base::event_base_priority_init(current() as *mut event_base, n)
}

/// libevent's `event_once`: `event_base_once` on the current base.
#[no_mangle]
pub extern "C" fn event_once(
    fd: c_int,
    what: c_short,
    cb: Option<EventCb>,
    arg: *mut c_void,
    tv: In<'_, libc::timeval>,
) -> c_int {
    ev::event_base_once(current() as *mut event_base, fd, what, cb, arg, tv)
}

/// libevent's `bufferevent_new`: a bufferevent on the socket (or other fd) `fd` with its
/// callbacks, on the current base — libevent's `bufferevent_socket_new(NULL, fd, 0)`, whose
/// events `event_assign` puts on the current base, then `bufferevent_setcb`. As libevent's,
/// its `ev_base` (and `bufferevent_get_base`) is NULL, and reading is not enabled yet.
#[no_mangle]
pub extern "C" fn bufferevent_new(
    fd: c_int,
    readcb: Option<BevDataCb>,
    writecb: Option<BevDataCb>,
    eventcb: Option<BevEventCb>,
    cbarg: *mut c_void,
) -> *mut bufferevent {
    let r = match current() {
        0 => Err(CError::Invalid(
            "there is no current base: call event_init first".into(),
        )),
        base => bev::socket_new(base, fd, 0),
    };
    let key = match r.and_then(|key| bev::show_no_base(key).map(|()| key)) {
        Ok(key) => key,
        Err(e) => {
            error::report("bufferevent_new", &e);
            return std::ptr::null_mut();
        }
    };
    let p = key as *mut bufferevent;
    bev::bufferevent_setcb(p, readcb, writecb, eventcb, cbarg);
    p
}

/// libevent's `evbuffer_readline`: `evbuffer_readln(buf, NULL, EVBUFFER_EOL_ANY)`, a line
/// ended by any run of CR and LF, `malloc`ed for the caller to `free`; NULL when no complete
/// line is held.
#[no_mangle]
pub extern "C" fn evbuffer_readline(buf: *mut evbuffer) -> *mut c_char {
    const EVBUFFER_EOL_ANY: c_int = 0;
    crate::buffer::evbuffer_readln(buf, Out::null(), EVBUFFER_EOL_ANY)
}
