//! The memory the library hands a C program: `malloc`ed results it will `free`, socket
//! addresses as C lays them out, `errno`, and static string lists. What C passes in (byte
//! ranges, strings, `struct timeval`, out-parameters…) is read and written through the
//! parameter types of [`super::cptr`].

use std::net::SocketAddr;
use std::os::raw::{c_char, c_int};

/// `addr` as a `struct sockaddr_storage` and the length of the part that holds it.
pub(crate) fn sockaddr_of(addr: &SocketAddr) -> (libc::sockaddr_storage, c_int) {
    // SAFETY: all-zero bytes are a valid `sockaddr_storage` (plain integers and arrays).
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from(*a.ip()).to_be(),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: `sockaddr_storage` is larger than and aligned for `sockaddr_in`.
            unsafe {
                (&mut storage as *mut libc::sockaddr_storage)
                    .cast::<libc::sockaddr_in>()
                    .write(sin)
            };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: `sockaddr_storage` is larger than and aligned for `sockaddr_in6`.
            unsafe {
                (&mut storage as *mut libc::sockaddr_storage)
                    .cast::<libc::sockaddr_in6>()
                    .write(sin6)
            };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as c_int)
}

/// A `malloc`ed, NUL-terminated copy of `data`, for a C caller to `free` (libevent's
/// `evbuffer_readln` result), from the program's `event_set_mem_functions` malloc when it set
/// one, as libevent's `mm_malloc`. NULL when out of memory.
pub(crate) fn malloc_copy(data: &[u8]) -> *mut c_char {
    let p = super::cmem::malloc(data.len() + 1).cast::<u8>();
    if p.is_null() {
        return p.cast();
    }
    // SAFETY: `p` has room for `data.len() + 1` bytes, freshly allocated, not overlapping.
    unsafe {
        std::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len());
        p.add(data.len()).write(0);
    }
    p.cast()
}

/// Sets the thread's `errno` (what `EVUTIL_SOCKET_ERROR()` reads in a callback).
pub(crate) fn set_errno(e: c_int) {
    // SAFETY: `__errno_location` returns the calling thread's errno slot, always valid.
    unsafe { *libc::__errno_location() = e };
}

/// A static, NULL-terminated array of C strings (a `const char **` result).
pub(crate) struct CStrList(pub [*const c_char; 4]);

// SAFETY: the pointers are to static, immutable strings (or NULL), readable from any thread.
unsafe impl Sync for CStrList {}
