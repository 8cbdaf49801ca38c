//! A synthetic but legal trace of any length: an echo-like loop with fd events, a persistent
//! timer and a bufferevent, for tests and benchmarks that need more records than the fixture.

use evscope::ev::{State, What};
use evscope::trace::{Body, Header, Record};

/// `n` records (at least) of `events` persistent read events plus one heartbeat timer.
pub fn trace(n: usize, events: u64) -> (Header, Vec<Record>) {
    let mut s = Synth::new(events);
    let mut out = Vec::with_capacity(n + 64);
    s.setup(&mut out);
    while out.len() < n {
        s.iteration(&mut out);
    }
    (Synth::header(), out)
}

/// The same trace made piece by piece, for traces too long to hold: [`Synth::setup`] once, then
/// [`Synth::iteration`] as often as wanted.
pub struct Synth {
    events: u64,
    seq: u64,
    t: u64,
    iter: u64,
    level: u64,
}

impl Synth {
    /// A loop of `events` persistent read events plus one heartbeat timer.
    pub fn new(events: u64) -> Synth {
        Synth {
            events,
            seq: 0,
            t: 0,
            iter: 0,
            level: 0,
        }
    }

    /// The trace's header.
    pub fn header() -> Header {
        Header::new("epoll", "synthetic")
    }

    fn push(&mut self, out: &mut Vec<Record>, body: Body) {
        self.t += 3;
        self.seq += 1;
        out.push(Record {
            seq: self.seq,
            t_us: self.t,
            base: 0,
            body,
        });
    }

    /// The bufferevent and the events made and added.
    pub fn setup(&mut self, out: &mut Vec<Record>) {
        let events = self.events;
        self.push(
            out,
            Body::BevNew {
                bev: 1,
                fd: Some(3),
                label: "conn".into(),
            },
        );
        for ev in 0..=events {
            let (fd, what) = if ev == events {
                (None, What::PERSIST)
            } else {
                (Some(ev as i32 + 4), What::READ | What::PERSIST)
            };
            self.push(
                out,
                Body::EventNew {
                    ev,
                    fd,
                    what,
                    label: format!("ev{ev}"),
                },
            );
            self.push(out, tr(ev, fd, State::New, State::Pending, "event_add"));
        }
    }

    /// One loop iteration: one event (in turn) becomes active and runs its callback.
    pub fn iteration(&mut self, out: &mut Vec<Record>) {
        let events = self.events;
        self.iter += 1;
        let iter = self.iter;
        let ev = iter % (events + 1);
        let fd = (ev != events).then_some(ev as i32 + 4);
        self.push(
            out,
            Body::LoopIteration {
                n: iter,
                thread: None,
            },
        );
        self.push(
            out,
            Body::PollBegin {
                backend: "epoll".into(),
                timeout_us: Some(1000),
            },
        );
        self.push(
            out,
            Body::PollEnd {
                ready: u64::from(fd.is_some()),
            },
        );
        let cause = if fd.is_some() {
            "fd_readable"
        } else {
            "timeout"
        };
        self.push(out, tr(ev, fd, State::Pending, State::Active, cause));
        self.push(
            out,
            Body::TimersExpired {
                n: u64::from(fd.is_none()),
            },
        );
        self.push(
            out,
            Body::RunActive {
                priority: 0,
                queued: 1,
            },
        );
        self.push(out, tr(ev, fd, State::Active, State::Callback, "dispatch"));
        self.push(
            out,
            Body::CallbackBegin {
                ev,
                what: What::READ,
            },
        );
        self.level = (self.level + 97) % 4096;
        let level = self.level;
        self.push(
            out,
            Body::Buffer {
                bev: 1,
                levels: evscope::ev::Levels {
                    input: level,
                    output: 4095 - level,
                    read_low: 0,
                    read_high: 4096,
                    write_low: 512,
                    write_high: 0,
                    enabled: What::READ | What::WRITE,
                    kernel_in: None,
                    kernel_out: None,
                },
            },
        );
        self.push(
            out,
            Body::CallbackEnd {
                ev,
                what: What::READ,
                dur_us: 5 + iter % 7,
            },
        );
        self.push(
            out,
            tr(ev, fd, State::Callback, State::Pending, "callback_returned"),
        );
    }
}

fn tr(ev: u64, fd: Option<i32>, from: State, to: State, cause: &str) -> Body {
    Body::Transition {
        ev,
        fd,
        from,
        to,
        cause: cause.to_string().into(),
    }
}
