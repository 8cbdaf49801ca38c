//! The step gate over a real Unix-socket link: while paused the loop does not advance, a step
//! releases exactly one record, continue runs free, breakpoints and "next iteration" pause at
//! the right record, and a viewer that disconnects releases the program.

use crate::util;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use evscope::ev::{BackendKind, EventBase, What};
use evscope::trace::{
    Body, Control, ControlSender, LinkClient, LinkMsg, Record, Recorder, Status, Stream,
    ViewerListener,
};
use util::*;

const TICKS: u64 = 20;
/// Long enough that a loop that is not held would have moved on.
const QUIET: Duration = Duration::from_millis(150);
/// Generous: how long to wait for something that must happen.
const SOON: Duration = Duration::from_secs(10);

/// An observed program in a thread: a 1 ms persistent timer that frees itself after `TICKS`.
struct Program {
    ticks: Arc<AtomicU64>,
    done: mpsc::Receiver<Result<(), String>>,
    _thread: JoinHandle<()>,
}

/// A viewer: messages arrive on a channel (so the test can wait with a timeout).
struct Viewer {
    msgs: mpsc::Receiver<LinkMsg>,
    control: ControlSender,
    /// The same socket, for writing raw lines.
    raw: Stream,
}

impl Viewer {
    fn next(&self) -> Result<LinkMsg, String> {
        self.msgs
            .recv_timeout(SOON)
            .map_err(|e| format!("no message: {e}"))
    }
    fn next_record(&self) -> Result<Record, String> {
        loop {
            if let LinkMsg::Record(r) = self.next()? {
                return Ok(r);
            }
        }
    }
    /// Asserts nothing arrives for a while.
    fn quiet(&self) -> Result<(), String> {
        match self.msgs.recv_timeout(QUIET) {
            Ok(m) => Err(format!("expected nothing, got {m:?}")),
            Err(_) => Ok(()),
        }
    }
    fn send(&self, c: Control) -> Result<(), String> {
        self.control.send(&c).map_err(|e| e.to_string())
    }
    /// Everything until the program closes the link.
    fn rest(&self) -> Vec<LinkMsg> {
        let mut v = Vec::new();
        while let Ok(m) = self.msgs.recv_timeout(SOON) {
            v.push(m);
        }
        v
    }
}

/// Starts the program connected to a fresh private socket; the viewer's first control is
/// `hello`.
fn start(kind: BackendKind, hello: Control) -> Result<(Program, Viewer, ViewerListener), String> {
    let listener = ViewerListener::bind_private().map_err(|e| e.to_string())?;
    let path = listener.path().to_path_buf();
    let ticks = Arc::new(AtomicU64::new(0));
    let t = ticks.clone();
    let (done_tx, done) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let run = || -> Result<(), String> {
            let rec = Recorder::connect_unix(&path).map_err(|e| e.to_string())?;
            let mut base = EventBase::with_backend(kind).map_err(|e| e.to_string())?;
            base.set_observer(Box::new(rec));
            let timer = base
                .event_new(None, What::PERSIST, move |base, id, _| {
                    if t.fetch_add(1, Ordering::SeqCst) + 1 == TICKS {
                        let _ = base.event_free(id);
                    }
                })
                .map_err(|e| e.to_string())?;
            base.event_add(timer, Some(ms(1)))
                .map_err(|e| e.to_string())?;
            base.dispatch().map_err(|e| e.to_string())?;
            Ok(())
        };
        let _ = done_tx.send(run());
    });
    let stream = listener
        .accept_while(|| true)
        .map_err(|e| e.to_string())?
        .ok_or("no connection")?;
    let raw = stream.try_clone().map_err(|e| e.to_string())?;
    let mut client = LinkClient::new(stream).map_err(|e| e.to_string())?;
    client.send(&hello).map_err(|e| e.to_string())?;
    let control = client.sender();
    let (tx, msgs) = mpsc::channel();
    std::thread::spawn(move || {
        while let Ok(Some(m)) = client.recv() {
            if tx.send(m).is_err() {
                return;
            }
        }
    });
    let program = Program {
        ticks,
        done,
        _thread: thread,
    };
    Ok((program, Viewer { msgs, control, raw }, listener))
}

fn finished(p: &Program) -> Result<(), String> {
    p.done
        .recv_timeout(SOON)
        .map_err(|_| "the program is stuck".to_string())?
}

fn each(test: impl Fn(BackendKind) -> Result<(), String>) {
    each_backend(|kind| test(kind).map_err(Into::into));
}

#[test]
fn paused_loop_does_not_advance_and_a_step_releases_exactly_one_record() {
    each(|kind| {
        let (p, v, _l) = start(kind, Control::Pause)?;
        assert!(matches!(v.next()?, LinkMsg::Header(_)));
        // Held before its very first record (the timer's event_new).
        v.quiet()?;
        assert_eq!(p.ticks.load(Ordering::SeqCst), 0);
        let mut last = 0;
        for _ in 0..5 {
            v.send(Control::Step { n: 1 })?;
            let r = v.next_record()?;
            assert_eq!(r.seq, last + 1, "one step, one record, in order");
            last = r.seq;
            v.quiet()?;
        }
        v.send(Control::Step { n: 3 })?;
        for _ in 0..3 {
            let r = v.next_record()?;
            assert_eq!(r.seq, last + 1);
            last = r.seq;
        }
        v.quiet()?;
        v.send(Control::Continue)?;
        let rest = v.rest();
        finished(&p)?;
        assert_eq!(p.ticks.load(Ordering::SeqCst), TICKS);
        assert!(rest
            .iter()
            .any(|m| matches!(m, LinkMsg::Status(Status::Running))));
        Ok(())
    });
}

#[test]
fn a_viewer_that_disconnects_while_paused_releases_the_program() {
    each(|kind| {
        let (p, v, _l) = start(kind, Control::Pause)?;
        assert!(matches!(v.next()?, LinkMsg::Header(_)));
        v.send(Control::Step { n: 2 })?;
        v.next_record()?;
        v.next_record()?;
        v.quiet()?;
        v.control.close();
        finished(&p)?;
        assert_eq!(p.ticks.load(Ordering::SeqCst), TICKS);
        Ok(())
    });
}

#[test]
fn a_running_program_is_not_held_by_a_viewer_that_only_watches() {
    each(|kind| {
        let (p, v, _l) = start(kind, Control::Continue)?;
        let rest = v.rest();
        finished(&p)?;
        let ends = rest
            .iter()
            .filter(|m| {
                matches!(
                    m,
                    LinkMsg::Record(Record {
                        base: 0,
                        body: Body::CallbackEnd { .. },
                        ..
                    })
                )
            })
            .count();
        assert_eq!(ends as u64, TICKS);
        Ok(())
    });
}

#[test]
fn a_breakpoint_pauses_right_after_the_events_record() {
    each(|kind| {
        let (p, v, _l) = start(kind, Control::Pause)?;
        assert!(matches!(v.next()?, LinkMsg::Header(_)));
        // Let setup pass: event_new, add (seq 1, 2), then break on the timer (ev 0).
        v.send(Control::Step { n: 2 })?;
        v.next_record()?;
        v.next_record()?;
        v.send(Control::Break { ev: 0 })?;
        v.send(Control::Continue)?;
        // Runs until the timer's next record: its pending -> active transition.
        let mut last = None;
        loop {
            match v.next()? {
                LinkMsg::Record(r) => last = Some(r),
                LinkMsg::Status(Status::Paused { reason, ev }) => {
                    assert_eq!(reason, "breakpoint");
                    assert_eq!(ev, Some(0));
                    break;
                }
                _ => {}
            }
        }
        let last = last.ok_or("no record before the breakpoint")?;
        assert_eq!(last.body.ev(), Some(0));
        assert!(matches!(last.body, Body::Transition { .. }));
        v.quiet()?;
        let ticks = p.ticks.load(Ordering::SeqCst);
        assert_eq!(ticks, 0, "the callback ran past a breakpoint");
        v.send(Control::Unbreak { ev: 0 })?;
        v.send(Control::Continue)?;
        v.rest();
        finished(&p)?;
        Ok(())
    });
}

#[test]
fn next_iteration_pauses_after_the_loop_iteration_record() {
    each(|kind| {
        let (p, v, _l) = start(kind, Control::Pause)?;
        assert!(matches!(v.next()?, LinkMsg::Header(_)));
        v.send(Control::NextIteration)?;
        let mut last = None;
        loop {
            match v.next()? {
                LinkMsg::Record(r) => last = Some(r),
                LinkMsg::Status(Status::Paused { reason, .. }) => {
                    assert_eq!(reason, "next_iteration");
                    break;
                }
                _ => {}
            }
        }
        let last = last.ok_or("no record")?;
        assert!(
            matches!(last.body, Body::LoopIteration { n: 1, thread: None }),
            "{last:?}"
        );
        v.quiet()?;
        v.send(Control::Continue)?;
        v.rest();
        finished(&p)?;
        Ok(())
    });
}

#[test]
fn a_bad_control_line_is_answered_with_an_error_status_and_changes_nothing() {
    each(|kind| {
        use std::io::Write;
        let (p, mut v, _l) = start(kind, Control::Pause)?;
        assert!(matches!(v.next()?, LinkMsg::Header(_)));
        v.raw
            .write_all(b"{\"cmd\":\"fly\"}\nnot json at all\n")
            .map_err(|e| e.to_string())?;
        for _ in 0..2 {
            match v.next()? {
                LinkMsg::Status(Status::Error { message }) => {
                    assert!(message.contains("control line not understood"), "{message}");
                }
                other => return Err(format!("expected an error status, got {other:?}")),
            }
        }
        // Still paused.
        v.quiet()?;
        assert_eq!(p.ticks.load(Ordering::SeqCst), 0);
        v.send(Control::Continue)?;
        v.rest();
        finished(&p)?;
        Ok(())
    });
}

#[test]
fn a_callback_held_by_the_gate_reports_only_its_own_run_time() -> TestResult {
    use evscope::trace::Gate;
    const HOLD: Duration = Duration::from_millis(300);
    let gate = Arc::new(Gate::new());
    let (recorder, messages) = Recorder::to_messages();
    let recorder = recorder.with_gate(gate.clone());
    gate.connect();
    gate.apply(&Control::Pause);
    let program = std::thread::spawn(move || -> Result<(), String> {
        let mut base = EventBase::with_backend(BackendKind::Epoll).map_err(|e| e.to_string())?;
        base.set_observer(Box::new(recorder));
        // A note inside the callback is a record the gate holds the loop at.
        let ev = base
            .event_new(None, What::TIMEOUT, |base, _, _| {
                base.note("inside the callback")
            })
            .map_err(|e| e.to_string())?;
        base.event_active(ev, What::TIMEOUT)
            .map_err(|e| e.to_string())?;
        base.dispatch().map_err(|e| e.to_string())?;
        Ok(())
    });
    // Step one record at a time, holding the loop for HOLD before each step once the callback
    // has begun.
    let mut in_callback = false;
    let mut dur_us = None;
    while dur_us.is_none() {
        if in_callback {
            std::thread::sleep(HOLD);
        }
        gate.apply(&Control::Step { n: 1 });
        while let Ok(msg) = messages.recv_timeout(Duration::from_millis(50)) {
            if let LinkMsg::Record(r) = msg {
                match r.body {
                    Body::CallbackBegin { .. } => in_callback = true,
                    Body::CallbackEnd { dur_us: d, .. } => dur_us = Some(d),
                    _ => {}
                }
            }
        }
    }
    gate.disconnect();
    program.join().map_err(|_| "program panicked")??;
    let dur_us = dur_us.ok_or("no callback_end")?;
    // The loop was held at least HOLD inside the callback; the callback's own work is a note.
    assert!(
        dur_us < HOLD.as_micros() as u64,
        "callback_end says {dur_us} µs, the gate's holding included"
    );
    Ok(())
}
