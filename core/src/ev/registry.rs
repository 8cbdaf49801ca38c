//! Per-fd interest: which events watch each fd, and the union the backend is told (libevent's
//! `evmap_io`).

use std::os::fd::RawFd;

use super::flags::What;

#[derive(Default)]
struct FdWatch {
    /// (event slot, that event's interest).
    events: Vec<(u32, What)>,
    interest: What,
}

/// fd → the events watching it.
#[derive(Default)]
pub(crate) struct Registry {
    fds: Vec<FdWatch>,
}

impl Registry {
    /// What `fd` is watched for now (the union of its events' interests).
    pub(crate) fn interest(&self, fd: RawFd) -> What {
        self.fds.get(fd as usize).map_or(What::NONE, |w| w.interest)
    }

    /// The interest `fd` would have with `slot` added: (old, new).
    pub(crate) fn with_added(&self, fd: RawFd, interest: What) -> (What, What) {
        let old = self.interest(fd);
        (old, old | interest)
    }

    /// Records `slot` as watching `fd` for `interest`.
    pub(crate) fn add(&mut self, fd: RawFd, slot: u32, interest: What) {
        let at = fd as usize;
        if at >= self.fds.len() {
            self.fds.resize_with(at + 1, FdWatch::default);
        }
        let w = &mut self.fds[at];
        w.events.push((slot, interest));
        w.interest |= interest;
    }

    /// Stops `slot` watching `fd`: (old, new) interest.
    pub(crate) fn remove(&mut self, fd: RawFd, slot: u32) -> (What, What) {
        let Some(w) = self.fds.get_mut(fd as usize) else {
            return (What::NONE, What::NONE);
        };
        let old = w.interest;
        w.events.retain(|(s, _)| *s != slot);
        w.interest = w.events.iter().fold(What::NONE, |acc, (_, i)| acc | *i);
        // ET is only meaningful while something is watched.
        if (w.interest & !What::ET).is_empty() {
            w.interest = What::NONE;
        }
        (old, w.interest)
    }

    /// The events watching `fd`, in the order they were added.
    pub(crate) fn events(&self, fd: RawFd) -> &[(u32, What)] {
        self.fds.get(fd as usize).map_or(&[], |w| &w.events)
    }

    /// Every watched fd with its interest, lowest fd first (what a new backend must be told).
    pub(crate) fn watched(&self) -> impl Iterator<Item = (RawFd, What)> + '_ {
        self.fds
            .iter()
            .enumerate()
            .filter(|(_, w)| !w.interest.is_empty())
            .map(|(fd, w)| (fd as RawFd, w.interest))
    }
}
