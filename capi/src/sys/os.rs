//! The few system calls the evutil helpers make that the `evscope` crate does not offer.

use std::io;
use std::os::raw::c_int;

use super::cptr::CFile;

fn check(res: c_int) -> io::Result<c_int> {
    if res == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(res)
    }
}

/// close(2) on a descriptor the C program owns and gives up.
pub(crate) fn close(fd: c_int) -> io::Result<()> {
    // SAFETY: closing an integer descriptor touches no memory; the program asked for it.
    check(unsafe { libc::close(fd) }).map(drop)
}

/// setsockopt(2) with an int value.
pub(crate) fn set_int_option(fd: c_int, level: c_int, name: c_int, value: c_int) -> io::Result<()> {
    // SAFETY: `value` is a live int and its size is passed with it.
    check(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const c_int).cast(),
            std::mem::size_of::<c_int>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// Sets `FD_CLOEXEC` on `fd`.
pub(crate) fn set_cloexec(fd: c_int) -> io::Result<()> {
    // SAFETY: fcntl with integer arguments only.
    let flags = check(unsafe { libc::fcntl(fd, libc::F_GETFD) })?;
    // SAFETY: as above.
    check(unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) }).map(drop)
}

/// socketpair(2).
pub(crate) fn socketpair(domain: c_int, ty: c_int, protocol: c_int) -> io::Result<[c_int; 2]> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for the two descriptors socketpair writes.
    check(unsafe { libc::socketpair(domain, ty, protocol, fds.as_mut_ptr()) })?;
    Ok(fds)
}

/// Writes `text` to the C stdio stream `file` (for `event_base_dump_events`).
pub(crate) fn fputs(file: CFile<'_>, text: &str) -> bool {
    let file = file.as_ptr();
    let Ok(text) = std::ffi::CString::new(text) else {
        return false;
    };
    if file.is_null() {
        return false;
    }
    // SAFETY: `file` is the program's open `FILE *` (non-null), `text` a NUL-terminated string.
    unsafe { libc::fputs(text.as_ptr(), file) >= 0 }
}

/// Registers `f` to run when the process exits.
pub(crate) fn at_exit(f: extern "C" fn()) -> bool {
    // SAFETY: `f` is a plain function with no arguments, valid for the process's life.
    unsafe { libc::atexit(f) == 0 }
}

/// The time on `CLOCK_MONOTONIC`, the clock libevent keeps `ev_timeout` on.
pub(crate) fn monotonic_now() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a live timespec for clock_gettime to fill.
    if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) } != 0 {
        return std::time::Duration::ZERO;
    }
    std::time::Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}
