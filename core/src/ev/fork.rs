//! After `fork()`: the child's base gets kernel state of its own (libevent's `event_reinit`).

use super::base::{BackendKind, EventBase};
use super::error::Result;
use super::flags::What;
use super::sys;

impl EventBase {
    /// libevent's `event_reinit`: call it in the child after `fork()` before using the base.
    ///
    /// A forked child shares its parent's epoll instance and signal pipe, so each process would
    /// see (and steal) the other's readiness and signals. This gives the child a new backend of
    /// the same kind with every watched fd registered again, and a new signal pipe. Events keep
    /// their states; the observer is told [`Observer::forked`](super::Observer::forked).
    pub fn event_reinit(&mut self) -> Result<()> {
        let kind: BackendKind = self.backend.name().parse()?;
        let mut backend = sys::backend(kind)?;
        for (fd, interest) in self.io.watched() {
            backend.update(fd, What::NONE, interest)?;
        }
        if let Some(signals) = self.signals.as_mut() {
            signals.reinit()?;
            let fd = signals.read_fd();
            let (old, new) = self.io.with_added(fd, What::READ);
            backend.update(fd, old, new)?;
        }
        self.remote_reinit(backend.as_mut())?;
        self.backend = backend;
        let info = self.info();
        if let Some(o) = self.observer.as_deref_mut() {
            o.forked(&info);
        }
        Ok(())
    }
}
