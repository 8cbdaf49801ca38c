//! Every committed recording validates, replays to its end in the dashboard's model, and shows
//! what its lesson tells students to watch for. `recordings/regenerate` makes them anew.

use std::collections::HashMap;
use std::path::PathBuf;

use evscope::demos;
use evscope::ev::{BevEvents, State};
use evscope::trace::{Body, Reader, Record};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("recordings")
        .join(format!("{name}.jsonl"))
}

/// Reads a recording through the checking reader: every line valid, every transition legal.
fn load(name: &str) -> Result<Vec<Record>, Box<dyn std::error::Error>> {
    let file = path(name);
    let mut reader =
        Reader::open(&file).map_err(|e| format!("{}:{}: {}", file.display(), e.line, e.what))?;
    let mut out = Vec::new();
    while let Some(r) = reader
        .next_record()
        .map_err(|e| format!("{}:{}: {}", file.display(), e.line, e.what))?
    {
        out.push(r);
    }
    assert!(out.len() > 20, "{name}: only {} records", out.len());
    Ok(out)
}

fn labels(records: &[Record]) -> HashMap<u64, String> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            Body::EventNew { ev, label, .. } => Some((*ev, label.clone())),
            _ => None,
        })
        .collect()
}

/// The transitions of every event whose label starts with `prefix`.
fn transitions(records: &[Record], prefix: &str) -> Vec<(State, State, String)> {
    let labels = labels(records);
    records
        .iter()
        .filter_map(|r| match &r.body {
            Body::Transition {
                ev,
                from,
                to,
                cause,
                ..
            } if labels.get(ev).is_some_and(|l| l.starts_with(prefix)) => {
                Some((*from, *to, cause.to_string()))
            }
            _ => None,
        })
        .collect()
}

/// The transitions of each event whose label ends with `suffix`, one list per event.
fn transitions_by_event(records: &[Record], suffix: &str) -> Vec<Vec<(State, State, String)>> {
    let labels = labels(records);
    let mut by_event: HashMap<u64, Vec<(State, State, String)>> = HashMap::new();
    for r in records {
        if let Body::Transition {
            ev,
            from,
            to,
            cause,
            ..
        } = &r.body
        {
            if labels.get(ev).is_some_and(|l| l.ends_with(suffix)) {
                by_event
                    .entry(*ev)
                    .or_default()
                    .push((*from, *to, cause.to_string()));
            }
        }
    }
    by_event.into_values().collect()
}

/// How many times a bufferevent's write event sent a reply the way libevent does: added
/// because the output has bytes, made active by the writable socket, run, and deleted once the
/// output is empty.
fn replies_through_the_write_event(records: &[Record]) -> usize {
    let want = [
        (State::Pending, "bev_output_added"),
        (State::Active, "fd_writable"),
        (State::Callback, "dispatch"),
        (State::NonPending, "bev_output_empty"),
    ];
    transitions_by_event(records, " write")
        .iter()
        .map(|t| {
            t.windows(want.len())
                .filter(|w| {
                    w.iter()
                        .zip(want)
                        .all(|((_, to, cause), (state, why))| *to == state && cause == why)
                })
                .count()
        })
        .sum()
}

fn notes(records: &[Record]) -> Vec<&str> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            Body::Note { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn bev_events(records: &[Record]) -> Vec<BevEvents> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            Body::BevEvent { events, .. } => Some(*events),
            _ => None,
        })
        .collect()
}

#[test]
fn every_demo_has_a_recording_that_validates_and_replays_to_its_end() -> TestResult {
    for demo in demos::DEMOS {
        let records = load(demo.name)?;
        let timeline = evscope::dash::model::Timeline::from_records(
            Reader::open(path(demo.name))?.header().clone(),
            records.clone(),
        );
        assert_eq!(timeline.len(), records.len(), "{}", demo.name);
        let end = timeline.snapshot_at(timeline.len());
        assert_eq!(
            end,
            *timeline.last(),
            "{}: the fold to the end differs",
            demo.name
        );
        assert!(
            !notes(&records).iter().any(|n| n.starts_with("error:")),
            "{}: the demo reported an error",
            demo.name
        );
    }
    Ok(())
}

#[test]
fn timer_recording_shows_persistent_one_shot_and_cancelled() -> TestResult {
    let r = load("timer")?;
    let ticker = transitions(&r, "ticker");
    assert!(ticker
        .iter()
        .any(|(f, t, _)| (*f, *t) == (State::Callback, State::Pending)));
    let alarm = transitions(&r, "alarm");
    assert!(alarm
        .iter()
        .any(|(f, t, _)| (*f, *t) == (State::Callback, State::NonPending)));
    let reminder = transitions(&r, "reminder");
    assert!(reminder
        .iter()
        .any(|(f, t, c)| (*f, *t) == (State::Pending, State::NonPending) && c == "event_del"));
    Ok(())
}

#[test]
fn pipe_recording_shows_the_reader_woken_by_its_fd() -> TestResult {
    let r = load("pipe")?;
    let reader = transitions(&r, "fifo reader");
    assert!(reader
        .iter()
        .any(|(f, t, c)| (*f, *t) == (State::Pending, State::Active) && c == "fd_readable"));
    assert!(reader
        .iter()
        .any(|(f, t, _)| (*f, *t) == (State::Callback, State::Pending)));
    Ok(())
}

#[test]
fn signal_recording_shows_both_events_woken_by_the_signal() -> TestResult {
    let r = load("signal")?;
    for label in ["SIGUSR1 handler", "SIGUSR1 logger"] {
        let t = transitions(&r, label);
        assert!(
            t.iter()
                .any(|(_, to, c)| *to == State::Active && c == "signal"),
            "{label}"
        );
    }
    Ok(())
}

#[test]
fn priority_recording_runs_urgent_first() -> TestResult {
    let r = load("priority")?;
    let ran: Vec<&str> = notes(&r)
        .into_iter()
        .filter(|n| n.ends_with(" ran"))
        .collect();
    assert!(ran.len() >= 3);
    assert_eq!(
        ran[..3],
        ["urgent (0) ran", "normal (1) ran", "background (2) ran"]
    );
    Ok(())
}

#[test]
fn backends_recording_compares_the_three() -> TestResult {
    let r = load("backends")?;
    let line = notes(&r)
        .into_iter()
        .find(|n| n.contains("cost per loop iteration"))
        .ok_or("no measurement")?
        .to_string();
    for b in ["select", "poll", "epoll"] {
        assert!(line.contains(b), "{line}");
    }
    // Lesson 15's first exercise compares the figures at 25 and at 400 idle fds.
    for fds in [25, 400] {
        let head = format!("{fds} idle fds, cost per loop iteration");
        assert!(
            notes(&r).iter().any(|n| n.starts_with(&head)),
            "no measurement at {fds} fds: record longer (recordings/regenerate backends)"
        );
    }
    Ok(())
}

#[test]
fn echo_recording_shows_accepts_both_buffers_and_eof() -> TestResult {
    let r = load("echo")?;
    assert!(
        r.iter()
            .filter(|x| matches!(x.body, Body::Accept { .. }))
            .count()
            >= 2
    );
    let events = bev_events(&r);
    assert!(events.iter().any(|e| e.contains(BevEvents::CONNECTED)));
    assert!(events.iter().any(|e| e.contains(BevEvents::EOF)));
    let filled = r
        .iter()
        .any(|x| matches!(x.body, Body::Buffer { levels: evscope::ev::Levels { input, .. }, .. } if input > 0));
    let sent = r
        .iter()
        .any(|x| matches!(x.body, Body::Buffer { levels: evscope::ev::Levels { output, .. }, .. } if output > 0));
    assert!(filled && sent, "both buffers hold bytes at some point");
    Ok(())
}

#[test]
fn echo_recording_sends_each_reply_through_the_write_event() -> TestResult {
    let r = load("echo")?;
    // pending (bev_output_added) → active (fd_writable) → callback (dispatch) → non-pending
    // (bev_output_empty), for the clients' lines and the server's echoes alike.
    let replies = replies_through_the_write_event(&r);
    assert!(replies >= 4, "{replies} replies through the write event");
    Ok(())
}

#[test]
fn client_recording_shows_the_connect() -> TestResult {
    let r = load("client")?;
    assert!(bev_events(&r)
        .iter()
        .any(|e| e.contains(BevEvents::CONNECTED)));
    assert!(r
        .iter()
        .any(|x| matches!(x.body, Body::Buffer { levels: evscope::ev::Levels { input, .. }, .. } if input > 0)));
    // The connect waits on the write event; the lines leave through it too.
    assert!(transitions_by_event(&r, " write").iter().any(|t| t
        .iter()
        .any(|(_, to, c)| *to == State::Pending && c == "bufferevent_socket_connect")));
    assert!(replies_through_the_write_event(&r) >= 2);
    Ok(())
}

#[test]
fn half_close_recording_keeps_delivering_after_one_side_shut_down() -> TestResult {
    let r = load("half-close")?;
    assert!(bev_events(&r)
        .iter()
        .any(|e| e.contains(BevEvents::EOF) && e.contains(BevEvents::READING)));
    assert!(notes(&r)
        .iter()
        .any(|n| n.contains("it shut down its own sending, yet this direction still delivers")));
    assert!(replies_through_the_write_event(&r) >= 4);
    Ok(())
}

#[test]
fn watermark_recording_fills_to_the_high_watermark_and_drains() -> TestResult {
    let r = load("watermark")?;
    let mut at_high = false;
    let mut drained_after = false;
    for x in &r {
        if let Body::Buffer {
            levels: evscope::ev::Levels {
                input, read_high, ..
            },
            ..
        } = x.body
        {
            if read_high > 0 && input >= read_high {
                at_high = true;
            } else if at_high && input == 0 {
                drained_after = true;
            }
        }
    }
    assert!(at_high, "the reader's input reaches its high watermark");
    assert!(drained_after, "and drains afterwards");
    // At the mark the bufferevent deletes its read event inside that event's callback, and adds
    // it again once the program has taken data out.
    let read = transitions_by_event(&r, " read");
    let stops = read.iter().flatten().any(|(f, t, c)| {
        (*f, *t) == (State::Callback, State::NonPending) && c == "bev_read_high_watermark"
    });
    let resumes = read.iter().flatten().any(|(f, t, c)| {
        (*f, *t) == (State::NonPending, State::Pending) && c == "bev_read_resumed"
    });
    assert!(stops && resumes, "reading stops at the mark and resumes");
    Ok(())
}

// The lessons' quotes of these recordings' timelines are checked by tests/course/lessons.rs.
