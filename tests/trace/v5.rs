//! Version 5 of the format: a `callback_begin` line also leaves out `what` when the cause of its
//! event's move to `active` says it, and says the move `active → callback` just before it, whose
//! own line is then left out; read back into the same whole records. Version 4 lines keep both,
//! and bad version 5 lines give clear errors.

use crate::util::trace as trace_util;

use std::io::Cursor;

use evscope::ev::{Cause, State, What};
use evscope::trace::{
    activated_what, read_all, write_all, Body, Header, Record, Writer, ACTIVATED_WHAT, VERSION,
};
use trace_util::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// What the library records of a callback, on the shared builder.
impl Trace {
    fn begin(&mut self, ev: u64, what: What) {
        self.push(Body::CallbackBegin { ev, what });
    }

    fn end(&mut self, ev: u64, what: What) {
        self.push(Body::CallbackEnd {
            ev,
            what,
            dur_us: 1,
        });
    }

    /// Event `ev` (fd `fd`, pending) made active by `cause` at the time set, and its callback
    /// run, as the library records it: the move to `callback` at the time of the record
    /// before it.
    fn fires(&mut self, ev: u64, fd: i32, cause: &'static str, what: What) {
        use State::*;
        let t_us = self.t_us;
        self.tr(ev, fd, Pending, Active, cause);
        self.tr(ev, fd, Active, Callback, "dispatch");
        self.at(t_us + 1).begin(ev, what);
        self.at(t_us + 2).end(ev, what);
        self.tr(ev, fd, Callback, Pending, "callback_returned");
    }
}

/// The record lines of a written trace (the header left out).
fn lines(text: &[u8]) -> Vec<serde_json::Value> {
    text.split(|&b| b == b'\n')
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap_or_default())
        .collect()
}

/// Writes `records` as version `version`, reads them back, and checks they are the same.
fn round_trip(version: u32, records: &[Record]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let text = write_all(Vec::new(), &header_v(version), records)?;
    let (_, back) = read_all(Cursor::new(&text))?;
    assert_eq!(back, records, "version {version} read back other records");
    Ok(text)
}

#[test]
fn this_build_writes_version_5() {
    assert_eq!(VERSION, 5);
    assert_eq!(Header::new("epoll", "x").version, 5);
}

#[test]
fn the_activated_what_table_uses_the_library_s_cause_names() {
    for (cause, what) in ACTIVATED_WHAT {
        let named = match cause {
            "timeout" => Cause::Timeout,
            "signal" => Cause::Signal,
            _ => Cause::Ready(what),
        };
        assert_eq!(named.as_str(), cause, "{what:?}");
        assert_eq!(activated_what(cause), Some(what));
    }
    assert_eq!(activated_what("event_active"), None);
    assert_eq!(activated_what("dispatch"), None);
}

#[test]
fn a_callback_s_start_is_one_line_and_reads_back_as_its_two_records() -> TestResult {
    use State::*;
    let mut t = Trace::new(0);
    t.at(10).event(1, 5);
    t.at(10).tr(1, 5, New, Pending, "event_add");
    t.at(20).fires(1, 5, "fd_readable", What::READ);
    t.at(30).fires(1, 5, "fd_writable", What::WRITE);
    t.at(40).fires(1, 5, "timeout", What::TIMEOUT);
    let v5 = round_trip(5, &t.recs)?;
    let v4 = round_trip(4, &t.recs)?;
    // Three moves to `callback` that version 4 writes and version 5 leaves out.
    assert_eq!(lines(&v4).len(), t.recs.len());
    assert_eq!(lines(&v5).len(), t.recs.len() - 3);
    for begin in lines(&v5).iter().filter(|v| v["kind"] == "callback_begin") {
        assert!(begin.get("what").is_none(), "{begin}");
        assert!(begin.get("seq").is_none(), "{begin}");
    }
    // What version 5 saves: each left-out line, and each `what` the activation says.
    let left_out: usize = lines(&v4)
        .iter()
        .filter(|v| v["kind"] == "transition" && v["to"] == "callback")
        .map(|v| v.to_string().len() + 1)
        .sum();
    let whats = [
        ",\"what\":[\"READ\"]",
        ",\"what\":[\"WRITE\"]",
        ",\"what\":[\"TIMEOUT\"]",
    ];
    let saved = left_out + whats.iter().map(|w| w.len()).sum::<usize>();
    assert_eq!(v4.len() - v5.len(), saved);
    Ok(())
}

#[test]
fn the_move_to_callback_is_written_when_its_line_says_more_than_the_begin() -> TestResult {
    use State::*;
    let mut t = Trace::new(0);
    t.at(10).event(1, 5);
    t.at(10).event(2, 6);
    t.at(10).tr(1, 5, New, Pending, "event_add");
    t.at(10).tr(2, 6, New, Pending, "event_add");
    // 1. At a time of its own: its `t_us` is not the previous line's.
    t.at(20).tr(1, 5, Pending, Active, "fd_readable");
    t.at(21).tr(1, 5, Active, Callback, "dispatch");
    t.at(21).begin(1, What::READ);
    t.at(22).end(1, What::READ);
    t.at(22).tr(1, 5, Callback, Pending, "callback_returned");
    // 2. Another record between it and its callback_begin.
    t.at(30).tr(1, 5, Pending, Active, "fd_readable");
    t.at(30).tr(2, 6, Pending, Active, "fd_readable");
    t.at(30).tr(1, 5, Active, Callback, "dispatch");
    t.at(30).push(Body::PollEnd { ready: 0 });
    t.at(31).begin(1, What::READ);
    t.at(31).end(1, What::READ);
    t.at(31).tr(1, 5, Callback, Pending, "callback_returned");
    // Left out: at the time of the line before, just before its callback_begin.
    t.at(31).tr(2, 6, Active, Callback, "dispatch");
    t.at(32).begin(2, What::READ);
    t.at(32).end(2, What::READ);
    t.at(32).tr(2, 6, Callback, Pending, "callback_returned");
    // 3. An unusual cause for the move (never made by the library, but a line says it).
    t.at(32).tr(1, 5, Pending, Active, "fd_readable");
    t.at(32).tr(1, 5, Active, Callback, "event_active");
    t.at(32).begin(1, What::READ);
    let v5 = round_trip(5, &t.recs)?;
    let to_callback = t
        .recs
        .iter()
        .filter(|r| matches!(r.body, Body::Transition { to: Callback, .. }))
        .count();
    assert_eq!(to_callback, 4);
    let written = lines(&v5)
        .iter()
        .filter(|v| v["kind"] == "transition" && v["to"] == "callback")
        .count();
    assert_eq!(written, 3, "{}", String::from_utf8_lossy(&v5));
    Ok(())
}

#[test]
fn a_begin_whose_move_to_callback_never_reached_the_writer_keeps_its_seq() -> TestResult {
    use State::*;
    // The move to `callback` was dropped before the writer (a lossy recorder), and the
    // `dropped` record that says so is numbered just before the callback_begin: its line must
    // not make the move up.
    let mut t = Trace::new(0);
    t.at(10).event(1, 5);
    t.at(10).tr(1, 5, New, Pending, "event_add");
    t.at(20).tr(1, 5, Pending, Active, "fd_readable");
    t.seq += 1;
    t.at(20).push(Body::Dropped { count: 1 });
    t.at(20).begin(1, What::READ);
    let v5 = round_trip(5, &t.recs)?;
    let begin = lines(&v5)
        .into_iter()
        .find(|v| v["kind"] == "callback_begin")
        .ok_or("a callback_begin line")?;
    assert_eq!(begin["seq"], 6, "{begin}");
    // Its `what` is still the activation's.
    assert!(begin.get("what").is_none(), "{begin}");
    Ok(())
}

#[test]
fn a_begin_s_what_is_written_when_the_activation_does_not_say_it() -> TestResult {
    use State::*;
    let mut t = Trace::new(0);
    t.at(10).event(1, 5);
    t.at(10).tr(1, 5, New, Pending, "event_add");
    // Readable, and its timeout expired in the same iteration.
    t.at(20)
        .fires(1, 5, "fd_readable", What::READ | What::TIMEOUT);
    // event_active: the program chose what.
    t.at(30).fires(1, 5, "event_active", What::WRITE);
    let v5 = round_trip(5, &t.recs)?;
    let whats: Vec<_> = lines(&v5)
        .into_iter()
        .filter(|v| v["kind"] == "callback_begin")
        .map(|v| v["what"].to_string())
        .collect();
    assert_eq!(whats, [r#"["TIMEOUT","READ"]"#, r#"["WRITE"]"#]);
    Ok(())
}

#[test]
fn a_pair_split_between_two_batches_is_written_whole() -> TestResult {
    use State::*;
    let mut t = Trace::new(0);
    t.at(10).event(1, 5);
    t.at(10).tr(1, 5, New, Pending, "event_add");
    t.at(20).fires(1, 5, "fd_readable", What::READ);
    t.at(30).fires(1, 5, "fd_readable", What::READ);
    // The first move to callback ends a batch; the second is inside one.
    let cut = 1 + t
        .recs
        .iter()
        .position(|r| matches!(r.body, Body::Transition { to: Callback, .. }))
        .ok_or("a move to callback")?;
    let mut w = Writer::new(Vec::new(), &header_v(5))?;
    w.write_batch(&t.recs[..cut])?;
    w.write_batch(&t.recs[cut..])?;
    let text = w.into_inner()?;
    let (_, back) = read_all(Cursor::new(&text))?;
    assert_eq!(back, t.recs);
    assert_eq!(lines(&text).len(), t.recs.len() - 1);
    Ok(())
}

#[test]
fn bad_version_5_begin_lines_are_clear_errors() -> TestResult {
    let new = r#"{"seq":1,"t_us":1,"kind":"event_new","ev":1,"what":["READ"]}"#;
    let add = r#"{"kind":"transition","ev":1,"to":"pending","cause":"event_add"}"#;
    let act = r#"{"kind":"transition","ev":1,"to":"active","cause":"fd_readable"}"#;
    // The event was never made active: nothing says what fired.
    expect_error(
        &text_v(5, &[new, add, r#"{"kind":"callback_begin","ev":1}"#]),
        4,
        "needs the field `what`: no cause of event 1's move to active says what fired",
    )?;
    // Active by event_active: the program chose what, so the line must say it.
    let by_program = r#"{"kind":"transition","ev":1,"to":"active","cause":"event_active"}"#;
    expect_error(
        &text_v(
            5,
            &[new, add, by_program, r#"{"kind":"callback_begin","ev":1}"#],
        ),
        5,
        "needs the field `what`",
    )?;
    // Version 4 never leaves a callback_begin's `what` out.
    expect_error(
        &text_v(4, &[new, add, act, r#"{"kind":"callback_begin","ev":1}"#]),
        5,
        "a callback_begin record needs the field `what`",
    )?;
    // A version 4 callback_begin says no move: its event is still active, not in its callback.
    let begin = r#"{"kind":"callback_begin","ev":1,"what":["READ"]}"#;
    expect_error(
        &text_v(4, &[new, add, act, begin]),
        5,
        "event 1's callback begins while it is active, not callback",
    )?;
    // Active with its descriptor unknown (its event_new said none, no transition named one).
    let no_fd = r#"{"seq":1,"t_us":1,"kind":"event_new","ev":1,"fd":null,"what":["READ"]}"#;
    let ok = text_v(5, &[no_fd, add, act, r#"{"kind":"callback_begin","ev":1}"#]);
    let (_, recs) = read_all(Cursor::new(ok))?;
    assert_eq!(recs.len(), 5);
    assert!(matches!(
        recs[3].body,
        Body::Transition {
            fd: None,
            from: State::Active,
            to: State::Callback,
            ..
        }
    ));
    Ok(())
}

#[test]
fn the_documented_activation_table_is_the_code_s() -> TestResult {
    let section = doc_section("## Version 5")?;
    let rows: Vec<String> = section
        .lines()
        .filter(|l| l.starts_with("| `") && l.ends_with("\"]` |"))
        .map(str::to_string)
        .collect();
    let code: Vec<String> = ACTIVATED_WHAT
        .iter()
        .map(|(cause, what)| {
            let names: Vec<String> = what.names().iter().map(|n| format!("\"{n}\"")).collect();
            format!("| `{cause}` | `[{}]` |", names.join(","))
        })
        .collect();
    assert_eq!(rows, code);
    Ok(())
}

/// One step of a generated trace: which of three events fires, how, and what the library did
/// around it.
#[derive(Clone, Debug)]
struct Step {
    ev: u64,
    /// Index into the activation causes below.
    cause: usize,
    /// The callback is called with more than its activation says (a timeout too).
    more: bool,
    /// Microseconds between the activation's record and the move to callback (0: the same
    /// reading, as the library times it).
    gap: u64,
    /// The move to callback was dropped before the writer (a `dropped` record says so).
    dropped: bool,
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    (
        0..3u64,
        0..4usize,
        any::<bool>(),
        0..2u64,
        prop::bool::weighted(0.1),
    )
        .prop_map(|(ev, cause, more, gap, dropped)| Step {
            ev,
            cause,
            more,
            gap,
            dropped,
        })
}

/// The records of `steps`: three persistent events, each step one callback of one of them.
fn generated(steps: &[Step]) -> Vec<Record> {
    use State::*;
    const CAUSES: [(&str, What); 4] = [
        ("fd_readable", What::READ),
        ("fd_writable", What::WRITE),
        ("timeout", What::TIMEOUT),
        ("event_active", What::READ),
    ];
    let mut t = Trace::new(0);
    for ev in 0..3 {
        t.at(1).event(ev, 10 + ev as i32);
        t.at(1).tr(ev, 10 + ev as i32, New, Pending, "event_add");
    }
    let mut now = 2;
    for s in steps {
        let fd = 10 + s.ev as i32;
        let (cause, fired) = CAUSES[s.cause];
        let what = if s.more { fired | What::TIMEOUT } else { fired };
        now += 1;
        t.at(now).tr(s.ev, fd, Pending, Active, cause);
        now += s.gap;
        if s.dropped {
            t.seq += 1;
            t.at(now).push(Body::Dropped { count: 1 });
        } else {
            t.at(now).tr(s.ev, fd, Active, Callback, "dispatch");
        }
        t.at(now).begin(s.ev, what);
        t.at(now + 1).end(s.ev, what);
        now += 1;
        t.at(now)
            .tr(s.ev, fd, Callback, Pending, "callback_returned");
    }
    t.recs
}

/// A failed step of a property, for `?`.
fn fail(e: impl std::fmt::Display) -> proptest::test_runner::TestCaseError {
    proptest::test_runner::TestCaseError::fail(e.to_string())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(
        crate::util::proptest_cases(200)
    ))]

    /// Whatever the causes, times, drops and batch boundaries, version 5 reads back the
    /// records it was given, and never has more lines than version 4.
    #[test]
    fn generated_traces_read_back_whole_in_any_batches(
        steps in proptest::collection::vec(step(), 0..40),
        cuts in proptest::collection::vec(1..30usize, 0..6),
    ) {
        let recs = generated(&steps);
        let mut w = Writer::new(Vec::new(), &header_v(5)).map_err(fail)?;
        let mut at = 0;
        for cut in cuts.iter().copied().chain(std::iter::once(recs.len())) {
            let end = (at + cut).min(recs.len());
            w.write_batch(&recs[at..end]).map_err(fail)?;
            at = end;
        }
        let text = w.into_inner().map_err(fail)?;
        let (_, back) = read_all(Cursor::new(&text)).map_err(fail)?;
        proptest::prop_assert_eq!(&back, &recs);
        let v4 = write_all(Vec::new(), &header_v(4), &recs).map_err(fail)?;
        proptest::prop_assert!(lines(&text).len() <= lines(&v4).len());
    }
}
