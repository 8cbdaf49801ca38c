//! The trace format: round trip, the golden fixture, and a clear, line-numbered error for each
//! kind of malformed input.

use crate::util::trace as trace_util;

use std::io::Cursor;

use evscope::trace::{read_all, write_all, Reader, TraceError, MAX_LINE};
use trace_util::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Reads `bytes` to the end and returns the first error.
fn first_error(bytes: &[u8]) -> Result<TraceError, Box<dyn std::error::Error>> {
    match read_all(Cursor::new(bytes)) {
        Ok((_, recs)) => Err(format!("expected an error, read {} records", recs.len()).into()),
        Err(e) => Ok(e),
    }
}

fn expect_error(bytes: &[u8], line: u64, says: &str) -> TestResult {
    let e = first_error(bytes)?;
    assert_eq!(e.line, line, "wrong line in: {e}");
    assert!(
        e.what.contains(says),
        "expected {says:?} in the error, got: {e}"
    );
    assert!(e.to_string().starts_with(&format!("line {line}: ")));
    Ok(())
}

#[test]
fn round_trip_write_then_read_gives_the_same_records() -> TestResult {
    let records = sample_records();
    let bytes = write_all(Vec::new(), &header(), &records)?;
    let (h, back) = read_all(Cursor::new(&bytes))?;
    assert_eq!(h, header());
    assert_eq!(back, records);
    // And writing what was read gives the same bytes.
    assert_eq!(write_all(Vec::new(), &h, &back)?, bytes);
    Ok(())
}

#[test]
fn every_kind_is_in_the_sample() {
    let kinds: std::collections::HashSet<&str> =
        sample_records().iter().map(|r| r.body.kind()).collect();
    for k in evscope::trace::Body::KINDS {
        assert!(kinds.contains(k), "the sample lacks {k}");
    }
}

#[test]
fn golden_fixture_reads_and_rewrites_byte_for_byte() -> TestResult {
    let text = std::fs::read(fixture("ticker.jsonl"))?;
    let mut reader = Reader::new(Cursor::new(&text))?;
    let mut records = Vec::new();
    while let Some(r) = reader.next_record()? {
        records.push(r);
    }
    let stats = reader.stats().clone();
    assert_eq!(reader.header().backend, "epoll");
    assert_eq!(stats.records, 113);
    assert_eq!(stats.events, 3);
    assert_eq!(stats.bufferevents, 0);
    assert_eq!(stats.records, records.len() as u64);
    let again = write_all(Vec::new(), reader.header(), &records)?;
    assert_eq!(String::from_utf8(again)?, String::from_utf8(text)?);
    Ok(())
}

#[test]
fn golden_fixture_explains_as_committed() -> TestResult {
    let (h, records) = read_all(Cursor::new(std::fs::read(fixture("ticker.jsonl"))?))?;
    for (lang, file) in [
        (evscope::trace::Lang::En, "ticker.en.txt"),
        (evscope::trace::Lang::Zh, "ticker.zh.txt"),
    ] {
        let mut ex = evscope::trace::Explainer::new(lang);
        ex.learn_header(&h);
        let mut text = String::new();
        for r in &records {
            text.push_str(&ex.line(r));
            text.push('\n');
        }
        let want = std::fs::read_to_string(fixture(file))?;
        assert_eq!(text, want, "{file} differs");
    }
    Ok(())
}

#[test]
fn empty_file() -> TestResult {
    expect_error(b"", 1, "empty")
}

#[test]
fn no_header() -> TestResult {
    let text = r#"{"seq":1,"t_us":0,"kind":"loop_iteration","n":1}"#;
    expect_error(text.as_bytes(), 1, "no header")
}

#[test]
fn not_an_evscope_trace() -> TestResult {
    expect_error(
        br#"{"format":"other","version":1}"#,
        1,
        "not an evscope trace",
    )
}

#[test]
fn newer_version() -> TestResult {
    let newer = evscope::trace::VERSION + 1;
    let text = format!(r#"{{"format":"evscope-trace","version":{newer},"backend":"epoll"}}"#);
    expect_error(
        text.as_bytes(),
        1,
        &format!("version {newer}, newer than this evscope reads"),
    )
}

#[test]
fn truncated_last_line() -> TestResult {
    let mut text = trace_text(&[r#"{"seq":1,"t_us":0,"kind":"loop_iteration","n":1}"#]);
    text.push_str(r#"{"seq":2,"t_us":5,"kind":"poll_be"#);
    expect_error(text.as_bytes(), 3, "truncated")
}

#[test]
fn a_complete_last_line_without_newline_is_fine() -> TestResult {
    let mut text = trace_text(&[]);
    text.push_str(r#"{"seq":1,"t_us":0,"kind":"loop_iteration","n":1}"#);
    let (_, recs) = read_all(Cursor::new(text))?;
    assert_eq!(recs.len(), 1);
    Ok(())
}

#[test]
fn binary_garbage_line() -> TestResult {
    let mut bytes =
        trace_text(&[r#"{"seq":1,"t_us":0,"kind":"loop_iteration","n":1}"#]).into_bytes();
    bytes.extend_from_slice(&[0xff, 0xfe, 0x00, 0x9c, b'{', 0xc3, b'\n']);
    expect_error(&bytes, 3, "not text (invalid UTF-8")
}

#[test]
fn wrong_field_types() -> TestResult {
    let text = trace_text(&[r#"{"seq":1,"t_us":"soon","kind":"loop_iteration","n":1}"#]);
    expect_error(text.as_bytes(), 2, "wrong field type")?;
    let text = trace_text(&[r#"{"seq":1,"t_us":0,"kind":"poll_end","ready":-3}"#]);
    expect_error(text.as_bytes(), 2, "wrong field type")?;
    let text =
        trace_text(&[r#"{"seq":1,"t_us":0,"kind":"event_new","ev":1,"fd":3,"what":"READ"}"#]);
    expect_error(text.as_bytes(), 2, "wrong field type")
}

#[test]
fn missing_field_names_the_field_and_kind() -> TestResult {
    let text = trace_text(&[r#"{"seq":1,"t_us":0,"kind":"poll_end"}"#]);
    expect_error(
        text.as_bytes(),
        2,
        "a poll_end record needs the field `ready`",
    )
}

#[test]
fn unknown_kind() -> TestResult {
    let text = trace_text(&[r#"{"seq":1,"t_us":0,"kind":"teleport","ev":1}"#]);
    expect_error(text.as_bytes(), 2, "unknown kind \"teleport\"")
}

#[test]
fn unknown_flag_and_state_names() -> TestResult {
    let text = trace_text(&[
        r#"{"seq":1,"t_us":0,"kind":"event_new","ev":1,"fd":3,"what":["READ","FAST"],"label":""}"#,
    ]);
    expect_error(text.as_bytes(), 2, "unknown event flag \"FAST\"")?;
    let text = trace_text(&[
        r#"{"seq":1,"t_us":0,"kind":"event_new","ev":1,"fd":3,"what":["READ"],"label":""}"#,
        r#"{"seq":2,"t_us":0,"kind":"transition","ev":1,"fd":3,"from":"new","to":"sleeping","cause":"x"}"#,
    ]);
    expect_error(text.as_bytes(), 3, "unknown state \"sleeping\"")
}

#[test]
fn illegal_transition() -> TestResult {
    let text = trace_text(&[
        r#"{"seq":1,"t_us":0,"kind":"event_new","ev":1,"fd":3,"what":["READ"],"label":""}"#,
        r#"{"seq":2,"t_us":1,"kind":"transition","ev":1,"fd":3,"from":"new","to":"pending","cause":"event_add"}"#,
        r#"{"seq":3,"t_us":2,"kind":"transition","ev":1,"fd":3,"from":"pending","to":"callback","cause":"dispatch"}"#,
    ]);
    expect_error(
        text.as_bytes(),
        4,
        "illegal transition pending -> callback for event 1",
    )
}

#[test]
fn transition_from_a_state_the_event_is_not_in() -> TestResult {
    let text = trace_text(&[
        r#"{"seq":1,"t_us":0,"kind":"event_new","ev":1,"fd":3,"what":["READ"],"label":""}"#,
        r#"{"seq":2,"t_us":1,"kind":"transition","ev":1,"fd":3,"from":"pending","to":"active","cause":"fd_readable"}"#,
    ]);
    expect_error(text.as_bytes(), 3, "but it was new")
}

#[test]
fn first_record_of_an_event_must_be_event_new() -> TestResult {
    let text = trace_text(&[
        r#"{"seq":1,"t_us":0,"kind":"transition","ev":8,"fd":3,"from":"new","to":"pending","cause":"event_add"}"#,
    ]);
    expect_error(
        text.as_bytes(),
        2,
        "event 8 has a transition before its event_new",
    )?;
    let text = trace_text(&[r#"{"seq":1,"t_us":0,"kind":"buffer","bev":2,"input":1,"output":0}"#]);
    expect_error(
        text.as_bytes(),
        2,
        "bufferevent 2 has a buffer record before its bev_new",
    )
}

#[test]
fn seq_going_backwards() -> TestResult {
    let text = trace_text(&[
        r#"{"seq":5,"t_us":0,"kind":"loop_iteration","n":1}"#,
        r#"{"seq":6,"t_us":0,"kind":"loop_iteration","n":2}"#,
        r#"{"seq":4,"t_us":0,"kind":"loop_iteration","n":3}"#,
    ]);
    expect_error(text.as_bytes(), 4, "seq 4 does not increase")
}

#[test]
fn time_going_backwards() -> TestResult {
    let text = trace_text(&[
        r#"{"seq":1,"t_us":50,"kind":"loop_iteration","n":1}"#,
        r#"{"seq":2,"t_us":49,"kind":"loop_iteration","n":2}"#,
    ]);
    expect_error(text.as_bytes(), 3, "goes back in time")
}

#[test]
fn a_line_that_is_not_an_object() -> TestResult {
    let text = trace_text(&["[1,2,3]"]);
    expect_error(text.as_bytes(), 2, "not a JSON object")?;
    let text = trace_text(&[r#"{"seq":1,"t_us":0,,}"#]);
    expect_error(text.as_bytes(), 2, "not valid JSON")
}

#[test]
fn huge_line_is_refused_without_reading_it_whole() -> TestResult {
    let mut text = trace_text(&[]).into_bytes();
    text.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
    text.push(b'\n');
    expect_error(&text, 2, "longer than")
}

#[test]
fn blank_lines_are_skipped_and_line_numbers_still_count_them() -> TestResult {
    let text = trace_text(&[
        "",
        r#"{"seq":1,"t_us":0,"kind":"loop_iteration","n":1}"#,
        "   ",
        r#"{"seq":1,"t_us":0,"kind":"loop_iteration","n":2}"#,
    ]);
    expect_error(text.as_bytes(), 5, "seq 1 does not increase")
}

#[test]
fn after_a_dropped_record_missing_history_is_tolerated_but_legality_is_not() -> TestResult {
    let ok = trace_text(&[
        r#"{"seq":1,"t_us":0,"kind":"event_new","ev":1,"fd":3,"what":["READ"],"label":""}"#,
        r#"{"seq":9,"t_us":1,"kind":"dropped","count":7}"#,
        r#"{"seq":10,"t_us":2,"kind":"transition","ev":1,"fd":3,"from":"active","to":"callback","cause":"dispatch"}"#,
        r#"{"seq":11,"t_us":2,"kind":"transition","ev":2,"fd":4,"from":"pending","to":"active","cause":"fd_readable"}"#,
    ]);
    let (_, recs) = read_all(Cursor::new(ok))?;
    assert_eq!(recs.len(), 4);
    let bad = trace_text(&[
        r#"{"seq":9,"t_us":1,"kind":"dropped","count":7}"#,
        r#"{"seq":10,"t_us":2,"kind":"transition","ev":1,"fd":3,"from":"freed","to":"pending","cause":"event_add"}"#,
    ]);
    expect_error(bad.as_bytes(), 3, "illegal transition freed -> pending")
}

#[test]
fn reader_stops_after_the_first_error() -> TestResult {
    let text = trace_text(&[
        "garbage",
        r#"{"seq":1,"t_us":0,"kind":"loop_iteration","n":1}"#,
    ]);
    let mut r = Reader::new(Cursor::new(text))?;
    assert!(r.next().is_some_and(|x| x.is_err()));
    assert!(r.next().is_none());
    Ok(())
}

#[test]
fn the_fast_encoder_writes_exactly_what_serde_writes() -> TestResult {
    let mut records = sample_records();
    let odd = "tab\t nl\n cr\r bs\u{8} ff\u{c} nul\u{0} us\u{1f} del\u{7f} \\ \" é 漢 🦀";
    records.push(evscope::trace::Record {
        seq: 99,
        t_us: u64::MAX,
        base: 0,
        body: evscope::trace::Body::Note { text: odd.into() },
    });
    records.push(evscope::trace::Record {
        seq: 100,
        t_us: 0,
        base: 0,
        body: evscope::trace::Body::Accept {
            listener: 1,
            fd: -1,
            peer: None,
        },
    });
    for r in &records {
        let mut fast = Vec::new();
        evscope::trace::encode_line(r, &mut fast);
        let slow = serde_json::to_string(r)? + "\n";
        assert_eq!(String::from_utf8(fast)?, slow);
    }
    Ok(())
}

#[test]
fn bases_may_interleave_in_any_order_but_each_starts_with_its_base_new() -> TestResult {
    let made = |base: u32| {
        format!(
            r#"{{"seq":1,"t_us":5,"base":{base},"kind":"base_new","backend":"epoll","thread":7}}"#
        )
    };
    let note = |base: u32, seq: u64| {
        format!(r#"{{"seq":{seq},"t_us":9,"base":{base},"kind":"note","text":"x"}}"#)
    };
    // Base 2's batch reached the file before base 1's: fine.
    let (b2, b2n, b1, b0) = (made(2), note(2, 2), made(1), note(0, 1));
    let text = trace_text(&[&b2, &b2n, &b1, &b0]);
    let mut reader = Reader::new(Cursor::new(text.as_bytes()))?;
    while reader.next_record()?.is_some() {}
    assert_eq!(reader.checker().bases(), 3);
    // A base number far past the others costs one entry, not a table that long.
    let far = made(4_000_000_000);
    let text = trace_text(&[&far, &b0]);
    let mut reader = Reader::new(Cursor::new(text.as_bytes()))?;
    while reader.next_record()?.is_some() {}
    assert_eq!(reader.checker().bases(), 2);
    // A record of a base that was never made.
    let orphan = note(3, 1);
    expect_error(
        trace_text(&[&b1, &orphan]).as_bytes(),
        3,
        "a record of base 3 before that base's base_new record",
    )?;
    // Made twice.
    expect_error(
        trace_text(&[&b1, &b1]).as_bytes(),
        3,
        "base_new for base 1, which was made already",
    )
}

/// The kinds and fields `docs/trace-format.md` documents under "Kinds", by kind: each `###`
/// heading names one or more kinds, and the first column of its table names the fields (a field
/// whose meaning starts with "(`kind`)" or "(`kind` only)" belongs to that kind alone).
fn documented_kinds(doc: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let ticked = |s: &str| -> Vec<String> {
        s.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    let mut kinds = std::collections::BTreeMap::new();
    let mut current: Vec<String> = Vec::new();
    let mut in_kinds = false;
    for line in doc.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            in_kinds = h == "Kinds";
            current.clear();
        } else if !in_kinds {
            continue;
        } else if let Some(h) = line.strip_prefix("### ") {
            let names = h.split(" — ").next().unwrap_or(h);
            current = ticked(names);
            for k in &current {
                kinds.insert(k.clone(), Vec::new());
            }
        } else if line.starts_with("####") {
            current.clear();
        } else if let Some(row) = line.strip_prefix("| `") {
            let mut cols = row.splitn(3, " | ");
            let fields = ticked(&format!("`{}", cols.next().unwrap_or("")));
            let meaning = cols.nth(1).unwrap_or("");
            let only: Vec<String> = meaning
                .strip_prefix('(')
                .and_then(|m| m.split(')').next())
                .map(ticked)
                .unwrap_or_default();
            for k in &current {
                if only.is_empty() || only.contains(k) {
                    kinds
                        .get_mut(k)
                        .expect("heading seen")
                        .extend(fields.iter().cloned());
                }
            }
        }
    }
    kinds
}

#[test]
fn the_documented_kinds_and_fields_are_the_schemas() -> TestResult {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/trace-format.md"))?;
    let documented = documented_kinds(&doc);
    let envelope = ["seq", "t_us", "base", "kind"];
    let kinds: Vec<&str> = documented.keys().map(String::as_str).collect();
    let mut schema_kinds = evscope::trace::Body::KINDS.to_vec();
    schema_kinds.sort_unstable();
    assert_eq!(
        kinds, schema_kinds,
        "the kinds documented are not the schema's"
    );
    for (kind, fields) in &documented {
        let mut doc_fields: Vec<&str> = fields
            .iter()
            .map(String::as_str)
            .filter(|f| !envelope.contains(f))
            .collect();
        doc_fields.sort_unstable();
        let mut schema_fields = evscope::trace::Body::fields_of(kind).ok_or("a known kind")?;
        schema_fields.sort_unstable();
        assert_eq!(
            doc_fields, schema_fields,
            "the fields of {kind} in docs/trace-format.md"
        );
    }
    Ok(())
}
