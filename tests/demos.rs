//! Each demo runs headless, fast, and shows what its lesson says to watch for.

mod util;

use std::time::Duration;

use evscope::demos::{self, DemoOptions};
use evscope::ev::{BackendKind, EventBase, EventId, Exit, State};
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
    let exit = demos::run(demo, &mut base, &opts, Some(Duration::from_secs_f64(secs)))?;
    assert_eq!(exit, Exit::Finished);
    assert!(base.got_exit());
    rec.assert_all_legal();
    Ok((base, rec))
}

fn event_labeled(rec: &Recorder, base: &EventBase, label: &str) -> Option<EventId> {
    let _ = rec;
    base.event_ids()
        .into_iter()
        .find(|id| base.event_label(*id).ok() == Some(label))
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
