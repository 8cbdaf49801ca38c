//! The operating system, behind safe functions. The only place in the crate with `unsafe`.

// The workspace denies `unsafe_code`; this module is where the crate's unsafe code lives.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::base::BackendKind;
use super::error::Result;
use super::flags::What;

pub mod cred;
pub(crate) mod epoll;
pub(crate) mod eventfd;
pub(crate) mod poll;
pub(crate) mod select;
pub(crate) mod signal;
pub(crate) mod socket;

/// Calls a libc function, turning `-1` into the thread's `errno` as an `io::Error`.
macro_rules! syscall {
    ($fn:ident ( $($arg:expr),* $(,)? )) => {{
        // SAFETY: each caller passes arguments valid for this call; see its SAFETY line.
        let res = unsafe { libc::$fn($($arg),*) };
        if res == -1 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(res)
        }
    }};
}
pub(crate) use syscall;

/// A readiness backend: epoll, poll or select.
pub(crate) trait Backend {
    /// The backend's name as libevent's `event_base_get_method` gives it.
    fn name(&self) -> &'static str;
    /// Changes what `fd` is watched for from `old` to `new` (`READ`, `WRITE`, `ET`, `CLOSED`;
    /// empty means not watched).
    fn update(&mut self, fd: RawFd, old: What, new: What) -> Result<()>;
    /// Waits up to `timeout` (None: forever) and appends the ready fds to `ready`.
    /// A signal interrupting the wait is not an error: it returns with nothing ready.
    fn wait(&mut self, timeout: Option<Duration>, ready: &mut Vec<(RawFd, What)>) -> Result<()>;
}

/// A new backend of `kind` (a new epoll instance for epoll; poll and select keep their sets in
/// the process).
pub(crate) fn backend(kind: BackendKind) -> io::Result<Box<dyn Backend>> {
    Ok(match kind {
        BackendKind::Epoll => Box::new(epoll::Epoll::new()?),
        BackendKind::Poll => Box::new(poll::Poll::new()),
        BackendKind::Select => Box::new(select::Select::new()),
    })
}

/// Milliseconds for poll / epoll_wait, rounding a partial millisecond up so a timer is never
/// woken early; -1 for no timeout.
pub(crate) fn timeout_ms(timeout: Option<Duration>) -> libc::c_int {
    match timeout {
        None => -1,
        Some(d) => {
            let ms = d.as_nanos().div_ceil(1_000_000);
            ms.min(libc::c_int::MAX as u128) as libc::c_int
        }
    }
}

/// A non-blocking, close-on-exec pipe: (read end, write end).
pub(crate) fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    syscall!(pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC))?;
    // SAFETY: pipe2 succeeded, so both descriptors are open and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Sets or clears `O_NONBLOCK` (libevent's `evutil_make_socket_nonblocking`).
pub fn set_nonblocking(fd: RawFd, on: bool) -> io::Result<()> {
    // SAFETY: F_GETFL takes no pointer argument; an invalid fd gives EBADF.
    let flags = syscall!(fcntl(fd, libc::F_GETFL))?;
    let new = if on {
        flags | libc::O_NONBLOCK
    } else {
        flags & !libc::O_NONBLOCK
    };
    if new != flags {
        // SAFETY: F_SETFL takes an int argument.
        syscall!(fcntl(fd, libc::F_SETFL, new))?;
    }
    Ok(())
}

/// The calling thread's OS id (`gettid`), as `ps -L` and `/proc/PID/task` show it; read once
/// per thread.
pub fn thread_id() -> u64 {
    thread_local! {
        // SAFETY: gettid takes no arguments, cannot fail and touches no memory.
        static TID: u64 = unsafe { libc::gettid() } as u64;
    }
    TID.with(|t| *t)
}

/// Forks this process came out of as the child (counted by a `pthread_atfork` handler,
/// registered by the first call), or, if the handler could not be registered, the process id
/// with the top bit set. Either way it differs in a forked child from what the parent read
/// before the fork, and reading it costs no system call (`getpid` is one).
pub(crate) fn process_generation() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static FORKS: AtomicU64 = AtomicU64::new(0);
    static COUNTED: OnceLock<bool> = OnceLock::new();
    extern "C" fn in_child() {
        // An atomic add is async-signal-safe, as a fork handler must be.
        FORKS.fetch_add(1, Ordering::Relaxed);
    }
    // SAFETY: `in_child` is a plain function that lives as long as the process; no prepare or
    // parent handler is given.
    let counted =
        *COUNTED.get_or_init(|| unsafe { libc::pthread_atfork(None, None, Some(in_child)) } == 0);
    if counted {
        FORKS.load(Ordering::Relaxed)
    } else {
        u64::from(std::process::id()) | 1 << 63
    }
}

/// The processor's time-stamp counter, when the kernel keeps its own monotonic clock on it
/// (the clock source is `tsc`: the counter runs at a constant rate on every cpu and does not
/// stop); None elsewhere, and on other processors. Reading it costs a fraction of what a
/// `clock_gettime` costs on a virtual machine.
pub(crate) fn cycles() -> Option<u64> {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static TRUSTED: OnceLock<bool> = OnceLock::new();
        let trusted = *TRUSTED.get_or_init(|| {
            std::fs::read_to_string(
                "/sys/devices/system/clocksource/clocksource0/current_clocksource",
            )
            .is_ok_and(|s| s.trim() == "tsc")
        });
        if trusted {
            // SAFETY: `rdtsc` reads a register and has no other effect; every x86-64 processor
            // has it, and the kernel runs its own clock on it here (checked above).
            return Some(unsafe { std::arch::x86_64::_rdtsc() });
        }
    }
    None
}
