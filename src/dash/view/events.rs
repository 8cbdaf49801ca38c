//! The events table: id, label, fd, flags, state (coloured, with the course's term),
//! activations, last callback's duration; breakpoints marked.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, StatefulWidget, Table, TableState};

use super::micros::micros;
use super::{framed, panel, Ctx};
use crate::dash::model::{id_text, EventRow, Lang};
use crate::dash::ui::Focus;
use crate::ev::State;
use crate::trace::state_term_zh;

/// Draws the table into `area`.
pub fn render(area: Rect, buf: &mut Buffer, ctx: Ctx) {
    if area.height < 3 {
        return;
    }
    let (snap, t, ui) = (ctx.session.snapshot(), ctx.theme, ctx.ui);
    let live = snap.events.len() - snap.count(State::Freed);
    let title = match ui.lang {
        Lang::En => format!("Events {live} live / {} created", snap.events.len()),
        Lang::Zh => format!("事件：存活 {live} 个 / 共创建 {} 个", snap.events.len()),
    };
    let inner = framed(panel(title, Some(Focus::Events), ctx), area, buf);
    let last = ctx.session.pos().checked_sub(1);
    let wide = inner.width >= 90;
    let rows = snap.events_listed().map(|e| row(e, ctx, last, wide));
    let head = match ui.lang {
        Lang::En => ["", "id", "label", "fd", "what", "state", "act", "last cb"],
        Lang::Zh => ["", "编号", "标签", "fd", "类型", "状态", "次数", "上次回调"],
    };
    let header = Row::new(head.map(|h| Cell::from(h).style(t.dim)));
    let widths = [
        Constraint::Length(1),
        Constraint::Length(4),
        Constraint::Min(6),
        Constraint::Length(3),
        Constraint::Length(if wide { 18 } else { 13 }),
        // `▶ 回调执行中 callback` takes 21 cells.
        Constraint::Length(if wide {
            22
        } else if ui.lang == Lang::Zh {
            21
        } else {
            20
        }),
        Constraint::Length(4),
        Constraint::Length(8),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .style(t.text)
        .row_highlight_style(t.selected);
    let mut state = TableState::default();
    if !snap.events.is_empty() {
        state.select(Some(ui.selected.min(snap.events.len() - 1)));
    }
    StatefulWidget::render(table, inner, buf, &mut state);
}

fn row<'a>(e: &EventRow, ctx: Ctx, last: Option<usize>, wide: bool) -> Row<'a> {
    let t = ctx.theme;
    let bp = if ctx.ui.breakpoints.contains(&e.id) {
        Span::styled("●", t.warn)
    } else {
        Span::raw(" ")
    };
    let fd = e.fd.map_or("-".to_string(), |fd| fd.to_string());
    let mut what = what_text(e, wide);
    if what == "timer" && ctx.ui.lang == Lang::Zh {
        what = "定时器".into();
    }
    let just_changed = Some(e.changed_at) == last;
    let mut state_style = t.state(e.state);
    if just_changed {
        state_style = state_style.patch(t.hot);
    }
    let state = Line::from(vec![
        Span::styled(format!("{} ", state_mark(e.state)), state_style),
        Span::styled(state_name(e.state, ctx.ui.lang), state_style),
    ]);
    let cb = e.last_callback_us.map_or(String::new(), micros);
    let text_style = if e.state == State::Freed {
        t.dim
    } else {
        t.text
    };
    Row::new(vec![
        Cell::from(bp),
        Cell::from(id_text(e.id)),
        Cell::from(e.name_in(ctx.ui.lang)),
        Cell::from(fd),
        Cell::from(what),
        Cell::from(state),
        Cell::from(e.activations.to_string()),
        Cell::from(cb),
    ])
    .style(text_style)
}

/// `READ|PERSIST`, or short letters when narrow (`R P`).
fn what_text(e: &EventRow, wide: bool) -> String {
    let names = e.what.names();
    if names.is_empty() {
        return "timer".into();
    }
    let full = names.join("|");
    if wide || full.len() <= 13 {
        full
    } else {
        names.iter().map(|n| &n[..1]).collect::<Vec<_>>().join(" ")
    }
}

/// A state's name with the course's term: `pending 未决` (or `未决 pending` in Chinese).
pub fn state_name(s: State, lang: Lang) -> String {
    let en = s.as_str().replace('_', "-");
    match lang {
        Lang::En => format!("{en} {}", state_term_zh(s)),
        Lang::Zh => format!("{} {en}", state_term_zh(s)),
    }
}

/// A small glyph per state, so states differ without colour too.
pub fn state_mark(s: State) -> &'static str {
    match s {
        State::New => "○",
        State::Pending => "◔",
        State::Active => "◉",
        State::Callback => "▶",
        State::NonPending => "◌",
        State::Freed => "×",
    }
}
