//! [`Recorder`]: the [`Observer`] that turns the library's hooks into [`Record`]s.
//!
//! On the loop thread a record costs at most a clock read and a push onto a batch; batches go
//! through a bounded queue ([`Handoff`]) to a sink thread that encodes and writes them. Records
//! the loop makes around a callback or after its wait take the clock reading the loop made
//! itself (the hooks hand it over), and those it makes straight after another reuse the last
//! one, so a callback costs two clock reads, the wait one (the base's own). Lossless by
//! default: when the sink falls behind and the queue is full, the loop waits. In lossy mode the
//! loop never waits; what it could not hand over is counted and written as a `dropped` record.
//!
//! A batch is handed over when full, whenever the loop is about to wait in its backend (the
//! sink thread picks it up within a few milliseconds, so nothing recorded sits unwritten while
//! the program sleeps), at once while a viewer is stepping, and on drop, which also waits for
//! the sink thread to write everything: dropping the base flushes its trace.
//!
//! Several bases share one trace through [`Recorder::lane`]: each lane is the recorder of one
//! base (its records carry the base's id, with their own `seq`), all hand their batches to the
//! same sink thread, and the sink ends when the last lane is dropped.

use std::borrow::Cow;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::os::fd::RawFd;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::gate::Gate;
use super::handoff::{Handoff, Msg, Push};
use super::link::LinkMsg;
use super::link_sink::LinkSink;
use super::link_token::LinkToken;
use super::record::{Header, Record};
use super::schema::Body;
use super::sink::{run_sink, ChannelSink, JsonlSink, MessageSink, Sink};
use crate::ev::clock::Clock;
use crate::ev::sys::{process_generation, thread_id};
use crate::ev::{
    BaseInfo, BevEvents, BevId, Cause, EventId, Levels, ListenerId, Observer, State, What,
};

/// `Recorder::process` of a recorder that belongs to no process, so never records.
const NO_PROCESS: u64 = u64::MAX;

/// Records per batch.
const BATCH: usize = 256;
/// Records the queue holds before the loop waits (or, lossy, drops).
const QUEUE_RECORDS: usize = 1 << 14;

/// Which clock reading a record's `t_us` is.
#[derive(Clone, Copy)]
enum When {
    /// Read the clock now.
    Now,
    /// The last reading, for records the loop makes straight after another with no waiting or
    /// user code in between (the base caches its time the same way).
    Last,
    /// A reading the loop has just made and hands to the hook (around a callback, after the
    /// wait): the same moment, without reading the clock again.
    At(Instant),
}

/// The trace observer (install with `EventBase::set_observer`, or let `EVSCOPE_TRACE` do it).
pub struct Recorder {
    /// The trace's clock (`t_us` 0 at its start): the processor's counter where it can be
    /// trusted (`ev/clock.rs`).
    clock: Clock,
    seq: u64,
    /// The last clock reading, µs since the clock's start.
    t_us: u64,
    batch: Vec<Record>,
    /// The base the records are about (0: the trace's first base, described by the header).
    base: u32,
    /// The thread that last ran this base's loop (or made it), as `sys::thread_id` gives it.
    thread: u64,
    /// None when the sink thread could not be started: records are then discarded.
    sink: Option<Arc<SinkThread>>,
    gate: Option<Arc<Gate>>,
    /// How long the gate has held the loop since the running callback began.
    held: Duration,
    program: String,
    header_sent: bool,
    lossy: bool,
    dropped: u64,
    /// seq and t_us of the last record dropped, reused for the `dropped` record.
    last_dropped: (u64, u64),
    /// The process whose sink thread this is (`sys::process_generation`; `NO_PROCESS` for a
    /// recorder that never records): a copy of the recorder in a forked child never touches
    /// the parent's queue or thread.
    process: u64,
    /// The JSON Lines file written, for the child's own file after a fork.
    file: Option<PathBuf>,
}

impl Recorder {
    /// A recorder writing to `sink` on a thread of its own.
    pub fn new(sink: impl Sink) -> Recorder {
        Recorder {
            clock: Clock::new(Instant::now()),
            seq: 0,
            t_us: 0,
            batch: Vec::with_capacity(BATCH),
            base: 0,
            thread: thread_id(),
            sink: spawn(sink),
            gate: None,
            held: Duration::ZERO,
            program: program_name(),
            header_sent: false,
            lossy: false,
            dropped: 0,
            last_dropped: (0, 0),
            process: process_generation(),
            file: None,
        }
    }

    /// Records to a JSON Lines file (`EVSCOPE_TRACE=file:PATH`), created (or truncated) now; a
    /// forked child that calls `EventBase::event_reinit` goes on in a file of its own
    /// ([`child_path`]).
    pub fn to_file(path: impl AsRef<Path>) -> io::Result<Recorder> {
        let path = path.as_ref();
        let mut r = Recorder::new(JsonlSink::create(path)?);
        r.file = Some(path.to_path_buf());
        Ok(r)
    }

    /// Records JSON Lines to any writer.
    pub fn to_writer(out: impl Write + Send + 'static) -> Recorder {
        Recorder::new(JsonlSink::new(out))
    }

    /// Sends records to a channel, for a viewer in the same process. The header is not sent;
    /// [`Recorder::header`] gives it.
    pub fn to_channel() -> (Recorder, Receiver<Record>) {
        let (tx, rx) = mpsc::channel();
        (Recorder::new(ChannelSink(tx)), rx)
    }

    /// Sends everything a live link would (header, records, step-gate statuses) to a channel,
    /// for a viewer in the same process. With [`Recorder::with_gate`] and `Gate::connect`, the
    /// viewer steps the loop through `Gate::apply`.
    pub fn to_messages() -> (Recorder, Receiver<LinkMsg>) {
        let (tx, rx) = mpsc::channel();
        (Recorder::new(MessageSink(tx)), rx)
    }

    /// A live link to a viewer listening on the Unix socket at `path`
    /// (`EVSCOPE_TRACE=unix:PATH`), with a step gate. Waits up to `link::HELLO_TIMEOUT` for the
    /// viewer's first control line.
    pub fn connect_unix(path: impl AsRef<Path>) -> io::Result<Recorder> {
        let gate = Arc::new(Gate::new());
        let sink = LinkSink::connect_unix(path.as_ref(), gate.clone())?;
        Ok(Recorder::new(sink).with_gate(gate))
    }

    /// A live link that listens on `addr` for a viewer (`EVSCOPE_TRACE=tcp:127.0.0.1:PORT`),
    /// with a step gate. Refuses non-loopback addresses unless `force_remote`. Returns the bound
    /// address (useful with port 0). Viewers must show a random token, which is written to a
    /// file only this user can read (see [`LinkToken`]); `LinkClient::attach` finds it there.
    pub fn listen_tcp(addr: SocketAddr, force_remote: bool) -> io::Result<(Recorder, SocketAddr)> {
        Recorder::listen_tcp_with_token(addr, force_remote, None)
    }

    /// [`Recorder::listen_tcp`] with the token viewers must show given (`None`: a random one).
    pub fn listen_tcp_with_token(
        addr: SocketAddr,
        force_remote: bool,
        token: Option<LinkToken>,
    ) -> io::Result<(Recorder, SocketAddr)> {
        Recorder::listen_tcp_with_tokens(addr, force_remote, token, None)
    }

    /// [`Recorder::listen_tcp`] with the owner's token (which lets a viewer pause and step)
    /// and the follower token (which lets a viewer watch, read-only) given; `None`: a random
    /// one. The two must differ.
    pub fn listen_tcp_with_tokens(
        addr: SocketAddr,
        force_remote: bool,
        token: Option<LinkToken>,
        follow: Option<LinkToken>,
    ) -> io::Result<(Recorder, SocketAddr)> {
        let gate = Arc::new(Gate::new());
        let given = token.is_some() || follow.is_some();
        let token = match token {
            Some(t) => t,
            None => LinkToken::random()?,
        };
        let follow = match follow {
            Some(t) => t,
            None => LinkToken::random()?,
        };
        let (sink, bound) =
            LinkSink::listen_tcp(addr, force_remote, gate.clone(), (token, follow), given)?;
        Ok((Recorder::new(sink).with_gate(gate), bound))
    }

    /// Puts the loop under `gate`'s control.
    pub fn with_gate(mut self, gate: Arc<Gate>) -> Recorder {
        self.gate = Some(gate);
        self
    }

    /// The recorder of another base in the same trace: its records carry the next base id
    /// (`base`, counted by the caller: 1, 2, … in the order the bases are made), the first of
    /// them a `base_new` naming its backend and thread; `seq` counts from 1 for it; `t_us` is
    /// measured from this recorder's start, so every base shares one clock. It writes to the
    /// same sink, under the same gate, and the sink ends when the last recorder sharing it is
    /// dropped.
    pub fn lane(&self, base: u32) -> Recorder {
        self.lane_on(self.sink.clone(), base)
    }

    /// [`Recorder::lane`] writing to `sink`.
    fn lane_on(&self, sink: Option<Arc<SinkThread>>, base: u32) -> Recorder {
        Recorder {
            clock: Clock::new(self.clock.started()),
            seq: 0,
            t_us: 0,
            batch: Vec::with_capacity(BATCH),
            base,
            thread: thread_id(),
            sink,
            gate: self.gate.clone(),
            held: Duration::ZERO,
            program: self.program.clone(),
            // The header is base 0's; this base starts with its `base_new`.
            header_sent: true,
            lossy: self.lossy,
            dropped: 0,
            last_dropped: (0, 0),
            process: process_generation(),
            file: self.file.clone(),
        }
    }

    /// When the trace's clock started (`t_us` 0).
    pub(crate) fn started(&self) -> Instant {
        self.clock.started()
    }

    /// The base this recorder's records are about (0 for the trace's first).
    pub fn base(&self) -> u32 {
        self.base
    }

    /// Lossy mode: never make the loop wait; count what is dropped and record it.
    pub fn lossy(mut self, lossy: bool) -> Recorder {
        self.lossy = lossy;
        self
    }

    /// Names what is observed in the header (default: the command line).
    pub fn program(mut self, program: &str) -> Recorder {
        self.program = program.to_string();
        self
    }

    /// The header this recorder writes (backend known once attached).
    pub fn header(&self, backend: &str) -> Header {
        let mut h = Header::new(backend, &self.program);
        h.thread = Some(self.thread);
        h
    }

    /// How many records have been made so far.
    pub fn records(&self) -> u64 {
        self.seq
    }

    /// Sends what is batched and waits until the sink has written it.
    pub fn flush(&mut self) {
        if self.parents_copy() {
            return;
        }
        self.send_batch(Push::Wait);
        if let Some(s) = &self.sink {
            s.flush();
        }
    }

    fn send_header(&mut self, backend: &str) {
        self.header_sent = true;
        let header = self.header(backend);
        self.send(Msg::Header(header));
    }

    fn send(&mut self, msg: Msg) {
        if let Some(s) = &self.sink {
            s.handoff.push(msg);
        }
    }

    /// Makes one record, reading the clock.
    fn emit(&mut self, body: Body) {
        self.emit_timed(body, When::Now);
    }

    /// Makes one record: through the gate, then onto the batch, at the time `when` says; a
    /// record that passes an engaged gate (which may have held it) always reads the clock.
    fn emit_timed(&mut self, body: Body, when: When) {
        if !self.header_sent {
            self.send_header("");
        }
        let gated = match &self.gate {
            Some(g) if g.engaged() => Some(g.clone()),
            _ => None,
        };
        if let Some(gate) = &gated {
            if !gate.turn(false) {
                // Held: first show the viewer everything before this record.
                self.send_batch(Push::Urgent);
                let held_from = Instant::now();
                gate.turn(true);
                self.held += held_from.elapsed();
            }
        }
        self.seq += 1;
        // A record an engaged gate passed (which may have held it) reads the clock.
        let t_us = match when {
            When::At(at) if gated.is_none() => {
                Some(us(at.saturating_duration_since(self.clock.started())))
            }
            When::Last if gated.is_none() && self.seq > 1 => None,
            _ => Some(self.clock.now_ns() / 1000),
        };
        if let Some(t_us) = t_us {
            // Never before the record before it, whichever reading it took.
            self.t_us = t_us.max(self.t_us);
        }
        let t_us = self.t_us;
        let status = gated.as_ref().and_then(|g| g.passed(&body));
        self.batch.push(Record {
            seq: self.seq,
            t_us,
            base: self.base,
            body,
        });
        if let Some(status) = status {
            self.send_batch(Push::Urgent);
            self.send(Msg::Status(status));
        } else if gated.as_ref().is_some_and(|g| g.is_paused()) {
            // Stepping: the record just released is shown at once.
            self.send_batch(Push::Urgent);
        } else if self.batch.len() >= BATCH {
            self.send_batch(self.how());
        }
    }

    /// How an ordinary batch is handed over: waiting when the queue is full, unless lossy.
    fn how(&self) -> Push {
        if self.lossy {
            Push::Try
        } else {
            Push::Wait
        }
    }

    /// Hands the batch to the sink thread. Only `Push::Try` (lossy mode) may drop it, counting
    /// what was dropped for the next `dropped` record.
    fn send_batch(&mut self, how: Push) {
        if self.batch.is_empty() && self.dropped == 0 {
            return;
        }
        if self.parents_copy() {
            self.batch.clear();
            return;
        }
        let Some(sink) = &self.sink else {
            self.batch.clear();
            return;
        };
        if self.dropped > 0 {
            let (seq, t_us) = self.last_dropped;
            let count = self.dropped;
            self.batch.insert(
                0,
                Record {
                    seq,
                    t_us,
                    base: self.base,
                    body: Body::Dropped { count },
                },
            );
        }
        if sink.handoff.push_records(&mut self.batch, how) {
            self.dropped = 0;
            return;
        }
        // Lossy and full: count what is lost.
        if self.dropped > 0 {
            self.batch.remove(0);
        }
        if let Some(last) = self.batch.last() {
            self.last_dropped = (last.seq, last.t_us);
        }
        self.dropped += self.batch.len() as u64;
        self.batch.clear();
    }
}

impl Recorder {
    /// True in a forked child that did not take the recorder over (`forked`): the queue and
    /// the sink thread are the parent's, and the thread does not exist here.
    fn parents_copy(&self) -> bool {
        self.process != process_generation()
    }

    /// In a forked child: lets go of the parent's sink thread and queue untouched, and goes on
    /// in a trace of the child's own — for a file, [`child_path`] of it; a live link stays with
    /// the parent, and the child's records go nowhere. The child's trace starts with its own
    /// header and a `dropped` record standing for the records before the fork, which are in the
    /// parent's trace; `seq` and `t_us` go on from there, so the parent's records up to the
    /// fork followed by the child's are the child's whole history. In the child's trace this
    /// base is base 0, and bases the child makes later join it ([`super::spec`]).
    fn take_over_after_fork(&mut self, backend: &str) {
        if !self.parents_copy() {
            return;
        }
        // The parent's: its queue may be locked by a thread that is not in this process, and
        // joining that thread would wait forever.
        std::mem::forget(self.sink.take());
        std::mem::forget(self.gate.take());
        self.base = 0;
        self.thread = thread_id();
        self.process = process_generation();
        let pid = std::process::id();
        // The parent writes what was batched before the fork.
        self.batch.clear();
        self.dropped = self.seq;
        self.last_dropped = (self.seq, self.t_us);
        self.header_sent = false;
        let Some(parent) = self.file.clone() else {
            return;
        };
        let path = child_path(&parent, pid);
        match JsonlSink::create(&path) {
            Ok(sink) => {
                self.sink = spawn(sink);
                self.file = Some(path);
                self.send_header(backend);
                super::spec::adopt_after_fork(self);
            }
            Err(e) => eprintln!("evscope: the forked child {pid} is not traced: {e}"),
        }
    }
}

/// Where a forked child's trace goes: the parent's file name with the child's pid before its
/// extension (`trace.jsonl` → `trace.4242.jsonl`; `trace` → `trace.4242`).
pub fn child_path(parent: &Path, pid: u32) -> PathBuf {
    let name = parent
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let child = match name.find(".jsonl") {
        Some(at) if at > 0 => format!("{}.{pid}{}", &name[..at], &name[at..]),
        _ => format!("{name}.{pid}"),
    };
    parent.with_file_name(child)
}

/// What the bases made after the first need to join its trace, without keeping the trace
/// open: once every recorder sharing the sink is dropped, the trace is over.
pub(crate) struct Lanes {
    /// A recorder that never records: the settings every lane copies (its sink is `None`).
    template: Recorder,
    sink: Weak<SinkThread>,
    next: u32,
}

impl Lanes {
    /// Waits (a few seconds at most) until the sink has written everything handed to it so
    /// far, if the trace is not over.
    pub(crate) fn flush(&self) {
        if let Some(sink) = self.sink.upgrade() {
            sink.flush_within(Duration::from_secs(3));
        }
    }

    /// The recorder of the next base, or None when the trace is over.
    pub(crate) fn next_lane(&mut self) -> Option<Recorder> {
        let sink = self.sink.upgrade()?;
        self.next += 1;
        Some(self.template.lane_on(Some(sink), self.next))
    }
}

impl Recorder {
    /// Starts counting bases at this recorder (base 0, made at `started`), for
    /// [`Lanes::next_lane`].
    pub(crate) fn lanes(&mut self, started: Instant) -> Lanes {
        self.clock = Clock::new(started);
        let mut template = self.lane_on(None, 0);
        template.process = NO_PROCESS;
        Lanes {
            template,
            sink: self.sink.as_ref().map_or_else(Weak::new, Arc::downgrade),
            next: 0,
        }
    }
}

/// The thread that writes a trace, and the queue that feeds it. Dropped with the last recorder
/// sharing it: the queue closes and the thread finishes writing.
pub(crate) struct SinkThread {
    handoff: Arc<Handoff>,
    thread: Option<JoinHandle<()>>,
}

impl SinkThread {
    /// Waits until the sink has written everything handed to it so far.
    pub(crate) fn flush(&self) {
        let (ack_tx, ack_rx) = mpsc::channel();
        self.handoff.push(Msg::Flush(ack_tx));
        let _ = ack_rx.recv();
    }

    /// [`SinkThread::flush`], waiting at most `limit`.
    fn flush_within(&self, limit: Duration) {
        let (ack_tx, ack_rx) = mpsc::channel();
        self.handoff.push(Msg::Flush(ack_tx));
        let _ = ack_rx.recv_timeout(limit);
    }
}

impl Drop for SinkThread {
    fn drop(&mut self) {
        self.handoff.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the sink thread for `sink`; None if no thread could be started (records are then
/// discarded).
fn spawn(sink: impl Sink) -> Option<Arc<SinkThread>> {
    let handoff = Arc::new(Handoff::new(QUEUE_RECORDS));
    let h = handoff.clone();
    let thread = std::thread::Builder::new()
        .name("evscope-trace".into())
        .spawn(move || run_sink(sink, &h))
        .ok()?;
    Some(Arc::new(SinkThread {
        handoff,
        thread: Some(thread),
    }))
}

impl Drop for Recorder {
    /// Writes everything recorded and waits until it is written; the last recorder of a trace
    /// also waits for the sink thread to finish.
    fn drop(&mut self) {
        if self.parents_copy() {
            std::mem::forget(self.sink.take());
            return;
        }
        self.send_batch(Push::Wait);
        if let Some(sink) = self.sink.take() {
            if let Err(shared) = Arc::try_unwrap(sink) {
                // Other bases go on writing to it: only make sure this one's records are out.
                shared.flush();
            }
        }
    }
}

fn program_name() -> String {
    let args: Vec<String> = std::env::args().collect();
    args.join(" ")
}

fn us(d: Duration) -> u64 {
    // As `as_micros`, without its 128-bit arithmetic.
    d.as_secs()
        .saturating_mul(1_000_000)
        .saturating_add(u64::from(d.subsec_micros()))
}

impl Observer for Recorder {
    fn attached(&mut self, base: &BaseInfo) {
        if self.base == 0 {
            self.clock = Clock::new(base.started);
            if !self.header_sent {
                self.send_header(base.backend);
            }
        } else if self.seq == 0 {
            self.emit(Body::BaseNew {
                backend: base.backend.to_string(),
                thread: self.thread,
            });
        }
    }
    fn event_new(&mut self, ev: EventId, fd: Option<RawFd>, what: What, label: &str) {
        self.emit(Body::EventNew {
            ev: ev.trace_id(),
            fd,
            what,
            label: label.to_string(),
        });
    }
    fn transition(&mut self, ev: EventId, fd: Option<RawFd>, from: State, to: State, cause: Cause) {
        // Transitions the loop makes right after the wait or around a callback reuse the
        // clock reading of the record before them.
        let when = match cause {
            Cause::Dispatch
            | Cause::Returned
            | Cause::Ready(_)
            | Cause::Timeout
            | Cause::Signal => When::Last,
            _ => When::Now,
        };
        let body = Body::Transition {
            ev: ev.trace_id(),
            fd,
            from,
            to,
            cause: Cow::Borrowed(cause.as_str()),
        };
        self.emit_timed(body, when);
    }
    fn callback_begin(&mut self, ev: EventId, what: What, at: Instant) {
        // The callback is timed from `at`, before this record: a hold of the gate at it counts
        // as held, as every hold until the callback returns does.
        self.held = Duration::ZERO;
        let body = Body::CallbackBegin {
            ev: ev.trace_id(),
            what,
        };
        self.emit_timed(body, When::At(at));
    }
    fn callback_end(&mut self, ev: EventId, what: What, dur: Duration, at: Instant) {
        // A callback stepped through record by record ran only as long as it ran, not as long
        // as the viewer held it.
        let ran = dur.saturating_sub(self.held);
        let body = Body::CallbackEnd {
            ev: ev.trace_id(),
            what,
            dur_us: us(ran),
        };
        self.emit_timed(body, When::At(at));
    }
    fn loop_iteration(&mut self, n: u64) {
        // Which thread runs the loop, when it is not the one last named for this base (a base
        // made on one thread and run on another, as memcached's workers are).
        let now = thread_id();
        let thread = (now != self.thread).then_some(now);
        self.thread = now;
        self.emit(Body::LoopIteration { n, thread });
    }
    fn poll_begin(&mut self, backend: &'static str, timeout: Option<Duration>) {
        let body = Body::PollBegin {
            backend: Cow::Borrowed(backend),
            timeout_us: timeout.map(us),
        };
        self.emit_timed(body, When::Last);
        // The loop may sleep now: let the sink see everything so far.
        if timeout != Some(Duration::ZERO) {
            let how = self.how();
            self.send_batch(how);
        }
    }
    fn may_hold(&self) -> bool {
        self.gate.as_ref().is_some_and(|g| g.engaged())
    }
    fn poll_end(&mut self, ready: usize, at: Instant) {
        let body = Body::PollEnd {
            ready: ready as u64,
        };
        self.emit_timed(body, When::At(at));
    }
    fn timers_expired(&mut self, expired: usize) {
        self.emit_timed(Body::TimersExpired { n: expired as u64 }, When::Last);
    }
    fn run_active(&mut self, priority: u8, queued: usize) {
        let body = Body::RunActive {
            priority,
            queued: queued as u64,
        };
        self.emit_timed(body, When::Last);
    }
    fn bufferevent_new(&mut self, bev: BevId, fd: Option<RawFd>, label: &str) {
        self.emit(Body::BevNew {
            bev: bev.trace_id(),
            fd,
            label: label.to_string(),
        });
    }
    fn buffer(&mut self, bev: BevId, levels: &Levels) {
        self.emit(Body::Buffer {
            bev: bev.trace_id(),
            levels: *levels,
        });
    }
    fn bev_event(&mut self, bev: BevId, events: BevEvents) {
        self.emit(Body::BevEvent {
            bev: bev.trace_id(),
            events,
        });
    }
    fn bufferevent_freed(&mut self, bev: BevId) {
        self.emit(Body::BevFree {
            bev: bev.trace_id(),
        });
    }
    fn accept(&mut self, listener: ListenerId, fd: RawFd, peer: Option<&SocketAddr>) {
        self.emit(Body::Accept {
            listener: listener.trace_id(),
            fd,
            peer: peer.map(|p| p.to_string()),
        });
    }
    fn note(&mut self, text: &str) {
        self.emit(Body::Note {
            text: text.to_string(),
        });
    }
    fn forked(&mut self, base: &BaseInfo) {
        self.take_over_after_fork(base.backend);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forked_childs_file_has_its_pid_before_the_extension() {
        let p = |s: &str| child_path(Path::new(s), 42);
        assert_eq!(p("/t/run.jsonl"), Path::new("/t/run.42.jsonl"));
        assert_eq!(p("run.jsonl.zst"), Path::new("run.42.jsonl.zst"));
        assert_eq!(p("/t/trace"), Path::new("/t/trace.42"));
        assert_eq!(p(".jsonl"), Path::new(".jsonl.42"));
    }
}
