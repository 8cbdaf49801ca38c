//! The epoll backend (Linux). Level-triggered unless an event asks for `ET`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::{syscall, timeout_ms, Backend};
use crate::ev::error::Result;
use crate::ev::flags::What;

const MIN_EVENTS: usize = 32;
const MAX_EVENTS: usize = 4096;

pub(crate) struct Epoll {
    epfd: OwnedFd,
    events: Vec<libc::epoll_event>,
    /// Regular files, which epoll refuses (EPERM) and which are always ready: reported on every
    /// wait, so `event_new(stdin, READ)` works when stdin is redirected from a file.
    always_ready: Vec<(RawFd, What)>,
}

impl Epoll {
    pub(crate) fn new() -> io::Result<Epoll> {
        // SAFETY: epoll_create1 takes only flags.
        let fd = syscall!(epoll_create1(libc::EPOLL_CLOEXEC))?;
        Ok(Epoll {
            // SAFETY: epoll_create1 returned a new descriptor that nothing else owns.
            epfd: unsafe { OwnedFd::from_raw_fd(fd) },
            events: vec![libc::epoll_event { events: 0, u64: 0 }; MIN_EVENTS],
            always_ready: Vec::new(),
        })
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, interest: What) -> io::Result<()> {
        let mut bits = 0u32;
        if interest.contains(What::READ) {
            bits |= libc::EPOLLIN as u32;
        }
        if interest.contains(What::WRITE) {
            bits |= libc::EPOLLOUT as u32;
        }
        if interest.contains(What::CLOSED) {
            bits |= libc::EPOLLRDHUP as u32;
        }
        if interest.contains(What::ET) {
            bits |= libc::EPOLLET as u32;
        }
        let mut ev = libc::epoll_event {
            events: bits,
            u64: fd as u64,
        };
        // SAFETY: `ev` is a valid epoll_event for the duration of the call.
        syscall!(epoll_ctl(self.epfd.as_raw_fd(), op, fd, &mut ev)).map(drop)
    }
}

impl Backend for Epoll {
    fn name(&self) -> &'static str {
        "epoll"
    }

    fn update(&mut self, fd: RawFd, old: What, new: What) -> Result<()> {
        if let Some(i) = self.always_ready.iter().position(|(f, _)| *f == fd) {
            if new.is_empty() {
                self.always_ready.swap_remove(i);
            } else {
                self.always_ready[i].1 = new;
            }
            return Ok(());
        }
        let res = if new.is_empty() {
            match self.ctl(libc::EPOLL_CTL_DEL, fd, old) {
                // The fd may have been closed (and so left the epoll set) before its events
                // were deleted, as libevent also tolerates.
                Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::EBADF)) => Ok(()),
                other => other,
            }
        } else if old.is_empty() {
            match self.ctl(libc::EPOLL_CTL_ADD, fd, new) {
                Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {
                    self.ctl(libc::EPOLL_CTL_MOD, fd, new)
                }
                other => other,
            }
        } else {
            match self.ctl(libc::EPOLL_CTL_MOD, fd, new) {
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                    self.ctl(libc::EPOLL_CTL_ADD, fd, new)
                }
                other => other,
            }
        };
        match res {
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => {
                self.always_ready.push((fd, new));
                Ok(())
            }
            other => Ok(other?),
        }
    }

    fn wait(&mut self, timeout: Option<Duration>, ready: &mut Vec<(RawFd, What)>) -> Result<()> {
        let timeout = if self.always_ready.is_empty() {
            timeout
        } else {
            Some(Duration::ZERO)
        };
        // SAFETY: `events` has room for `events.len()` entries, which epoll_wait may fill.
        let n = match syscall!(epoll_wait(
            self.epfd.as_raw_fd(),
            self.events.as_mut_ptr(),
            self.events.len() as libc::c_int,
            timeout_ms(timeout),
        )) {
            Ok(n) => n as usize,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
            Err(e) => return Err(e.into()),
        };
        for ev in &self.events[..n] {
            let bits = ev.events;
            let mut what = What::NONE;
            if bits & (libc::EPOLLHUP | libc::EPOLLERR) as u32 != 0 {
                what |= What::READ | What::WRITE;
            } else {
                if bits & libc::EPOLLIN as u32 != 0 {
                    what |= What::READ;
                }
                if bits & libc::EPOLLOUT as u32 != 0 {
                    what |= What::WRITE;
                }
                if bits & libc::EPOLLRDHUP as u32 != 0 {
                    what |= What::CLOSED;
                }
            }
            ready.push((ev.u64 as RawFd, what));
        }
        for (fd, interest) in &self.always_ready {
            ready.push((*fd, *interest & (What::READ | What::WRITE)));
        }
        if n == self.events.len() && n < MAX_EVENTS {
            let grown = (n * 2).min(MAX_EVENTS);
            self.events
                .resize(grown, libc::epoll_event { events: 0, u64: 0 });
        }
        Ok(())
    }
}
