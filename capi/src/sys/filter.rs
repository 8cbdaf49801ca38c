//! The C side of filter bufferevents and of connecting by name: calling the program's
//! `bufferevent_filter_cb` and `free_context`, and the system resolver (`getaddrinfo`), which
//! libevent's `evutil_getaddrinfo` calls for `bufferevent_socket_connect_hostname`.

use std::ffi::CStr;
use std::net::SocketAddr;
use std::os::raw::{c_int, c_void};

use super::cptr::SockaddrPtr;
use crate::types::evbuffer;

/// `bufferevent_filter_cb`: `enum bufferevent_filter_result (*)(struct evbuffer *src, struct
/// evbuffer *dst, ev_ssize_t dst_limit, enum bufferevent_flush_mode mode, void *ctx)`.
pub(crate) type FilterCb =
    unsafe extern "C" fn(*mut evbuffer, *mut evbuffer, isize, c_int, *mut c_void) -> c_int;

/// `void (*free_context)(void *)`.
pub(crate) type FreeCb = unsafe extern "C" fn(*mut c_void);

/// Calls a filter function with the two buffers' handles.
pub(crate) fn filter_cb(
    f: FilterCb,
    src: usize,
    dst: usize,
    limit: isize,
    mode: c_int,
    ctx: usize,
) -> c_int {
    // SAFETY: the program's `bufferevent_filter_cb`, given to `bufferevent_filter_new`, called
    // with its declared arguments: two evbuffer handles of this library, and its own context.
    unsafe {
        f(
            src as *mut evbuffer,
            dst as *mut evbuffer,
            limit,
            mode,
            ctx as *mut c_void,
        )
    }
}

/// Calls the program's `free_context` with its context.
pub(crate) fn free_cb(f: FreeCb, ctx: usize) {
    // SAFETY: the program's `free_context`, given to `bufferevent_filter_new`, called once
    // with the context it gave with it.
    unsafe { f(ctx as *mut c_void) }
}

/// The first address `getaddrinfo` gives for `host` (None: NULL) and `port`, for TCP in
/// `family`; or its error code (`EAI_*`).
pub(crate) fn resolve(host: Option<&CStr>, port: u16, family: c_int) -> Result<SocketAddr, c_int> {
    // SAFETY: all-zero bytes are a valid `addrinfo` hints struct (integers and null pointers).
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = family;
    hints.ai_socktype = libc::SOCK_STREAM;
    hints.ai_protocol = libc::IPPROTO_TCP;
    let service = std::ffi::CString::new(port.to_string()).map_err(|_| libc::EAI_SERVICE)?;
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    let node = host.map_or(std::ptr::null(), CStr::as_ptr);
    // SAFETY: `node` is NULL or a NUL-terminated string, `service` is one, `hints` is a valid
    // struct, and `res` a place for the result list, freed below.
    let err = unsafe { libc::getaddrinfo(node, service.as_ptr(), &hints, &mut res) };
    if err != 0 {
        return Err(err);
    }
    let mut found = None;
    let mut p = res;
    while !p.is_null() && found.is_none() {
        // SAFETY: `p` is a node of the list getaddrinfo returned, not freed yet.
        let ai = unsafe { &*p };
        // SAFETY: getaddrinfo's node holds `ai_addrlen` bytes of address at `ai_addr`, alive
        // until the list is freed below.
        let addr = unsafe { SockaddrPtr::from_raw(ai.ai_addr) };
        found = addr.read(ai.ai_addrlen as c_int);
        p = ai.ai_next;
    }
    // SAFETY: `res` is the list getaddrinfo returned, freed once.
    unsafe { libc::freeaddrinfo(res) };
    found.ok_or(libc::EAI_FAMILY)
}
