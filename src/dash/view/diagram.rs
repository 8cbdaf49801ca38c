//! The state diagram: a box per state with how many events are in it, and the transition just
//! taken highlighted (the arrow between neighbours, or an arc under the boxes).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::{framed, panel, Ctx};
use crate::dash::model::{id_text, shown_label, state_index, Lang, LastTransition};
use crate::ev::State;
use crate::trace::{state_term_zh, Body};

/// Draws the diagram into `area`: boxes when there is room, one line of counts otherwise.
pub fn render(area: Rect, buf: &mut Buffer, ctx: Ctx) {
    if area.height < 3 {
        return;
    }
    let title = match ctx.ui.lang {
        Lang::En => "State machine",
        Lang::Zh => "状态机",
    };
    let inner = framed(panel(title.into(), None, ctx), area, buf);
    let snap = ctx.session.snapshot();
    let latest = snap.last_transition;
    // Lit only when the record under the cursor is that transition.
    let last = latest.filter(|l| l.at + 1 == ctx.session.pos());
    let boxes: Vec<(State, String)> = State::ALL
        .into_iter()
        .map(|s| (s, format!("{} {}", label(s, ctx.ui.lang), snap.count(s))))
        .collect();
    let total: u16 = boxes.iter().map(|(_, t)| width(t) + 2).sum::<u16>() + 2 * 5;
    if inner.height >= 5 && total <= inner.width {
        boxes_view(inner, buf, ctx, &boxes, total, last);
        caption(row(inner, 4), buf, ctx, latest, last.is_some());
    } else {
        counts_line(row(inner, 0), buf, ctx, last);
        if inner.height >= 2 {
            caption(row(inner, 1), buf, ctx, latest, last.is_some());
        }
    }
}

fn row(area: Rect, y: u16) -> Rect {
    Rect {
        y: area.y + y,
        height: 1,
        ..area
    }
}

fn width(s: &str) -> u16 {
    Span::raw(s).width() as u16
}

fn label(s: State, lang: Lang) -> &'static str {
    match (lang, s) {
        (Lang::Zh, s) => state_term_zh(s),
        (Lang::En, State::NonPending) => "non-pending",
        (Lang::En, s) => s.as_str(),
    }
}

fn boxes_view(
    inner: Rect,
    buf: &mut Buffer,
    ctx: Ctx,
    boxes: &[(State, String)],
    total: u16,
    last: Option<LastTransition>,
) {
    let t = ctx.theme;
    let mut x = inner.x + (inner.width - total) / 2;
    let y = inner.y;
    let mut centers = [0u16; 6];
    let adjacent = last.is_some_and(|l| state_index(l.to) == state_index(l.from) + 1);
    for (i, (s, text)) in boxes.iter().enumerate() {
        let w = width(text) + 2;
        let is_to = last.is_some_and(|l| l.to == *s);
        let is_from = last.is_some_and(|l| l.from == *s);
        let style = if is_to { t.hot } else { t.state(*s) };
        let title = if ctx.ui.lang == Lang::En && width(state_term_zh(*s)) + 2 <= w {
            state_term_zh(*s)
        } else {
            ""
        };
        let fill = "─".repeat((w - 2 - width(title)) as usize);
        buf.set_string(x, y, format!("╭{title}{fill}╮"), style);
        buf.set_string(x, y + 1, "│", style);
        buf.set_string(
            x + 1,
            y + 1,
            text,
            t.state(*s).patch(if is_to { t.hot } else { Style::new() }),
        );
        buf.set_string(x + w - 1, y + 1, "│", style);
        buf.set_string(
            x,
            y + 2,
            format!("╰{}╯", "─".repeat((w - 2) as usize)),
            style,
        );
        centers[i] = x + w / 2;
        if is_from && !adjacent {
            buf.set_string(centers[i], y + 2, "┬", t.hot);
        }
        x += w;
        if i + 1 < boxes.len() {
            let lit = last.is_some_and(|l| state_index(l.from) == i && state_index(l.to) == i + 1);
            buf.set_string(x, y + 1, "─▶", if lit { t.hot } else { t.dim });
            x += 2;
        }
    }
    let Some(l) = last else { return };
    if adjacent {
        return; // the arrow between the two boxes is lit
    }
    let (f, to) = (state_index(l.from), state_index(l.to));
    let (cf, ct) = (centers[f], centers[to]);
    let (lo, hi) = (cf.min(ct), cf.max(ct));
    for cx in lo..=hi {
        buf.set_string(cx, y + 3, "─", t.hot);
    }
    buf.set_string(cf, y + 3, if ct > cf { "╰" } else { "╯" }, t.hot);
    buf.set_string(ct, y + 3, "▲", t.hot);
}

fn counts_line(area: Rect, buf: &mut Buffer, ctx: Ctx, last: Option<LastTransition>) {
    let (snap, t) = (ctx.session.snapshot(), ctx.theme);
    let short = area.width < 72;
    let mut spans = Vec::new();
    for (i, s) in State::ALL.into_iter().enumerate() {
        if i > 0 {
            let lit = last.is_some_and(|l| state_index(l.from) + 1 == i && state_index(l.to) == i);
            spans.push(Span::styled(" ▸ ", if lit { t.hot } else { t.dim }));
        }
        let name = if short && ctx.ui.lang == Lang::En {
            ["new", "pend", "act", "cb", "non-p", "freed"][i]
        } else {
            label(s, ctx.ui.lang)
        };
        let hot = last.is_some_and(|l| l.to == s || l.from == s);
        let style = if hot { t.hot } else { t.state(s) };
        spans.push(Span::styled(format!("{name} {}", snap.count(s)), style));
    }
    Line::from(spans).render(area, buf);
}

/// The latest transition, in words: lit when it is the record under the cursor, dim (as the
/// one before) otherwise, so a live screen that follows the loop's waits still says what moved.
fn caption(area: Rect, buf: &mut Buffer, ctx: Ctx, latest: Option<LastTransition>, current: bool) {
    let t = ctx.theme;
    let lang = ctx.ui.lang;
    let Some(l) = latest else {
        let hint = match lang {
            Lang::En => "no transition yet",
            Lang::Zh => "尚无状态转换",
        };
        Line::from(Span::styled(hint, t.dim)).render(area, buf);
        return;
    };
    let snap = ctx.session.snapshot();
    let id = id_text(l.ev);
    let word = match ctx.ui.lang {
        Lang::En => "event",
        Lang::Zh => "事件",
    };
    let name = snap
        .events
        .get(&l.ev)
        .filter(|e| !e.label.is_empty())
        .map_or(format!("{word} {id}"), |e| {
            format!("{word} {id} {}", shown_label(&e.label, lang))
        });
    let cause = match ctx
        .session
        .timeline()
        .record(l.at)
        .as_deref()
        .map(|r| &r.body)
    {
        Some(Body::Transition { cause, .. }) => cause.to_string(),
        _ => String::new(),
    };
    let mut spans = Vec::new();
    if !current {
        let seq = ctx.session.timeline().record(l.at).map_or(0, |r| r.seq);
        spans.push(Span::styled(
            match lang {
                Lang::En => format!("last, at #{seq}: "),
                Lang::Zh => format!("上一次（#{seq}）："),
            },
            t.dim,
        ));
    }
    let (arrow, to) = if current {
        (t.hot, t.hot)
    } else {
        (t.dim, t.state(l.to))
    };
    spans.extend([
        Span::styled(format!("{name}: "), t.text),
        Span::styled(label(l.from, lang), t.state(l.from)),
        Span::styled(" ──▶ ", arrow),
        Span::styled(label(l.to, lang), to),
        Span::styled(format!("  ({cause})"), t.dim),
    ]);
    Line::from(spans).render(area, buf);
}
