//! Watching a buffer's length for the program's callbacks (libevent's `evbuffer_add_cb`): once
//! watched, every change libevent reports to its callbacks (`evbuffer_invoke_callbacks_`: an
//! add, a drain, each side of a move, a read, a write) is recorded here, to be taken by whoever
//! runs the callbacks once the call that made the change has let go of the buffer. A buffer
//! nobody watches pays one check per change.
//!
//! A bufferevent's buffers also change inside the engine (its socket is read into the input,
//! the output is written out); a watched one carries a hook that the engine calls at those
//! points, with the base, so the callbacks run where libevent would run them.

use super::super::base::EventBase;
use super::super::handle::BevId;
use super::Evbuffer;

/// One change of a buffer's length, as libevent's `struct evbuffer_cb_info` would count it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Change {
    /// Bytes added.
    pub added: usize,
    /// Bytes removed.
    pub deleted: usize,
    /// The length right after the change.
    pub len: usize,
}

/// Called by the engine, with the base, when a watched bufferevent buffer changed inside it.
pub type WatchHook = Box<dyn FnMut(&mut EventBase) + Send>;

/// The record of a watched buffer.
#[derive(Default)]
pub(crate) struct Watch {
    changes: Vec<Change>,
    hook: Option<WatchHook>,
}

impl Evbuffer {
    /// Records one change, if the buffer is watched and the change is one.
    #[inline]
    pub(crate) fn note(&mut self, added: usize, deleted: usize) {
        if let Some(w) = &mut self.watch {
            if added != 0 || deleted != 0 {
                w.changes.push(Change {
                    added,
                    deleted,
                    len: self.len,
                });
            }
        }
    }

    /// Starts recording the changes of the length (see [`Evbuffer::take_changes`]); `hook`, if
    /// any, replaces the one set before.
    pub fn watch(&mut self, hook: Option<WatchHook>) {
        let w = self.watch.get_or_insert_with(Box::default);
        if hook.is_some() {
            w.hook = hook;
        }
    }

    /// True while changes are recorded.
    pub fn is_watched(&self) -> bool {
        self.watch.is_some()
    }

    /// The changes recorded since last taken, oldest first.
    pub fn take_changes(&mut self) -> Vec<Change> {
        self.watch
            .as_mut()
            .map(|w| std::mem::take(&mut w.changes))
            .unwrap_or_default()
    }

    /// True when changes wait to be taken.
    pub fn has_changes(&self) -> bool {
        self.watch.as_ref().is_some_and(|w| !w.changes.is_empty())
    }
}

impl EventBase {
    /// Runs the hooks of the bufferevent's watched buffers that have changes waiting: the
    /// program's buffer callbacks see what the bufferevent itself did to them (read into the
    /// input, wrote the output out), when libevent would show it. Each hook is out of its buffer
    /// while it runs (a change made meanwhile waits for it to finish).
    pub(crate) fn bev_notify_buffers(&mut self, id: BevId) {
        for output in [false, true] {
            let hook = self.bev_any(id).and_then(|b| {
                let buf = if output { &mut b.output } else { &mut b.input };
                if buf.has_changes() {
                    buf.watch.as_mut().and_then(|w| w.hook.take())
                } else {
                    None
                }
            });
            let Some(mut hook) = hook else {
                continue;
            };
            hook(self);
            if let Some(b) = self.bev_any(id) {
                let buf = if output { &mut b.output } else { &mut b.input };
                if let Some(w) = buf.watch.as_mut() {
                    w.hook.get_or_insert(hook);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwatched_buffers_record_nothing() {
        let mut b = Evbuffer::new();
        b.add(b"abc");
        b.drain(1);
        assert!(!b.has_changes());
        assert!(b.take_changes().is_empty());
    }

    #[test]
    fn each_change_is_recorded_as_libevent_counts_it() {
        let mut a = Evbuffer::new();
        let mut b = Evbuffer::new();
        a.watch(None);
        b.watch(None);
        a.add(b"hello");
        a.add(b"");
        a.drain(0);
        a.prepend(b"<<");
        let mut out = [0u8; 3];
        assert_eq!(a.remove(&mut out), 3);
        b.add(b"xy");
        a.add_buffer(&mut b);
        assert_eq!(a.remove_buffer(&mut b, 2), 2);
        let ch = |added, deleted, len| Change {
            added,
            deleted,
            len,
        };
        assert_eq!(
            a.take_changes(),
            vec![
                ch(5, 0, 5),
                ch(2, 0, 7),
                ch(0, 3, 4),
                ch(2, 0, 6),
                ch(0, 2, 4)
            ]
        );
        assert_eq!(
            b.take_changes(),
            vec![ch(2, 0, 2), ch(0, 2, 0), ch(2, 0, 2)]
        );
        assert!(!a.has_changes());
    }

    #[test]
    fn readln_is_a_remove_then_a_drain() {
        let mut b = Evbuffer::new();
        b.add(b"line\r\nrest");
        b.watch(None);
        assert_eq!(b.readln(EolStyle::Crlf).as_deref(), Some(&b"line"[..]));
        let changes: Vec<_> = b.take_changes().iter().map(|c| c.deleted).collect();
        assert_eq!(changes, vec![4, 2]);
    }

    use super::super::EolStyle;
}
