//! Plain-language text for one record, in English or Chinese.
//!
//! The dashboard's own wording until the trace layer's `explain` lands on main; then this file
//! becomes a thin call into it.

use super::{Lang, Snapshot};
use crate::ev::State;
use crate::trace::{Body, Record};

/// How an event is named in a sentence: `event 3 "echo read"`, or `event 3`.
fn ev_name(snap: &Snapshot, ev: u64) -> String {
    match snap.events.get(&ev) {
        Some(row) if !row.label.is_empty() => format!("event {ev} \"{}\"", row.label),
        _ => format!("event {ev}"),
    }
}

fn bev_name(snap: &Snapshot, bev: u64) -> String {
    match snap.bevs.get(&bev) {
        Some(row) if !row.label.is_empty() => format!("bufferevent {bev} \"{}\"", row.label),
        _ => format!("bufferevent {bev}"),
    }
}

fn fd_of(snap: &Snapshot, ev: u64) -> String {
    match snap.events.get(&ev).and_then(|r| r.fd) {
        Some(fd) => format!("fd {fd}"),
        None => "its fd".into(),
    }
}

/// A duration in µs, written short: `850 µs`, `2.0 ms`, `1.50 s`.
pub fn micros(us: u64) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.1} ms", us as f64 / 1e3)
    } else {
        format!("{:.2} s", us as f64 / 1e6)
    }
}

/// Says what `r` means. `snap` supplies names (labels, fds) and should be a snapshot at or
/// after `r`.
pub fn explain(r: &Record, snap: &Snapshot, lang: Lang) -> String {
    match lang {
        Lang::En => english(r, snap),
        Lang::Zh => chinese(r, snap),
    }
}

fn english(r: &Record, snap: &Snapshot) -> String {
    match &r.body {
        Body::EventNew { ev, fd, what, .. } => {
            let on = fd.map_or("a timer".to_string(), |fd| format!("fd {fd}"));
            format!(
                "event_new created {} on {on} ({}); it is new, not yet added",
                ev_name(snap, *ev),
                flags(what.names())
            )
        }
        Body::Transition { ev, to, cause, .. } => {
            let name = ev_name(snap, *ev);
            let why = match cause.as_str() {
                "event_add" => "event_add".to_string(),
                "event_del" => "event_del".to_string(),
                "event_free" => "event_free".to_string(),
                "event_active" => "the program called event_active".to_string(),
                "fd_readable" => format!("{} is readable", fd_of(snap, *ev)),
                "fd_writable" => format!("{} is writable", fd_of(snap, *ev)),
                "fd_ready" => format!("{} is readable and writable", fd_of(snap, *ev)),
                "fd_closed" => format!("the peer closed {}", fd_of(snap, *ev)),
                "timeout" => "its timeout expired".to_string(),
                "signal" => "its signal arrived".to_string(),
                "dispatch" => "taken off the active queue".to_string(),
                "callback_returned" if *to == State::Pending => {
                    "its callback returned and it stays pending".to_string()
                }
                "callback_returned" => "its callback returned".to_string(),
                other => other.to_string(),
            };
            match to {
                State::Callback => format!("{name} runs its callback ({why})"),
                State::Freed => format!("{name} was freed ({why})"),
                _ => format!("{name} became {}: {why}", to.as_str().replace('_', "-")),
            }
        }
        Body::CallbackBegin { ev, what } => format!(
            "callback of {} starts (fired: {})",
            ev_name(snap, *ev),
            flags(what.names())
        ),
        Body::CallbackEnd { ev, dur_us, .. } => format!(
            "callback of {} returned after {}",
            ev_name(snap, *ev),
            micros(*dur_us)
        ),
        Body::LoopIteration { n } => format!("loop iteration {n} begins"),
        Body::PollBegin {
            backend,
            timeout_us,
        } => match timeout_us {
            Some(t) => format!("the loop waits in {backend} for at most {}", micros(*t)),
            None => format!("the loop waits in {backend} with no timeout"),
        },
        Body::PollEnd { ready } => format!("the backend returned: {ready} fd(s) ready"),
        Body::TimersExpired { n } => format!("{n} timeout(s) expired"),
        Body::RunActive { priority, queued } => {
            format!("running the active queue of priority {priority}: {queued} callback(s)")
        }
        Body::BevNew { bev, fd, .. } => format!(
            "{} created{}",
            bev_name(snap, *bev),
            fd.map_or(String::new(), |fd| format!(" on fd {fd}"))
        ),
        Body::Buffer {
            bev, input, output, ..
        } => format!(
            "{}: input holds {input} B, output holds {output} B",
            bev_name(snap, *bev)
        ),
        Body::BevEvent { bev, events } => format!(
            "{}'s event callback is told {}",
            bev_name(snap, *bev),
            flags(events.names())
        ),
        Body::BevFree { bev } => format!("{} was freed", bev_name(snap, *bev)),
        Body::Accept { fd, peer, .. } => format!(
            "the listener accepted fd {fd}{}",
            peer.as_ref()
                .map_or(String::new(), |p| format!(" from {p}"))
        ),
        Body::Note { text } => format!("note: {text}"),
        Body::Dropped { count } => format!("the recorder dropped {count} record(s) here"),
    }
}

fn chinese(r: &Record, snap: &Snapshot) -> String {
    match &r.body {
        Body::EventNew { ev, fd, what, .. } => {
            let on = fd.map_or("定时器".to_string(), |fd| format!("fd {fd}"));
            format!(
                "event_new 创建了{}（{on}，{}）：新事件，尚未添加",
                ev_name(snap, *ev),
                flags(what.names())
            )
        }
        Body::Transition { ev, to, cause, .. } => {
            let name = ev_name(snap, *ev);
            let why = match cause.as_str() {
                "event_active" => "程序调用了 event_active".to_string(),
                "fd_readable" => format!("{} 可读", fd_of(snap, *ev)),
                "fd_writable" => format!("{} 可写", fd_of(snap, *ev)),
                "fd_ready" => format!("{} 可读可写", fd_of(snap, *ev)),
                "fd_closed" => format!("对端关闭了 {}", fd_of(snap, *ev)),
                "timeout" => "超时时间到".to_string(),
                "signal" => "信号到达".to_string(),
                "dispatch" => "事件循环把它从激活队列取出".to_string(),
                "callback_returned" => "回调返回".to_string(),
                other => other.to_string(),
            };
            format!("{name} → {}（{}）：{why}", to.zh(), to.as_str())
        }
        Body::CallbackBegin { ev, what } => format!(
            "{} 的回调开始执行（触发：{}）",
            ev_name(snap, *ev),
            flags(what.names())
        ),
        Body::CallbackEnd { ev, dur_us, .. } => format!(
            "{} 的回调返回，用时 {}",
            ev_name(snap, *ev),
            micros(*dur_us)
        ),
        Body::LoopIteration { n } => format!("事件循环第 {n} 轮开始"),
        Body::PollBegin {
            backend,
            timeout_us,
        } => match timeout_us {
            Some(t) => format!("事件循环在 {backend} 中等待，最多 {}", micros(*t)),
            None => format!("事件循环在 {backend} 中等待，无超时"),
        },
        Body::PollEnd { ready } => format!("后端返回：{ready} 个 fd 就绪"),
        Body::TimersExpired { n } => format!("{n} 个超时到期"),
        Body::RunActive { priority, queued } => {
            format!("执行优先级 {priority} 的激活队列：{queued} 个回调")
        }
        Body::BevNew { bev, .. } => format!("创建了{}", bev_name(snap, *bev)),
        Body::Buffer {
            bev, input, output, ..
        } => format!(
            "{}：输入缓冲区 {input} B，输出缓冲区 {output} B",
            bev_name(snap, *bev)
        ),
        Body::BevEvent { bev, events } => format!(
            "{} 的事件回调收到 {}",
            bev_name(snap, *bev),
            flags(events.names())
        ),
        Body::BevFree { bev } => format!("{} 已释放", bev_name(snap, *bev)),
        Body::Accept { fd, peer, .. } => format!(
            "监听器接受了新连接 fd {fd}{}",
            peer.as_ref()
                .map_or(String::new(), |p| format!("，来自 {p}"))
        ),
        Body::Note { text } => format!("注：{text}"),
        Body::Dropped { count } => format!("记录器在此丢弃了 {count} 条记录"),
    }
}

fn flags(names: Vec<&'static str>) -> String {
    if names.is_empty() {
        "no flags".into()
    } else {
        names.join("|")
    }
}
