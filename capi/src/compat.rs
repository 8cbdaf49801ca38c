//! `event_compat.h`: the pre-2.0 calls older course notes use (`event_init`, `event_set`,
//! `event_dispatch`, …), on the process's "current base" that `event_init` makes.

use std::os::raw::{c_char, c_int, c_short, c_void};

use crate::base::{self, current_base as current};
use crate::error;
use crate::event as ev;
use crate::sys::call::EventCb;
use crate::types::{event, event_base};

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
    e: *mut event,
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
pub extern "C" fn event_loopexit(tv: *const libc::timeval) -> c_int {
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
    tv: *const libc::timeval,
) -> c_int {
    ev::event_base_once(current() as *mut event_base, fd, what, cb, arg, tv)
}
