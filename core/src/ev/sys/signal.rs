//! Signal delivery by self-pipe: the handler writes the signal's number, one byte, to the base's
//! wake pipe, which the base watches like any fd and reads to count deliveries.

use std::io;
use std::os::fd::RawFd;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};

use super::syscall;

/// Signals 1..NSIG fit in the table.
pub(crate) const NSIG: usize = 65;

/// signal → the write end of the wake pipe of the base that last added an event on it.
static WAKE_FD: [AtomicI32; NSIG] = [const { AtomicI32::new(-1) }; NSIG];

extern "C" fn on_signal(sig: libc::c_int) {
    // SAFETY: __errno_location is async-signal-safe and returns this thread's errno slot.
    let saved_errno = unsafe { *libc::__errno_location() };
    let fd = WAKE_FD
        .get(sig as usize)
        .map_or(-1, |fd| fd.load(Ordering::SeqCst));
    if fd >= 0 {
        let byte = sig as u8;
        // SAFETY: write is async-signal-safe; `byte` lives for the call. A full pipe (EAGAIN) is
        // fine: the base is already due to wake.
        unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
    }
    // SAFETY: as above; restores errno for the interrupted code.
    unsafe { *libc::__errno_location() = saved_errno };
}

/// The disposition a signal had before the library took it, restored when the last event on it
/// goes.
pub(crate) struct SavedAction(libc::sigaction);

/// Points `sig`'s wake-up writes at `fd`: the newest base to watch a signal gets it (libevent
/// gives every signal to the newest base; here each signal goes its own way).
pub(crate) fn set_wake_fd(sig: libc::c_int, fd: RawFd) {
    if let Some(slot) = WAKE_FD.get(sig as usize) {
        slot.store(fd, Ordering::SeqCst);
    }
}

/// Stops `sig`'s wake-up writes to `fd` if it is still the target.
pub(crate) fn clear_wake_fd(sig: libc::c_int, fd: RawFd) {
    if let Some(slot) = WAKE_FD.get(sig as usize) {
        // Failing means a newer base took the signal: it keeps it.
        let _ = slot.compare_exchange(fd, -1, Ordering::SeqCst, Ordering::SeqCst);
    }
}

/// Installs the library's handler for `sig`, returning the disposition it replaced.
pub(crate) fn install(sig: libc::c_int) -> io::Result<SavedAction> {
    if sig <= 0 || sig as usize >= NSIG {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: sigaction is plain data; zeroed is a valid starting value before we fill it.
    let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
    act.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    act.sa_flags = libc::SA_RESTART;
    // SAFETY: `act.sa_mask` is a valid sigset_t to fill.
    unsafe { libc::sigfillset(&mut act.sa_mask) };
    // SAFETY: as above, a valid value to be overwritten by the old disposition.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers point at live sigaction values.
    syscall!(sigaction(sig, &act, &mut old))?;
    Ok(SavedAction(old))
}

/// Puts back the disposition `sig` had before [`install`].
pub(crate) fn restore(sig: libc::c_int, saved: &SavedAction) -> io::Result<()> {
    // SAFETY: `saved.0` is a disposition sigaction returned earlier; null old pointer is allowed.
    syscall!(sigaction(sig, &saved.0, std::ptr::null_mut())).map(drop)
}

/// Reads the wake pipe dry, counting each signal number's deliveries into `counts`.
pub(crate) fn read_deliveries(pipe: &OwnedFd, counts: &mut [u32; NSIG]) {
    let mut buf = [0u8; 256];
    loop {
        // SAFETY: `buf` is valid for `buf.len()` bytes of writes.
        let n = unsafe { libc::read(pipe.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            for &sig in &buf[..n as usize] {
                if let Some(c) = counts.get_mut(sig as usize) {
                    *c += 1;
                }
            }
        } else if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        } else {
            return;
        }
    }
}

/// Sends `sig` to the process `pid` (C's `kill`), e.g. to pass a signal on to a child.
pub fn kill(pid: u32, sig: libc::c_int) -> io::Result<()> {
    let pid = libc::pid_t::try_from(pid)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, format!("no pid {pid}")))?;
    // SAFETY: kill takes plain integers.
    syscall!(kill(pid, sig)).map(drop)
}

/// Sends `sig` to the calling thread (C's `raise`), for programs and demos that signal
/// themselves: it is delivered before `raise` returns, so it cannot reach a base that is gone
/// by the time another thread would have taken it.
pub fn raise(sig: libc::c_int) -> io::Result<()> {
    // SAFETY: raise takes a plain integer.
    match unsafe { libc::raise(sig) } {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}
