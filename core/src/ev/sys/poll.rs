//! The poll backend: one `pollfd` per watched fd, so each wait costs O(watched fds).

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use super::{syscall, timeout_ms, Backend};
use crate::ev::error::Result;
use crate::ev::flags::What;

const NONE: usize = usize::MAX;

pub(crate) struct Poll {
    fds: Vec<libc::pollfd>,
    /// fd → index in `fds`.
    index: Vec<usize>,
}

impl Poll {
    pub(crate) fn new() -> Poll {
        Poll {
            fds: Vec::new(),
            index: Vec::new(),
        }
    }
}

fn poll_bits(interest: What) -> libc::c_short {
    let mut bits = 0;
    if interest.intersects(What::READ | What::CLOSED) {
        bits |= libc::POLLIN;
    }
    if interest.contains(What::WRITE) {
        bits |= libc::POLLOUT;
    }
    bits
}

impl Backend for Poll {
    fn name(&self) -> &'static str {
        "poll"
    }

    fn update(&mut self, fd: RawFd, _old: What, new: What) -> Result<()> {
        let slot = fd as usize;
        if slot >= self.index.len() {
            self.index.resize(slot + 1, NONE);
        }
        let at = self.index[slot];
        match (at, new.is_empty()) {
            (NONE, true) => {}
            (NONE, false) => {
                self.index[slot] = self.fds.len();
                self.fds.push(libc::pollfd {
                    fd,
                    events: poll_bits(new),
                    revents: 0,
                });
            }
            (i, true) => {
                self.fds.swap_remove(i);
                self.index[slot] = NONE;
                if let Some(moved) = self.fds.get(i) {
                    self.index[moved.fd as usize] = i;
                }
            }
            (i, false) => self.fds[i].events = poll_bits(new),
        }
        Ok(())
    }

    fn wait(&mut self, timeout: Option<Duration>, ready: &mut Vec<(RawFd, What)>) -> Result<()> {
        // SAFETY: `fds` holds `fds.len()` initialised pollfd entries.
        match syscall!(poll(
            self.fds.as_mut_ptr(),
            self.fds.len() as libc::nfds_t,
            timeout_ms(timeout),
        )) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        for p in &self.fds {
            let r = p.revents;
            if r == 0 {
                continue;
            }
            let mut what = What::NONE;
            if r & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0 {
                what |= What::READ | What::WRITE;
            }
            if r & libc::POLLIN != 0 {
                what |= What::READ;
            }
            if r & libc::POLLOUT != 0 {
                what |= What::WRITE;
            }
            ready.push((p.fd, what));
        }
        Ok(())
    }
}
