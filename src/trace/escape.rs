//! [`escape_text`]: how text from a trace reaches a terminal. A trace is data from another
//! program (a label, a note, a peer address, a cause, a program name), and a terminal obeys
//! control codes: ESC starts CSI and OSC sequences that move the cursor, clear the screen, set
//! the window title or write the clipboard (OSC 52), and bidi overrides make text read in
//! another order than it is stored. Every path that shows trace text (`--print`, the dashboard,
//! error messages quoting a trace, export names) passes it through this one function, which
//! shows each such character as a visible escape (`\u{1b}`) instead.

use std::borrow::Cow;
use std::fmt::Write as _;

use evscope_core::trace::{Body, Header, Record};

/// True for a character that must not reach a terminal as it is: C0 controls (newline and tab
/// included: a trace line is one line), DEL, C1 controls, the bidi embeddings, overrides,
/// isolates and marks, and the line and paragraph separators.
fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Arabic letter mark; left-to-right and right-to-left marks; line and paragraph
            // separators; embeddings and overrides (LRE RLE PDF LRO RLO); isolates (LRI RLI
            // FSI PDI).
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every control character, bidi control and line separator shown as a visible
/// escape: `\n`, `\r`, `\t`, or `\u{1b}` (Rust's notation) for the others. Text with none of
/// them is returned as it is, without copying. Everything else (any script, emoji, quotes)
/// passes unchanged.
pub fn escape_text(text: &str) -> Cow<'_, str> {
    let Some(first) = text.find(must_escape) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if must_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Escapes `s` in place, allocating only when something needs escaping.
fn escape_in_place(s: &mut String) {
    if let Cow::Owned(escaped) = escape_text(s) {
        *s = escaped;
    }
}

/// The header with its text fields ([`escape_text`]) safe to show.
pub fn escape_header(mut header: Header) -> Header {
    escape_in_place(&mut header.format);
    escape_in_place(&mut header.backend);
    escape_in_place(&mut header.program);
    header
}

/// The record with every text field it carries (labels, causes, notes, peers, backend names)
/// passed through [`escape_text`]; numbers and flags are untouched.
pub fn escape_record(mut rec: Record) -> Record {
    match &mut rec.body {
        Body::EventNew { label, .. } | Body::BevNew { label, .. } => escape_in_place(label),
        Body::Transition { cause, .. } => {
            if let Cow::Owned(escaped) = escape_text(cause) {
                *cause = Cow::Owned(escaped);
            }
        }
        Body::PollBegin { backend, .. } => {
            if let Cow::Owned(escaped) = escape_text(backend) {
                *backend = Cow::Owned(escaped);
            }
        }
        Body::BaseNew { backend, .. } => escape_in_place(backend),
        Body::Accept {
            peer: Some(peer), ..
        } => escape_in_place(peer),
        Body::Note { text } => escape_in_place(text),
        _ => {}
    }
    rec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for s in [
            "",
            "pipe reader",
            "回显服务器 ✓ \"quoted\" \\u{1b}",
            "a\u{200d}b",
        ] {
            assert!(matches!(escape_text(s), Cow::Borrowed(t) if t == s));
        }
    }

    #[test]
    fn every_control_and_bidi_character_is_shown_escaped() {
        let dangerous = (0u32..0x20)
            .chain(0x7f..0xa0)
            .chain([0x61c, 0x200e, 0x200f, 0x2028, 0x2029])
            .chain(0x202a..=0x202e)
            .chain(0x2066..=0x2069)
            .filter_map(char::from_u32);
        for c in dangerous {
            let text = format!("a{c}b");
            let shown = escape_text(&text);
            assert!(!shown.contains(c), "{c:?} passed raw: {shown:?}");
            assert!(
                shown.starts_with("a\\") && shown.ends_with('b'),
                "{shown:?}"
            );
        }
        assert_eq!(
            escape_text("\u{1b}]0;pwned\u{7}\u{1b}[2J"),
            "\\u{1b}]0;pwned\\u{7}\\u{1b}[2J"
        );
        assert_eq!(escape_text("one\ntwo\tthree\r"), "one\\ntwo\\tthree\\r");
        assert_eq!(escape_text("\u{202e}txt.exe"), "\\u{202e}txt.exe");
    }
}
