//! The timeline: the latest records up to the cursor, each with a plain-language explanation;
//! the current record marked, the next one shown dimmed.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::micros::micros;
use super::{framed, panel, Ctx};
use crate::dash::model::Lang;
use crate::dash::ui::Focus;
use crate::trace::{Body, Record};

/// Draws the panel into `area`.
pub fn render(area: Rect, buf: &mut Buffer, ctx: Ctx) {
    if area.height < 3 {
        return;
    }
    let title = match ctx.ui.lang {
        Lang::En => "Timeline",
        Lang::Zh => "时间线",
    };
    let inner = framed(panel(title.into(), Some(Focus::Timeline), ctx), area, buf);
    let timeline = ctx.session.timeline();
    let pos = ctx.session.pos();
    let h = inner.height as usize;
    // The record under the cursor is the last applied one, scrolled back by `scroll`.
    let current = pos.checked_sub(1 + ctx.ui.scroll.min(pos.saturating_sub(1)));
    let show_next = ctx.ui.scroll == 0 && pos < timeline.len() && h >= 2;
    let past_rows = h - usize::from(show_next);
    let end = current.map_or(0, |c| c + 1);
    let start = end.saturating_sub(past_rows);
    let mut y = inner.y;
    for (i, r) in timeline.range(start..end).enumerate() {
        let is_current = Some(start + i) == current;
        let mark = if is_current { "▶" } else { " " };
        let base = if is_current {
            ctx.theme.hot
        } else {
            ctx.theme.text
        };
        line(&r, mark, base, kind_style(&r, ctx), ctx).render(row(inner, y), buf);
        y += 1;
    }
    if let Some(r) = timeline.record(pos).filter(|_| show_next) {
        line(&r, "·", ctx.theme.dim, ctx.theme.dim, ctx).render(row(inner, y), buf);
    }
}

fn row(inner: Rect, y: u16) -> Rect {
    Rect {
        y,
        height: 1,
        ..inner
    }
}

fn line<'a>(r: &Record, mark: &'a str, base: Style, text: Style, ctx: Ctx) -> Line<'a> {
    let text_of = ctx.session.timeline().explain(r, ctx.ui.lang);
    Line::from(vec![
        Span::styled(format!("{mark}{:>6} ", r.seq), base),
        Span::styled(format!("{:>9}  ", micros(r.t_us)), ctx.theme.dim),
        Span::styled(text_of, text),
    ])
}

/// Transitions in the colour of the state they reach; loop phases dim; notes bright.
fn kind_style(r: &Record, ctx: Ctx) -> Style {
    let t = ctx.theme;
    match &r.body {
        Body::Transition { to, .. } => t.state(*to),
        Body::LoopIteration { .. }
        | Body::PollBegin { .. }
        | Body::PollEnd { .. }
        | Body::TimersExpired { .. }
        | Body::RunActive { .. } => t.dim,
        Body::Buffer { .. }
        | Body::BevNew { .. }
        | Body::BevEvent { .. }
        | Body::BevFree { .. } => t.input,
        Body::Note { .. } => t.focus,
        Body::Dropped { .. } => t.warn,
        _ => t.text,
    }
}
