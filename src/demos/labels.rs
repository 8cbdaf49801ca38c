//! The demos' event and bufferevent labels in Chinese. Traces keep the labels the program gave
//! (recordings and `--print` in English stay as they are); in `--lang zh` the explanations, the
//! timeline, `--print` and the panels show a demo label's Chinese. Labels it does not know (a
//! student's own program's) are shown as written, and so are libevent-style internal names
//! (`bev1 read`, `lev0 accept`) that the lessons refer to.

use std::borrow::Cow;

use crate::trace::Lang;

/// The demos' whole labels (or a label's part before ` (timer)`), and their Chinese.
const WORDS: [(&str, &str); 32] = [
    ("SIGUSR1 handler", "SIGUSR1 处理者"),
    ("SIGUSR1 logger", "SIGUSR1 记录者"),
    ("alarm (one-shot)", "闹钟（一次性）"),
    ("background (2)", "后台（2）"),
    ("normal (1)", "普通（1）"),
    ("urgent (0)", "紧急（0）"),
    ("busy fd", "繁忙的 fd"),
    ("client", "客户端"),
    ("client read", "客户端读"),
    ("client send", "客户端发送"),
    ("client sends", "客户端发送"),
    ("server", "服务器"),
    ("server sends", "服务器发送"),
    ("echo read", "回显读"),
    ("echo write", "回显写"),
    ("echo server", "回显服务器"),
    ("fast writer sends 32 KiB", "快写者发送 32 KiB"),
    ("slow reader takes 4 KiB", "慢读者取走 4 KiB"),
    ("fifo reader", "管道读者"),
    ("greeting", "问候"),
    ("heartbeat", "心跳"),
    ("measure", "测量"),
    ("once", "一次性"),
    ("pinger", "探测者"),
    ("reminder (cancelled)", "提醒（已取消）"),
    ("sender", "发送者"),
    ("ticker (persistent)", "节拍器（持久）"),
    ("trigger", "触发者"),
    ("wake-up", "唤醒"),
    ("writer", "写者"),
    ("reader", "读者"),
    ("listener", "监听器"),
];

/// `label` as the screen shows it in `lang`.
pub fn shown_label(label: &str, lang: Lang) -> Cow<'_, str> {
    if lang == Lang::En {
        return Cow::Borrowed(label);
    }
    let (head, timer) = match label.strip_suffix(" (timer)") {
        Some(head) => (head, "（定时器）"),
        None => (label, ""),
    };
    if let Some((_, zh)) = WORDS.iter().find(|(en, _)| *en == head) {
        return Cow::Owned(format!("{zh}{timer}"));
    }
    // "client 3", "client 3 sends": the echo and load demos number their clients.
    if let Some(rest) = head.strip_prefix("client ") {
        let (n, sends) = match rest.strip_suffix(" sends") {
            Some(n) => (n, " 发送"),
            None => (rest, ""),
        };
        if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
            return Cow::Owned(format!("客户端 {n}{sends}{timer}"));
        }
    }
    Cow::Borrowed(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_labels_have_chinese_and_others_stay() {
        assert_eq!(shown_label("heartbeat", Lang::Zh), "心跳");
        assert_eq!(shown_label("heartbeat", Lang::En), "heartbeat");
        assert_eq!(shown_label("pinger (timer)", Lang::Zh), "探测者（定时器）");
        assert_eq!(
            shown_label("client 4 sends (timer)", Lang::Zh),
            "客户端 4 发送（定时器）"
        );
        assert_eq!(shown_label("client 4", Lang::Zh), "客户端 4");
        assert_eq!(shown_label("client x sends", Lang::Zh), "client x sends");
        assert_eq!(shown_label("bev1 read", Lang::Zh), "bev1 read");
        assert_eq!(shown_label("on_tick", Lang::Zh), "on_tick");
    }
}
