//! The `?` help overlay: every key.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Widget};

use super::popup::centered;
use super::{framed, panel, Ctx};
use crate::dash::model::Lang;

/// The keys and what they do, in English and Chinese.
pub const KEYS: [(&str, &str, &str); 17] = [
    (
        "space",
        "play / pause (live: continue / pause the loop)",
        "播放 / 暂停（实时：继续 / 暂停事件循环）",
    ),
    (
        "n  →",
        "step forward one record (live: release one)",
        "前进一条记录（实时：放行一条）",
    ),
    ("p  ←", "step back one record", "后退一条记录"),
    (
        "]",
        "run to the next loop iteration",
        "运行到下一轮事件循环",
    ),
    ("+  -", "play faster / slower", "加速 / 减速"),
    (
        "Home End",
        "first / last record (live: follow)",
        "第一条 / 最后一条（实时：跟随）",
    ),
    (
        "b",
        "breakpoint on the selected event",
        "在所选事件上设断点",
    ),
    ("Tab", "next panel (events, buffers, timeline)", "切换面板"),
    (
        "↑ ↓  k j",
        "select a row / scroll the timeline",
        "选择行 / 滚动时间线",
    ),
    ("Enter", "history of the selected event", "所选事件的历史"),
    (
        "B",
        "show the next event_base (a process with several)",
        "显示下一个 event_base（进程有多个时）",
    ),
    ("l", "English / 中文", "English / 中文"),
    ("?", "this help", "本帮助"),
    ("Esc", "close overlays", "关闭弹窗"),
    (
        "q  Ctrl-C",
        "quit (a live program runs on)",
        "退出（被观察的程序继续运行）",
    ),
    (
        "states",
        "new 新事件 · pending 未决 · active 激活",
        "new 新事件 · pending 未决 · active 激活",
    ),
    (
        "",
        "callback 回调执行中 · non-pending 非未决 · freed 已释放",
        "callback 回调执行中 · non-pending 非未决 · freed 已释放",
    ),
];

/// Draws the overlay over `area` (the whole screen).
pub fn render(area: Rect, buf: &mut Buffer, ctx: Ctx) {
    let t = ctx.theme;
    let pop = centered(area, 72, KEYS.len() as u16 + 2);
    Clear.render(pop, buf);
    buf.set_style(pop, t.screen);
    let title = match ctx.ui.lang {
        Lang::En => "Keys (? or Esc closes)",
        Lang::Zh => "按键（? 或 Esc 关闭）",
    };
    let inner = framed(
        panel(title.into(), None, ctx).border_style(t.focus),
        pop,
        buf,
    );
    for (i, (key, en, zh)) in KEYS.iter().enumerate().take(inner.height as usize) {
        let (what, key) = match (ctx.ui.lang, *key) {
            (Lang::Zh, "states") => (zh, "状态    "),
            (Lang::Zh, _) => (zh, *key),
            _ => (en, *key),
        };
        Line::from(vec![
            Span::styled(format!(" {key:<10} "), t.focus),
            Span::styled(*what, t.text),
        ])
        .render(
            Rect {
                y: inner.y + i as u16,
                height: 1,
                ..inner
            },
            buf,
        );
    }
}
