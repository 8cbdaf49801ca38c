//! The rest of `util.h`: `evutil_getaddrinfo` and its errors, the secure random generator, the
//! monotonic timer, ASCII case-insensitive comparison, `evutil_date_rfc1123`,
//! `evutil_sockaddr_cmp`, `evutil_strtoll`, `evutil_inet_pton_scope` and
//! `evutil_make_tcp_listen_socket_deferred`, each with libevent 2.1.12's behaviour on Linux.

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_uint, c_void};
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use crate::error::{self, CError};
use crate::handles::Token;
use crate::sys::cptr::{AddrinfoList, CStrPtr, In, Out, OutSlice, SockaddrPtr};
use crate::sys::{os, util};

// ----- getaddrinfo -------------------------------------------------------------------------------

/// libevent's `evutil_getaddrinfo`: on Linux the system's `getaddrinfo` (libevent applies none
/// of its workarounds there), so the answers and `EVUTIL_EAI_*` codes are the system's; NULL
/// hints mean "any family, any socket type". A NULL `res` is refused with `EVUTIL_EAI_FAIL`.
#[no_mangle]
pub extern "C" fn evutil_getaddrinfo(
    nodename: CStrPtr<'_>,
    servname: CStrPtr<'_>,
    hints: In<'_, libc::addrinfo>,
    res: Out<'_, *mut libc::addrinfo>,
) -> c_int {
    if res.is_null() {
        error::report(
            "evutil_getaddrinfo",
            &CError::Invalid("the result pointer is NULL".into()),
        );
        return libc::EAI_FAIL;
    }
    util::getaddrinfo(nodename, servname, hints, res)
}

/// libevent's `evutil_freeaddrinfo`: frees a list `evutil_getaddrinfo` returned (NULL is
/// ignored).
#[no_mangle]
pub extern "C" fn evutil_freeaddrinfo(ai: AddrinfoList) {
    util::freeaddrinfo(ai);
}

/// `EVUTIL_EAI_CANCEL`, libevent's own code (the others are the system's `EAI_*`).
const EAI_CANCEL: c_int = -90001;
/// glibc's `EAI_ADDRFAMILY` (a GNU extension the libc crate leaves out).
const EAI_ADDRFAMILY: c_int = -9;
/// glibc's `EAI_NODATA` (likewise).
const EAI_NODATA: c_int = -5;

/// libevent's `evutil_gai_strerror`: its own texts for the `EVUTIL_EAI_*` codes, the system's
/// for any other.
#[no_mangle]
pub extern "C" fn evutil_gai_strerror(err: c_int) -> *const c_char {
    let text: &'static CStr = match err {
        EAI_CANCEL => c"Request canceled",
        0 => c"No error",
        EAI_ADDRFAMILY => c"address family for nodename not supported",
        libc::EAI_AGAIN => c"temporary failure in name resolution",
        libc::EAI_BADFLAGS => c"invalid value for ai_flags",
        libc::EAI_FAIL => c"non-recoverable failure in name resolution",
        libc::EAI_FAMILY => c"ai_family not supported",
        libc::EAI_MEMORY => c"memory allocation failure",
        EAI_NODATA => c"no address associated with nodename",
        libc::EAI_NONAME => c"nodename nor servname provided, or not known",
        libc::EAI_SERVICE => c"servname not supported for ai_socktype",
        libc::EAI_SOCKTYPE => c"ai_socktype not supported",
        libc::EAI_SYSTEM => c"system error",
        other => return util::gai_strerror(other),
    };
    text.as_ptr()
}

// ----- the secure random generator ---------------------------------------------------------------

/// libevent's `evutil_secure_rng_init`: 0 (the kernel's generator needs no seeding).
#[no_mangle]
pub extern "C" fn evutil_secure_rng_init() -> c_int {
    0
}

/// libevent's `evutil_secure_rng_set_urandom_device_file`: -1, as libevent built on the C
/// library's `arc4random` (Debian's) answers: no device file is used.
#[no_mangle]
pub extern "C" fn evutil_secure_rng_set_urandom_device_file(_fname: *mut c_char) -> c_int {
    -1
}

/// libevent's `evutil_secure_rng_get_bytes`: `n` random bytes at `buf`, from the kernel.
#[no_mangle]
pub extern "C" fn evutil_secure_rng_get_bytes(buf: OutSlice<'_, u8>, n: usize) {
    if let Some(out) = buf.get_mut(n) {
        util::random_fill(out);
    }
}

/// libevent's `evutil_secure_rng_add_bytes`: extra entropy; the kernel's generator, which
/// evscope reads, is not fed by programs, so the bytes are not used.
#[no_mangle]
pub extern "C" fn evutil_secure_rng_add_bytes(_buf: *const c_char, _n: usize) {}

// ----- the monotonic timer -------------------------------------------------------------------------

/// `EV_MONOT_PRECISE`.
const MONOT_PRECISE: c_int = 1;
/// `EV_MONOT_FALLBACK`.
const MONOT_FALLBACK: c_int = 2;

/// One `struct evutil_monotonic_timer`.
struct Timer {
    /// The clock read; -1: `gettimeofday`, ratcheted so it never goes back. A new timer has
    /// clock 0 (`CLOCK_REALTIME`), as libevent's zeroed struct does, until configured.
    clock: libc::clockid_t,
    /// Added to `gettimeofday` (microseconds) after the clock was seen to go back.
    adjust_us: i64,
    /// The last time given (microseconds), for the ratchet.
    last_us: i64,
    _token: Token,
}

static TIMERS: LazyLock<Mutex<HashMap<usize, Timer>>> = LazyLock::new(Mutex::default);

fn timers() -> MutexGuard<'static, HashMap<usize, Timer>> {
    TIMERS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// libevent's `evutil_monotonic_timer_new`: a timer to configure.
#[no_mangle]
pub extern "C" fn evutil_monotonic_timer_new() -> *mut c_void {
    let token = Token::new();
    let key = token.key();
    timers().insert(
        key,
        Timer {
            clock: 0,
            adjust_us: 0,
            last_us: 0,
            _token: token,
        },
    );
    key as *mut c_void
}

/// libevent's `evutil_monotonic_timer_free` (NULL is ignored).
#[no_mangle]
pub extern "C" fn evutil_monotonic_timer_free(timer: *mut c_void) {
    if timer.is_null() {
        return;
    }
    if timers().remove(&(timer as usize)).is_none() {
        error::report(
            "evutil_monotonic_timer_free",
            &CError::Stale("evutil_monotonic_timer"),
        );
    }
}

/// libevent's `evutil_configure_monotonic_time`: `CLOCK_MONOTONIC_COARSE` by default,
/// `CLOCK_MONOTONIC` with `EV_MONOT_PRECISE`, a ratcheted `gettimeofday` with
/// `EV_MONOT_FALLBACK`. 0, or -1 for a pointer that is not a live timer.
#[no_mangle]
pub extern "C" fn evutil_configure_monotonic_time(timer: *mut c_void, flags: c_int) -> c_int {
    let precise = flags & MONOT_PRECISE != 0;
    let fallback = flags & MONOT_FALLBACK != 0;
    let clock =
        if !precise && !fallback && util::clock_timeval(libc::CLOCK_MONOTONIC_COARSE).is_some() {
            libc::CLOCK_MONOTONIC_COARSE
        } else if !fallback && util::clock_timeval(libc::CLOCK_MONOTONIC).is_some() {
            libc::CLOCK_MONOTONIC
        } else {
            -1
        };
    match timers().get_mut(&(timer as usize)) {
        Some(t) => {
            t.clock = clock;
            0
        }
        None => {
            error::report(
                "evutil_configure_monotonic_time",
                &CError::Stale("evutil_monotonic_timer"),
            );
            -1
        }
    }
}

/// libevent's `evutil_gettime_monotonic`: the timer's clock into `*tp`; 0, or -1.
#[no_mangle]
pub extern "C" fn evutil_gettime_monotonic(
    timer: *mut c_void,
    tp: Out<'_, libc::timeval>,
) -> c_int {
    let mut timers = timers();
    let Some(t) = timers.get_mut(&(timer as usize)) else {
        drop(timers);
        error::report(
            "evutil_gettime_monotonic",
            &CError::Stale("evutil_monotonic_timer"),
        );
        return -1;
    };
    let tv = if t.clock < 0 {
        let Some(now) = util::time_of_day() else {
            return -1;
        };
        let mut us = now.tv_sec * 1_000_000 + now.tv_usec + t.adjust_us;
        if us < t.last_us {
            t.adjust_us += t.last_us - us;
            us = t.last_us;
        }
        t.last_us = us;
        libc::timeval {
            tv_sec: us.div_euclid(1_000_000),
            tv_usec: us.rem_euclid(1_000_000),
        }
    } else {
        match util::clock_timeval(t.clock) {
            Some(tv) => tv,
            None => return -1,
        }
    };
    drop(timers);
    if tp.write(tv) {
        0
    } else {
        -1
    }
}

// ----- strings ------------------------------------------------------------------------------------

/// libevent's ASCII lower-casing of one C `char` (signed on x86-64, as its comparison is).
fn lower(c: c_char) -> c_char {
    (c as u8).to_ascii_lowercase() as c_char
}

/// The bytes of a C string up to and including its NUL (empty for NULL).
fn with_nul(s: CStrPtr<'_>) -> &[u8] {
    s.get().map(CStr::to_bytes_with_nul).unwrap_or(b"\0")
}

fn casecmp(a: &[u8], b: &[u8], n: usize) -> c_int {
    for i in 0..n {
        let c1 = lower(*a.get(i).unwrap_or(&0) as c_char);
        let c2 = lower(*b.get(i).unwrap_or(&0) as c_char);
        if c1 < c2 {
            return -1;
        }
        if c1 > c2 {
            return 1;
        }
        if c1 == 0 {
            return 0;
        }
    }
    0
}

/// libevent's `evutil_ascii_strcasecmp`: -1, 0 or 1, comparing ASCII-lowercased C `char`s.
#[no_mangle]
pub extern "C" fn evutil_ascii_strcasecmp(s1: CStrPtr<'_>, s2: CStrPtr<'_>) -> c_int {
    casecmp(with_nul(s1), with_nul(s2), usize::MAX)
}

/// libevent's `evutil_ascii_strncasecmp`: as `evutil_ascii_strcasecmp`, on at most `n` bytes.
#[no_mangle]
pub extern "C" fn evutil_ascii_strncasecmp(s1: CStrPtr<'_>, s2: CStrPtr<'_>, n: usize) -> c_int {
    casecmp(with_nul(s1), with_nul(s2), n)
}

/// libevent's `evutil_strtoll`: C's `strtoll` (end pointer and `errno` as C sets them).
#[no_mangle]
pub extern "C" fn evutil_strtoll(s: CStrPtr<'_>, endptr: Out<'_, *mut c_char>, base: c_int) -> i64 {
    util::strtoll(s, endptr, base)
}

/// libevent's `evutil_date_rfc1123`: `"Www, DD Mmm YYYY HH:MM:SS GMT"` for `tm` (NULL: now,
/// in UTC) into `date` as `snprintf` does; returns the length of the whole text.
#[no_mangle]
pub extern "C" fn evutil_date_rfc1123(
    date: OutSlice<'_, u8>,
    datelen: usize,
    tm: In<'_, libc::tm>,
) -> c_int {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = tm.read().unwrap_or_else(util::gmtime_now);
    let day = usize::try_from(t.tm_wday)
        .ok()
        .and_then(|i| DAYS.get(i))
        .unwrap_or(&"???");
    let month = usize::try_from(t.tm_mon)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .unwrap_or(&"???");
    let text = format!(
        "{day}, {:02} {month} {:4} {:02}:{:02}:{:02} GMT",
        t.tm_mday,
        1900 + t.tm_year,
        t.tm_hour,
        t.tm_min,
        t.tm_sec
    );
    if let Some(out) = date.get_mut(datelen) {
        if let Some((last, room)) = out.split_last_mut() {
            let n = text.len().min(room.len());
            room[..n].copy_from_slice(&text.as_bytes()[..n]);
            if n < room.len() {
                room[n] = 0;
            } else {
                *last = 0;
            }
        }
    }
    text.len() as c_int
}

// ----- addresses ----------------------------------------------------------------------------------

/// libevent's `evutil_sockaddr_cmp`: the family difference; for IPv4 the addresses compared as
/// the integers their network-order bytes make, for IPv6 by `memcmp`; then, with
/// `include_port`, the difference of the ports' network-order values; 1 for other families.
#[no_mangle]
pub extern "C" fn evutil_sockaddr_cmp(
    sa1: SockaddrPtr<'_>,
    sa2: SockaddrPtr<'_>,
    include_port: c_int,
) -> c_int {
    let (Some(f1), Some(f2)) = (sa1.family(), sa2.family()) else {
        error::report(
            "evutil_sockaddr_cmp",
            &CError::Invalid("a sockaddr pointer is NULL".into()),
        );
        return -1;
    };
    let r = c_int::from(f1) - c_int::from(f2);
    if r != 0 {
        return r;
    }
    match c_int::from(f1) {
        libc::AF_INET => {
            let (a, b) = (
                sa1.v4().unwrap_or_else(zero_in),
                sa2.v4().unwrap_or_else(zero_in),
            );
            let (x, y) = (a.sin_addr.s_addr, b.sin_addr.s_addr);
            if x != y {
                return if x < y { -1 } else { 1 };
            }
            if include_port != 0 {
                return c_int::from(a.sin_port) - c_int::from(b.sin_port);
            }
            0
        }
        libc::AF_INET6 => {
            let (a, b) = (
                sa1.v6().unwrap_or_else(zero_in6),
                sa2.v6().unwrap_or_else(zero_in6),
            );
            let (x, y) = (a.sin6_addr.s6_addr, b.sin6_addr.s6_addr);
            if let Some((p, q)) = x.iter().zip(y.iter()).find(|(p, q)| p != q) {
                return c_int::from(*p) - c_int::from(*q);
            }
            if include_port != 0 {
                return c_int::from(a.sin6_port) - c_int::from(b.sin6_port);
            }
            0
        }
        _ => 1,
    }
}

fn zero_in() -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: 0,
        sin_port: 0,
        sin_addr: libc::in_addr { s_addr: 0 },
        sin_zero: [0; 8],
    }
}

fn zero_in6() -> libc::sockaddr_in6 {
    libc::sockaddr_in6 {
        sin6_family: 0,
        sin6_port: 0,
        sin6_flowinfo: 0,
        sin6_addr: libc::in6_addr { s6_addr: [0; 16] },
        sin6_scope_id: 0,
    }
}

/// libevent's `evutil_inet_pton_scope`: as `evutil_inet_pton`, and for IPv6 an optional
/// `%zone` (an interface name, or a number) whose index goes to `*indexp` (0 without one); 0
/// for a zone that is neither.
#[no_mangle]
pub extern "C" fn evutil_inet_pton_scope(
    af: c_int,
    src: CStrPtr<'_>,
    dst: OutSlice<'_, u8>,
    indexp: Out<'_, c_uint>,
) -> c_int {
    indexp.write(0);
    if af != libc::AF_INET6 {
        return crate::evutil::evutil_inet_pton(af, src, dst);
    }
    let Some(text) = src.get() else {
        return 0;
    };
    let bytes = text.to_bytes();
    let Some(pct) = bytes.iter().position(|&b| b == b'%') else {
        return crate::evutil::evutil_inet_pton(af, src, dst);
    };
    let Ok(zone) = CString::new(&bytes[pct + 1..]) else {
        return 0;
    };
    let mut index = util::if_nametoindex(&zone);
    if index == 0 {
        let (n, whole) = util::strtoul_whole(&zone);
        if !whole {
            return 0;
        }
        index = n as c_uint;
    }
    indexp.write(index);
    let Ok(addr) = CString::new(&bytes[..pct]) else {
        return 0;
    };
    crate::evutil::evutil_inet_pton(af, CStrPtr::from(addr.as_c_str()), dst)
}

/// libevent's `evutil_make_tcp_listen_socket_deferred`: `TCP_DEFER_ACCEPT` on; 0, or -1 with
/// `errno` set (and, as libevent, no message).
#[no_mangle]
pub extern "C" fn evutil_make_tcp_listen_socket_deferred(sock: c_int) -> c_int {
    match os::set_int_option(sock, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT, 1) {
        Ok(()) => 0,
        Err(_) => -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casecmp_is_ascii_only_and_signed() {
        assert_eq!(casecmp(b"abc\0", b"ABC\0", usize::MAX), 0);
        assert_eq!(casecmp(b"abc\0", b"abd\0", usize::MAX), -1);
        assert_eq!(casecmp(b"abcd\0", b"abc\0", usize::MAX), 1);
        assert_eq!(casecmp(b"abX\0", b"ABy\0", 2), 0);
        assert_eq!(casecmp(b"[\0", b"a\0", usize::MAX), -1);
    }
}
