//! Signal events' bookkeeping: which events watch each signal, the dispositions to restore, and
//! the wake pipe the handler writes to (libevent's `evsig`).

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use super::error::Result;
use super::sys::{self, signal as os};

/// The base's signal state, made when the first signal event is added.
pub(crate) struct Signals {
    read: OwnedFd,
    write: OwnedFd,
    /// signal → the event slots watching it, in the order they were added.
    watchers: HashMap<libc::c_int, Vec<u32>>,
    saved: HashMap<libc::c_int, os::SavedAction>,
    counts: [u32; os::NSIG],
}

impl Signals {
    pub(crate) fn new() -> Result<Signals> {
        let (read, write) = sys::pipe()?;
        Ok(Signals {
            read,
            write,
            watchers: HashMap::new(),
            saved: HashMap::new(),
            counts: [0; os::NSIG],
        })
    }

    /// The wake pipe's read end, watched for READ by the base.
    pub(crate) fn read_fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// Adds an event on `sig`; the first one installs the handler.
    pub(crate) fn add(&mut self, sig: libc::c_int, slot: u32) -> Result<()> {
        os::set_wake_fd(sig, self.write.as_raw_fd());
        if let Entry::Vacant(slot) = self.saved.entry(sig) {
            slot.insert(os::install(sig)?);
        }
        self.watchers.entry(sig).or_default().push(slot);
        Ok(())
    }

    /// Removes an event from `sig`; the last one restores the old disposition.
    pub(crate) fn remove(&mut self, sig: libc::c_int, slot: u32) -> Result<()> {
        let Some(list) = self.watchers.get_mut(&sig) else {
            return Ok(());
        };
        list.retain(|s| *s != slot);
        if list.is_empty() {
            self.watchers.remove(&sig);
            if let Some(saved) = self.saved.remove(&sig) {
                os::clear_wake_fd(sig, self.write.as_raw_fd());
                os::restore(sig, &saved)?;
            }
        }
        Ok(())
    }

    /// The event slots watching `sig`, in the order they were added.
    pub(crate) fn watchers(&self, sig: libc::c_int) -> Vec<u32> {
        self.watchers.get(&sig).cloned().unwrap_or_default()
    }

    /// Reads the wake pipe and returns (event slot, deliveries) for every watched signal that
    /// arrived.
    pub(crate) fn deliveries(&mut self) -> Vec<(u32, u32)> {
        os::read_deliveries(&self.read, &mut self.counts);
        let mut out = Vec::new();
        for (sig, count) in self.counts.iter_mut().enumerate() {
            if *count == 0 {
                continue;
            }
            if let Some(slots) = self.watchers.get(&(sig as libc::c_int)) {
                // Newest first, as libevent's evmap keeps a signal's events.
                out.extend(slots.iter().rev().map(|s| (*s, *count)));
            }
            *count = 0;
        }
        out
    }

    /// After `fork()`, in the child: a wake pipe of its own, so the parent's handler never
    /// writes into the child's pipe nor the child's into the parent's. The old ends are closed
    /// (the child's copies only).
    pub(crate) fn reinit(&mut self) -> Result<()> {
        let (read, write) = sys::pipe()?;
        for sig in self.saved.keys() {
            os::set_wake_fd(*sig, write.as_raw_fd());
        }
        self.read = read;
        self.write = write;
        Ok(())
    }

    /// Puts every disposition back (the base is going away).
    pub(crate) fn restore_all(&mut self) {
        for (sig, saved) in self.saved.drain() {
            os::clear_wake_fd(sig, self.write.as_raw_fd());
            // The base is going away and has no one to tell; sigaction fails only for a
            // signal number it never accepted.
            let _ = os::restore(sig, &saved);
        }
        self.watchers.clear();
    }
}
