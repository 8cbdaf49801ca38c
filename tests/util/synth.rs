//! A synthetic but legal trace of any length: an echo-like loop with fd events, a persistent
//! timer and a bufferevent, for tests and benchmarks that need more records than the fixture.

use evscope::ev::{State, What};
use evscope::trace::{Body, Header, Record};

/// `n` records (at least) of `events` persistent read events plus one heartbeat timer.
pub fn trace(n: usize, events: u64) -> (Header, Vec<Record>) {
    let header = Header::new("epoll", "synthetic");
    let mut out = Vec::with_capacity(n + 64);
    let mut t = 0u64;
    let mut push = |out: &mut Vec<Record>, body: Body| {
        t += 3;
        let seq = out.len() as u64 + 1;
        out.push(Record {
            seq,
            t_us: t,
            base: 0,
            body,
        });
    };
    push(
        &mut out,
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
        push(
            &mut out,
            Body::EventNew {
                ev,
                fd,
                what,
                label: format!("ev{ev}"),
            },
        );
        push(
            &mut out,
            tr(ev, fd, State::New, State::Pending, "event_add"),
        );
    }
    let mut iter = 0u64;
    let mut level = 0u64;
    while out.len() < n {
        iter += 1;
        let ev = iter % (events + 1);
        let fd = (ev != events).then_some(ev as i32 + 4);
        push(
            &mut out,
            Body::LoopIteration {
                n: iter,
                thread: None,
            },
        );
        push(
            &mut out,
            Body::PollBegin {
                backend: "epoll".into(),
                timeout_us: Some(1000),
            },
        );
        push(
            &mut out,
            Body::PollEnd {
                ready: u64::from(fd.is_some()),
            },
        );
        let cause = if fd.is_some() {
            "fd_readable"
        } else {
            "timeout"
        };
        push(&mut out, tr(ev, fd, State::Pending, State::Active, cause));
        push(
            &mut out,
            Body::TimersExpired {
                n: u64::from(fd.is_none()),
            },
        );
        push(
            &mut out,
            Body::RunActive {
                priority: 0,
                queued: 1,
            },
        );
        push(
            &mut out,
            tr(ev, fd, State::Active, State::Callback, "dispatch"),
        );
        push(
            &mut out,
            Body::CallbackBegin {
                ev,
                what: What::READ,
            },
        );
        level = (level + 97) % 4096;
        push(
            &mut out,
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
        push(
            &mut out,
            Body::CallbackEnd {
                ev,
                what: What::READ,
                dur_us: 5 + iter % 7,
            },
        );
        push(
            &mut out,
            tr(ev, fd, State::Callback, State::Pending, "callback_returned"),
        );
    }
    (header, out)
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
