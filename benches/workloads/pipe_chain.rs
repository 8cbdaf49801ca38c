//! libevent's `test/bench.c`: `n` socketpairs, each read end watched by a persistent `READ`
//! event whose callback reads one byte and, while writes remain, writes one byte into the next
//! pair (a ring). One byte is injected; the loop runs `ONCE | NONBLOCK` until every byte written
//! has been read. Only that loop is timed. `bench/c/pipe_chain.c` is the libevent twin.

use std::cell::Cell;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::{Duration, Instant};

use evscope::ev::{BackendKind, Error, EventBase, EventId, LoopFlags, What};

use super::fd_limit::soft_nofile;
use super::{BenchError, Skip};

/// Descriptors the process needs beyond the pairs (std streams, epoll, slack).
const FD_SLACK: u64 = 32;

#[derive(Default)]
struct Counters {
    /// Bytes read (bench.c's `count`).
    count: Cell<u64>,
    /// Writes still to do (bench.c's `writes`).
    writes: Cell<u64>,
    /// Bytes written (bench.c's `fired`).
    fired: Cell<u64>,
}

/// The ring of pairs and their events on one base.
pub struct PipeChain {
    base: EventBase,
    events: Vec<EventId>,
    writers: Rc<Vec<UnixStream>>,
    counters: Rc<Counters>,
}

impl PipeChain {
    /// Creates `n` pairs and their events on a `kind` base. Skips (rather than fails) when the
    /// fd limit is too low, or when select cannot watch the fds.
    pub fn new(kind: BackendKind, n: usize) -> Result<PipeChain, BenchError> {
        let need = 2 * n as u64 + FD_SLACK;
        if let Some(limit) = soft_nofile() {
            if limit < need {
                return Err(Box::new(Skip(format!(
                    "{n} pairs need {need} fds but RLIMIT_NOFILE is {limit} (run `ulimit -n {need}` first)"
                ))));
            }
        }
        let mut base = EventBase::with_backend(kind)?;
        let mut readers = Vec::with_capacity(n);
        let mut writers = Vec::with_capacity(n);
        for _ in 0..n {
            let (r, w) = UnixStream::pair()?;
            readers.push(r);
            writers.push(w);
        }
        let writers = Rc::new(writers);
        let counters = Rc::new(Counters::default());
        let mut events = Vec::with_capacity(n);
        for (i, reader) in readers.into_iter().enumerate() {
            let fd = reader.as_raw_fd();
            let next = Rc::clone(&writers);
            let c = Rc::clone(&counters);
            let cb = move |_: &mut EventBase, _: EventId, _: What| {
                let mut byte = [0u8; 1];
                if let Ok(got) = (&reader).read(&mut byte) {
                    c.count.set(c.count.get() + got as u64);
                }
                if c.writes.get() > 0 {
                    let _ = (&next[(i + 1) % next.len()]).write(b"e");
                    c.writes.set(c.writes.get() - 1);
                    c.fired.set(c.fired.get() + 1);
                }
            };
            events.push(base.event_new(fd, What::READ | What::PERSIST, cb)?);
        }
        Ok(PipeChain {
            base,
            events,
            writers,
            counters,
        })
    }

    /// One bench.c `run_once` with `writes` chained writes: re-add every event, inject a byte,
    /// and time the loop until every byte is read.
    pub fn run(&mut self, writes: u64) -> Result<Duration, BenchError> {
        for &ev in &self.events {
            self.base.event_del(ev)?;
            match self.base.event_add(ev, None) {
                Err(Error::FdTooLarge { fd, limit }) => {
                    return Err(Box::new(Skip(format!(
                        "select cannot watch fd {fd} (FD_SETSIZE is {limit}); {} pairs need fds up to about {}",
                        self.events.len(),
                        2 * self.events.len() + 3
                    ))))
                }
                other => other?,
            }
        }
        let once = LoopFlags::ONCE | LoopFlags::NONBLOCK;
        self.base.loop_(once)?;
        let c = &self.counters;
        (&self.writers[0]).write_all(b"e")?;
        c.fired.set(1);
        c.count.set(0);
        c.writes.set(writes);
        let limit = 4 * writes + 1_000;
        let mut iterations = 0u64;
        let began = Instant::now();
        while c.count.get() != c.fired.get() {
            self.base.loop_(once)?;
            iterations += 1;
            if iterations > limit {
                return Err(format!(
                    "the chain stalled: {} of {} bytes read after {iterations} loops",
                    c.count.get(),
                    c.fired.get()
                )
                .into());
            }
        }
        Ok(began.elapsed())
    }

    /// `writes` chained writes in bench.c runs of at most 1000; returns the timed total.
    pub fn writes(&mut self, writes: u64) -> Result<Duration, BenchError> {
        let mut total = Duration::ZERO;
        let mut left = writes;
        while left > 0 {
            let k = left.min(1_000);
            total += self.run(k)?;
            left -= k;
        }
        Ok(total)
    }
}
