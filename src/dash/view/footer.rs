//! The footer: the main keys, and the latest status message on the right.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::Ctx;
use crate::dash::ui::Mode;

/// Draws the footer into one line of `area`.
pub fn render(area: Rect, buf: &mut Buffer, ctx: Ctx) {
    let t = ctx.theme;
    let keys: &[(&str, &str)] = match ctx.ui.mode {
        Mode::Replay => &[
            ("n/→", "step"),
            ("p/←", "back"),
            ("space", "play"),
            ("+/-", "speed"),
            ("]", "iter"),
            ("b", "break"),
            ("Tab", "panel"),
            ("⏎", "history"),
            ("?", "help"),
            ("q", "quit"),
        ],
        Mode::Live => &[
            ("space", "pause/run"),
            ("n", "step"),
            ("]", "iter"),
            ("p/←", "back"),
            ("End", "follow"),
            ("b", "break"),
            ("⏎", "history"),
            ("?", "help"),
            ("q", "quit"),
        ],
    };
    let mut spans = Vec::new();
    for (k, what) in keys {
        spans.push(Span::styled(format!(" {k}"), t.focus));
        spans.push(Span::styled(format!(" {what} "), t.dim));
    }
    Line::from(spans).render(area, buf);
    let status = ctx.ui.ended.as_ref().or(ctx.ui.status.as_ref());
    if let Some(msg) = status {
        let text = format!(" {msg} ");
        let w = (text.chars().count() as u16).min(area.width);
        let right = Rect {
            x: area.right() - w,
            width: w,
            ..area
        };
        buf.set_style(right, ctx.theme.screen);
        Line::from(Span::styled(text, t.warn)).render(right, buf);
    }
}
