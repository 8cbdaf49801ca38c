//! The footer: the main keys, and the latest status message on the right.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::Ctx;
use crate::dash::ui::Mode;

/// The keys the footer offers, each with its importance (0 is kept longest).
type Key = (&'static str, &'static str, u8);

/// A footer word in Chinese.
fn zh(word: &str) -> &str {
    match word {
        "step" => "单步",
        "back" => "后退",
        "play" => "播放",
        "speed" => "速度",
        "iter" => "下一轮",
        "break" => "断点",
        "panel" => "面板",
        "history" => "历史",
        "help" => "帮助",
        "quit" => "退出",
        "pause/run" => "暂停/运行",
        "follow" => "跟随",
        other => other,
    }
}

const REPLAY: [Key; 10] = [
    ("n/→", "step", 0),
    ("p/←", "back", 1),
    ("space", "play", 0),
    ("+/-", "speed", 3),
    ("]", "iter", 2),
    ("b", "break", 4),
    ("Tab", "panel", 5),
    ("⏎", "history", 4),
    ("?", "help", 0),
    ("q", "quit", 0),
];

const LIVE: [Key; 9] = [
    ("space", "pause/run", 0),
    ("n", "step", 0),
    ("]", "iter", 2),
    ("p/←", "back", 3),
    ("End", "follow", 3),
    ("b", "break", 4),
    ("⏎", "history", 4),
    ("?", "help", 0),
    ("q", "quit", 0),
];

fn width(k: &Key) -> usize {
    Span::raw(format!(" {} {} ", k.0, k.1)).width()
}

/// Draws the footer into one line of `area`: as many keys as fit, the least needed left out
/// first (`?` lists them all).
pub fn render(area: Rect, buf: &mut Buffer, ctx: Ctx) {
    let t = ctx.theme;
    let mut keys: Vec<Key> = match ctx.ui.mode {
        Mode::Replay => REPLAY.to_vec(),
        Mode::Live => LIVE.to_vec(),
    };
    if ctx.ui.lang == crate::dash::model::Lang::Zh {
        for k in &mut keys {
            k.1 = zh(k.1);
        }
    }
    while keys.iter().map(width).sum::<usize>() > area.width as usize {
        let Some(least) = keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.2 > 0)
            .max_by_key(|(i, k)| (k.2, *i))
            .map(|(i, _)| i)
        else {
            break;
        };
        keys.remove(least);
    }
    let mut spans = Vec::new();
    for (k, what, _) in keys {
        spans.push(Span::styled(format!(" {k}"), t.focus));
        spans.push(Span::styled(format!(" {what} "), t.dim));
    }
    Line::from(spans).render(area, buf);
    // History that could not be read back is told before anything else: it stays wrong.
    let lost = ctx.session.read_error().map(|e| e.to_string());
    let status = lost
        .as_ref()
        .or(ctx.ui.ended.as_ref())
        .or(ctx.ui.status.as_ref());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dash::model::{Lang, ReadError, Session, Timeline};
    use crate::dash::theme::Theme;
    use crate::dash::ui::Ui;
    use crate::trace::Header;

    #[test]
    fn history_that_could_not_be_read_back_is_shown_before_the_status() {
        let mut s = Session::new(Timeline::new(Header::new("epoll", "test")));
        let mut ui = Ui::new(Mode::Replay, "t.jsonl", Lang::En);
        ui.status = Some("breakpoint set on event 1".into());
        s.lose(ReadError {
            first: 1024,
            last: 2047,
            why: "block 1: reading 900 bytes at 0 of the spill file: failed".into(),
        });
        let area = Rect::new(0, 0, 200, 1);
        let mut buf = Buffer::empty(area);
        let theme = Theme::default();
        let ctx = Ctx {
            session: &s,
            ui: &ui,
            theme: &theme,
        };
        render(area, &mut buf, ctx);
        let line: String = buf.content().iter().map(|c| c.symbol()).collect();
        assert!(
            line.contains("history lost: records 1025\u{2013}2048 could not be read back"),
            "{line}"
        );
        assert!(line.contains("spill file"), "{line}");
        assert!(!line.contains("breakpoint"), "{line}");
    }
}
