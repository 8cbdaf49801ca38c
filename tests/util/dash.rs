//! Helpers for the dashboard's tests: the committed fixture, sessions at fixed positions, and
//! rendering into a buffer.

use std::path::PathBuf;

use evscope::dash::feed;
use evscope::dash::model::{Session, Timeline};
use evscope::dash::ui::{Mode, Ui};
use evscope::dash::view::Ctx;
use evscope::dash::{Lang, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// The fixture recorded from a real echo run.
pub fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dash_echo.jsonl")
}

/// The fixture's timeline.
pub fn fixture() -> Result<Timeline, Box<dyn std::error::Error>> {
    Ok(feed::load(&fixture_path())?)
}

/// A replay session of the fixture at `pos`, and a fresh view state.
pub fn at(pos: usize) -> Result<(Session, Ui), Box<dyn std::error::Error>> {
    let mut s = Session::new(fixture()?);
    s.seek(pos);
    Ok((s, Ui::new(Mode::Replay, "dash_echo.jsonl", Lang::En)))
}

/// Draws `f` into a fresh `w`×`h` buffer with the dark theme.
pub fn draw(
    w: u16,
    h: u16,
    s: &Session,
    ui: &Ui,
    f: impl FnOnce(Rect, &mut Buffer, Ctx),
) -> Buffer {
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    let theme = Theme::default();
    f(
        area,
        &mut buf,
        Ctx {
            session: s,
            ui,
            theme: &theme,
        },
    );
    buf
}

/// The buffer's text, one line per row, trailing spaces trimmed.
pub fn text(buf: &Buffer) -> String {
    let a = buf.area;
    let mut out = String::new();
    for y in a.top()..a.bottom() {
        let mut line = String::new();
        let mut x = a.left();
        while x < a.right() {
            let sym = buf[(x, y)].symbol();
            line.push_str(sym);
            x += (ratatui::text::Span::raw(sym).width() as u16).max(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The cell (x, y) where `needle` starts, searching row by row (ASCII needles).
pub fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let a = buf.area;
    for y in a.top()..a.bottom() {
        let row: Vec<&str> = (a.left()..a.right())
            .map(|x| buf[(x, y)].symbol())
            .collect();
        for start in 0..row.len() {
            let mut s = String::new();
            for sym in &row[start..] {
                if s.len() >= needle.len() {
                    break;
                }
                s.push_str(sym);
            }
            if s.starts_with(needle) {
                return Some((a.left() + start as u16, y));
            }
        }
    }
    None
}
