//! The select backend: fd_set bitmaps, so fds must stay below `FD_SETSIZE`.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use super::{syscall, Backend};
use crate::ev::error::{Error, Result};
use crate::ev::flags::What;

/// select's fd limit.
pub(crate) const FD_SETSIZE: RawFd = libc::FD_SETSIZE as RawFd;

pub(crate) struct Select {
    read: libc::fd_set,
    write: libc::fd_set,
    /// One more than the highest fd watched (select's `nfds`).
    nfds: RawFd,
    watched: Vec<What>,
}

fn empty_set() -> libc::fd_set {
    // SAFETY: fd_set is plain bits; all-zero is a valid value, and FD_ZERO makes it empty.
    unsafe {
        let mut set: libc::fd_set = std::mem::zeroed();
        libc::FD_ZERO(&mut set);
        set
    }
}

impl Select {
    pub(crate) fn new() -> Select {
        Select {
            read: empty_set(),
            write: empty_set(),
            nfds: 0,
            watched: Vec::new(),
        }
    }
}

fn set_bit(set: &mut libc::fd_set, fd: RawFd, on: bool) {
    // SAFETY: callers checked 0 <= fd < FD_SETSIZE, so the bit is inside the set.
    unsafe {
        if on {
            libc::FD_SET(fd, set);
        } else {
            libc::FD_CLR(fd, set);
        }
    }
}

fn is_set(set: &libc::fd_set, fd: RawFd) -> bool {
    // SAFETY: fd < nfds <= FD_SETSIZE, so the bit is inside the set.
    unsafe { libc::FD_ISSET(fd, set) }
}

impl Backend for Select {
    fn name(&self) -> &'static str {
        "select"
    }

    fn update(&mut self, fd: RawFd, _old: What, new: What) -> Result<()> {
        if !(0..FD_SETSIZE).contains(&fd) {
            return Err(Error::FdTooLarge {
                fd,
                limit: FD_SETSIZE,
            });
        }
        set_bit(
            &mut self.read,
            fd,
            new.intersects(What::READ | What::CLOSED),
        );
        set_bit(&mut self.write, fd, new.contains(What::WRITE));
        let slot = fd as usize;
        if slot >= self.watched.len() {
            self.watched.resize(slot + 1, What::NONE);
        }
        self.watched[slot] = new;
        if !new.is_empty() {
            self.nfds = self.nfds.max(fd + 1);
        } else if fd + 1 == self.nfds {
            while self.nfds > 0 && self.watched[self.nfds as usize - 1].is_empty() {
                self.nfds -= 1;
            }
        }
        Ok(())
    }

    fn wait(&mut self, timeout: Option<Duration>, ready: &mut Vec<(RawFd, What)>) -> Result<()> {
        let mut read = self.read;
        let mut write = self.write;
        let mut tv = timeout.map(|d| {
            // Round a partial microsecond up so a timer is never woken early.
            let us = d.as_nanos().div_ceil(1_000);
            libc::timeval {
                tv_sec: (us / 1_000_000).min(libc::time_t::MAX as u128) as libc::time_t,
                tv_usec: (us % 1_000_000) as libc::suseconds_t,
            }
        });
        let tv_ptr = tv
            .as_mut()
            .map_or(std::ptr::null_mut(), |tv| tv as *mut libc::timeval);
        // SAFETY: the sets are valid fd_sets covering nfds <= FD_SETSIZE bits; tv_ptr is null or
        // points at a live timeval.
        match syscall!(select(
            self.nfds,
            &mut read,
            &mut write,
            std::ptr::null_mut(),
            tv_ptr,
        )) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        for fd in 0..self.nfds {
            let mut what = What::NONE;
            if is_set(&read, fd) {
                what |= What::READ;
            }
            if is_set(&write, fd) {
                what |= What::WRITE;
            }
            if !what.is_empty() {
                ready.push((fd, what));
            }
        }
        Ok(())
    }
}
