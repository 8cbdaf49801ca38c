//! Version 4 of the format: a transition line also leaves out `from` when it is the event's state
//! as last written, and `cause` when it is the usual cause of the move; read back into the same
//! whole records. Version 3 lines keep both, and bad version 4 lines give clear errors.

use crate::util::trace as trace_util;

use std::io::Cursor;

use evscope::ev::{Levels, State, What};
use evscope::trace::{read_all, usual_cause, write_all, Body, Record, USUAL_CAUSES};
use trace_util::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A transition line's `from` and `cause` as written: None where the line leaves it out.
type Kept = (Option<String>, Option<String>);

/// Each transition line's `from` and `cause` as written.
fn written(text: &[u8]) -> Result<Vec<Kept>, serde_json::Error> {
    let mut out = Vec::new();
    for line in text.split(|&b| b == b'\n').skip(1) {
        if line.is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(line)?;
        if v["kind"] == "transition" {
            let field = |name: &str| v.get(name).and_then(|f| f.as_str()).map(str::to_string);
            out.push((field("from"), field("cause")));
        }
    }
    Ok(out)
}

/// The bytes a version 4 line saves on a transition whose `from` and `cause` it leaves out.
fn saved(from: Option<State>, cause: Option<&str>) -> usize {
    from.map_or(0, |f| format!(",\"from\":\"{f}\"").len())
        + cause.map_or(0, |c| format!(",\"cause\":\"{c}\"").len())
}

#[test]
fn the_usual_causes_are_three_legal_moves_with_the_library_s_cause_names() {
    assert_eq!(USUAL_CAUSES.len(), 3);
    for (from, to, cause) in USUAL_CAUSES {
        assert!(from.can_go_to(to), "{from} → {to}");
        assert_eq!(usual_cause(from, to), Some(cause.as_str()));
    }
    assert_eq!(
        usual_cause(State::Active, State::Callback),
        Some("dispatch")
    );
    assert_eq!(
        usual_cause(State::Callback, State::NonPending),
        Some("callback_returned")
    );
    assert_eq!(usual_cause(State::Pending, State::Active), None);
    assert_eq!(usual_cause(State::New, State::Pending), None);
    assert_eq!(usual_cause(State::Callback, State::Freed), None);
}

/// Two bases; events whose `from` is known and not (first transition, after `freed`, after
/// records the writer never saw), usual causes and an unusual cause on a usual move.
fn mixed() -> (Vec<Record>, Vec<Kept>) {
    use State::*;
    let mut a = Trace::new(0);
    let mut expect = Vec::new();
    let mut exp = |from: Option<&str>, cause: Option<&str>| {
        expect.push((from.map(str::to_string), cause.map(str::to_string)));
    };
    a.event(1, 5);
    a.tr(1, 5, New, Pending, "event_add");
    exp(None, Some("event_add"));
    a.tr(1, 5, Pending, Active, "fd_readable");
    exp(None, Some("fd_readable"));
    a.tr(1, 5, Active, Callback, "dispatch");
    exp(None, None);
    a.push(Body::CallbackBegin {
        ev: 1,
        what: What::READ,
    });
    a.push(Body::CallbackEnd {
        ev: 1,
        what: What::READ,
        dur_us: 2,
    });
    a.tr(1, 5, Callback, Pending, "callback_returned");
    exp(None, None);
    a.tr(1, 5, Pending, Active, "fd_readable");
    exp(None, Some("fd_readable"));
    a.tr(1, 5, Active, Callback, "dispatch");
    exp(None, None);
    // An unusual cause of a usual move is written; its `from` is still implied.
    a.tr(1, 5, Callback, NonPending, "event_del");
    exp(None, Some("event_del"));
    a.tr(1, 5, NonPending, Freed, "event_free");
    exp(None, Some("event_free"));
    a.event(2, 7);
    a.tr(2, 7, New, Active, "event_active");
    exp(None, Some("event_active"));
    a.tr(2, 7, Active, Callback, "dispatch");
    exp(None, None);
    // The recorder dropped records the writer never saw: event 2's callback → pending and
    // pending → active, event 1's event_new, and event 3's event_new and first transitions.
    a.push(Body::Dropped { count: 5 });
    // Event 2 was last written in callback: the line says `from`, and its usual cause is
    // still left out.
    a.tr(2, 7, Active, Callback, "dispatch");
    exp(Some("active"), None);
    a.tr(2, 7, Callback, NonPending, "callback_returned");
    exp(None, None);
    // After freed nothing is known of event 1: its next transition writes `from`.
    a.tr(1, 6, Pending, Active, "fd_readable");
    exp(Some("pending"), Some("fd_readable"));
    a.tr(1, 6, Active, Callback, "dispatch");
    exp(None, None);
    // Event 3: no line about it before, so `from` is written, then implied.
    a.tr(3, 9, Pending, Active, "fd_writable");
    exp(Some("pending"), Some("fd_writable"));
    a.tr(3, 9, Active, Callback, "dispatch");
    exp(None, None);
    a.tr(3, 9, Callback, NonPending, "bev_output_empty");
    exp(None, Some("bev_output_empty"));
    // Made again after freed: `new` is implied.
    a.tr(1, 6, Callback, Freed, "event_free");
    exp(None, Some("event_free"));
    a.event(1, 10);
    a.tr(1, 10, New, Pending, "event_add");
    exp(None, Some("event_add"));
    // A second base with its own event 1, whose state is not base 0's.
    let mut b = Trace::new(1);
    b.push(Body::BaseNew {
        backend: "poll".into(),
        thread: 9,
    });
    b.event(1, 8);
    b.tr(1, 8, New, Active, "event_active");
    exp(None, Some("event_active"));
    b.tr(1, 8, Active, Callback, "dispatch");
    exp(None, None);
    b.tr(1, 8, Callback, NonPending, "callback_returned");
    exp(None, None);
    // Interleave the bases as a recorder of two loops does.
    let mut recs = a.recs;
    let tail = recs.split_off(8);
    recs.extend(b.recs);
    recs.extend(tail);
    (recs, expect)
}

#[test]
fn version_4_leaves_out_known_from_and_usual_cause_and_reads_back_the_same_records() -> TestResult {
    let (records, _) = mixed();
    let v4 = write_all(Vec::new(), &header_v(4), &records)?;
    let v3 = write_all(Vec::new(), &header_v(3), &records)?;
    let (h, back) = read_all(Cursor::new(&v4))?;
    assert_eq!(h.version, 4);
    assert_eq!(back, records);
    assert_eq!(read_all(Cursor::new(&v3))?.1, records);
    // Writing what was read gives the same bytes again.
    assert_eq!(write_all(Vec::new(), &h, &back)?, v4);
    Ok(())
}

#[test]
fn which_transition_lines_keep_from_and_cause() -> TestResult {
    let (records, expect) = mixed();
    let v4 = write_all(Vec::new(), &header_v(4), &records)?;
    // The expectations are in the order each base's transitions were pushed; the lines
    // interleave the bases, so compare them base by base.
    let lines = written(&v4)?;
    let bases: Vec<u32> = records
        .iter()
        .filter(|r| matches!(r.body, Body::Transition { .. }))
        .map(|r| r.base)
        .collect();
    let (mut in_order, mut of_1): (Vec<_>, Vec<_>) = (Vec::new(), Vec::new());
    for (line, base) in lines.into_iter().zip(&bases) {
        if *base == 0 {
            in_order.push(line);
        } else {
            of_1.push(line);
        }
    }
    let n0 = in_order.len();
    in_order.extend(of_1);
    // `expect` lists base 0's transitions, then base 1's.
    assert_eq!(in_order.len(), expect.len());
    for (i, (got, want)) in in_order.iter().zip(&expect).enumerate() {
        let base = if i < n0 { 0 } else { 1 };
        assert_eq!(got, want, "transition {i} of the list (base {base})");
    }
    // Version 3 writes both on every transition line.
    let v3 = write_all(Vec::new(), &header_v(3), &records)?;
    assert!(written(&v3)?
        .iter()
        .all(|(from, cause)| from.is_some() && cause.is_some()));
    Ok(())
}

/// Pushes a transition of `ev` on fd 9 and returns the bytes version 4 saves on its line, when
/// the line before about `ev` left it in `from`.
fn tr(t: &mut Trace, ev: u64, from: State, to: State, cause: &'static str) -> usize {
    t.tr(ev, 9, from, to, cause);
    saved(
        Some(from),
        (usual_cause(from, to) == Some(cause)).then_some(cause),
    )
}

/// A connection of the echo server, then `messages` echoed messages as the server makes them:
/// the read event fires and echoes, then the write event sends what was queued. Returns the
/// records, and the bytes version 4 saves on the connection's setup and on the messages.
fn echo_like(messages: usize) -> (Vec<Record>, usize, usize) {
    use State::*;
    let mut t = Trace::new(0);
    let (read, write, bev) = (10, 11, 3);
    t.push(Body::BevNew {
        bev,
        fd: Some(9),
        label: String::new(),
    });
    t.event(read, 9);
    t.event(write, 9);
    let setup = tr(&mut t, read, New, Pending, "bufferevent_enable")
        + tr(&mut t, write, New, Pending, "bev_output_added")
        + tr(&mut t, write, Pending, Active, "fd_writable")
        + tr(&mut t, write, Active, Callback, "dispatch")
        + tr(&mut t, write, Callback, NonPending, "bev_output_empty");
    let mut expected = 0;
    for _ in 0..messages {
        expected += tr(&mut t, read, Pending, Active, "fd_readable");
        expected += tr(&mut t, read, Active, Callback, "dispatch");
        t.push(Body::CallbackBegin {
            ev: read,
            what: What::READ,
        });
        let levels = Levels {
            input: 64,
            enabled: What::READ | What::WRITE,
            ..Levels::default()
        };
        t.push(Body::Buffer { bev, levels });
        t.push(Body::Buffer {
            bev,
            levels: Levels {
                input: 0,
                output: 64,
                ..levels
            },
        });
        expected += tr(&mut t, write, NonPending, Pending, "bev_output_added");
        t.push(Body::CallbackEnd {
            ev: read,
            what: What::READ,
            dur_us: 3,
        });
        expected += tr(&mut t, read, Callback, Pending, "callback_returned");
        expected += tr(&mut t, write, Pending, Active, "fd_writable");
        expected += tr(&mut t, write, Active, Callback, "dispatch");
        t.push(Body::CallbackBegin {
            ev: write,
            what: What::WRITE,
        });
        t.push(Body::Buffer { bev, levels });
        t.push(Body::CallbackEnd {
            ev: write,
            what: What::WRITE,
            dur_us: 1,
        });
        expected += tr(&mut t, write, Callback, NonPending, "bev_output_empty");
    }
    (t.recs, setup, expected)
}

#[test]
fn an_echo_like_trace_is_smaller_by_each_known_from_and_usual_cause() -> TestResult {
    let (records, setup, expected) = echo_like(100);
    let v4 = write_all(Vec::new(), &header_v(4), &records)?;
    let v3 = write_all(Vec::new(), &header_v(3), &records)?;
    assert_eq!(read_all(Cursor::new(&v4))?.1, records);
    // Per message: six `from`s (every one known) and three usual causes (the two dispatches and
    // the read callback's return; the write event's `bev_output_empty` is written).
    let per_message = saved(Some(State::Pending), None) * 2
        + saved(Some(State::Active), Some("dispatch")) * 2
        + saved(Some(State::NonPending), None)
        + saved(Some(State::Callback), Some("callback_returned"))
        + saved(Some(State::Callback), None);
    assert_eq!(expected, 100 * per_message);
    // The setup: two `from: new`, then the write event's first message.
    assert_eq!(
        setup,
        2 * saved(Some(State::New), None)
            + saved(Some(State::Pending), None)
            + saved(Some(State::Active), Some("dispatch"))
            + saved(Some(State::Callback), None)
    );
    assert_eq!(
        v3.len() - v4.len(),
        setup + expected,
        "v3 {} v4 {}",
        v3.len(),
        v4.len()
    );
    Ok(())
}

#[test]
fn bad_version_4_transition_lines_are_clear_errors() -> TestResult {
    let made = r#"{"seq":1,"t_us":0,"kind":"event_new","ev":1,"fd":3,"what":["READ"],"label":""}"#;
    // `from` left out for an event no line described.
    expect_error(
        &text_v(
            4,
            &[
                r#"{"seq":1,"t_us":0,"kind":"dropped","count":3}"#,
                r#"{"kind":"transition","ev":4,"fd":5,"to":"active","cause":"fd_readable"}"#,
            ],
        ),
        3,
        "a transition record needs the field `from`: event 4's state is not known",
    )?;
    // `cause` left out of a move that has no usual cause.
    expect_error(
        &text_v(
            4,
            &[
                made,
                r#"{"kind":"transition","ev":1,"to":"pending","cause":"event_add"}"#,
                r#"{"kind":"transition","ev":1,"to":"active"}"#,
            ],
        ),
        4,
        "a transition record needs the field `cause`: pending → active has no usual cause",
    )?;
    // Nor after freed: the event's state is forgotten with it.
    expect_error(
        &text_v(
            4,
            &[
                made,
                r#"{"kind":"transition","ev":1,"to":"freed","cause":"event_free"}"#,
                r#"{"kind":"transition","ev":1,"fd":3,"to":"pending","cause":"event_add"}"#,
            ],
        ),
        4,
        "needs the field `from`: event 1's state is not known",
    )?;
    // A filled-in `from` is checked like a written one: `to` must be a legal move from it.
    expect_error(
        &text_v(
            4,
            &[made, r#"{"kind":"transition","ev":1,"to":"callback"}"#],
        ),
        3,
        "a transition record needs the field `cause`: new → callback",
    )?;
    // `to` is never implied.
    expect_error(
        &text_v(
            4,
            &[made, r#"{"kind":"transition","ev":1,"cause":"event_add"}"#],
        ),
        3,
        "record needs the field `to`",
    )
}

#[test]
fn version_4_fills_from_and_cause_as_the_lines_before_say() -> TestResult {
    let text = text_v(
        4,
        &[
            r#"{"seq":1,"t_us":0,"kind":"event_new","ev":1,"fd":3,"what":["READ","PERSIST"],"label":""}"#,
            r#"{"kind":"transition","ev":1,"to":"pending","cause":"event_add"}"#,
            r#"{"kind":"transition","ev":1,"to":"active","cause":"fd_readable"}"#,
            r#"{"kind":"transition","ev":1,"to":"callback"}"#,
            r#"{"kind":"callback_begin","ev":1,"what":["READ"]}"#,
            r#"{"kind":"callback_end","ev":1,"dur_us":1}"#,
            r#"{"kind":"transition","ev":1,"to":"non_pending","cause":"event_del"}"#,
            r#"{"kind":"transition","ev":1,"to":"pending","cause":"event_add"}"#,
            r#"{"kind":"transition","ev":1,"from":"pending","to":"active","cause":"timeout"}"#,
            r#"{"kind":"transition","ev":1,"to":"callback"}"#,
            r#"{"kind":"callback_begin","ev":1,"what":["TIMEOUT"]}"#,
            r#"{"kind":"callback_end","ev":1,"dur_us":1}"#,
            r#"{"kind":"transition","ev":1,"to":"pending","cause":""}"#,
            r#"{"kind":"transition","ev":1,"to":"freed","cause":"event_free"}"#,
        ],
    );
    let (_, recs) = read_all(Cursor::new(text))?;
    let moves: Vec<(State, State, String)> = recs
        .iter()
        .filter_map(|r| match &r.body {
            Body::Transition {
                from, to, cause, ..
            } => Some((*from, *to, cause.to_string())),
            _ => None,
        })
        .collect();
    use State::*;
    let want = [
        (New, Pending, "event_add"),
        (Pending, Active, "fd_readable"),
        (Active, Callback, "dispatch"),
        (Callback, NonPending, "event_del"),
        (NonPending, Pending, "event_add"),
        (Pending, Active, "timeout"),
        (Active, Callback, "dispatch"),
        // A cause written empty stays empty: only a left-out cause is the usual one.
        (Callback, Pending, ""),
        (Pending, Freed, "event_free"),
    ];
    let want: Vec<(State, State, String)> = want
        .into_iter()
        .map(|(f, t, c)| (f, t, c.to_string()))
        .collect();
    assert_eq!(moves, want);
    Ok(())
}

#[test]
fn version_3_lines_still_need_from_and_read_a_missing_cause_as_empty() -> TestResult {
    let made = r#"{"seq":1,"t_us":0,"kind":"event_new","ev":1,"fd":3,"what":["READ"],"label":""}"#;
    expect_error(
        &text_v(
            3,
            &[
                made,
                r#"{"kind":"transition","ev":1,"to":"pending","cause":"event_add"}"#,
            ],
        ),
        3,
        "a transition record needs the field `from`",
    )?;
    let (_, recs) = read_all(Cursor::new(text_v(
        3,
        &[
            made,
            r#"{"kind":"transition","ev":1,"from":"new","to":"active","cause":"event_active"}"#,
            r#"{"kind":"transition","ev":1,"from":"active","to":"callback"}"#,
        ],
    )))?;
    assert!(
        matches!(&recs[2].body, Body::Transition { cause, .. } if cause.is_empty()),
        "{:?}",
        recs[2].body
    );
    Ok(())
}

#[test]
fn the_documented_usual_causes_are_the_code_s() -> TestResult {
    let section = doc_section("## Version 4")?;
    let rows: Vec<String> = section
        .lines()
        .filter(|l| l.starts_with("| `") && l.contains(" → "))
        .map(|l| l.split('|').take(3).collect::<Vec<_>>().join("|"))
        .collect();
    let code: Vec<String> = USUAL_CAUSES
        .iter()
        .map(|(from, to, cause)| format!("| `{from} → {to}` | `{cause}` "))
        .collect();
    assert_eq!(rows, code);
    Ok(())
}
