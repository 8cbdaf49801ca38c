//! Writes the dashboard's fixture trace (`tests/fixtures/dash_echo.jsonl`) from a real run of the
//! library: an echo over a Unix socketpair driven by timers, a persistent heartbeat, a one-shot
//! greeting and an `event_active` wake-up, on the epoll backend.
//!
//! `cargo run --example dash_fixture > tests/fixtures/dash_echo.jsonl`
//!
//! The hook-to-record converter here is a stand-in for the trace recorder; the echo keeps its
//! own user-space buffers and reports them as bufferevent levels, with the kernel's queue given
//! by the bytes written and not yet read on the other side.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::{Duration, Instant};

use evscope::ev::{
    BackendKind, BaseInfo, BevEvents, Cause, EventBase, EventId, Observer, State, What,
};
use evscope::trace::{Body, Header, Record};

/// Collects records, numbering them and timing them from the base's start.
struct Log {
    started: Instant,
    records: Vec<Record>,
}

impl Log {
    fn push(&mut self, body: Body) {
        let t_us = self.started.elapsed().as_micros() as u64;
        let seq = self.records.len() as u64 + 1;
        self.records.push(Record { seq, t_us, body });
    }
}

#[derive(Clone)]
struct Converter(Rc<RefCell<Log>>);

impl Observer for Converter {
    fn attached(&mut self, base: &BaseInfo) {
        self.0.borrow_mut().started = base.started;
    }
    fn event_new(&mut self, ev: EventId, fd: Option<RawFd>, what: What, label: &str) {
        self.0.borrow_mut().push(Body::EventNew {
            ev: ev.trace_id(),
            fd,
            what,
            label: label.to_string(),
        });
    }
    fn transition(&mut self, ev: EventId, fd: Option<RawFd>, from: State, to: State, c: Cause) {
        self.0.borrow_mut().push(Body::Transition {
            ev: ev.trace_id(),
            fd,
            from,
            to,
            cause: c.as_str().to_string(),
        });
    }
    fn callback_begin(&mut self, ev: EventId, what: What) {
        let ev = ev.trace_id();
        self.0.borrow_mut().push(Body::CallbackBegin { ev, what });
    }
    fn callback_end(&mut self, ev: EventId, what: What, dur: Duration) {
        let (ev, dur_us) = (ev.trace_id(), dur.as_micros() as u64);
        self.0
            .borrow_mut()
            .push(Body::CallbackEnd { ev, what, dur_us });
    }
    fn loop_iteration(&mut self, n: u64) {
        self.0.borrow_mut().push(Body::LoopIteration { n });
    }
    fn poll_begin(&mut self, backend: &'static str, timeout: Option<Duration>) {
        self.0.borrow_mut().push(Body::PollBegin {
            backend: backend.to_string(),
            timeout_us: timeout.map(|t| t.as_micros() as u64),
        });
    }
    fn poll_end(&mut self, ready: usize) {
        self.0.borrow_mut().push(Body::PollEnd {
            ready: ready as u64,
        });
    }
    fn timers_expired(&mut self, n: usize) {
        self.0
            .borrow_mut()
            .push(Body::TimersExpired { n: n as u64 });
    }
    fn run_active(&mut self, priority: u8, queued: usize) {
        self.0.borrow_mut().push(Body::RunActive {
            priority,
            queued: queued as u64,
        });
    }
    fn note(&mut self, text: &str) {
        self.0.borrow_mut().push(Body::Note {
            text: text.to_string(),
        });
    }
}

/// One side's user-space buffers, reported as a bufferevent.
struct Side {
    bev: u64,
    input: Vec<u8>,
    output: Vec<u8>,
    enabled: What,
}

const READ_HIGH: u64 = 1024;

fn levels(log: &Rc<RefCell<Log>>, s: &Side, kernel_in: u64) {
    log.borrow_mut().push(Body::Buffer {
        bev: s.bev,
        input: s.input.len() as u64,
        output: s.output.len() as u64,
        read_low: 0,
        read_high: READ_HIGH,
        write_low: 0,
        write_high: 0,
        enabled: s.enabled,
        kernel_in: Some(kernel_in),
        kernel_out: Some(0),
    });
}

/// Bytes written into each direction of the socketpair and read out of it.
#[derive(Default)]
struct Wire {
    to_server: u64,
    read_by_server: u64,
    to_client: u64,
    read_by_client: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut base = EventBase::with_backend(BackendKind::Epoll)?;
    let log = Rc::new(RefCell::new(Log {
        started: base.started(),
        records: Vec::new(),
    }));
    base.set_observer(Box::new(Converter(log.clone())));
    base.priority_init(2)?;

    let (srv, cli) = UnixStream::pair()?;
    srv.set_nonblocking(true)?;
    cli.set_nonblocking(true)?;
    let (srv, cli) = (Rc::new(srv), Rc::new(cli));
    let wire = Rc::new(RefCell::new(Wire::default()));
    let server = Rc::new(RefCell::new(Side {
        bev: 1,
        input: Vec::new(),
        output: Vec::new(),
        enabled: What::READ | What::WRITE,
    }));
    let client = Rc::new(RefCell::new(Side {
        bev: 2,
        input: Vec::new(),
        output: Vec::new(),
        enabled: What::READ | What::WRITE,
    }));
    for (bev, fd, label) in [
        (1, srv.as_raw_fd(), "echo server"),
        (2, cli.as_raw_fd(), "client"),
    ] {
        log.borrow_mut().push(Body::BevNew {
            bev,
            fd: Some(fd),
            label: label.into(),
        });
        log.borrow_mut().push(Body::BevEvent {
            bev,
            events: BevEvents::CONNECTED,
        });
    }
    levels(&log, &server.borrow(), 0);
    levels(&log, &client.borrow(), 0);

    // The server writes its output buffer when the socket is writable (one-shot, re-added).
    let (s2, l2, srv2, w2) = (server.clone(), log.clone(), srv.clone(), wire.clone());
    let srv_write = base.event_new_labeled(
        srv.as_raw_fd(),
        What::WRITE,
        "echo write",
        move |base, id, _| {
            let mut s = s2.borrow_mut();
            let n = (&*srv2).write(&s.output).unwrap_or(0);
            s.output.drain(..n);
            w2.borrow_mut().to_client += n as u64;
            let w = w2.borrow();
            levels(&l2, &s, w.to_server - w.read_by_server);
            if !s.output.is_empty() {
                drop(w);
                base.add(id, None).ok();
            }
        },
    )?;

    // The server reads what arrived, and echoes it by moving it to its output buffer.
    let (s3, l3, srv3, w3) = (server.clone(), log.clone(), srv.clone(), wire.clone());
    let srv_read = Rc::new(RefCell::new(None::<EventId>));
    let srv_read2 = srv_read.clone();
    let read_id = base.event_new_labeled(
        srv.as_raw_fd(),
        What::READ | What::PERSIST,
        "echo read",
        move |base, id, _| {
            let mut buf = [0u8; 512];
            let n = (&*srv3).read(&mut buf).unwrap_or(0);
            if n == 0 {
                base.note("server: the client closed its end; freeing the echo's events");
                l3.borrow_mut().push(Body::BevEvent {
                    bev: 1,
                    events: BevEvents::READING | BevEvents::EOF,
                });
                base.free(id).ok();
                base.free(srv_write).ok();
                srv3.shutdown(Shutdown::Write).ok();
                l3.borrow_mut().push(Body::BevFree { bev: 1 });
                return;
            }
            let mut s = s3.borrow_mut();
            s.input.extend_from_slice(&buf[..n]);
            w3.borrow_mut().read_by_server += n as u64;
            let pending = {
                let w = w3.borrow();
                w.to_server - w.read_by_server
            };
            levels(&l3, &s, pending);
            let data: Vec<u8> = s.input.drain(..).collect();
            s.output.extend_from_slice(&data);
            levels(&l3, &s, pending);
            drop(s);
            base.add(srv_write, None).ok();
        },
    )?;
    *srv_read2.borrow_mut() = Some(read_id);
    base.add(read_id, None)?;

    // The client reads the echo back; at EOF it frees itself and stops the heartbeat.
    let (c4, l4, cli4, w4) = (client.clone(), log.clone(), cli.clone(), wire.clone());
    let heartbeat = Rc::new(RefCell::new(None::<EventId>));
    let hb4 = heartbeat.clone();
    let cli_read = base.event_new_labeled(
        cli.as_raw_fd(),
        What::READ | What::PERSIST,
        "client read",
        move |base, id, _| {
            let mut buf = [0u8; 512];
            let n = (&*cli4).read(&mut buf).unwrap_or(0);
            if n == 0 {
                l4.borrow_mut().push(Body::BevEvent {
                    bev: 2,
                    events: BevEvents::READING | BevEvents::EOF,
                });
                base.free(id).ok();
                l4.borrow_mut().push(Body::BevFree { bev: 2 });
                if let Some(hb) = *hb4.borrow() {
                    base.del(hb).ok();
                }
                return;
            }
            let mut c = c4.borrow_mut();
            c.input.extend_from_slice(&buf[..n]);
            w4.borrow_mut().read_by_client += n as u64;
            let pending = {
                let w = w4.borrow();
                w.to_client - w.read_by_client
            };
            levels(&l4, &c, pending);
            c.input.clear();
            levels(&l4, &c, pending);
        },
    )?;
    base.add(cli_read, None)?;

    // The client sends a growing message every 4 ms, six times, then half-closes.
    let (c5, l5, cli5, w5) = (client.clone(), log.clone(), cli.clone(), wire.clone());
    let mut sent = 0usize;
    let sender =
        base.event_new_labeled(None, What::PERSIST, "client send", move |base, id, _| {
            sent += 1;
            if sent > 6 {
                base.note("client: done sending; shutting down its write side");
                cli5.shutdown(Shutdown::Write).ok();
                c5.borrow_mut().enabled = What::READ;
                levels(&l5, &c5.borrow(), 0);
                base.free(id).ok();
                return;
            }
            let mut c = c5.borrow_mut();
            let line = format!("hello {sent} ").repeat(sent * 12);
            c.output.extend_from_slice(line.as_bytes());
            levels(&l5, &c, 0);
            let n = (&*cli5).write(&c.output).unwrap_or(0);
            c.output.drain(..n);
            w5.borrow_mut().to_server += n as u64;
            levels(&l5, &c, 0);
        })?;
    base.add(sender, Some(Duration::from_millis(4)))?;

    // A persistent heartbeat at high priority (0).
    let hb = base.event_new_labeled(None, What::PERSIST, "heartbeat", |_b, _id, _| {})?;
    base.priority_set(hb, 0)?;
    base.add(hb, Some(Duration::from_millis(9)))?;
    *heartbeat.borrow_mut() = Some(hb);

    // A one-shot greeting that wakes another event with event_active.
    let wake = base.event_new_labeled(None, What::NONE, "wake-up", |base, _id, _| {
        base.note("wake-up ran because the greeting called event_active");
    })?;
    let greet = base.event_new_labeled(None, What::NONE, "greeting", move |base, _id, _| {
        base.active(wake, What::TIMEOUT).ok();
    })?;
    base.add(greet, Some(Duration::from_millis(2)))?;

    base.note("echo over a socketpair: a client sends six messages, the server echoes them");
    base.dispatch()?;
    base.free(hb)?;
    base.free(greet)?;
    base.free(wake)?;

    let mut out = std::io::stdout().lock();
    let header = Header::new(base.method(), "dash_echo");
    writeln!(out, "{}", serde_json::to_string(&header)?)?;
    for r in &log.borrow().records {
        writeln!(out, "{}", serde_json::to_string(r)?)?;
    }
    Ok(())
}
