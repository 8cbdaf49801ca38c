//! Labels given to bufferevents and listeners reach the trace: the bufferevent's own record and
//! the internal events' names. Every note and label the demos write has its Chinese: in the
//! demos' source, in the recordings, and in a run of each demo.

use crate::util;

use std::time::Duration;

use evscope::demos::{note_zh, shown_label, DemoOptions, Piece};
use evscope::ev::{BevOptions, EventBase, ListenerFlags};
use evscope::trace::{Body, Lang, Reader, Record, Recorder};
use util::{each_backend, socketpair, TestResult};

fn labels(rx: &std::sync::mpsc::Receiver<evscope::trace::Record>) -> (Vec<String>, Vec<String>) {
    let (mut events, mut bevs) = (Vec::new(), Vec::new());
    for rec in rx.try_iter() {
        match rec.body {
            Body::EventNew { label, .. } => events.push(label),
            Body::BevNew { label, .. } => bevs.push(label),
            _ => {}
        }
    }
    (events, bevs)
}

#[test]
fn labeled_bufferevent_names_itself_and_its_events() {
    each_backend(|kind| -> TestResult {
        let mut base = EventBase::with_backend(kind)?;
        let (rec, rx) = Recorder::to_channel();
        base.set_observer(Box::new(rec));
        let (a, _b) = socketpair()?;
        let fd = std::os::fd::AsRawFd::as_raw_fd(&a);
        let named = base
            .labeled("read_cb")
            .bufferevent_socket_new(fd, BevOptions::NONE)?;
        let plain = base.bufferevent_socket_new(fd, BevOptions::NONE)?;
        drop(base.take_observer());
        let (events, bevs) = labels(&rx);
        assert_eq!(bevs, vec!["read_cb".to_string(), plain.to_string()]);
        assert!(events.contains(&"read_cb read".to_string()), "{events:?}");
        assert!(events.contains(&"read_cb write".to_string()), "{events:?}");
        assert!(events.contains(&format!("{plain} read")), "{events:?}");
        assert_ne!(named, plain);
        Ok(())
    });
}

#[test]
fn labeled_listener_names_its_accept_event() {
    each_backend(|kind| -> TestResult {
        let mut base = EventBase::with_backend(kind)?;
        let (rec, rx) = Recorder::to_channel();
        base.set_observer(Box::new(rec));
        let addr = "127.0.0.1:0".parse()?;
        let named = base.labeled("listener_cb").evconnlistener_new_bind(
            addr,
            ListenerFlags::NONE,
            -1,
            |_, _, _, _| {},
        )?;
        let plain = base.evconnlistener_new_bind(addr, ListenerFlags::NONE, -1, |_, _, _, _| {})?;
        drop(base.take_observer());
        let (events, _) = labels(&rx);
        assert_eq!(
            events,
            vec!["listener_cb accept".to_string(), format!("{plain} accept")]
        );
        assert_ne!(named, plain);
        Ok(())
    });
}

/// The demos' source files.
fn demo_sources() -> Result<Vec<(String, String)>, Box<dyn std::error::Error>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/demos");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            files.push((name, std::fs::read_to_string(&path)?));
        }
    }
    files.sort();
    Ok(files)
}

/// The value names of a note's pieces, sorted.
fn value_names(pieces: &[Piece]) -> Vec<&str> {
    let mut names: Vec<&str> = pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Value(n) | Piece::Quoted(n) => Some(n.as_str()),
            Piece::Text(_) => None,
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

#[test]
fn every_note_a_demo_writes_has_its_chinese_in_the_table() -> TestResult {
    let mut written = 0;
    for (file, source) in demo_sources()? {
        if file == "notes.rs" {
            // Where `note!` is made: it writes no note of its own.
            continue;
        }
        // Only `note!` records a note, so none can be written without its Chinese.
        for (i, line) in source.lines().enumerate() {
            assert!(
                !line.contains(".note("),
                "src/demos/{file}:{}: a note without its Chinese: write it with note!",
                i + 1
            );
        }
        for note in evscope::demos::scan_notes(&file, &source) {
            let note = note?;
            written += 1;
            let zh: String = note
                .zh
                .iter()
                .filter_map(|p| match p {
                    Piece::Text(t) => Some(t.as_str()),
                    _ => None,
                })
                .collect();
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{}: its Chinese has no Chinese",
                note.place
            );
            assert_eq!(
                value_names(&note.en),
                value_names(&note.zh),
                "{}: the Chinese shows other values than the English",
                note.place
            );
        }
    }
    // Every file that writes a note feeds the table the screens read.
    assert_eq!(evscope::demos::note_table().len(), written);
    assert!(written > 50, "{written} notes");
    Ok(())
}

/// A libevent-style internal name, shown as written in every language: `bev1`, `bev0v1
/// write`, `lev0 accept`.
fn internal(label: &str) -> bool {
    let mut words = label.split(' ');
    let head = words.next().unwrap_or("");
    let numbered = ["bev", "lev"].iter().any(|p| {
        head.strip_prefix(p).is_some_and(|id| {
            !id.is_empty()
                && id
                    .split('v')
                    .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
    });
    let tail: Vec<&str> = words.collect();
    numbered && (tail.is_empty() || tail == ["read"] || tail == ["write"] || tail == ["accept"])
}

/// Every note and label in `records` that has no Chinese.
fn without_chinese(records: &[Record]) -> Vec<String> {
    let mut missing = Vec::new();
    for rec in records {
        match &rec.body {
            Body::Note { text } if note_zh(text).is_none() => {
                missing.push(format!("note {text:?}"));
            }
            Body::EventNew { label, .. } | Body::BevNew { label, .. }
                if !label.is_empty()
                    && !internal(label)
                    && shown_label(label, Lang::Zh) == label.as_str() =>
            {
                missing.push(format!("label {label:?}"));
            }
            _ => {}
        }
    }
    missing.sort();
    missing.dedup();
    missing
}

#[test]
fn every_note_and_label_of_the_recordings_has_chinese() -> TestResult {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "jsonl") {
            continue;
        }
        let mut reader = Reader::open(&path)?;
        let mut records = Vec::new();
        while let Some(r) = reader.next_record()? {
            records.push(r);
        }
        let missing = without_chinese(&records);
        assert!(
            missing.is_empty(),
            "{}: no Chinese for\n{}",
            path.display(),
            missing.join("\n")
        );
        seen += 1;
    }
    assert!(seen >= 9, "{seen} recordings");
    Ok(())
}

#[test]
fn every_demo_run_writes_notes_and_labels_with_chinese() -> TestResult {
    let opts = DemoOptions {
        speed: 20.0,
        ..DemoOptions::default()
    };
    for demo in evscope::demos::DEMOS {
        let mut base = EventBase::new()?;
        let (rec, rx) = Recorder::to_channel();
        base.set_observer(Box::new(rec));
        evscope::demos::set_up_and_dispatch(
            demo,
            &mut base,
            &opts,
            Some(Duration::from_millis(700)),
        )?;
        drop(base.take_observer());
        let records: Vec<Record> = rx.try_iter().collect();
        // At least the demo's summary, written before the loop starts.
        assert!(
            records.iter().any(|r| matches!(r.body, Body::Note { .. })),
            "{}: no note",
            demo.name
        );
        let missing = without_chinese(&records);
        assert!(
            missing.is_empty(),
            "demo {}: no Chinese for\n{}",
            demo.name,
            missing.join("\n")
        );
    }
    Ok(())
}

#[test]
fn a_note_of_the_student_s_own_is_shown_as_written() {
    assert_eq!(note_zh("heartbeat 3: a note shows in the Timeline"), None);
    assert_eq!(
        note_zh("tick 3: a persistent timer is pending again after its callback").as_deref(),
        Some("第 3 拍：持久定时器的回调执行完又变为未决")
    );
}
