//! How the calling thread competes for the cpu: the live link's followers give way to the
//! observed program.

use super::syscall;

/// `sched_setscheduler(0, SCHED_IDLE)`: the calling thread runs only when nothing of normal
/// priority wants its cpu. An unprivileged thread may do this (but not undo it).
pub fn run_only_when_idle() -> std::io::Result<()> {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: pid 0 is the calling thread; `param` is live and SCHED_IDLE takes priority 0.
    syscall!(sched_setscheduler(0, libc::SCHED_IDLE, &param))?;
    Ok(())
}
