//! Each demo runs headless, fast, and shows what its lesson says to watch for.

use crate::util;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use evscope::demos::{self, DemoOptions};
use evscope::ev::{
    BackendKind, BevEvents, BevId, BevWhy, Cause, EventBase, EventId, Exit, Levels, LoopFlags,
    State, What, MAX_READ,
};
use util::*;

fn run_demo(
    name: &str,
    kind: BackendKind,
    speed: f64,
    secs: f64,
) -> Result<(EventBase, Recorder), Box<dyn std::error::Error>> {
    let demo = demos::find(name).ok_or(format!("no demo {name}"))?;
    let mut base = EventBase::with_backend(kind)?;
    let rec = Recorder::install(&mut base);
    let opts = DemoOptions {
        speed,
        ..DemoOptions::default()
    };
    let exit =
        demos::set_up_and_dispatch(demo, &mut base, &opts, Some(Duration::from_secs_f64(secs)))?;
    assert_eq!(exit, Exit::Finished);
    assert!(base.got_exit());
    rec.assert_all_legal();
    Ok((base, rec))
}

/// Runs demo `name` until a note for which `done` holds has been told (at most `max_secs`,
/// which only a failing demo reaches), so that a slow machine makes the test slower, not red.
fn run_demo_until(
    name: &str,
    kind: BackendKind,
    opts: &DemoOptions,
    done: impl Fn(&str) -> bool,
    max_secs: u64,
) -> Result<(EventBase, Recorder), Box<dyn std::error::Error>> {
    let demo = demos::find(name).ok_or(format!("no demo {name}"))?;
    let mut base = EventBase::with_backend(kind)?;
    let rec = Recorder::install(&mut base);
    base.note(&format!("demo {}: {}", demo.name, demo.summary));
    (demo.setup)(&mut base, opts)?;
    run_until(&mut base, &rec, done, max_secs)?;
    Ok((base, rec))
}

/// Runs the loop until a note for which `done` holds (at most `max_secs`), then checks every
/// transition seen.
fn run_until(
    base: &mut EventBase,
    rec: &Recorder,
    done: impl Fn(&str) -> bool,
    max_secs: u64,
) -> TestResult {
    let deadline = Instant::now() + Duration::from_secs(max_secs);
    let mut seen = 0;
    loop {
        base.loop_(LoopFlags::ONCE)?;
        let log = rec.log.borrow();
        let found = log[seen..]
            .iter()
            .any(|s| matches!(s, Seen::Note(n) if done(n)));
        seen = log.len();
        if found {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("no such note after {max_secs} s: {:?}", rec.notes()).into());
        }
    }
    rec.assert_all_legal();
    Ok(())
}

fn fast() -> DemoOptions {
    DemoOptions {
        speed: 40.0,
        ..DemoOptions::default()
    }
}

fn event_labeled(rec: &Recorder, base: &EventBase, label: &str) -> Option<EventId> {
    let _ = rec;
    base.event_ids()
        .into_iter()
        .find(|id| base.event_label(*id).ok() == Some(label))
}

/// Every note a demo made that reports lost or garbled data.
fn errors(rec: &Recorder) -> Vec<String> {
    rec.notes()
        .into_iter()
        .filter(|n| n.starts_with("error"))
        .collect()
}

/// The fill levels told for `bev`, in order.
fn levels_of(rec: &Recorder, bev: BevId) -> Vec<Levels> {
    rec.log
        .borrow()
        .iter()
        .filter_map(|s| match s {
            Seen::Buffer(b, l) if *b == bev => Some(*l),
            _ => None,
        })
        .collect()
}

/// Every bufferevent the log mentions, in order of first appearance.
fn bevs(rec: &Recorder) -> Vec<BevId> {
    let mut out = Vec::new();
    for s in rec.log.borrow().iter() {
        if let Seen::Buffer(b, _) | Seen::BevEvent(b, _) = s {
            if !out.contains(b) {
                out.push(*b);
            }
        }
    }
    out
}

/// True when `values` rises above 0 and later falls back to 0.
fn fills_and_drains(values: impl IntoIterator<Item = u64>) -> bool {
    let mut risen = false;
    for v in values {
        if v > 0 {
            risen = true;
        } else if risen {
            return true;
        }
    }
    false
}

/// How many times a write event sent a reply as libevent does: added because the output has
/// bytes, made active by the writable socket, run, and deleted once the output is empty.
fn replies_through_write_events(rec: &Recorder) -> usize {
    let want = [
        (State::Pending, Cause::Bev(BevWhy::OutputAdded)),
        (State::Active, Cause::Ready(What::WRITE)),
        (State::Callback, Cause::Dispatch),
        (State::NonPending, Cause::Bev(BevWhy::OutputEmpty)),
    ];
    let mut by_event: HashMap<EventId, Vec<(State, Cause)>> = HashMap::new();
    for s in rec.log.borrow().iter() {
        if let Seen::Transition(id, _, to, cause) = s {
            by_event.entry(*id).or_default().push((*to, *cause));
        }
    }
    by_event
        .values()
        .map(|t| t.windows(want.len()).filter(|w| *w == want).count())
        .sum()
}

/// The address the echo demo noted it listens on.
fn noted_address(rec: &Recorder) -> Result<SocketAddr, Box<dyn std::error::Error>> {
    let notes = rec.notes();
    let note = notes
        .iter()
        .find_map(|n| n.strip_prefix(demos::LISTENING))
        .ok_or(format!("no listening note in {notes:?}"))?;
    let addr = note.split(';').next().unwrap_or_default();
    Ok(addr.parse()?)
}

#[test]
fn every_demo_is_listed_once_with_a_lesson() {
    let mut names: Vec<_> = demos::DEMOS.iter().map(|d| d.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), demos::DEMOS.len());
    for d in demos::DEMOS {
        assert!(!d.lesson.is_empty() && !d.summary.is_empty(), "{}", d.name);
    }
    assert!(demos::find("no-such-demo").is_none());
    assert!(demos::find(demos::DEFAULT).is_some());
    assert_eq!(demos::DEMOS[0].name, demos::DEFAULT);
}

#[test]
fn timer_demo_shows_persistent_one_shot_and_cancelled_timers() {
    each_backend(|kind| {
        let (base, rec) = run_demo("timer", kind, 25.0, 0.6)?;
        let ticker = event_labeled(&rec, &base, "ticker (persistent)").ok_or("no ticker")?;
        let alarm = event_labeled(&rec, &base, "alarm (one-shot)").ok_or("no alarm")?;
        let reminder = event_labeled(&rec, &base, "reminder (cancelled)").ok_or("no reminder")?;
        let t = rec.transitions_of(ticker);
        assert!(t.contains(&(State::Callback, State::Pending)), "{t:?}");
        let a = rec.transitions_of(alarm);
        assert!(a.contains(&(State::Callback, State::NonPending)), "{a:?}");
        assert!(
            a.contains(&(State::NonPending, State::Pending)),
            "re-added: {a:?}"
        );
        let r = rec.transitions_of(reminder);
        assert!(r.contains(&(State::Pending, State::NonPending)), "{r:?}");
        assert!(
            !r.contains(&(State::Active, State::Callback)),
            "the cancelled reminder never rang"
        );
        Ok(())
    });
}

#[test]
fn pipe_demo_reads_what_the_timer_writes() {
    each_backend(|kind| {
        let (base, rec) = run_demo("pipe", kind, 20.0, 0.4)?;
        let reader = event_labeled(&rec, &base, "fifo reader").ok_or("no reader")?;
        let path = rec.transitions_of(reader);
        assert!(
            path.iter()
                .filter(|t| **t == (State::Pending, State::Active))
                .count()
                >= 2,
            "{path:?}"
        );
        assert!(
            rec.notes()
                .iter()
                .any(|n| n.starts_with("read ") && n.contains("message 1")),
            "{:?}",
            rec.notes()
        );
        Ok(())
    });
}

#[test]
fn signal_demo_runs_both_events_on_one_signal() {
    each_backend(|kind| {
        let (_base, rec) = run_demo("signal", kind, 20.0, 0.4)?;
        let notes = rec.notes();
        assert!(
            notes.iter().any(|n| n.starts_with("SIGUSR1 caught")),
            "{notes:?}"
        );
        assert!(
            notes.iter().any(|n| n.starts_with("a second event")),
            "{notes:?}"
        );
        Ok(())
    });
}

#[test]
fn priority_demo_runs_urgent_then_normal_then_background() {
    each_backend(|kind| {
        let (_base, rec) = run_demo("priority", kind, 20.0, 0.25)?;
        let ran: Vec<String> = rec
            .notes()
            .into_iter()
            .filter(|n| n.ends_with(" ran"))
            .collect();
        assert!(ran.len() >= 3, "{ran:?}");
        assert_eq!(
            ran[..3],
            ["urgent (0) ran", "normal (1) ran", "background (2) ran"]
        );
        Ok(())
    });
}

#[test]
fn backends_demo_measures_all_three() -> TestResult {
    let (_base, rec) = run_demo("backends", BackendKind::Epoll, 10.0, 0.35)?;
    let notes = rec.notes();
    let line = notes
        .iter()
        .find(|n| n.contains("cost per loop iteration"))
        .ok_or(format!("{notes:?}"))?;
    for name in ["select", "poll", "epoll"] {
        assert!(line.contains(&format!(" {name} ")), "{line}");
    }
    Ok(())
}

#[test]
fn echo_demo_accepts_echoes_and_frees_clients_that_hang_up() {
    each_backend(|kind| {
        // Until a scripted client has hung up and the server has freed its side.
        let (_base, rec) = run_demo_until(
            "echo",
            kind,
            &fast(),
            |n| n.starts_with("server: ") && n.contains("closed the connection"),
            10,
        )?;
        assert_eq!(errors(&rec), Vec::<String>::new());
        let addr = noted_address(&rec)?;
        assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
        let log = rec.log.borrow();
        let accepts = log.iter().filter(|s| matches!(s, Seen::Accept(..))).count();
        assert!(accepts >= 3, "{accepts} accepts");
        let told = |flag: BevEvents| {
            log.iter()
                .position(|s| matches!(s, Seen::BevEvent(_, e) if e.contains(flag)))
        };
        let connected = told(BevEvents::CONNECTED).ok_or("no CONNECTED")?;
        let eof = told(BevEvents::EOF).ok_or("no client hung up")?;
        assert!(connected < eof);
        // The server frees the bufferevent that saw EOF: its events go to freed.
        assert!(
            log[eof..]
                .iter()
                .any(|s| matches!(s, Seen::Transition(_, _, State::Freed, _))),
            "nothing freed after EOF"
        );
        drop(log);
        // The server's side of a connection: the line fills the input, moves to the output,
        // and leaves.
        let both = bevs(&rec).into_iter().any(|b| {
            let l = levels_of(&rec, b);
            fills_and_drains(l.iter().map(|l| l.input))
                && fills_and_drains(l.iter().map(|l| l.output))
        });
        assert!(
            both,
            "no bufferevent whose input and output filled and drained"
        );
        let echoed = rec
            .notes()
            .iter()
            .filter(|n| n.contains("the echo of line"))
            .count();
        assert!(echoed >= 3, "{:?}", rec.notes());
        // Each line and each echo leaves through its bufferevent's write event, and the server's
        // notes say where to look.
        let replies = replies_through_write_events(&rec);
        assert!(replies >= 6, "{replies} replies through a write event");
        assert!(
            rec.notes().iter().any(|n| n.starts_with("server: ")
                && n.contains("write go pending → active → callback → non-pending")),
            "{:?}",
            rec.notes()
        );
        Ok(())
    });
}

#[test]
fn echo_demo_serves_a_client_at_the_noted_address() {
    each_backend(|kind| {
        let demo = demos::find("echo").ok_or("no echo demo")?;
        let mut base = EventBase::with_backend(kind)?;
        let rec = Recorder::install(&mut base);
        // Slow scripted clients: the outside client is the one that talks.
        let opts = DemoOptions {
            speed: 0.01,
            ..DemoOptions::default()
        };
        (demo.setup)(&mut base, &opts)?;
        let mut nc = TcpStream::connect(noted_address(&rec)?)?;
        nc.set_nonblocking(true)?;
        nc.write_all(b"typed into nc\n")?;
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while got.len() < 14 && Instant::now() < deadline {
            base.loop_(LoopFlags::ONCE | LoopFlags::NONBLOCK)?;
            let mut buf = [0u8; 64];
            match nc.read(&mut buf) {
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(1))
                }
                Err(e) => return Err(e.into()),
            }
        }
        assert_eq!(got, b"typed into nc\n");
        assert!(rec
            .log
            .borrow()
            .iter()
            .any(|s| matches!(s, Seen::Accept(..))));
        rec.assert_all_legal();
        Ok(())
    });
}

#[test]
fn client_demo_connects_and_reads_its_echoes() {
    each_backend(|kind| {
        let (_base, rec) = run_demo_until(
            "client",
            kind,
            &fast(),
            |n| n.contains("the echo of line 2 came back"),
            10,
        )?;
        assert_eq!(errors(&rec), Vec::<String>::new());
        let log = rec.log.borrow();
        let client = log
            .iter()
            .find_map(|s| match s {
                Seen::BevEvent(b, e) if e.contains(BevEvents::CONNECTED) => Some(*b),
                _ => None,
            })
            .ok_or("no CONNECTED")?;
        drop(log);
        // The echo fills the client's input after its output sent the line.
        let l = levels_of(&rec, client);
        assert!(fills_and_drains(l.iter().map(|l| l.output)), "{l:?}");
        assert!(fills_and_drains(l.iter().map(|l| l.input)), "{l:?}");
        let notes = rec.notes();
        assert!(
            notes
                .iter()
                .any(|n| n.contains("the echo of line 1 came back")),
            "{notes:?}"
        );
        assert!(replies_through_write_events(&rec) >= 4);
        Ok(())
    });
}

#[test]
fn client_demo_talks_to_the_echo_demo_given_by_listen() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let rec = Recorder::install(&mut base);
        let mut opts = DemoOptions {
            speed: 40.0,
            listen: Some(loopback()),
        };
        let echo = demos::find("echo").ok_or("no echo demo")?;
        (echo.setup)(&mut base, &opts)?;
        opts.listen = Some(noted_address(&rec)?);
        let client = demos::find("client").ok_or("no client demo")?;
        (client.setup)(&mut base, &opts)?;
        // The client's echo comes from the echo demo's server: there is no other.
        run_until(
            &mut base,
            &rec,
            |n| n.starts_with("client: bufferevent_read: the echo of line 1"),
            10,
        )?;
        assert_eq!(errors(&rec), Vec::<String>::new());
        Ok(())
    });
}

#[test]
fn half_close_demo_keeps_one_direction_after_the_other_ends() {
    each_backend(|kind| {
        let (_base, rec) = run_demo_until(
            "half-close",
            kind,
            &fast(),
            |n| n.contains("no byte lost"),
            10,
        )?;
        assert_eq!(errors(&rec), Vec::<String>::new());
        let log = rec.log.borrow();
        let (at, closed) = log
            .iter()
            .enumerate()
            .find_map(|(i, s)| match s {
                Seen::BevEvent(b, e) if e.contains(BevEvents::EOF) => Some((i, *b)),
                _ => None,
            })
            .ok_or("no EOF")?;
        // After its EOF, the side that read it goes on sending ...
        let sends_on = log[at..]
            .iter()
            .any(|s| matches!(s, Seen::Buffer(b, l) if *b == closed && l.output > 0));
        assert!(sends_on, "{closed} sent nothing after its EOF");
        // ... and the half-closed side goes on receiving, until it reads EOF too.
        let (other_eof, other) = log[at + 1..]
            .iter()
            .enumerate()
            .find_map(|(i, s)| match s {
                Seen::BevEvent(b, e) if e.contains(BevEvents::EOF) => Some((at + 1 + i, *b)),
                _ => None,
            })
            .ok_or("the half-closed side never read EOF")?;
        assert_ne!(other, closed);
        let receives_on = log[at..other_eof]
            .iter()
            .any(|s| matches!(s, Seen::Buffer(b, l) if *b == other && l.input > 0));
        assert!(receives_on, "{other} received nothing after {closed}'s EOF");
        drop(log);
        let notes = rec.notes();
        assert!(
            notes.iter().any(|n| n.contains("no byte lost")),
            "{notes:?}"
        );
        // A whole round: the client's 3 lines and the server's 6, each through a write event
        // (the server's last one is sent by a closing bufferevent, whose write event is freed
        // once it has sent it, not left non-pending).
        let replies = replies_through_write_events(&rec);
        assert!(replies >= 8, "{replies} replies through a write event");
        Ok(())
    });
}

#[test]
fn watermark_demo_fills_to_the_high_watermark_and_drains() {
    each_backend(|kind| {
        let (_base, rec) = run_demo_until(
            "watermark",
            kind,
            &fast(),
            |n| n.contains("drained: the reader has every byte"),
            10,
        )?;
        assert_eq!(errors(&rec), Vec::<String>::new());
        let high = demos::READ_HIGH as u64;
        let all = bevs(&rec);
        let reader = all
            .iter()
            .copied()
            .find(|b| levels_of(&rec, *b).iter().any(|l| l.read_high == high))
            .ok_or("no reader with the high watermark")?;
        let writer = all
            .iter()
            .copied()
            .find(|b| {
                levels_of(&rec, *b)
                    .iter()
                    .any(|l| l.write_low == demos::WRITE_LOW as u64)
            })
            .ok_or("no writer with the low watermark")?;
        let r = levels_of(&rec, reader);
        let top = r.iter().map(|l| l.input).max().unwrap_or(0);
        assert!(top >= high, "the input never reached {high}: {top}");
        assert!(top <= high + MAX_READ as u64, "the input grew to {top}");
        let reached = r.iter().position(|l| l.input >= high).unwrap_or(0);
        assert!(
            r[reached..].iter().any(|l| l.input == 0),
            "the input never drained"
        );
        // Back-pressure: the writer's output backs up, then drains.
        let w = levels_of(&rec, writer);
        assert!(
            w.iter().map(|l| l.output).max().unwrap_or(0) > demos::WRITE_LOW as u64,
            "the writer's output never backed up"
        );
        assert!(fills_and_drains(w.iter().map(|l| l.output)));
        let notes = rec.notes();
        assert!(
            notes.iter().any(|n| n.contains("write callback")),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("drained: the reader has every byte")),
            "{notes:?}"
        );
        Ok(())
    });
}
