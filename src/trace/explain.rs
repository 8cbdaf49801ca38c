//! Each record in plain words, in English or Chinese (the course's terms): "event 3 (fd 7,
//! READ|PERSIST) became active: fd 7 is readable". Used by `evscope replay --print`,
//! `evscope run --print` and the dashboard.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::str::FromStr;

use super::record::{Body, Header, Record};
use crate::ev::{BevEvents, State, What};

/// The language of explanations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Chinese, with the course's terms (未决, 激活, …).
    Zh,
}

impl FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Lang, String> {
        match s {
            "en" => Ok(Lang::En),
            "zh" => Ok(Lang::Zh),
            _ => Err(format!("unknown language {s:?}: expected en or zh")),
        }
    }
}

/// What `event_new` said about an event, for naming it later.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventInfo {
    /// Its fd (or signal number).
    pub fd: Option<i32>,
    /// Its flags.
    pub what: What,
    /// Its label.
    pub label: String,
}

/// Explains records, remembering what `event_new` and `bev_new` said so later records can
/// name their event ("event 3 (fd 7, READ|PERSIST)"). Fold every record through
/// [`Explainer::learn`] (or [`Explainer::explain`], which learns too); names never change, so
/// one forward pass serves any position in a trace.
#[derive(Clone, Debug, Default)]
pub struct Explainer {
    lang: Lang,
    events: HashMap<u64, EventInfo>,
    bevs: HashMap<u64, (Option<i32>, String)>,
    backend: String,
}

impl Explainer {
    /// An explainer in `lang`.
    pub fn new(lang: Lang) -> Explainer {
        Explainer {
            lang,
            ..Explainer::default()
        }
    }

    /// The language it speaks.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Takes the backend's name from the header.
    pub fn learn_header(&mut self, header: &Header) {
        self.backend = header.backend.clone();
    }

    /// Remembers what a record says about names.
    pub fn learn(&mut self, rec: &Record) {
        match &rec.body {
            Body::EventNew {
                ev,
                fd,
                what,
                label,
            } => {
                self.events.insert(
                    *ev,
                    EventInfo {
                        fd: *fd,
                        what: *what,
                        label: label.clone(),
                    },
                );
            }
            Body::BevNew { bev, fd, label } => {
                self.bevs.insert(*bev, (*fd, label.clone()));
            }
            Body::PollBegin { backend, .. } if !backend.is_empty() && self.backend != *backend => {
                self.backend = backend.clone();
            }
            _ => {}
        }
    }

    /// What `event_new` said about event `ev`, if seen.
    pub fn event(&self, ev: u64) -> Option<&EventInfo> {
        self.events.get(&ev)
    }

    /// Learns from `rec`, then explains it.
    pub fn explain(&mut self, rec: &Record) -> String {
        self.learn(rec);
        self.explain_only(rec)
    }

    /// Explains `rec` with what is known, without learning from it.
    pub fn explain_only(&self, rec: &Record) -> String {
        let zh = self.lang == Lang::Zh;
        let mut out = String::new();
        let o = &mut out;
        match &rec.body {
            Body::EventNew { ev, .. } => {
                let name = self.event_name(*ev);
                if zh {
                    let _ = write!(
                        o,
                        "{name} 由 event_new 创建：新事件，尚未加入（还不是未决）"
                    );
                } else {
                    let _ = write!(
                        o,
                        "{name} created by event_new: new, not yet added (not pending)"
                    );
                }
            }
            Body::Transition {
                ev,
                fd,
                from,
                to,
                cause,
            } => {
                let name = self.event_name(*ev);
                let why = cause_text(cause, *fd, self.lang);
                if zh {
                    let _ = write!(o, "{name} {}：{why}", state_zh(*to));
                } else {
                    let _ = write!(o, "{name} {}: {why}", state_en(*to));
                }
                if cause == "callback_returned" {
                    o.push_str(match (*to, zh) {
                        (State::Pending, false) => " (persistent, or re-added: it waits again)",
                        (State::Pending, true) => "（持久事件或被重新添加：继续等待）",
                        (State::NonPending, false) => {
                            " (not persistent: it waits no more until event_add)"
                        }
                        (State::NonPending, true) => "（非持久事件：除非再次 event_add，不再等待）",
                        _ => "",
                    });
                }
                let _ = from;
            }
            Body::CallbackBegin { ev, what } => {
                let name = self.event_name(*ev);
                if zh {
                    let _ = write!(o, "{name} 的回调函数开始执行：发生了 {what}");
                } else {
                    let _ = write!(o, "{name}'s callback runs: {what} happened");
                }
            }
            Body::CallbackEnd { ev, dur_us, .. } => {
                let name = self.event_name(*ev);
                if zh {
                    let _ = write!(o, "{name} 的回调函数返回，用时 {dur_us} µs");
                } else {
                    let _ = write!(o, "{name}'s callback returned after {dur_us} µs");
                }
            }
            Body::LoopIteration { n } => {
                if zh {
                    let _ = write!(o, "事件循环第 {n} 轮开始");
                } else {
                    let _ = write!(o, "loop iteration {n} begins");
                }
            }
            Body::PollBegin {
                backend,
                timeout_us,
            } => {
                let b = if backend.is_empty() {
                    &self.backend
                } else {
                    backend
                };
                match (timeout_us, zh) {
                    (Some(0), false) => {
                        let _ = write!(
                            o,
                            "the loop checks {b} without waiting (events are already active)"
                        );
                    }
                    (Some(0), true) => {
                        let _ = write!(o, "事件循环不等待地检查 {b}（已有激活的事件）");
                    }
                    (Some(t), false) => {
                        let _ = write!(o, "the loop waits in {b} for up to {}", ms(*t));
                    }
                    (Some(t), true) => {
                        let _ = write!(o, "事件循环在 {b} 中等待，最多 {}", ms(*t));
                    }
                    (None, false) => {
                        let _ = write!(o, "the loop waits in {b} with no timeout: until an fd is ready or a signal arrives");
                    }
                    (None, true) => {
                        let _ = write!(
                            o,
                            "事件循环在 {b} 中等待，没有超时：直到有 fd 就绪或信号到达"
                        );
                    }
                }
            }
            Body::PollEnd { ready } => {
                let b = if self.backend.is_empty() {
                    "the backend"
                } else {
                    &self.backend
                };
                if zh {
                    let _ = write!(o, "{b} 返回：{ready} 个 fd 就绪");
                } else {
                    let fds = if *ready == 1 { "fd" } else { "fds" };
                    let _ = write!(o, "{b} returned: {ready} {fds} ready");
                }
            }
            Body::TimersExpired { n } => {
                if zh {
                    let _ = write!(o, "{n} 个超时到期");
                } else {
                    let t = if *n == 1 { "timeout" } else { "timeouts" };
                    let _ = write!(o, "{n} {t} expired");
                }
            }
            Body::RunActive { priority, queued } => {
                if zh {
                    let _ = write!(
                        o,
                        "运行优先级 {priority} 的激活队列（{queued} 个回调在排队）"
                    );
                } else {
                    let _ = write!(
                        o,
                        "the loop runs the priority-{priority} active queue ({queued} queued)"
                    );
                }
            }
            Body::BevNew { bev, fd, .. } => {
                let name = self.bev_name(*bev);
                match (fd, zh) {
                    (Some(fd), false) => {
                        let _ = write!(o, "{name} created on fd {fd}");
                    }
                    (None, false) => {
                        let _ = write!(o, "{name} created (no fd yet)");
                    }
                    (Some(fd), true) => {
                        let _ = write!(o, "在 fd {fd} 上创建了 {name}");
                    }
                    (None, true) => {
                        let _ = write!(o, "创建了 {name}（还没有 fd）");
                    }
                }
            }
            Body::Buffer {
                bev,
                input,
                output,
                read_high,
                write_low,
                ..
            } => {
                let name = self.bev_name(*bev);
                if zh {
                    let _ = write!(
                        o,
                        "{name}：输入缓冲区 {input} 字节，输出缓冲区 {output} 字节"
                    );
                    if *read_high > 0 {
                        let _ = write!(o, "（读高水位 {read_high}）");
                    }
                    if *write_low > 0 {
                        let _ = write!(o, "（写低水位 {write_low}）");
                    }
                } else {
                    let _ = write!(
                        o,
                        "{name}: input buffer holds {input} bytes, output buffer {output} bytes"
                    );
                    if *read_high > 0 {
                        let _ = write!(o, " (read high watermark {read_high})");
                    }
                    if *write_low > 0 {
                        let _ = write!(o, " (write low watermark {write_low})");
                    }
                }
            }
            Body::BevEvent { bev, events } => {
                let name = self.bev_name(*bev);
                let why = bev_events_text(*events, self.lang);
                if zh {
                    let _ = write!(o, "{name} 的事件回调收到 {events}：{why}");
                } else {
                    let _ = write!(o, "{name}'s event callback is told {events}: {why}");
                }
            }
            Body::BevFree { bev } => {
                let name = self.bev_name(*bev);
                if zh {
                    let _ = write!(o, "{name} 已释放");
                } else {
                    let _ = write!(o, "{name} freed");
                }
            }
            Body::Accept { listener, fd, peer } => {
                let from = peer.as_deref().unwrap_or("?");
                if zh {
                    let _ = write!(o, "监听器 {listener} 接受了来自 {from} 的连接，新 fd {fd}");
                } else {
                    let _ = write!(
                        o,
                        "listener {listener} accepted a connection from {from} on fd {fd}"
                    );
                }
            }
            Body::Note { text } => {
                let _ = write!(o, "{} {text}", if zh { "注：" } else { "note:" });
            }
            Body::Dropped { count } => {
                if zh {
                    let _ = write!(o, "此处丢弃了 {count} 条记录（有损记录模式）");
                } else {
                    let _ = write!(o, "{count} records were dropped here (lossy recording)");
                }
            }
        }
        out
    }

    /// One timeline line: time, seq, kind and the explanation (learning from `rec`).
    pub fn line(&mut self, rec: &Record) -> String {
        let text = self.explain(rec);
        timeline_line(rec, &text)
    }

    /// "event 3 "label" (fd 7, READ|PERSIST)", or "事件 3 …".
    pub fn event_name(&self, ev: u64) -> String {
        let zh = self.lang == Lang::Zh;
        let mut s = String::from(if zh { "事件 " } else { "event " });
        push_id(&mut s, ev);
        let Some(info) = self.events.get(&ev) else {
            return s;
        };
        if !info.label.is_empty() {
            let _ = write!(s, " \"{}\"", info.label);
        }
        let flags = info.what;
        let _ = match (info.fd, flags.contains(What::SIGNAL), zh) {
            (Some(sig), true, false) => write!(s, " (signal {sig}, {flags})"),
            (Some(sig), true, true) => write!(s, " (信号 {sig}, {flags})"),
            (Some(fd), false, _) if flags.intersects(What::READ | What::WRITE | What::CLOSED) => {
                write!(s, " (fd {fd}, {flags})")
            }
            (_, _, false) if flags.is_empty() => write!(s, " (timer)"),
            (_, _, true) if flags.is_empty() => write!(s, " (定时器)"),
            (_, _, false) => write!(s, " (timer, {flags})"),
            (_, _, true) => write!(s, " (定时器, {flags})"),
        };
        s
    }

    /// "bufferevent 1 "label" (fd 8)".
    pub fn bev_name(&self, bev: u64) -> String {
        let mut s = String::from("bufferevent ");
        push_id(&mut s, bev);
        if let Some((fd, label)) = self.bevs.get(&bev) {
            if !label.is_empty() {
                let _ = write!(s, " \"{label}\"");
            }
            if let Some(fd) = fd {
                let _ = write!(s, " (fd {fd})");
            }
        }
        s
    }
}

/// `   12.345 ms  #42     transition     <text>`.
pub fn timeline_line(rec: &Record, text: &str) -> String {
    format!(
        "{:>10.3} ms  #{:<6} {:<14} {text}",
        rec.t_us as f64 / 1000.0,
        rec.seq,
        rec.body.kind()
    )
}

/// A trace id as shown: the slot number, with `v<generation>` once the slot was reused
/// (`3`, `3v1`). The dashboard shows ids the same way.
pub fn id_text(id: u64) -> String {
    let (index, generation) = (id & 0xffff_ffff, id >> 32);
    if generation > 0 {
        format!("{index}v{generation}")
    } else {
        index.to_string()
    }
}

fn push_id(s: &mut String, id: u64) {
    s.push_str(&id_text(id));
}

fn ms(us: u64) -> String {
    format!("{:.3} ms", us as f64 / 1000.0)
}

fn state_en(to: State) -> &'static str {
    match to {
        State::New => "is new",
        State::Pending => "became pending",
        State::Active => "became active",
        State::Callback => "is running its callback",
        State::NonPending => "became non-pending",
        State::Freed => "was freed",
    }
}

fn state_zh(to: State) -> String {
    match to {
        State::Callback => format!("进入{} (callback)", to.zh()),
        State::Freed => format!("{} (freed)", to.zh()),
        _ => format!("变为{} ({})", to.zh(), to.as_str()),
    }
}

/// Why a transition happened, from its `cause`.
fn cause_text(cause: &str, fd: Option<i32>, lang: Lang) -> String {
    let fd = fd.map_or_else(|| "?".to_string(), |f| f.to_string());
    let zh = lang == Lang::Zh;
    match (cause, zh) {
        ("event_add", false) => "event_add was called".into(),
        ("event_add", true) => "调用了 event_add".into(),
        ("event_del", false) => "event_del was called".into(),
        ("event_del", true) => "调用了 event_del".into(),
        ("event_free", false) => "event_free was called".into(),
        ("event_free", true) => "调用了 event_free".into(),
        ("event_active", false) => "event_active was called".into(),
        ("event_active", true) => "调用了 event_active".into(),
        ("fd_readable", false) => format!("fd {fd} is readable"),
        ("fd_readable", true) => format!("fd {fd} 可读"),
        ("fd_writable", false) => format!("fd {fd} is writable"),
        ("fd_writable", true) => format!("fd {fd} 可写"),
        ("fd_ready", false) => format!("fd {fd} is readable and writable"),
        ("fd_ready", true) => format!("fd {fd} 可读且可写"),
        ("fd_closed", false) => format!("fd {fd} was closed by the peer"),
        ("fd_closed", true) => format!("fd {fd} 的对端已关闭"),
        ("timeout", false) => "its timeout expired".into(),
        ("timeout", true) => "超时时间到了".into(),
        ("signal", false) => format!("signal {fd} arrived"),
        ("signal", true) => format!("信号 {fd} 到达"),
        ("dispatch", false) => "the loop calls its callback".into(),
        ("dispatch", true) => "事件循环调用它的回调函数".into(),
        ("callback_returned", false) => "its callback returned".into(),
        ("callback_returned", true) => "回调函数返回".into(),
        (other, _) => other.to_string(),
    }
}

fn bev_events_text(events: BevEvents, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let mut parts = Vec::new();
    let table: [(BevEvents, &str, &str); 4] = [
        (
            BevEvents::CONNECTED,
            "the connection is established",
            "连接已建立",
        ),
        (
            BevEvents::EOF,
            "the peer closed the connection",
            "对端关闭了连接",
        ),
        (BevEvents::ERROR, "an error happened", "发生了错误"),
        (BevEvents::TIMEOUT, "a timeout expired", "超时"),
    ];
    for (flag, en, cn) in table {
        if events.contains(flag) {
            parts.push(if zh { cn } else { en });
        }
    }
    let mut s = parts.join(if zh { "，" } else { "; " });
    let dir = match (
        events.contains(BevEvents::READING),
        events.contains(BevEvents::WRITING),
    ) {
        (true, _) => Some(if zh {
            "（读时）"
        } else {
            " (while reading)"
        }),
        (_, true) => Some(if zh {
            "（写时）"
        } else {
            " (while writing)"
        }),
        _ => None,
    };
    if let Some(d) = dir {
        s.push_str(d);
    }
    s
}
