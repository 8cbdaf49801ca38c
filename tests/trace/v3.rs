//! Version 3 of the format (still written for a header that says 3; this build writes version
//! 4, `v4.rs`): lines that leave out what the lines before imply, read back into the same whole
//! records; versions 1 and 2 still read as strictly as before; bad version 3 lines give a
//! clear, line-numbered error.

use crate::util::trace as trace_util;

use std::io::Cursor;

use evscope::ev::{Levels, State, What};
use evscope::trace::{read_all, write_all, Body, Reader, Record};
use trace_util::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The sample, plus a bufferevent whose levels change one field at a time, whose kernel
/// figure becomes unknown, and an event whose descriptor changes.
fn records_with_changes() -> Vec<Record> {
    let mut recs = sample_records();
    let last = recs
        .iter()
        .filter(|r| r.base == 0)
        .map(|r| (r.seq, r.t_us))
        .max()
        .unwrap_or((0, 0));
    let (mut seq, t) = last;
    let mut push = |t_us: u64, body: Body| {
        seq += 1;
        recs.push(Record {
            seq,
            t_us,
            base: 0,
            body,
        });
    };
    push(
        t,
        Body::BevNew {
            bev: 7,
            fd: Some(11),
            label: "b".into(),
        },
    );
    let mut levels = Levels {
        enabled: What::WRITE,
        ..Levels::default()
    };
    push(t, Body::Buffer { bev: 7, levels });
    levels.input = 64;
    levels.kernel_in = Some(0);
    levels.kernel_out = Some(5);
    push(t + 3, Body::Buffer { bev: 7, levels });
    levels.input = 0;
    levels.output = 64;
    push(t + 3, Body::Buffer { bev: 7, levels });
    levels.kernel_in = None;
    levels.read_high = 4096;
    push(t + 4, Body::Buffer { bev: 7, levels });
    push(
        t + 4,
        Body::EventNew {
            ev: 20,
            fd: None,
            what: What::READ,
            label: String::new(),
        },
    );
    let tr = |from, to, fd, cause: &'static str| Body::Transition {
        ev: 20,
        fd,
        from,
        to,
        cause: cause.into(),
    };
    push(t + 4, tr(State::New, State::Pending, None, "event_add"));
    push(
        t + 5,
        tr(State::Pending, State::NonPending, None, "event_del"),
    );
    push(
        t + 5,
        tr(State::NonPending, State::Pending, Some(12), "event_add"),
    );
    push(
        t + 6,
        tr(State::Pending, State::Active, Some(12), "fd_readable"),
    );
    push(
        t + 6,
        tr(State::Active, State::Callback, Some(12), "dispatch"),
    );
    push(
        t + 6,
        Body::CallbackBegin {
            ev: 20,
            what: What::READ,
        },
    );
    push(
        t + 9,
        Body::CallbackEnd {
            ev: 20,
            what: What::READ,
            dur_us: 3,
        },
    );
    push(
        t + 9,
        tr(State::Callback, State::NonPending, None, "event_del"),
    );
    recs
}

#[test]
fn version_3_round_trips_to_the_same_records_in_fewer_bytes() -> TestResult {
    let records = records_with_changes();
    let v3 = write_all(Vec::new(), &header_v(3), &records)?;
    let v2 = write_all(Vec::new(), &header_v(2), &records)?;
    let (h, back) = read_all(Cursor::new(&v3))?;
    assert_eq!(h.version, 3);
    assert_eq!(back, records);
    assert_eq!(read_all(Cursor::new(&v2))?.1, records);
    assert!(
        v3.len() < v2.len(),
        "version 3 is {} bytes, version 2 {}",
        v3.len(),
        v2.len()
    );
    // Writing what was read gives the same bytes again.
    assert_eq!(write_all(Vec::new(), &h, &back)?, v3);
    Ok(())
}

#[test]
fn a_buffer_record_carries_only_what_changed_and_reads_as_full_levels() -> TestResult {
    let text = text_v(
        3,
        &[
            r#"{"seq":1,"t_us":5,"kind":"bev_new","bev":2,"fd":9,"label":""}"#,
            r#"{"kind":"buffer","bev":2,"enabled":["READ","WRITE"],"kernel_in":0,"kernel_out":0}"#,
            r#"{"t_us":7,"kind":"buffer","bev":2,"input":64,"read_high":4096}"#,
            r#"{"kind":"buffer","bev":2,"input":0,"output":64,"kernel_in":null}"#,
        ],
    );
    let (_, recs) = read_all(Cursor::new(text))?;
    let levels: Vec<(u64, u64, Levels)> = recs
        .iter()
        .filter_map(|r| match r.body {
            Body::Buffer { levels, .. } => Some((r.seq, r.t_us, levels)),
            _ => None,
        })
        .collect();
    let both = What::READ | What::WRITE;
    let first = Levels {
        enabled: both,
        kernel_in: Some(0),
        kernel_out: Some(0),
        ..Levels::default()
    };
    let second = Levels {
        input: 64,
        read_high: 4096,
        ..first
    };
    let third = Levels {
        input: 0,
        output: 64,
        kernel_in: None,
        ..second
    };
    assert_eq!(
        levels,
        vec![(2, 5, first), (3, 7, second), (4, 7, third)],
        "seq counts on, t_us and the levels carry over"
    );
    Ok(())
}

#[test]
fn implied_fields_of_transitions_and_callbacks_are_filled_in() -> TestResult {
    let text = text_v(
        3,
        &[
            r#"{"seq":1,"t_us":0,"kind":"event_new","ev":1,"fd":3,"what":["READ"],"label":""}"#,
            r#"{"kind":"transition","ev":1,"from":"new","to":"pending","cause":"event_add"}"#,
            r#"{"seq":9,"kind":"transition","ev":1,"from":"pending","to":"active","cause":"fd_readable"}"#,
            r#"{"kind":"transition","ev":1,"from":"active","to":"callback","cause":"dispatch"}"#,
            r#"{"kind":"callback_begin","ev":1,"what":["READ"]}"#,
            r#"{"t_us":4,"kind":"callback_end","ev":1,"dur_us":4}"#,
            r#"{"kind":"transition","ev":1,"fd":null,"from":"callback","to":"pending","cause":"callback_returned"}"#,
            r#"{"kind":"transition","ev":1,"from":"pending","to":"non_pending","cause":"event_del"}"#,
        ],
    );
    let (_, recs) = read_all(Cursor::new(text))?;
    let seqs: Vec<u64> = recs.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, vec![1, 2, 9, 10, 11, 12, 13, 14]);
    let fds: Vec<Option<i32>> = recs
        .iter()
        .filter_map(|r| match r.body {
            Body::Transition { fd, .. } => Some(fd),
            _ => None,
        })
        .collect();
    // The fd carries over until a line says otherwise (here: none, null).
    assert_eq!(
        fds,
        vec![Some(3), Some(3), Some(3), None, None],
        "fds as the lines imply them"
    );
    assert!(matches!(
        recs[5].body,
        Body::CallbackEnd {
            what: What::READ,
            dur_us: 4,
            ..
        }
    ));
    assert_eq!(recs[5].t_us, 4);
    assert_eq!(recs[7].t_us, 4);
    Ok(())
}

#[test]
fn bad_version_3_lines_are_clear_errors() -> TestResult {
    // The first record of a base must say the time.
    expect_error(
        &text_v(3, &[r#"{"kind":"loop_iteration","n":1}"#]),
        2,
        "the first record of base 0 needs the field `t_us`",
    )?;
    // An fd left out for an event no line described.
    expect_error(
        &text_v(
            3,
            &[
                r#"{"seq":1,"t_us":0,"kind":"dropped","count":3}"#,
                r#"{"kind":"transition","ev":4,"from":"pending","to":"active","cause":"fd_readable"}"#,
            ],
        ),
        3,
        "a transition record needs the field `fd`: event 4's descriptor is not known",
    )?;
    // A callback_end's `what` with no callback_begin before it.
    expect_error(
        &text_v(
            3,
            &[
                r#"{"seq":1,"t_us":0,"kind":"event_new","ev":1,"fd":3,"what":["READ"],"label":""}"#,
                r#"{"kind":"callback_end","ev":1,"dur_us":1}"#,
            ],
        ),
        3,
        "a callback_end record needs the field `what`: no callback_begin of event 1",
    )?;
    // Fields that are never implied stay required.
    expect_error(
        &text_v(
            3,
            &[r#"{"seq":1,"t_us":0,"kind":"event_new","ev":1,"fd":3,"label":""}"#],
        ),
        2,
        "record needs the field `what`",
    )?;
    expect_error(
        &text_v(
            3,
            &[
                r#"{"seq":1,"t_us":0,"kind":"event_new","ev":1,"fd":3,"what":["READ"],"label":""}"#,
                r#"{"kind":"transition","ev":1,"from":"new","cause":"event_add"}"#,
            ],
        ),
        3,
        "record needs the field `to`",
    )?;
    expect_error(
        &text_v(3, &[r#"{"seq":1,"t_us":0,"kind":"accept","listener":0}"#]),
        2,
        "record needs the field `fd`",
    )?;
    // The rules the checker applies hold for the records as filled in.
    expect_error(
        &text_v(
            3,
            &[
                r#"{"seq":1,"t_us":0,"kind":"event_new","ev":1,"fd":3,"what":["READ"],"label":""}"#,
                r#"{"kind":"transition","ev":1,"from":"pending","to":"active","cause":"fd_readable"}"#,
            ],
        ),
        3,
        "but it was new",
    )
}

#[test]
fn versions_1_and_2_are_read_as_strictly_as_before() -> TestResult {
    for v in [1, 2] {
        // A line of version 3's shape is missing fields in an older trace.
        expect_error(
            &text_v(v, &[r#"{"t_us":0,"kind":"loop_iteration","n":1}"#]),
            2,
            "missing field `seq`",
        )?;
        expect_error(
            &text_v(
                v,
                &[
                    r#"{"seq":1,"t_us":0,"kind":"bev_new","bev":2,"fd":9,"label":""}"#,
                    r#"{"seq":2,"t_us":0,"kind":"buffer","bev":2,"output":3}"#,
                ],
            ),
            3,
            "a buffer record needs the field `input`",
        )?;
        // A transition without fd is a pure timer's (fd null), not the event's last fd.
        let (_, recs) = read_all(Cursor::new(text_v(
            v,
            &[
                r#"{"seq":1,"t_us":0,"kind":"event_new","ev":1,"fd":3,"what":["READ"],"label":""}"#,
                r#"{"seq":2,"t_us":0,"kind":"transition","ev":1,"from":"new","to":"pending","cause":"event_add"}"#,
            ],
        )))?;
        assert!(matches!(recs[1].body, Body::Transition { fd: None, .. }));
    }
    // The committed version 1 fixture and version 2 recordings read.
    let fixture_v1 = std::fs::read(fixture("ticker.jsonl"))?;
    let (h, recs) = read_all(Cursor::new(fixture_v1))?;
    assert_eq!((h.version, recs.len()), (1, 113));
    let echo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/echo.jsonl");
    let reader = Reader::open(&echo)?;
    assert_eq!(reader.header().version, 2);
    let (_, stats) = reader.check_all()?;
    assert!(stats.records > 100, "{} records", stats.records);
    Ok(())
}

#[test]
fn a_version_3_trace_of_several_bases_implies_each_bases_own_seq_and_time() -> TestResult {
    let text = text_v(
        3,
        &[
            r#"{"seq":1,"t_us":10,"kind":"loop_iteration","n":1}"#,
            r#"{"seq":1,"t_us":12,"base":1,"kind":"base_new","backend":"poll","thread":7}"#,
            r#"{"base":1,"kind":"loop_iteration","n":1}"#,
            r#"{"kind":"loop_iteration","n":2}"#,
        ],
    );
    let (_, recs) = read_all(Cursor::new(text))?;
    let got: Vec<(u32, u64, u64)> = recs.iter().map(|r| (r.base, r.seq, r.t_us)).collect();
    assert_eq!(got, vec![(0, 1, 10), (1, 1, 12), (1, 2, 12), (0, 2, 10)]);
    Ok(())
}

#[test]
fn a_huge_base_number_is_an_error_not_an_allocation() -> TestResult {
    let text = text_v(
        3,
        &[r#"{"seq":1,"t_us":0,"base":4000000000,"kind":"note","text":"x"}"#],
    );
    expect_error(&text, 2, "before that base's base_new record")
}
