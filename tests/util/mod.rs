//! Helpers shared by the integration tests: real fds, every backend, a recording observer.

mod cases;
mod counting_echo;
pub mod dash;
pub mod fake_link;
mod link;
mod lockstep;
mod net;
mod process;
pub mod synth;
pub mod tmux;
pub mod trace;
pub use cases::*;
pub use counting_echo::*;
pub use link::*;
pub use lockstep::*;
pub use net::*;
pub use process::*;

use std::cell::RefCell;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::{Duration, Instant};

use evscope::ev::{
    BackendKind, BevEvents, BevId, Cause, EventBase, EventId, Levels, ListenerId, Observer, State,
    What,
};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Runs `test` once on each backend, naming the backend when it fails.
pub fn each_backend(test: impl Fn(BackendKind) -> TestResult) {
    for kind in BackendKind::ALL {
        if let Err(e) = test(kind) {
            panic!("on the {} backend: {e}", kind.name());
        }
    }
}

/// A connected, non-blocking pair of Unix stream sockets.
pub fn socketpair() -> std::io::Result<(UnixStream, UnixStream)> {
    let (a, b) = UnixStream::pair()?;
    a.set_nonblocking(true)?;
    b.set_nonblocking(true)?;
    Ok((a, b))
}

/// Writes `bytes` to a stream, for making the other end readable.
pub fn poke(mut s: &UnixStream, bytes: &[u8]) -> std::io::Result<()> {
    s.write_all(bytes)
}

/// Reads whatever is there (non-blocking), returning how many bytes.
pub fn drain(mut s: &UnixStream) -> usize {
    let mut buf = [0u8; 4096];
    let mut total = 0;
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        total += n;
    }
    total
}

pub fn fd(s: &UnixStream) -> RawFd {
    s.as_raw_fd()
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// One thing an observer was told, in a form easy to assert on.
#[derive(Clone, Debug, PartialEq)]
pub enum Seen {
    New(EventId),
    Transition(EventId, State, State, Cause),
    Begin(EventId, What),
    End(EventId),
    Iteration(u64),
    Buffer(BevId, Levels),
    BevEvent(BevId, BevEvents),
    Accept(ListenerId, RawFd),
    Note(String),
}

/// An observer that records everything into a shared log.
#[derive(Clone, Default)]
pub struct Recorder {
    pub log: Rc<RefCell<Vec<Seen>>>,
}

impl Recorder {
    pub fn install(base: &mut EventBase) -> Recorder {
        let r = Recorder::default();
        base.set_observer(Box::new(r.clone()));
        r
    }

    /// The transitions of one event, as (from, to) pairs.
    pub fn transitions_of(&self, ev: EventId) -> Vec<(State, State)> {
        self.log
            .borrow()
            .iter()
            .filter_map(|s| match s {
                Seen::Transition(id, from, to, _) if *id == ev => Some((*from, *to)),
                _ => None,
            })
            .collect()
    }

    /// The notes told, in order.
    pub fn notes(&self) -> Vec<String> {
        self.log
            .borrow()
            .iter()
            .filter_map(|s| match s {
                Seen::Note(t) => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    /// The states one event went through, starting at `new`.
    pub fn path_of(&self, ev: EventId) -> Vec<State> {
        let mut path = vec![State::New];
        path.extend(self.transitions_of(ev).into_iter().map(|(_, to)| to));
        path
    }

    /// Every transition seen, checked against the legal table and against the previous state.
    pub fn assert_all_legal(&self) {
        let mut last: std::collections::HashMap<EventId, State> = Default::default();
        for s in self.log.borrow().iter() {
            match s {
                Seen::New(id) => {
                    last.insert(*id, State::New);
                }
                Seen::Transition(id, from, to, cause) => {
                    assert!(
                        from.can_go_to(*to),
                        "illegal {from} -> {to} ({cause}) for {id}"
                    );
                    if let Some(prev) = last.get(id) {
                        assert_eq!(prev, from, "{id}: transition from {from} but it was {prev}");
                    }
                    last.insert(*id, *to);
                }
                _ => {}
            }
        }
    }
}

impl Observer for Recorder {
    fn event_new(&mut self, ev: EventId, _fd: Option<RawFd>, _what: What, _label: &str) {
        self.log.borrow_mut().push(Seen::New(ev));
    }
    fn transition(
        &mut self,
        ev: EventId,
        _fd: Option<RawFd>,
        from: State,
        to: State,
        cause: Cause,
    ) {
        self.log
            .borrow_mut()
            .push(Seen::Transition(ev, from, to, cause));
    }
    fn callback_begin(&mut self, ev: EventId, what: What, _at: Instant) {
        self.log.borrow_mut().push(Seen::Begin(ev, what));
    }
    fn callback_end(&mut self, ev: EventId, _what: What, _dur: Duration, _at: Instant) {
        self.log.borrow_mut().push(Seen::End(ev));
    }
    fn loop_iteration(&mut self, n: u64) {
        self.log.borrow_mut().push(Seen::Iteration(n));
    }
    fn buffer(&mut self, bev: BevId, levels: &Levels) {
        self.log.borrow_mut().push(Seen::Buffer(bev, *levels));
    }
    fn bev_event(&mut self, bev: BevId, events: BevEvents) {
        self.log.borrow_mut().push(Seen::BevEvent(bev, events));
    }
    fn accept(&mut self, listener: ListenerId, fd: RawFd, _peer: Option<&std::net::SocketAddr>) {
        self.log.borrow_mut().push(Seen::Accept(listener, fd));
    }
    fn note(&mut self, text: &str) {
        self.log.borrow_mut().push(Seen::Note(text.to_string()));
    }
}
