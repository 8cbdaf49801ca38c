//! The eventfd a base's loop is woken through from other threads (libevent's `th_notify_fd`,
//! made by `evutil_eventfd_(0, EFD_CLOEXEC | EFD_NONBLOCK)` on Linux).

use std::io;
use std::os::fd::RawFd;

use super::syscall;

/// A new non-blocking, close-on-exec eventfd with a count of 0. The caller owns it and closes
/// it with [`close`].
pub(crate) fn create() -> io::Result<RawFd> {
    // SAFETY: eventfd takes plain integers and returns a new descriptor or -1.
    syscall!(eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK))
}

/// Adds 1 to the count, making `fd` readable. Async-signal-safe (a signal handler's
/// `event_base_loopbreak` wakes the loop through here). A count at its maximum (EAGAIN) is
/// fine: the fd is readable already.
pub(crate) fn notify(fd: RawFd) {
    let one: u64 = 1;
    // SAFETY: write reads 8 bytes from `one`, which lives for the call; a stale or closed fd
    // gives EBADF, which is ignored.
    unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
}

/// Resets the count to 0, so `fd` is no longer readable (libevent's
/// `evthread_notify_drain_eventfd`).
pub(crate) fn drain(fd: RawFd) {
    let mut count: u64 = 0;
    // SAFETY: read writes at most 8 bytes into `count`; EAGAIN (nothing to read) is ignored.
    unsafe { libc::read(fd, (&mut count as *mut u64).cast(), 8) };
}

/// Closes `fd`, which the caller owns and no longer uses.
pub(crate) fn close(fd: RawFd) {
    // SAFETY: the caller owns `fd` and nothing uses it after this call.
    unsafe { libc::close(fd) };
}
