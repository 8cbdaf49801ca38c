//! The reader never panics: arbitrary bytes, arbitrary JSON-ish lines, and valid traces with
//! one line damaged all end in records or a line-numbered error.

use crate::util as cases;
use crate::util::trace as trace_util;

use std::io::Cursor;

use evscope::trace::{Explainer, Lang, Reader};
use proptest::prelude::*;
use trace_util::*;

/// Reads everything, explaining each record too (the explainer must not panic either).
/// Returns the number of records and the error's line, if any.
fn read_everything(bytes: &[u8]) -> (usize, Option<u64>) {
    let mut reader = match Reader::new(Cursor::new(bytes)) {
        Ok(r) => r,
        Err(e) => return (0, Some(e.line)),
    };
    let mut ex = Explainer::new(Lang::En);
    let mut zh = Explainer::new(Lang::Zh);
    let mut n = 0;
    loop {
        match reader.next_record() {
            Ok(Some(r)) => {
                let _ = ex.line(&r);
                let _ = zh.line(&r);
                n += 1;
            }
            Ok(None) => return (n, None),
            Err(e) => return (n, Some(e.line)),
        }
    }
}

/// Fragments that make JSON-ish lines: real field names, kinds, states, odd values.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("\"seq\":".to_string()),
        Just("\"t_us\":".to_string()),
        Just("\"kind\":".to_string()),
        Just("\"ev\":".to_string()),
        Just("\"from\":".to_string()),
        Just("\"to\":".to_string()),
        Just("\"what\":".to_string()),
        Just("\"fd\":".to_string()),
        Just("\"transition\"".to_string()),
        Just("\"event_new\"".to_string()),
        Just("\"buffer\"".to_string()),
        Just("\"pending\"".to_string()),
        Just("\"freed\"".to_string()),
        Just("\"READ\"".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("-1".to_string()),
        Just("1e400".to_string()),
        Just("18446744073709551616".to_string()),
        Just("\"\\ud800\"".to_string()),
        Just("\n".to_string()),
        any::<u32>().prop_map(|n| n.to_string()),
        "[a-z_\"\\\\ ]{0,8}",
    ]
}

fn jsonish_line() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases::proptest_cases(400)))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = read_everything(&bytes);
        // Also behind a valid header.
        let mut with_header = trace_text(&[]).into_bytes();
        with_header.extend_from_slice(&bytes);
        let (_, err) = read_everything(&with_header);
        if let Some(line) = err {
            prop_assert!(line >= 2, "a valid header was rejected");
        }
    }

    #[test]
    fn arbitrary_jsonish_lines_never_panic(lines in prop::collection::vec(jsonish_line(), 0..12)) {
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let text = trace_text(&refs);
        let (_, err) = read_everything(text.as_bytes());
        if let Some(line) = err {
            prop_assert!(line >= 2);
        }
    }

    #[test]
    fn a_damaged_valid_trace_errs_at_or_before_the_damage(
        at in 0usize..26,
        cut in 0usize..200,
        junk in "[^\n]{0,12}",
    ) {
        let text = sample_text();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let i = 1 + at % (lines.len() - 1);
        let line = &mut lines[i];
        let keep = cut.min(line.len());
        let mut damaged: String = line.chars().take(keep).collect();
        damaged.push_str(&junk);
        let blank = damaged.trim().is_empty();
        *line = damaged;
        let joined = lines.join("\n") + "\n";
        let (n, err) = read_everything(joined.as_bytes());
        if blank {
            // A blank line is skipped: what follows may then be out of order. No panic is all.
            return Ok(());
        }
        match err {
            // The damage is reported on its own line (or an earlier check fails there).
            Some(l) => prop_assert!(l as usize <= i + 1 && n < i + 1, "error at {l}, damage at {}", i + 1),
            // Or the damage happened to leave a valid line.
            None => prop_assert_eq!(n, lines.len() - 1),
        }
    }
}
