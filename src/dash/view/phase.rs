//! The loop phase strip: waiting in the backend → fds ready → timers expired → running the
//! active queue, with the current phase lit.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::micros::micros;
use super::Ctx;
use crate::dash::model::{Lang, Phase};

/// Draws the strip into one line of `area`.
pub fn render(area: Rect, buf: &mut Buffer, ctx: Ctx) {
    let (snap, t) = (ctx.session.snapshot(), ctx.theme);
    let info = snap.this_iteration;
    let zh = ctx.ui.lang == Lang::Zh;
    let backend = &ctx.session.timeline().header().backend;
    let short = area.width < 112;
    let mut spans = vec![Span::styled(
        if snap.phase == Phase::Setup {
            if zh { " 初始化 " } else { " setup " }.to_string()
        } else if zh {
            format!(" 第 {} 轮 ", snap.iteration)
        } else {
            format!(" iter {} ", snap.iteration)
        },
        t.dim,
    )];
    for (i, phase) in Phase::STRIP.into_iter().enumerate() {
        let text = match phase {
            Phase::Waiting => {
                let wait = match info.timeout_us {
                    Some(Some(us)) => format!(" ≤{}", micros(us)),
                    Some(None) => " ∞".into(),
                    None => String::new(),
                };
                let name = match (zh, short) {
                    (true, _) => "等待".to_string(),
                    (false, true) => format!("wait {backend}"),
                    (false, false) => format!("waiting in {backend}"),
                };
                format!("{name}{wait}")
            }
            Phase::FdsReady => {
                let n = info.ready.map_or(String::new(), |n| format!(" {n}"));
                match (zh, short) {
                    (true, _) => format!("fd 就绪{n}"),
                    (false, true) => format!("ready{n}"),
                    (false, false) => format!("fds ready{n}"),
                }
            }
            Phase::TimersExpired => {
                let n = info.expired.map_or(String::new(), |n| format!(" {n}"));
                match (zh, short) {
                    (true, _) => format!("超时{n}"),
                    (false, true) => format!("timers{n}"),
                    (false, false) => format!("timers expired{n}"),
                }
            }
            _ => {
                let q = info
                    .active
                    .map_or(String::new(), |(p, n)| format!(" p{p}×{n}"));
                match (zh, short) {
                    (true, _) => format!("执行激活队列{q}"),
                    (false, true) => format!("active{q}"),
                    (false, false) => format!("running active queue{q}"),
                }
            }
        };
        if i > 0 {
            spans.push(Span::styled(" ─▶ ", t.dim));
        }
        let style = if snap.phase == phase { t.hot } else { t.dim };
        let mark = if snap.phase == phase { "●" } else { "○" };
        spans.push(Span::styled(format!("{mark} {text}"), style));
    }
    Line::from(spans).render(area, buf);
}
