//! Reading and writing the memory a C program hands us: byte ranges, strings, `struct
//! timeval`, `struct sockaddr`, out-parameters, and `malloc`ed results it will `free`.
//!
//! The readers and writers below take raw pointers and are safe to call: they check for NULL,
//! and for the rest rely on the C caller's contract — each is called only by an exported
//! function, with a pointer (and length) its C caller passed, as the libevent function's
//! documentation requires. That is a promise made across the C boundary, not one Rust checks:
//! Rust code passing any other pointer to them would be undefined behaviour, so nothing but the
//! exported functions may call them with pointers C did not give.

use std::ffi::CStr;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::raw::{c_char, c_int, c_void};
use std::time::Duration;

/// The `len` bytes at `p` (None for NULL with a length).
pub(crate) fn bytes<'a>(p: *const c_void, len: usize) -> Option<&'a [u8]> {
    if len == 0 {
        return Some(&[]);
    }
    if p.is_null() || len > isize::MAX as usize {
        return None;
    }
    // SAFETY: the C caller promises `len` readable bytes at `p` for the call (the API's
    // contract, e.g. `evbuffer_add(buf, data, len)`); the slice does not outlive the call.
    Some(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) })
}

/// The `len` writable bytes at `p` (None for NULL with a length).
pub(crate) fn bytes_mut<'a>(p: *mut c_void, len: usize) -> Option<&'a mut [u8]> {
    if len == 0 {
        return Some(&mut []);
    }
    if p.is_null() || len > isize::MAX as usize {
        return None;
    }
    // SAFETY: the C caller promises `len` writable bytes at `p` that nothing else touches
    // during the call (e.g. `bufferevent_read(bev, data, size)`).
    Some(unsafe { std::slice::from_raw_parts_mut(p.cast::<u8>(), len) })
}

/// The NUL-terminated string at `p`.
pub(crate) fn cstr<'a>(p: *const c_char) -> Option<&'a CStr> {
    if p.is_null() {
        return None;
    }
    // SAFETY: the C caller promises a NUL-terminated string at `p` for the call.
    Some(unsafe { CStr::from_ptr(p) })
}

/// The `struct timeval` at `p` as a duration (negative parts count as zero); None for NULL.
pub(crate) fn read_timeval(p: *const libc::timeval) -> Option<Duration> {
    if p.is_null() {
        return None;
    }
    // SAFETY: non-null, and the C caller promises a `struct timeval` there.
    let tv = unsafe { p.read_unaligned() };
    let secs = tv.tv_sec.max(0) as u64;
    let micros = tv.tv_usec.max(0) as u64;
    Some(Duration::from_secs(secs) + Duration::from_micros(micros))
}

/// Stores `value` through the out-parameter `p`; false when `p` is NULL.
pub(crate) fn write_out<T>(p: *mut T, value: T) -> bool {
    if p.is_null() {
        return false;
    }
    // SAFETY: non-null, and the C caller passed room for a `T` there (the out-parameter of
    // the function it called).
    unsafe { p.write_unaligned(value) };
    true
}

/// The IPv4 or IPv6 address in the `len` bytes of `struct sockaddr` at `p`.
pub(crate) fn read_sockaddr(p: *const libc::sockaddr, len: c_int) -> Option<SocketAddr> {
    let len = usize::try_from(len).ok()?;
    if p.is_null() || len < std::mem::size_of::<libc::sa_family_t>() {
        return None;
    }
    // SAFETY: `len` bytes are readable at `p` (the caller's promise), and we read a family
    // field first, then only a struct whose size we checked against `len`.
    let family = unsafe { p.cast::<libc::sa_family_t>().read_unaligned() };
    match c_int::from(family) {
        libc::AF_INET if len >= std::mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: see above: the length covers a `sockaddr_in`.
            let sin = unsafe { p.cast::<libc::sockaddr_in>().read_unaligned() };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 if len >= std::mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: see above: the length covers a `sockaddr_in6`.
            let sin6 = unsafe { p.cast::<libc::sockaddr_in6>().read_unaligned() };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// Writes `addr` into the `*len` bytes at `out`, setting `*len` to its size (libevent's
/// `evutil_parse_sockaddr_port` contract). False when it does not fit.
pub(crate) fn write_sockaddr(addr: &SocketAddr, out: *mut libc::sockaddr, len: *mut c_int) -> bool {
    if out.is_null() || len.is_null() {
        return false;
    }
    let (storage, size) = sockaddr_of(addr);
    // SAFETY: `len` is non-null and points to the caller's int.
    let room = unsafe { len.read_unaligned() };
    if room < size {
        return false;
    }
    // SAFETY: `out` has `room` >= `size` writable bytes (the caller's promise), and
    // `storage` holds `size` initialized bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(
            (&storage as *const libc::sockaddr_storage).cast::<u8>(),
            out.cast::<u8>(),
            size as usize,
        );
        len.write_unaligned(size);
    }
    true
}

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

/// Copies the `T` at `p` into `out`; false when `p` is NULL.
pub(crate) fn read_into<T>(p: *const T, out: &mut T) -> bool {
    if p.is_null() {
        return false;
    }
    // SAFETY: non-null, and the C caller passed a `T` there (e.g. a `struct evbuffer_ptr`).
    *out = unsafe { p.read_unaligned() };
    true
}

/// The `n` `T`s of the C array at `p` (None for a NULL or misaligned `p` with a count).
pub(crate) fn array<'a, T>(p: *const T, n: usize) -> Option<&'a [T]> {
    if n == 0 {
        return Some(&[]);
    }
    if p.is_null() || !p.is_aligned() || too_many::<T>(n) {
        return None;
    }
    // SAFETY: non-null and aligned, and the C caller promises `n` readable `T`s at `p` for the
    // call (e.g. `evbuffer_commit_space(buf, vec, n_vecs)`).
    Some(unsafe { std::slice::from_raw_parts(p, n) })
}

/// The `n` writable `T`s of the C array at `p` (None for a NULL or misaligned `p` with a count).
pub(crate) fn array_mut<'a, T>(p: *mut T, n: usize) -> Option<&'a mut [T]> {
    if n == 0 {
        return Some(&mut []);
    }
    if p.is_null() || !p.is_aligned() || too_many::<T>(n) {
        return None;
    }
    // SAFETY: non-null and aligned, and the C caller promises room for `n` `T`s at `p` that
    // nothing else touches during the call (e.g. `evbuffer_peek(buf, len, NULL, vec, n_vec)`).
    Some(unsafe { std::slice::from_raw_parts_mut(p, n) })
}

/// More `T`s than a slice can hold.
fn too_many<T>(n: usize) -> bool {
    n > isize::MAX as usize / std::mem::size_of::<T>().max(1)
}
