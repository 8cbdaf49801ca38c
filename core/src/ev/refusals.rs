//! What the library does when the backend refuses a change it makes (`epoll_ctl` failing on
//! a descriptor closed under an event, say): the state stays consistent and the failure is
//! reported — returned from `event_del`, told to a bufferevent's event callback, or warned of
//! to the observer — never dropped. A backend that refuses one chosen fd makes each path
//! happen on demand.

use std::cell::{Cell, RefCell};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::Duration;

use super::base::{BackendKind, EventBase};
use super::error::{Error, Result};
use super::flags::{BevEvents, LoopFlags, What};
use super::observer::Observer;
use super::state::{Cause, State};
use super::sys::{self, Backend};
use super::{BevOptions, EventId};

/// The fd a [`Refusing`] backend refuses, set by the test.
type Refused = Rc<Cell<Option<RawFd>>>;

/// Epoll, except that every change to `refused`'s registration fails with EBADF.
struct Refusing {
    inner: Box<dyn Backend>,
    refused: Refused,
}

impl Backend for Refusing {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn update(&mut self, fd: RawFd, old: What, new: What) -> Result<()> {
        if self.refused.get() == Some(fd) {
            return Err(Error::Io(io::Error::from_raw_os_error(libc::EBADF)));
        }
        self.inner.update(fd, old, new)
    }

    fn wait(&mut self, timeout: Option<Duration>, ready: &mut Vec<(RawFd, What)>) -> Result<()> {
        self.inner.wait(timeout, ready)
    }
}

/// The notes and transitions an observer hears.
#[derive(Clone, Default)]
struct Heard {
    notes: Rc<RefCell<Vec<String>>>,
    transitions: Rc<RefCell<Vec<(EventId, State, State)>>>,
}

impl Observer for Heard {
    fn transition(&mut self, ev: EventId, _fd: Option<RawFd>, from: State, to: State, _: Cause) {
        self.transitions.borrow_mut().push((ev, from, to));
    }

    fn note(&mut self, text: &str) {
        self.notes.borrow_mut().push(text.to_string());
    }
}

/// A base whose backend refuses the fd put in the returned cell, with an observer.
fn refusing_base() -> Result<(EventBase, Refused, Heard)> {
    let mut base = EventBase::with_backend(BackendKind::Epoll)?;
    let refused = Rc::new(Cell::new(None));
    base.backend = Box::new(Refusing {
        inner: sys::backend(BackendKind::Epoll)?,
        refused: refused.clone(),
    });
    let heard = Heard::default();
    base.set_observer(Box::new(heard.clone()));
    Ok((base, refused, heard))
}

fn warnings(heard: &Heard) -> Vec<String> {
    heard
        .notes
        .borrow()
        .iter()
        .filter(|n| n.starts_with("warning:"))
        .cloned()
        .collect()
}

#[test]
fn a_refused_event_del_is_returned_and_the_event_still_leaves_pending() -> Result<()> {
    let (mut base, refused, heard) = refusing_base()?;
    let (a, _b) = UnixStream::pair()?;
    let ev = base.event_new(a.as_raw_fd(), What::READ, |_, _, _| {})?;
    base.event_add(ev, None)?;
    refused.set(Some(a.as_raw_fd()));
    assert!(matches!(base.event_del(ev), Err(Error::Io(_))));
    assert_eq!(base.event_state(ev)?, State::NonPending);
    assert_eq!(base.event_pending(ev, What::READ)?.0, What::NONE);
    assert_eq!(
        heard.transitions.borrow().last(),
        Some(&(ev, State::Pending, State::NonPending))
    );
    Ok(())
}

#[test]
fn a_refused_event_free_frees_and_warns() -> Result<()> {
    let (mut base, refused, heard) = refusing_base()?;
    let (a, _b) = UnixStream::pair()?;
    let ev = base.event_new(a.as_raw_fd(), What::READ, |_, _, _| {})?;
    base.event_add(ev, None)?;
    refused.set(Some(a.as_raw_fd()));
    base.event_free(ev)?;
    assert!(!base.event_is_live(ev));
    assert!(matches!(base.event_del(ev), Err(Error::Stale(_))));
    assert_eq!(warnings(&heard).len(), 1, "{:?}", heard.notes.borrow());
    assert!(warnings(&heard)[0].contains("event_del"));
    Ok(())
}

#[test]
fn a_refused_removal_after_a_callback_is_warned_of() -> Result<()> {
    let (mut base, refused, heard) = refusing_base()?;
    let (a, b) = UnixStream::pair()?;
    let ran = Rc::new(Cell::new(0));
    let r = ran.clone();
    let ev = base.event_new(a.as_raw_fd(), What::READ, move |_, _, _| r.set(r.get() + 1))?;
    base.event_add(ev, None)?;
    io::Write::write_all(&mut &b, b"x")?;
    refused.set(Some(a.as_raw_fd()));
    base.loop_(LoopFlags::ONCE)?;
    assert_eq!(ran.get(), 1);
    assert_eq!(base.event_state(ev)?, State::NonPending);
    assert_eq!(warnings(&heard).len(), 1, "{:?}", heard.notes.borrow());
    Ok(())
}

#[test]
fn a_bufferevent_whose_write_event_is_refused_hears_an_error() -> Result<()> {
    let (mut base, refused, _heard) = refusing_base()?;
    let (a, _b) = UnixStream::pair()?;
    a.set_nonblocking(true)?;
    let bev = base.bufferevent_socket_new(a.as_raw_fd(), BevOptions::NONE)?;
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    base.bufferevent_setcb(
        bev,
        None,
        None,
        Some(Box::new(move |_, _, events| s.borrow_mut().push(events))),
    )?;
    refused.set(Some(a.as_raw_fd()));
    base.bufferevent_write(bev, b"hello")?;
    assert_eq!(*seen.borrow(), vec![BevEvents::ERROR | BevEvents::WRITING]);
    let err = base.bufferevent_get_error(bev)?;
    assert_eq!(err.and_then(|e| e.raw_os_error()), Some(libc::EBADF));
    Ok(())
}
