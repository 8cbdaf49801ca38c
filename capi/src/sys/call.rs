//! Calling the C program's function pointers, with the argument lists libevent's headers give
//! them. The types are the headers' typedefs; C handed us these pointers through functions
//! declared with those typedefs, so calling them with these arguments is what libevent does.

use std::os::raw::{c_int, c_short, c_void};

use crate::types::{bufferevent, evconnlistener};

/// `event_callback_fn`: `void (*)(evutil_socket_t, short, void *)`.
pub(crate) type EventCb = unsafe extern "C" fn(c_int, c_short, *mut c_void);
/// `bufferevent_data_cb`: `void (*)(struct bufferevent *, void *)`.
pub(crate) type BevDataCb = unsafe extern "C" fn(*mut bufferevent, *mut c_void);
/// `bufferevent_event_cb`: `void (*)(struct bufferevent *, short, void *)`.
pub(crate) type BevEventCb = unsafe extern "C" fn(*mut bufferevent, c_short, *mut c_void);
/// `evconnlistener_cb`:
/// `void (*)(struct evconnlistener *, evutil_socket_t, struct sockaddr *, int, void *)`.
pub(crate) type ListenerCb =
    unsafe extern "C" fn(*mut evconnlistener, c_int, *mut libc::sockaddr, c_int, *mut c_void);
/// `evconnlistener_errorcb`: `void (*)(struct evconnlistener *, void *)`.
pub(crate) type ListenerErrCb = unsafe extern "C" fn(*mut evconnlistener, *mut c_void);

/// Calls an event's callback.
pub(crate) fn event_cb(f: EventCb, fd: c_int, what: c_short, arg: usize) {
    crate::log::debug(|| {
        format!(
            "event_process_active: fd {fd}, what {what:#x}, call {:p}",
            f as *const ()
        )
    });
    // SAFETY: `f` is the program's `event_callback_fn`, called with its declared arguments;
    // `arg` is the program's own pointer, handed back untouched.
    unsafe { f(fd, what, arg as *mut c_void) }
}

/// Calls a bufferevent's read or write callback.
pub(crate) fn bev_data_cb(f: BevDataCb, bev: usize, arg: usize) {
    crate::log::debug(|| format!("bufferevent {bev:#x}: data callback {:p}", f as *const ()));
    // SAFETY: the program's `bufferevent_data_cb`, with the handle it got from
    // `bufferevent_socket_new` and its own argument.
    unsafe { f(bev as *mut bufferevent, arg as *mut c_void) }
}

/// Calls a bufferevent's event callback.
pub(crate) fn bev_event_cb(f: BevEventCb, bev: usize, what: c_short, arg: usize) {
    crate::log::debug(|| {
        format!(
            "bufferevent {bev:#x}: event callback {:p}, what {what:#x}",
            f as *const ()
        )
    });
    // SAFETY: the program's `bufferevent_event_cb`, with its declared arguments.
    unsafe { f(bev as *mut bufferevent, what, arg as *mut c_void) }
}

/// Calls a listener's accept callback; `addr` (with its length) lives for the call.
pub(crate) fn listener_cb(
    f: ListenerCb,
    lev: usize,
    fd: c_int,
    addr: Option<(&libc::sockaddr_storage, c_int)>,
    arg: usize,
) {
    crate::log::debug(|| format!("evconnlistener {lev:#x}: accepted fd {fd}"));
    let (sa, len) = match addr {
        Some((storage, len)) => (
            (storage as *const libc::sockaddr_storage).cast_mut().cast(),
            len,
        ),
        None => (std::ptr::null_mut(), 0),
    };
    // SAFETY: the program's `evconnlistener_cb`; `sa` points to `len` valid bytes of a
    // sockaddr (or is NULL with 0) for the duration of the call, as libevent promises.
    unsafe { f(lev as *mut evconnlistener, fd, sa, len, arg as *mut c_void) }
}

/// Calls a listener's error callback.
pub(crate) fn listener_err_cb(f: ListenerErrCb, lev: usize, arg: usize) {
    // SAFETY: the program's `evconnlistener_errorcb`, with its declared arguments.
    unsafe { f(lev as *mut evconnlistener, arg as *mut c_void) }
}

/// `event_log_cb`: `void (*)(int severity, const char *msg)`.
pub(crate) type LogCb = unsafe extern "C" fn(c_int, *const std::os::raw::c_char);
/// `event_fatal_cb`: `void (*)(int err)`.
pub(crate) type FatalCb = unsafe extern "C" fn(c_int);

/// Calls the program's log callback with a message that lives for the call.
pub(crate) fn log_cb(f: LogCb, severity: c_int, msg: &std::ffi::CStr) {
    // SAFETY: the program's `event_log_cb`, with its declared arguments; `msg` is a
    // NUL-terminated string valid for the call, as libevent promises.
    unsafe { f(severity, msg.as_ptr()) }
}

/// Calls the program's fatal callback.
pub(crate) fn fatal_cb(f: FatalCb, err: c_int) {
    // SAFETY: the program's `event_fatal_cb`, with its declared argument.
    unsafe { f(err) }
}
