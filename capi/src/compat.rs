//! `event_compat.h`: the pre-2.0 calls older course notes use (`event_init`, `event_set`,
//! `event_dispatch`, …), on the process's "current base" that `event_init` makes.

use std::os::raw::{c_char, c_int, c_short, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{self, CError};
use crate::sys::call::EventCb;
use crate::types::{event, event_base};
use crate::{base, event as ev};

/// The base `event_init` made (libevent's `current_base`).
static CURRENT: AtomicUsize = AtomicUsize::new(0);

fn current() -> *mut event_base {
    CURRENT.load(Ordering::Acquire) as *mut event_base
}

/// libevent's `event_init`: `event_base_new`, remembered as the current base.
#[no_mangle]
pub extern "C" fn event_init() -> *mut event_base {
    let b = base::event_base_new();
    CURRENT.store(b as usize, Ordering::Release);
    b
}

/// libevent's `event_set`: `event_assign` on the current base.
#[no_mangle]
pub extern "C" fn event_set(
    e: *mut event,
    fd: c_int,
    what: c_short,
    cb: Option<EventCb>,
    arg: *mut c_void,
) {
    if current().is_null() {
        error::report(
            "event_set",
            &CError::Invalid("no current base: call event_init first".into()),
        );
        return;
    }
    ev::event_assign(e, current(), fd, what, cb, arg);
}

/// libevent's `event_base_set`: moves a non-pending event to `base`.
#[no_mangle]
pub extern "C" fn event_base_set(base: *mut event_base, e: *mut event) -> c_int {
    if ev::event_initialized(e) == 0 {
        error::report("event_base_set", &CError::Stale("event"));
        return -1;
    }
    let fd = ev::event_get_fd(e);
    let what = ev::event_get_events(e);
    let cb = ev::event_get_callback(e);
    let arg = ev::event_get_callback_arg(e);
    ev::event_assign(e, base, fd, what, cb, arg)
}

/// libevent's `event_dispatch`: `event_base_dispatch` on the current base.
#[no_mangle]
pub extern "C" fn event_dispatch() -> c_int {
    base::event_base_dispatch(current())
}

/// libevent's `event_loop`: `event_base_loop` on the current base.
#[no_mangle]
pub extern "C" fn event_loop(flags: c_int) -> c_int {
    base::event_base_loop(current(), flags)
}

/// libevent's `event_loopexit`: `event_base_loopexit` on the current base.
#[no_mangle]
pub extern "C" fn event_loopexit(tv: *const libc::timeval) -> c_int {
    base::event_base_loopexit(current(), tv)
}

/// libevent's `event_loopbreak`: `event_base_loopbreak` on the current base.
#[no_mangle]
pub extern "C" fn event_loopbreak() -> c_int {
    base::event_base_loopbreak(current())
}

/// libevent's `event_get_method`: the current base's backend.
#[no_mangle]
pub extern "C" fn event_get_method() -> *const c_char {
    base::event_base_get_method(current())
}

/// libevent's `event_priority_init`: `event_base_priority_init` on the current base.
#[no_mangle]
pub extern "C" fn event_priority_init(n: c_int) -> c_int {
    base::event_base_priority_init(current(), n)
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
    ev::event_base_once(current(), fd, what, cb, arg, tv)
}
