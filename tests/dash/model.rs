//! The dashboard's model without a terminal: the fold, checkpoints, and stepping back.

use crate::util;
use crate::util::dash as dash_util;
use crate::util::synth;

use dash_util::{at, fixture};
use evscope::dash::feed;
use evscope::dash::model::{Phase, Session, Snapshot, Timeline};
use evscope::ev::State;
use evscope::trace::{Body, Header, Record};
use util::TestResult;

/// The snapshot after `pos` records, folded from the very start with no checkpoint.
fn fold_from_start(t: &Timeline, pos: usize) -> Snapshot {
    let mut s = Snapshot::default();
    for (i, r) in t.range(0..pos).enumerate() {
        s.apply(i, &r);
    }
    s
}

#[test]
fn the_fixture_folds_to_everything_freed() -> TestResult {
    let t = fixture()?;
    assert_eq!(t.len(), 393);
    let end = t.last();
    assert_eq!(end.anomalies, 0, "the fixture breaks no rule");
    assert_eq!(end.events.len(), 7);
    assert_eq!(end.count(State::Freed), 7);
    assert_eq!(end.count(State::Pending), 0);
    assert_eq!(end.iteration, 32);
    assert!(end.bevs.values().all(|b| b.freed && b.eof && b.connected));
    let read = &end.events[&1];
    assert_eq!(&*read.label, "echo read");
    let became_active = t
        .records()
        .filter(|r| {
            matches!(
                &r.body,
                Body::Transition {
                    ev: 1,
                    to: State::Active,
                    ..
                }
            )
        })
        .count() as u64;
    assert!(
        became_active >= 7,
        "six messages (some in two reads) and the EOF"
    );
    assert_eq!(read.activations, became_active);
    assert!(end.bevs[&1].input_peak > 0);
    Ok(())
}

#[test]
fn counts_always_add_up_to_the_events_created() -> TestResult {
    let t = fixture()?;
    let mut s = Snapshot::default();
    for (i, r) in t.records().enumerate() {
        s.apply(i, &r);
        assert_eq!(
            s.counts.iter().sum::<usize>(),
            s.events.len(),
            "at record {i}"
        );
        for e in s.events.values() {
            assert!(s.count(e.state) > 0);
        }
    }
    Ok(())
}

#[test]
fn phases_follow_the_loop_steps() -> TestResult {
    let (s, _) = at(21)?; // record 21 is poll_begin of iteration 1
    assert_eq!(s.snapshot().phase, Phase::Waiting);
    assert_eq!(s.snapshot().this_iteration.timeout_us, Some(Some(1997)));
    let (s, _) = at(25)?; // ... run_active
    assert_eq!(s.snapshot().phase, Phase::RunningActive);
    assert_eq!(s.snapshot().this_iteration.active, Some((1, 1)));
    let (s, _) = at(0)?;
    assert_eq!(s.snapshot().phase, Phase::Setup);
    Ok(())
}

#[test]
fn the_last_transition_is_the_one_just_taken() -> TestResult {
    let (s, _) = at(28)?;
    let l = s.snapshot().last_transition.ok_or("no transition")?;
    assert_eq!(
        (l.ev, l.from, l.to, l.at),
        (5, State::New, State::Active, 27)
    );
    Ok(())
}

#[test]
fn snapshot_at_equals_a_fold_from_the_start_everywhere_in_the_fixture() -> TestResult {
    let t = fixture()?;
    for pos in 0..=t.len() {
        assert_eq!(t.snapshot_at(pos), fold_from_start(&t, pos), "at {pos}");
    }
    Ok(())
}

#[test]
fn stepping_back_across_checkpoints_equals_folding_from_the_start() -> TestResult {
    let (h, records) = synth::trace(5 * Timeline::EVERY + 77, 5);
    let t = Timeline::from_records(h, records);
    let mut s = Session::new(t.clone());
    s.seek(t.len());
    assert_eq!(s.snapshot(), t.last());
    // Walk back one record at a time over two checkpoint boundaries, then jump around.
    for pos in (3 * Timeline::EVERY - 5..=t.len())
        .rev()
        .step_by(1)
        .take(2 * Timeline::EVERY + 90)
    {
        s.seek(pos);
        assert_eq!(
            s.snapshot(),
            &fold_from_start(&t, pos),
            "stepping back to {pos}"
        );
    }
    for pos in [0, 1, 1023, 1024, 1025, 4000, 17, 5000, t.len(), 2048, 2047] {
        s.seek(pos);
        assert_eq!(s.pos(), pos);
        assert_eq!(s.snapshot(), &fold_from_start(&t, pos), "jumping to {pos}");
    }
    assert_eq!(t.last().anomalies, 0, "the synthetic trace is legal");
    Ok(())
}

#[test]
fn history_holds_only_the_events_records_before_the_cursor() -> TestResult {
    let t = fixture()?;
    let h = t.history(1, 100);
    assert!(!h.is_empty());
    for &i in &h {
        assert!((i as usize) < 100);
        match &t.record(i as usize).ok_or("a record")?.body {
            Body::EventNew { ev, .. }
            | Body::Transition { ev, .. }
            | Body::CallbackBegin { ev, .. }
            | Body::CallbackEnd { ev, .. } => assert_eq!(*ev, 1),
            other => panic!("not event 1's record: {other:?}"),
        }
    }
    assert!(t.history(1, 0).is_empty());
    assert!(t.history(99, t.len()).is_empty());
    Ok(())
}

#[test]
fn next_iteration_lands_just_after_a_loop_iteration_record() -> TestResult {
    let t = fixture()?;
    let mut pos = 0;
    let mut seen = 0;
    while let Some(next) = t.next_iteration(pos) {
        assert!(next > pos);
        assert!(matches!(
            t.record(next - 1).ok_or("a record")?.body,
            Body::LoopIteration { .. }
        ));
        seen += 1;
        pos = next;
    }
    assert_eq!(seen, 32);
    assert_eq!(t.prev_iteration(pos).map(|p| p < pos), Some(true));
    Ok(())
}

#[test]
fn a_record_that_breaks_the_rules_is_counted_not_fatal_in_the_model_and_refused_by_the_reader(
) -> TestResult {
    use evscope::trace::{Header, Record};
    let text = "{\"format\":\"evscope-trace\",\"version\":1,\"backend\":\"poll\"}\n\
        {\"seq\":1,\"t_us\":1,\"kind\":\"transition\",\"ev\":9,\"fd\":null,\"from\":\"pending\",\"to\":\"callback\",\"cause\":\"x\"}\n\
        {\"seq\":2,\"t_us\":2,\"kind\":\"callback_end\",\"ev\":8,\"what\":[],\"dur_us\":1}\n";
    // The reader refuses it, naming the line...
    let (line, what) = parse_err(text);
    assert_eq!(line, 2);
    assert_eq!(what, "event 9 has a transition before its event_new record");
    // ...and the model, fed such records anyway, counts them instead of failing.
    let t = Timeline::from_records(
        Header::new("poll", "odd"),
        [
            Record {
                seq: 1,
                t_us: 1,
                base: 0,
                body: Body::Transition {
                    ev: 9,
                    fd: None,
                    from: State::Pending,
                    to: State::Callback,
                    cause: "x".into(),
                },
            },
            Record {
                seq: 2,
                t_us: 2,
                base: 0,
                body: Body::CallbackEnd {
                    ev: 8,
                    what: evscope::ev::What::NONE,
                    dur_us: 1,
                },
            },
        ],
    );
    assert_eq!(t.last().anomalies, 3);
    assert_eq!(t.last().count(State::Callback), 1);
    Ok(())
}

#[test]
fn after_records_were_skipped_only_illegal_transitions_are_odd() {
    let rec = |seq: u64, body: Body| Record {
        seq,
        t_us: seq,
        base: 0,
        body,
    };
    let moved = |ev: u64, from: State, to: State| Body::Transition {
        ev,
        fd: None,
        from,
        to,
        cause: "x".into(),
    };
    let t = Timeline::from_records(
        Header::new("epoll", "skipped"),
        [
            rec(
                1,
                Body::EventNew {
                    ev: 0,
                    fd: None,
                    what: evscope::ev::What::NONE,
                    label: "t".into(),
                },
            ),
            rec(2, Body::Dropped { count: 40 }),
            // Made while records were skipped; and event 0 was added meanwhile.
            rec(43, moved(7, State::Pending, State::Active)),
            rec(44, moved(0, State::Pending, State::Active)),
            rec(
                45,
                Body::CallbackEnd {
                    ev: 8,
                    what: evscope::ev::What::NONE,
                    dur_us: 1,
                },
            ),
        ],
    );
    assert_eq!(t.last().anomalies, 0, "what was skipped explains these");
    assert_eq!(t.last().count(State::Active), 2);
    // Illegal whatever was skipped: callback is never entered from pending.
    let mut records: Vec<Record> = (0..t.len())
        .filter_map(|i| t.record(i).map(|r| r.clone()))
        .collect();
    records.push(rec(46, moved(9, State::Pending, State::Callback)));
    let t = Timeline::from_records(Header::new("epoll", "skipped"), records);
    assert_eq!(t.last().anomalies, 1);
}

fn parse_err(text: &str) -> (u64, String) {
    match feed::parse(text.as_bytes()) {
        Err(e) => (e.line, e.what),
        Ok(_) => (0, "parsed".into()),
    }
}

#[test]
fn bad_traces_are_refused_with_the_line_number() {
    const H: &str = "{\"format\":\"evscope-trace\",\"version\":1,\"backend\":\"poll\"}\n";
    let (line, what) = parse_err("");
    assert_eq!(line, 1);
    assert!(what.contains("empty"), "{what}");
    let (line, _) = parse_err("{\"seq\":1}\n");
    assert_eq!(line, 1);
    let newer = evscope::trace::VERSION + 1;
    let (line, what) = parse_err(&format!(
        "{{\"format\":\"evscope-trace\",\"version\":{newer},\"backend\":\"poll\"}}\n"
    ));
    assert_eq!(line, 1);
    assert!(what.contains(&format!("version {newer}")), "{what}");
    let (line, _) = parse_err(&format!(
        "{H}{{\"seq\":1,\"t_us\":0,\"kind\":\"note\",\"text\":\"a\"}}\n\u{1}\u{2}garbage\n"
    ));
    assert_eq!(line, 3);
    let (line, what) = parse_err(&format!(
        "{H}{{\"seq\":2,\"t_us\":0,\"kind\":\"note\",\"text\":\"a\"}}\n{{\"seq\":2,\"t_us\":0,\"kind\":\"note\",\"text\":\"b\"}}\n"
    ));
    assert_eq!(line, 3);
    assert!(what.contains("seq 2"), "{what}");
    let (line, what) = parse_err(&format!(
        "{H}{{\"seq\":1,\"t_us\":0,\"kind\":\"teleport\"}}\n"
    ));
    assert_eq!(line, 2);
    assert!(what.contains("teleport"), "{what}");
}

#[test]
fn reused_slots_are_named_with_their_generation() {
    use evscope::dash::model::id_text;
    use evscope::ev::What;
    use evscope::trace::{Header, Record};
    let ev = (1u64 << 32) | 3;
    assert_eq!(id_text(3), "3");
    assert_eq!(id_text(ev), "3v1");
    let t = Timeline::from_records(
        Header::new("poll", "ids"),
        [Record {
            seq: 1,
            t_us: 1,
            base: 0,
            body: Body::EventNew {
                ev,
                fd: None,
                what: What::TIMEOUT,
                label: String::new(),
            },
        }],
    );
    assert_eq!(
        t.last().events.get(&ev).map(|e| e.name()).as_deref(),
        Some("event 3v1")
    );
}

#[test]
fn a_trace_of_two_bases_shows_one_at_a_time_each_with_its_own_events() -> TestResult {
    use crate::util::trace as trace_util;
    let timeline = Timeline::from_records(trace_util::header(), trace_util::sample_records());
    let mut s = Session::new(timeline);
    assert_eq!(s.bases(), 2);
    s.seek(usize::MAX);
    // Base 0's event 3 is freed at the end of the sample; base 1's event 3 is its own, pending.
    let state_of_3 = |s: &Session| s.snapshot().events.get(&3).map(|e| e.state);
    assert_eq!(state_of_3(&s), Some(State::Freed));
    assert_eq!(s.shown_base().1.id, 0);
    assert!(s.next_base());
    let (i, base) = s.shown_base();
    assert_eq!((i, base.id, base.backend.as_str()), (1, 1, "poll"));
    assert_eq!(base.thread, Some(4244), "the thread last seen running it");
    assert_eq!(s.timeline().header().backend, "poll");
    // Base 0 was at its end (as a live view following the program is): so is base 1.
    assert_eq!(s.pos(), s.timeline().len(), "base 1 at its end too");
    assert_eq!(state_of_3(&s), Some(State::Pending));
    let label = s.snapshot().events.get(&3).map(|e| e.label.to_string());
    assert_eq!(label.as_deref(), Some("worker pipe"));
    // Its records are explained with its own names.
    let last = s
        .timeline()
        .record(s.timeline().len().wrapping_sub(1))
        .ok_or("base 1 has records")?
        .clone();
    assert!(s
        .timeline()
        .explain(&last, evscope::dash::Lang::En)
        .contains("thread 4244"));
    let made = s.timeline().record(0).ok_or("a record")?.clone();
    assert!(
        s.timeline()
            .explain(&made, evscope::dash::Lang::En)
            .contains("event_base 1 made"),
        "{made:?}"
    );
    // Stepped back, base 1 shows 202 µs (its third record): base 0 comes at the same moment.
    s.seek(3);
    assert!(s.next_base(), "back to base 0");
    assert_eq!(s.shown_base().1.id, 0);
    assert_eq!(s.pos(), 20, "base 0 at 202 µs: its records up to 200 µs");
    s.seek(usize::MAX);
    assert_eq!(state_of_3(&s), Some(State::Freed));
    Ok(())
}

#[test]
fn a_long_timeline_holds_at_most_50_bytes_per_record() -> TestResult {
    // An echo-like loop of 50 events and a bufferevent: what a busy session looks like.
    let n = 100 * Timeline::EVERY;
    let (h, records) = synth::trace(n, 50);
    let t = Timeline::from_records(h, records.into_iter().take(n));
    let per_record = t.held_bytes() as f64 / t.len() as f64;
    assert!(
        per_record <= 50.0,
        "{per_record:.1} bytes per record held ({} bytes for {} records)",
        t.held_bytes(),
        t.len()
    );
    // And everything still reads back.
    assert_eq!(t.records().count(), n);
    let mid = t.snapshot_at(n / 2 + 3);
    assert_eq!(mid.applied, n / 2 + 3);
    Ok(())
}

/// Writes `records` after `header` as a trace file in `dir`, with `extra` lines appended.
fn write_trace(
    dir: &tempfile::TempDir,
    header: &evscope::trace::Header,
    records: &[evscope::trace::Record],
    extra: &str,
) -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    let path = dir.path().join("big.jsonl");
    let mut text = serde_json::to_string(header)? + "\n";
    for r in records {
        text += &serde_json::to_string(r)?;
        text.push('\n');
    }
    text += extra;
    std::fs::write(&path, text)?;
    Ok(path)
}

#[test]
fn a_big_trace_opens_with_its_beginning_and_the_rest_comes_in_batches() -> TestResult {
    let n = feed::FIRST + 2 * feed::LOAD_BATCH + 5;
    let (h, records) = synth::trace(n, 5);
    let records = &records[..n];
    let dir = tempfile::tempdir()?;
    let path = write_trace(&dir, &h, records, "")?;
    let (mut t, loader) = feed::open(&path)?;
    assert_eq!(
        t.len(),
        feed::FIRST,
        "the screen shows the beginning at once"
    );
    let mut loader = loader.ok_or("the rest is read in the background")?;
    let mut batches = 0;
    let ended = loop {
        match loader
            .blocking_recv()
            .ok_or("the loader ends with an End")?
        {
            feed::Loaded::Records(batch) => {
                assert!(!batch.is_empty() && batch.len() <= feed::LOAD_BATCH);
                batches += 1;
                for r in batch {
                    t.push(r);
                }
            }
            feed::Loaded::End(e) => break e,
        }
    };
    assert!(ended.is_none(), "the whole trace read: {ended:?}");
    assert_eq!(batches, 3);
    assert_eq!(t.len(), n);
    assert_eq!(
        t.last(),
        feed::load(&path)?.last(),
        "the same as reading it whole"
    );
    // A small trace is read whole before the screen, as before.
    let small = write_trace(&dir, &h, &records[..100], "")?;
    let (t, loader) = feed::open(&small)?;
    assert!(loader.is_none());
    assert_eq!(t.len(), 100);
    Ok(())
}

#[test]
fn a_bad_line_far_into_a_big_trace_ends_the_background_read_with_its_line() -> TestResult {
    let n = feed::FIRST + 10;
    let (h, records) = synth::trace(n, 5);
    let dir = tempfile::tempdir()?;
    let path = write_trace(&dir, &h, &records[..n], "{\"seq\": oops}\n")?;
    let (_, loader) = feed::open(&path)?;
    let mut loader = loader.ok_or("read in the background")?;
    let mut read = 0;
    let err = loop {
        match loader.blocking_recv().ok_or("an End")? {
            feed::Loaded::Records(b) => read += b.len(),
            feed::Loaded::End(e) => break e.ok_or("the bad line is an error")?,
        }
    };
    assert_eq!(read, 10, "the good records before it still come");
    let text = err.to_string();
    let line = n + 2;
    assert!(
        text.contains(&line.to_string()),
        "names line {line}: {text}"
    );
    Ok(())
}
