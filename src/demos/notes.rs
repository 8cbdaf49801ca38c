//! The demos' notes in two languages. A demo writes a note with `note!`, giving its English
//! and its Chinese side by side; the trace keeps the English (recordings, `--print` and the
//! lessons that quote them stay as they are), and [`note_zh`] finds the Chinese of a recorded
//! note, its values carried over ("read 10 bytes: message 1" → "读到 10 字节：…"), for
//! `--lang zh`. The table is read from the demos' own source, so there is no second list to
//! keep in step with the call sites, and it serves recordings made before a run as well as
//! live ones.
//!
//! A note's texts are format strings whose placeholders all have names (`{n}`, `{bev}`,
//! `{line:?}`); the Chinese may order them as Chinese needs. Values are carried over as they
//! are (numbers, addresses, `bev0`, flags, quoted data), except those named in
//! [`LABEL_VALUES`], which are demo labels ("client 1", "urgent (0)") and shown in Chinese,
//! and `summary`, a demo's summary, shown as its `summary_zh`.

use std::borrow::Cow;
use std::sync::OnceLock;

/// Records a note in English, with its Chinese beside it:
/// `note!(base, "read {n} bytes", "读到 {n} 字节")`, or with named values
/// `note!(base, "{who} reads", "{who} 读到", who = side.name())`. The Chinese is compiled here,
/// so it can name only values the note has, and shown from [`note_zh`]'s table.
macro_rules! note {
    ($base:expr, $en:literal, $zh:literal $(, $name:ident = $value:expr)* $(,)?) => {
        // Each value once; temporaries live to the end of the match.
        match ($(&$value,)*) {
            ($($name,)*) => {
                let _ = format_args!($zh $(, $name = $name)*);
                $base.note(&format!($en $(, $name = $name)*))
            }
        }
    };
}

/// The names of the values that are demo labels ("client 1", "server", "urgent (0)").
pub const LABEL_VALUES: &[&str] = &["name", "who", "label"];

/// The files whose `note!`s make the table: every file of the demos that writes a note (a
/// test checks none is missing).
const SOURCES: &[(&str, &str)] = &[
    ("backends.rs", include_str!("backends.rs")),
    ("client.rs", include_str!("client.rs")),
    ("echo.rs", include_str!("echo.rs")),
    ("echo_server.rs", include_str!("echo_server.rs")),
    ("half_close.rs", include_str!("half_close.rs")),
    ("mod.rs", include_str!("mod.rs")),
    ("pipe.rs", include_str!("pipe.rs")),
    ("priority.rs", include_str!("priority.rs")),
    ("signal.rs", include_str!("signal.rs")),
    ("talker.rs", include_str!("talker.rs")),
    ("timer.rs", include_str!("timer.rs")),
    ("watermark.rs", include_str!("watermark.rs")),
];

/// A piece of a note's format string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Text as written.
    Text(String),
    /// A value, by its name (`{n}`, `{line:?}` → `n`, `line`).
    Value(String),
    /// A value written with `{name:?}`: a quoted string.
    Quoted(String),
}

/// One `note!` of a demo.
#[derive(Clone, Debug)]
pub struct Note {
    /// Where it is written: `pipe.rs:31`.
    pub place: String,
    /// The English, as pieces.
    pub en: Vec<Piece>,
    /// The Chinese, as pieces.
    pub zh: Vec<Piece>,
}

impl Note {
    /// How much of the English is fixed text: of two notes that both fit a text, the one that
    /// says more of it is meant.
    fn weight(&self) -> usize {
        self.en
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.len(),
                Piece::Value(_) | Piece::Quoted(_) => 0,
            })
            .sum()
    }
}

/// Every demo note, read from the demos' source once.
pub fn table() -> &'static [Note] {
    static TABLE: OnceLock<Vec<Note>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut notes = Vec::new();
        for (file, source) in SOURCES {
            // A note that does not read is left out of the table; the tests name it.
            notes.extend(scan(file, source).into_iter().flatten());
        }
        notes
    })
}

/// The `note!`s written in `source`, or for each that cannot be read, why.
pub fn scan(file: &str, source: &str) -> Vec<Result<Note, String>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = source[from..].find("note!(") {
        let start = from + at;
        from = start + "note!(".len();
        let line = source[..start].lines().count().max(1);
        let place = format!("{file}:{line}");
        let read = || -> Result<Note, String> {
            let (en, rest) = literal_after(&source[from..])?;
            let (zh, _) = literal_after(rest)?;
            Ok(Note {
                place: place.clone(),
                en: pieces(&en)?,
                zh: pieces(&zh)?,
            })
        };
        out.push(read().map_err(|e| format!("{place}: {e}")));
    }
    out
}

/// The first string literal in `s` (after the macro's base argument), unescaped, and what
/// follows it.
fn literal_after(s: &str) -> Result<(String, &str), String> {
    let open = s.find('"').ok_or("no string literal")?;
    if s[..open].ends_with(['r', '#']) {
        return Err("a raw string literal: write a plain one".into());
    }
    let mut out = String::new();
    let mut chars = s[open + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &s[open + 1 + i + 1..])),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('\\') => out.push('\\'),
                Some('"') => out.push('"'),
                Some('\'') => out.push('\''),
                Some('\n') => {
                    // A line continued: the next line's leading blanks are not in the string.
                    let rest = chars.as_str();
                    let skip = rest.len() - rest.trim_start().len();
                    for _ in rest[..skip].chars() {
                        chars.next();
                    }
                }
                other => return Err(format!("an escape this reader does not know: {other:?}")),
            },
            c => out.push(c),
        }
    }
    Err("an unterminated string literal".into())
}

/// A format string as pieces; every value must have a name.
fn pieces(format: &str) -> Result<Vec<Piece>, String> {
    let mut out: Vec<Piece> = Vec::new();
    let mut text = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut inside = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => inside.push(c),
                        None => return Err(format!("an unclosed {{ in {format:?}")),
                    }
                }
                let name = inside.split(':').next().unwrap_or("").trim();
                if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    return Err(format!("a value without a name in {format:?}"));
                }
                if name.starts_with(|c: char| c.is_ascii_digit()) {
                    return Err(format!("a numbered value in {format:?}: name it"));
                }
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                if matches!(out.last(), Some(Piece::Value(_) | Piece::Quoted(_))) {
                    return Err(format!("two values side by side in {format:?}"));
                }
                let name = name.to_string();
                out.push(match inside.split_once(':') {
                    Some((_, "?")) => Piece::Quoted(name),
                    _ => Piece::Value(name),
                });
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    Ok(out)
}

/// The values of `text` by name, if it is a note written with `en`.
fn fit<'t>(en: &'static [Piece], text: &'t str) -> Option<Values<'t>> {
    fn go<'t>(en: &'static [Piece], text: &'t str, got: &mut Values<'t>) -> bool {
        match en {
            [] => text.is_empty(),
            [Piece::Text(t), rest @ ..] => text
                .strip_prefix(t.as_str())
                .is_some_and(|after| go(rest, after, got)),
            [value] => {
                let (name, fits) = value_fits(value, text);
                got.push((name, text));
                fits
            }
            [value, Piece::Text(t), ..] => {
                // The value ends where the text after it starts: the first place that lets the
                // rest fit.
                for (at, _) in text.match_indices(t.as_str()) {
                    let (name, fits) = value_fits(value, &text[..at]);
                    if !fits {
                        continue;
                    }
                    let mark = got.len();
                    got.push((name, &text[..at]));
                    if go(&en[1..], &text[at..], got) {
                        return true;
                    }
                    got.truncate(mark);
                }
                false
            }
            // Two values side by side are refused when the table is read.
            _ => false,
        }
    }
    let mut got = Vec::new();
    go(en, text, &mut got).then_some(got)
}

/// The value's name, and whether `text` can be it: not empty, and a `{name:?}` quoted.
fn value_fits<'p>(value: &'p Piece, text: &str) -> (&'p str, bool) {
    match value {
        Piece::Value(name) => (name, !text.is_empty()),
        Piece::Quoted(name) => (
            name,
            text.len() >= 2 && text.starts_with('"') && text.ends_with('"'),
        ),
        Piece::Text(t) => (t, false),
    }
}

/// A note's values: (name, text).
pub type Values<'t> = Vec<(&'static str, &'t str)>;

/// The note of the table that `text` was written with, and its values.
pub fn find(text: &str) -> Option<(&'static Note, Values<'_>)> {
    let mut best: Option<(&'static Note, Values<'_>)> = None;
    for note in table() {
        if best
            .as_ref()
            .is_some_and(|(b, _)| b.weight() >= note.weight())
        {
            continue;
        }
        if let Some(values) = fit(&note.en, text) {
            best = Some((note, values));
        }
    }
    best
}

/// The Chinese of a demo's note, or None when `text` is not a demo's note (a student's
/// program's notes are shown as written).
pub fn note_zh(text: &str) -> Option<String> {
    let (note, values) = find(text)?;
    let mut out = String::with_capacity(text.len() * 2);
    for piece in &note.zh {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Value(name) | Piece::Quoted(name) => {
                let value = values.iter().find(|(n, _)| n == name).map_or("", |v| v.1);
                out.push_str(&value_zh(name, value)?);
            }
        }
    }
    Some(out)
}

/// Value `name` of a note as Chinese shows it: a demo label or a demo's summary in Chinese,
/// other values (numbers, addresses, `bev0`, flags, data) as they are. None for a summary no
/// demo has (a recording's older wording): the note is then shown as written.
fn value_zh<'v>(name: &str, value: &'v str) -> Option<Cow<'v, str>> {
    if name == "summary" {
        let demo = super::DEMOS.iter().find(|d| d.summary == value)?;
        return Some(Cow::Borrowed(demo.summary_zh));
    }
    if LABEL_VALUES.contains(&name) {
        return Some(super::shown_label(value, crate::trace::Lang::Zh));
    }
    Some(Cow::Borrowed(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_format_string_reads_as_pieces() {
        assert_eq!(
            pieces("read {n} bytes: {text:?} {{x}}"),
            Ok(vec![
                Piece::Text("read ".into()),
                Piece::Value("n".into()),
                Piece::Text(" bytes: ".into()),
                Piece::Quoted("text".into()),
                Piece::Text(" {x}".into()),
            ])
        );
        assert!(pieces("read {} bytes").is_err());
        assert!(pieces("read {0} bytes").is_err());
        assert!(pieces("{a}{b}").is_err());
    }

    #[test]
    fn a_literal_reads_with_its_escapes_and_continued_lines() {
        let src = "base, \"a \\\"b\\\" \\\n        c\", \"中文\")";
        let (en, rest) = literal_after(src).unwrap();
        assert_eq!(en, "a \"b\" c");
        assert_eq!(literal_after(rest).unwrap().0, "中文");
    }

    #[test]
    fn recorded_notes_come_back_in_chinese_with_their_values() {
        assert_eq!(
            note_zh("read 10 bytes: message 1").as_deref(),
            Some("读到 10 字节：\"message 1\"")
        );
        assert_eq!(
            note_zh("urgent (0) ran").as_deref(),
            Some("紧急（0）的回调执行了")
        );
        let client = note_zh(
            "client 4: bev1v1 has no socket yet; bufferevent_socket_connect to 127.0.0.1:33929",
        );
        assert_eq!(
            client.as_deref(),
            Some("客户端 4：bev1v1 还没有套接字；bufferevent_socket_connect 连接 127.0.0.1:33929")
        );
        assert_eq!(note_zh("heartbeat 3: a student's own note"), None);
    }

    #[test]
    fn each_note_is_found_by_its_own_english() {
        assert!(table().len() > 50, "{} notes", table().len());
        for note in table() {
            let text: String = note
                .en
                .iter()
                .enumerate()
                .map(|(i, p)| match p {
                    Piece::Text(t) => t.clone(),
                    Piece::Value(_) => format!("{}", 3 + i),
                    Piece::Quoted(_) => format!("\"q{i}\""),
                })
                .collect();
            let (found, _) = find(&text).unwrap_or_else(|| panic!("{}: not found", note.place));
            // Two notes written alike (`{name}: … failed: {err}` and `{who}: … failed: {e}`)
            // may stand for each other only if they say the same in Chinese too.
            assert_eq!(
                shape(found),
                shape(note),
                "{} is taken for {}",
                note.place,
                found.place
            );
        }
    }

    /// A note with its values renamed by their place in the English: `{0}`, `{1}`.
    fn shape(note: &Note) -> (Vec<Piece>, Vec<Piece>) {
        let names: Vec<&String> = note
            .en
            .iter()
            .filter_map(|p| match p {
                Piece::Value(n) | Piece::Quoted(n) => Some(n),
                Piece::Text(_) => None,
            })
            .collect();
        let at = |n: &String| names.iter().position(|m| *m == n).unwrap_or(99).to_string();
        let renamed = |pieces: &[Piece]| -> Vec<Piece> {
            pieces
                .iter()
                .map(|p| match p {
                    Piece::Value(n) => Piece::Value(at(n)),
                    Piece::Quoted(n) => Piece::Quoted(at(n)),
                    Piece::Text(t) => Piece::Text(t.clone()),
                })
                .collect()
        };
        (renamed(&note.en), renamed(&note.zh))
    }
}
