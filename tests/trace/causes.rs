//! Every cause the library writes is put into words in both languages and documented, and the
//! words never contradict the event's flags: over every committed recording and every demo, on
//! every backend, no persistent event ends a callback as a one-shot does, and no cause name
//! leaks into `replay --print` as raw text.

use crate::util;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use evscope::demos::{self, DemoOptions};
use evscope::ev::{BevWhy, Cause, EventBase, Exit, State, What};
use evscope::trace::{is_known_cause, Body, Explainer, Lang, Reader, Record, Recorder};
use util::{each_backend, TestResult};

/// Every cause the library can write: each variant of `Cause`, and each reason a bufferevent
/// gives for its own events.
fn library_causes() -> Vec<&'static str> {
    let mut all = vec![
        Cause::Add,
        Cause::Del,
        Cause::Free,
        Cause::Activate,
        Cause::Ready(What::READ),
        Cause::Ready(What::WRITE),
        Cause::Ready(What::READ | What::WRITE),
        Cause::Ready(What::CLOSED),
        Cause::Timeout,
        Cause::Signal,
        Cause::Dispatch,
        Cause::Returned,
    ];
    all.extend(BevWhy::ALL.map(Cause::Bev));
    for c in &all {
        // A new kind of cause must be added above: this match stops compiling without it.
        match c {
            Cause::Add
            | Cause::Del
            | Cause::Free
            | Cause::Activate
            | Cause::Ready(_)
            | Cause::Timeout
            | Cause::Signal
            | Cause::Dispatch
            | Cause::Returned
            | Cause::Bev(_) => {}
        }
    }
    all.into_iter().map(Cause::as_str).collect()
}

/// A cause's name is a libevent function's (`event_add`, `bufferevent_enable`, …), which the
/// explanation names on purpose; any other name is the trace's own word and must not show.
fn is_function_name(cause: &str) -> bool {
    cause.starts_with("event_") || cause.starts_with("bufferevent_")
}

/// Checks every transition of `records` and its explanations; `what` names the trace.
fn check(what: &str, records: &[Record]) -> TestResult {
    let mut en = Explainer::new(Lang::En);
    let mut zh = Explainer::new(Lang::Zh);
    let mut flags: HashMap<u64, What> = HashMap::new();
    for r in records {
        let (text_en, text_zh) = (en.explain(r), zh.explain(r));
        match &r.body {
            Body::EventNew { ev, what, .. } => {
                flags.insert(*ev, *what);
            }
            Body::Transition {
                ev,
                from,
                to,
                cause,
                ..
            } => {
                let at = format!("{what} #{}", r.seq);
                assert!(is_known_cause(cause), "{at}: unknown cause {cause:?}");
                if cause.contains('_') && !is_function_name(cause) {
                    for text in [&text_en, &text_zh] {
                        assert!(!text.contains(&**cause), "{at}: {cause} leaks: {text}");
                    }
                }
                let Some(w) = flags.get(ev) else {
                    continue;
                };
                if w.contains(What::PERSIST) {
                    assert!(
                        !(*from == State::Callback
                            && *to == State::NonPending
                            && cause == "callback_returned"),
                        "{at}: a persistent event went callback → non_pending by callback_returned: {text_en}"
                    );
                    assert!(!text_en.contains("not persistent"), "{at}: {text_en}");
                    assert!(!text_zh.contains("非持久"), "{at}: {text_zh}");
                } else {
                    assert!(!text_en.contains("(persistent"), "{at}: {text_en}");
                    assert!(!text_zh.contains("（持久"), "{at}: {text_zh}");
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The `examples` of the schema's `cause` property, wherever the schema defines it.
fn cause_examples(schema: &serde_json::Value) -> Option<&Vec<serde_json::Value>> {
    match schema {
        serde_json::Value::Object(map) => map
            .get("cause")
            .and_then(|c| c.get("examples"))
            .and_then(|e| e.as_array())
            .or_else(|| map.values().find_map(cause_examples)),
        serde_json::Value::Array(items) => items.iter().find_map(cause_examples),
        _ => None,
    }
}

#[test]
fn every_cause_the_library_writes_is_explained_and_documented() -> TestResult {
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs");
    let doc = std::fs::read_to_string(docs.join("trace-format.md"))?;
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        docs.join("trace-format.schema.json"),
    )?)?;
    let examples = cause_examples(&schema).ok_or("the schema's cause field lists no examples")?;
    for cause in library_causes() {
        assert!(is_known_cause(cause), "{cause} has no words");
        assert!(
            doc.contains(&format!("| `{cause}` |")),
            "docs/trace-format.md's table of causes lacks {cause}"
        );
        assert!(
            examples.iter().any(|e| e == cause),
            "the schema's cause examples lack {cause}"
        );
    }
    assert!(!is_known_cause("made_up_cause"));
    Ok(())
}

#[test]
fn an_unknown_cause_is_shown_as_it_is() {
    let records = [
        Record {
            seq: 1,
            t_us: 0,
            base: 0,
            body: Body::EventNew {
                ev: 0,
                fd: Some(3),
                what: What::READ,
                label: String::new(),
            },
        },
        Record {
            seq: 2,
            t_us: 1,
            base: 0,
            body: Body::Transition {
                ev: 0,
                fd: Some(3),
                from: State::New,
                to: State::Pending,
                cause: "a_later_cause".into(),
            },
        },
    ];
    for lang in [Lang::En, Lang::Zh] {
        let mut ex = Explainer::new(lang);
        let text = records.iter().map(|r| ex.explain(r)).last();
        assert!(
            text.is_some_and(|t| t.ends_with("a_later_cause")),
            "{lang:?}"
        );
    }
}

/// A bufferevent pair's events carry only timeouts (no `READ` or `WRITE` flag): which side an
/// explanation names comes from the event's label.
#[test]
fn a_pair_write_timeout_is_told_as_the_write_side() {
    let records = [
        Record {
            seq: 1,
            t_us: 0,
            base: 0,
            body: Body::EventNew {
                ev: 0,
                fd: None,
                what: What::NONE,
                label: "bev1 write".into(),
            },
        },
        Record {
            seq: 2,
            t_us: 1,
            base: 0,
            body: Body::Transition {
                ev: 0,
                fd: None,
                from: State::New,
                to: State::Pending,
                cause: "bev_pair_transfer".into(),
            },
        },
    ];
    for (lang, word) in [(Lang::En, "write event"), (Lang::Zh, "写事件")] {
        let mut ex = Explainer::new(lang);
        let text = records
            .iter()
            .map(|r| ex.explain(r))
            .last()
            .unwrap_or_default();
        assert!(text.contains(word), "{lang:?}: {text}");
    }
}

#[test]
fn every_recording_explains_its_transitions_truthfully() -> TestResult {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("recordings");
    for demo in demos::DEMOS {
        let path = dir.join(format!("{}.jsonl", demo.name));
        let mut reader = Reader::open(&path)?;
        let mut records = Vec::new();
        while let Some(r) = reader.next_record()? {
            records.push(r);
        }
        check(&path.display().to_string(), &records)?;
    }
    Ok(())
}

#[test]
fn every_demo_explains_its_transitions_truthfully() {
    each_backend(|kind| {
        for demo in demos::DEMOS {
            let (speed, secs) = if demo.name == "backends" {
                (10.0, 0.35)
            } else {
                (40.0, 0.4)
            };
            let mut base = EventBase::with_backend(kind)?;
            let (rec, rx) = Recorder::to_channel();
            base.set_observer(Box::new(rec));
            let opts = DemoOptions {
                speed,
                ..DemoOptions::default()
            };
            let exit = demos::set_up_and_dispatch(
                demo,
                &mut base,
                &opts,
                Some(Duration::from_secs_f64(secs)),
            )?;
            assert_eq!(exit, Exit::Finished, "{}", demo.name);
            drop(base);
            let records: Vec<Record> = rx.try_iter().collect();
            assert!(
                records.len() > 20,
                "{}: {} records",
                demo.name,
                records.len()
            );
            check(&format!("demo {}", demo.name), &records)?;
        }
        Ok(())
    });
}
