//! The event history overlay (Enter): every record of the selected event up to the cursor,
//! with time and cause.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Widget};

use super::events::state_name;
use super::micros::micros;
use super::popup::centered;
use super::{framed, panel, Ctx};
use crate::dash::model::{id_text, Lang};
use crate::trace::Body;

/// Draws the overlay over `area` (the whole screen).
pub fn render(area: Rect, buf: &mut Buffer, ctx: Ctx) {
    let Some(ev) = ctx.ui.history else { return };
    let t = ctx.theme;
    let pop = centered(
        area,
        area.width.saturating_sub(8).max(40),
        area.height.saturating_sub(6).max(8),
    );
    Clear.render(pop, buf);
    buf.set_style(pop, t.screen);
    let zh = ctx.ui.lang == Lang::Zh;
    let word = if zh { "事件" } else { "event" };
    let name = ctx
        .session
        .snapshot()
        .events
        .get(&ev)
        .map_or(format!("{word} {}", id_text(ev)), |e| {
            format!("{word} {} \"{}\"", id_text(ev), e.name_in(ctx.ui.lang))
        });
    let title = match ctx.ui.lang {
        Lang::En => format!("{name}: history (Esc closes)"),
        Lang::Zh => format!("{name}：历史（Esc 关闭）"),
    };
    let inner = framed(panel(title, None, ctx).border_style(t.focus), pop, buf);
    let tl = ctx.session.timeline();
    let h = inner.height as usize;
    let idx = tl.history_tail(ev, ctx.session.pos(), h);
    for (k, &i) in idx.iter().enumerate() {
        let Some(r) = tl.record(i as usize) else {
            break;
        };
        let head = Span::styled(format!("{:>6} {:>9}  ", r.seq, micros(r.t_us)), t.dim);
        let body: Vec<Span> = match &r.body {
            Body::EventNew { what, .. } => vec![Span::styled(
                format!("event_new  {}", what.names().join("|")),
                t.text,
            )],
            Body::Transition {
                from, to, cause, ..
            } => vec![
                Span::styled(state_name(*from, ctx.ui.lang), t.state(*from)),
                Span::styled(" ──▶ ", t.dim),
                Span::styled(state_name(*to, ctx.ui.lang), t.state(*to)),
                Span::styled(format!("  {cause}"), t.dim),
            ],
            Body::CallbackBegin { what, .. } => vec![Span::styled(
                if zh {
                    format!("  回调函数开始（{}）", what.names().join("|"))
                } else {
                    format!("  callback starts ({})", what.names().join("|"))
                },
                t.text,
            )],
            Body::CallbackEnd { dur_us, .. } => vec![Span::styled(
                if zh {
                    format!("  回调函数返回，用时 {}", micros(*dur_us))
                } else {
                    format!("  callback returns after {}", micros(*dur_us))
                },
                t.text,
            )],
            _ => vec![],
        };
        let mut spans = vec![head];
        spans.extend(body);
        let y = inner.y + k as u16;
        Line::from(spans).render(
            Rect {
                y,
                height: 1,
                ..inner
            },
            buf,
        );
    }
    if idx.is_empty() {
        Line::from(Span::styled(
            if zh { "尚无记录" } else { "no records yet" },
            t.dim,
        ))
        .render(inner, buf);
    }
}
