//! The C library calls behind `util.h`'s resolver, number, clock and random helpers, which take
//! or give C memory the Rust side cannot express safely: the program's `struct addrinfo`
//! lists, `char **` end pointers, and the system clocks.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_ulong};

use super::cptr::{AddrinfoList, CStrPtr, In, Out};

/// The system's `getaddrinfo`, with the program's own pointers. `hints` NULL means libevent's
/// default: all zero, `PF_UNSPEC` (not glibc's NULL-hints default, which adds
/// `AI_V4MAPPED | AI_ADDRCONFIG`). `res` must be non-NULL (checked by the caller).
pub(crate) fn getaddrinfo(
    node: CStrPtr<'_>,
    service: CStrPtr<'_>,
    hints: In<'_, libc::addrinfo>,
    res: Out<'_, *mut libc::addrinfo>,
) -> c_int {
    let mut own = match hints.read() {
        Some(h) => h,
        None => {
            // SAFETY: all-zero bytes are a valid `struct addrinfo` (integers and NULL pointers).
            let mut zero: libc::addrinfo = unsafe { std::mem::zeroed() };
            zero.ai_family = libc::AF_UNSPEC;
            zero
        }
    };
    // libevent clears the flag only it understands (EVUTIL_AI_LIBEVENT_ALLOCATED).
    own.ai_flags &= !(0x8000_0000_u32 as c_int);
    // The hints' pointers are the program's (NULL or its strings), handed on untouched.
    // SAFETY: `node` and `service` are NULL or the program's NUL-terminated strings, `own` a
    // live struct, and `res` the program's non-NULL out-parameter (the API's contract).
    unsafe { libc::getaddrinfo(node.as_ptr(), service.as_ptr(), &own, res.as_ptr()) }
}

/// The system's `freeaddrinfo` of a list `getaddrinfo` made (NULL is ignored).
pub(crate) fn freeaddrinfo(ai: AddrinfoList) {
    let ai = ai.into_ptr();
    if ai.is_null() {
        return;
    }
    // SAFETY: the program hands back the list `evutil_getaddrinfo` gave it, which the system's
    // `getaddrinfo` allocated (libevent's contract: freed once, with this call).
    unsafe { libc::freeaddrinfo(ai) }
}

/// The system's `gai_strerror` text (static storage).
pub(crate) fn gai_strerror(code: c_int) -> *const c_char {
    // SAFETY: gai_strerror takes any int and returns a static string.
    unsafe { libc::gai_strerror(code) }
}

/// `strtoll(s, endptr, base)` on the program's pointers (errno set as C's is).
pub(crate) fn strtoll(s: CStrPtr<'_>, endptr: Out<'_, *mut c_char>, base: c_int) -> i64 {
    let Some(s) = s.get() else {
        return 0;
    };
    // SAFETY: `s` is a NUL-terminated string, `endptr` NULL or the program's out-parameter
    // (`Out`'s contract), where strtoll stores a pointer into `s`.
    unsafe { libc::strtoll(s.as_ptr(), endptr.as_ptr(), base) }
}

/// `strtoul(s, &end, 10)`: the value, and whether the whole string was used.
pub(crate) fn strtoul_whole(s: &CStr) -> (c_ulong, bool) {
    let mut end: *mut c_char = std::ptr::null_mut();
    // SAFETY: `s` is a NUL-terminated string; `end` a live out-parameter.
    let v = unsafe { libc::strtoul(s.as_ptr(), &mut end, 10) };
    // SAFETY: strtoul sets `end` within `s` (at most its NUL).
    let whole = !end.is_null() && unsafe { *end } == 0;
    (v, whole)
}

/// `if_nametoindex(name)`: 0 when there is no such interface.
pub(crate) fn if_nametoindex(name: &CStr) -> u32 {
    // SAFETY: a NUL-terminated string.
    unsafe { libc::if_nametoindex(name.as_ptr()) }
}

/// Fills `buf` from the kernel's random source (`getrandom`).
pub(crate) fn random_fill(buf: &mut [u8]) {
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        // SAFETY: `rest` is a live, writable slice of the given length.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n > 0 {
            done += n as usize;
        } else if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            // No getrandom: the urandom device.
            use std::io::Read;
            if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
                let _ = f.read_exact(rest);
            }
            return;
        }
    }
}

/// `clock_gettime(clock)` as a `struct timeval`, or None when the clock fails.
pub(crate) fn clock_timeval(clock: libc::clockid_t) -> Option<libc::timeval> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a live timespec for clock_gettime to fill.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return None;
    }
    Some(libc::timeval {
        tv_sec: ts.tv_sec,
        tv_usec: (ts.tv_nsec / 1000) as libc::suseconds_t,
    })
}

/// `gettimeofday`, or None when it fails.
pub(crate) fn time_of_day() -> Option<libc::timeval> {
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    // SAFETY: `tv` is a live timeval; the timezone argument may be NULL.
    if unsafe { libc::gettimeofday(&mut tv, std::ptr::null_mut()) } != 0 {
        return None;
    }
    Some(tv)
}

/// The current time, broken down in UTC (`time` + `gmtime_r`).
pub(crate) fn gmtime_now() -> libc::tm {
    // SAFETY: all-zero bytes are a valid `struct tm` (integers and a NULL zone pointer).
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: time with a NULL argument only returns the time.
    let t = unsafe { libc::time(std::ptr::null_mut()) };
    // SAFETY: `t` and `tm` are live locals.
    unsafe { libc::gmtime_r(&t, &mut tm) };
    tm
}
