//! The header bar: mode, source, backend, loop iteration, record n / N, trace time, speed, and
//! what is missing (records skipped) or odd.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::micros::micros;
use super::Ctx;
use crate::dash::model::Lang;
use crate::dash::ui::Mode;

/// Draws the header into one line of `area`.
pub fn render(area: Rect, buf: &mut Buffer, ctx: Ctx) {
    let (s, ui, t) = (ctx.session, ctx.ui, ctx.theme);
    let snap = s.snapshot();
    let zh = ui.lang == Lang::Zh;
    let mut mode = if zh {
        ui.mode_word_zh()
    } else {
        ui.mode_word()
    }
    .to_string();
    if ui.mode == Mode::Replay && ui.playing {
        mode.push_str(" ▶");
    }
    let (shown, base) = s.shown_base();
    let mut parts = vec![format!(" {mode} "), ui.source.clone()];
    if s.bases() > 1 {
        // A process with several bases: which one is shown, by whom it is run (B: the next).
        let thread = base.thread.map(|t| match ui.lang {
            Lang::En => format!(", thread {t}"),
            Lang::Zh => format!("，线程 {t}"),
        });
        parts.push(format!(
            "{} {} ({}/{}{}) B",
            if zh { "event_base" } else { "base" },
            base.id,
            shown + 1,
            s.bases(),
            thread.unwrap_or_default()
        ));
    }
    parts.extend([s.timeline().header().backend.clone()]);
    if zh {
        parts.extend([
            format!("第 {} 轮", snap.iteration),
            format!("记录 {}/{}", s.pos(), s.timeline().len()),
            format!("时间 {}", micros(snap.t_us)),
        ]);
    } else {
        parts.extend([
            format!("iter {}", snap.iteration),
            format!("rec {}/{}", s.pos(), s.timeline().len()),
            format!("t {}", micros(snap.t_us)),
        ]);
    }
    if ui.mode == Mode::Replay {
        parts.push(if zh {
            format!("{} 条/秒", ui.speed_rps())
        } else {
            format!("{} rec/s", ui.speed_rps())
        });
    }
    if let Some(q) = &ui.quiz {
        parts.insert(2, super::quiz::score_text(q, ui.lang));
    }
    let mut spans = vec![
        Span::styled(" evscope ", t.bar),
        Span::styled(parts.remove(0), t.hot.patch(t.bar)),
    ];
    for p in parts {
        spans.push(Span::styled(" │ ", t.bar));
        spans.push(Span::styled(p, t.bar));
    }
    if let Some(n) = ui.indexing {
        // A big trace is still being read: what is shown so far is its beginning.
        let text = match ui.lang {
            Lang::En => format!("  indexing… {n} records"),
            Lang::Zh => format!("  索引中… {n} 条记录"),
        };
        spans.push(Span::styled(text, t.warn));
    }
    if snap.dropped > 0 {
        // Records the recorder or the live link could not deliver (a viewer that fell behind).
        let text = match ui.lang {
            Lang::En => format!("  ⚠ {} records skipped", snap.dropped),
            Lang::Zh => format!("  ⚠ 跳过了 {} 条记录", snap.dropped),
        };
        spans.push(Span::styled(text, t.warn));
    }
    if snap.anomalies > 0 {
        let text = if zh {
            format!("  ⚠ {} 条异常记录", snap.anomalies)
        } else {
            format!("  ⚠ {} odd records", snap.anomalies)
        };
        spans.push(Span::styled(text, t.warn));
    }
    buf.set_style(area, t.bar);
    Line::from(spans).render(area, buf);
}
