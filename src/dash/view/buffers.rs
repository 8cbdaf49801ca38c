//! The buffers panel: per bufferevent, input and output fill against watermarks, enabled
//! directions, connected / EOF, and the kernel's queues when the trace has them.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::{framed, panel, Ctx};
use crate::dash::model::{id_text, BevRow, Lang};
use crate::dash::ui::Focus;
use crate::ev::What;

/// Draws the panel into `area`.
pub fn render(area: Rect, buf: &mut Buffer, ctx: Ctx) {
    if area.height < 3 {
        return;
    }
    let snap = ctx.session.snapshot();
    let title = match ctx.ui.lang {
        Lang::En => format!("Buffers ({})", snap.bevs.len()),
        Lang::Zh => format!("缓冲区 ({})", snap.bevs.len()),
    };
    let inner = framed(panel(title, Some(Focus::Buffers), ctx), area, buf);
    if snap.bevs.is_empty() {
        let hint = match ctx.ui.lang {
            Lang::En => "no bufferevents yet",
            Lang::Zh => "尚无 bufferevent",
        };
        Line::from(Span::styled(hint, ctx.theme.dim)).render(inner, buf);
        return;
    }
    let n = snap.bevs.len();
    let two_lines = inner.height as usize >= 2 * n;
    let per = if two_lines { 2 } else { 1 };
    let fit = (inner.height as usize / per).max(1);
    let sel = ctx.ui.selected_bev.min(n - 1);
    let first = (sel + 1).saturating_sub(fit);
    for (k, bev) in snap.bevs_listed().enumerate().skip(first).take(fit) {
        let y = inner.y + ((k - first) * per) as u16;
        let selected = ctx.ui.focus == Focus::Buffers && k == sel;
        let line_area = Rect {
            y,
            height: per as u16,
            ..inner
        };
        if selected {
            buf.set_style(line_area, ctx.theme.selected);
        }
        if two_lines {
            title_line(
                Rect {
                    height: 1,
                    ..line_area
                },
                buf,
                ctx,
                bev,
            );
            gauges_line(
                Rect {
                    y: y + 1,
                    height: 1,
                    ..line_area
                },
                buf,
                ctx,
                bev,
                false,
            );
        } else {
            gauges_line(
                Rect {
                    height: 1,
                    ..line_area
                },
                buf,
                ctx,
                bev,
                true,
            );
        }
    }
}

fn condition(bev: &BevRow, ctx: Ctx) -> Span<'static> {
    let t = ctx.theme;
    let zh = ctx.ui.lang == Lang::Zh;
    if bev.freed {
        Span::styled(if zh { "已释放" } else { "freed" }, t.dim)
    } else if bev.error {
        Span::styled("ERROR", t.warn)
    } else if bev.eof {
        Span::styled("EOF", t.warn)
    } else if bev.connected {
        Span::styled(if zh { "已连接" } else { "connected" }, t.input)
    } else {
        Span::styled("-", t.dim)
    }
}

fn dirs(bev: &BevRow) -> String {
    let r = if bev.levels.enabled.contains(What::READ) {
        'R'
    } else {
        '-'
    };
    let w = if bev.levels.enabled.contains(What::WRITE) {
        'W'
    } else {
        '-'
    };
    format!("{r}{w}")
}

fn title_line(area: Rect, buf: &mut Buffer, ctx: Ctx, bev: &BevRow) {
    let t = ctx.theme;
    let fd = bev.fd.map_or(String::new(), |fd| format!(" fd {fd}"));
    let mut spans = vec![
        Span::styled(
            format!("{} ", bev.name_in(ctx.ui.lang)),
            if bev.freed { t.dim } else { t.text },
        ),
        Span::styled(format!("#{}{fd}  ", id_text(bev.id)), t.dim),
        Span::styled(format!("{}  ", dirs(bev)), t.text),
        condition(bev, ctx),
    ];
    if bev.levels.kernel_in.is_some() || bev.levels.kernel_out.is_some() {
        let k = |v: Option<u64>| v.map_or("?".into(), |v| format!("{v} B"));
        let (ki, ko) = (k(bev.levels.kernel_in), k(bev.levels.kernel_out));
        let text = match ctx.ui.lang {
            Lang::En => format!("  kernel in {ki} out {ko}"),
            Lang::Zh => format!("  内核 输入 {ki} 输出 {ko}"),
        };
        spans.push(Span::styled(text, t.dim));
    }
    Line::from(spans).render(area, buf);
}

fn gauges_line(area: Rect, buf: &mut Buffer, ctx: Ctx, bev: &BevRow, with_name: bool) {
    let t = ctx.theme;
    // Labels and the condition take the same room on every row, so the bars line up.
    let label_in = format!("{:<LABEL$}", limit(bev.levels.input, bev.levels.read_high));
    let label_out = format!(
        "{:<LABEL$}",
        limit(bev.levels.output, bev.levels.write_high)
    );
    let mut spans = Vec::new();
    let zh = ctx.ui.lang == Lang::Zh;
    // " in " and "  out " (10 cells), or " 输入 " and "  输出 " (14 cells).
    let (word_in, word_out) = if zh {
        (" 输入 ", "  输出 ")
    } else {
        (" in ", "  out ")
    };
    let mut fixed = 16 + 4 * u16::from(zh) + label_in.len() as u16 + label_out.len() as u16;
    if with_name {
        let name = fit(&bev.name_in(ctx.ui.lang), 12);
        let head = format!("{name} {} ", dirs(bev));
        fixed += Span::raw(head.as_str()).width() as u16 + 1 + CONDITION;
        spans.push(Span::styled(head, if bev.freed { t.dim } else { t.text }));
    }
    let bar_w = (area.width.saturating_sub(fixed) / 2).clamp(4, 40);
    spans.push(Span::styled(word_in, t.dim));
    spans.extend(bar(
        bar_w,
        bev.levels.input,
        bev.input_scale(),
        bev.levels.read_low,
        t.input,
        ctx,
    ));
    spans.push(Span::styled(format!(" {label_in}"), t.text));
    spans.push(Span::styled(word_out, t.dim));
    spans.extend(bar(
        bar_w,
        bev.levels.output,
        bev.output_scale(),
        bev.levels.write_low,
        t.output,
        ctx,
    ));
    spans.push(Span::styled(format!(" {label_out}"), t.text));
    if with_name {
        spans.push(Span::raw(" "));
        spans.push(condition(bev, ctx));
    }
    Line::from(spans).render(area, buf);
}

/// `s` cut to `w` cells and padded to them (Chinese characters take two).
fn fit(s: &str, w: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = Span::raw(c.to_string()).width();
        if used + cw > w {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push_str(&" ".repeat(w - used));
    out
}

/// Room for a gauge's label (`0/1024 B` fits; longer ones push the row out).
const LABEL: usize = 8;
/// Room for the condition (`connected` is the longest).
const CONDITION: u16 = 9;

/// `300/1024 B` against a high watermark, or `300 B`.
fn limit(level: u64, high: u64) -> String {
    if high > 0 {
        format!("{level}/{high} B")
    } else {
        format!("{level} B")
    }
}

/// A bar of `w` cells filled to `level / scale`, with the low watermark marked `┃`.
pub fn bar(w: u16, level: u64, scale: u64, low: u64, fill: Style, ctx: Ctx) -> Vec<Span<'static>> {
    let w = w as u64;
    let scale = scale.max(1);
    let mut filled = (level.min(scale) * w).div_ceil(scale);
    if level > 0 {
        filled = filled.max(1);
    }
    let mark = (low > 0 && low < scale).then(|| (low * w / scale).min(w - 1));
    let mut spans = vec![Span::styled("▕", ctx.theme.dim)];
    for i in 0..w {
        let (sym, style) = if Some(i) == mark {
            ("┃", ctx.theme.mark)
        } else if i < filled {
            ("█", fill)
        } else {
            ("░", ctx.theme.dim)
        };
        spans.push(Span::styled(sym, style));
    }
    spans.push(Span::styled("▏", ctx.theme.dim));
    spans
}
