//! Each record in plain words, in English or Chinese (the course's terms): "event 3 (fd 7,
//! READ|PERSIST) became active: fd 7 is readable". Used by `evscope replay --print`,
//! `evscope run --print` and the dashboard.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::str::FromStr;

use crate::ev::{BevEvents, State, What};
use evscope_core::trace::{Body, Header, Record};

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
    /// What is known of bases 1, 2, … (ids are a base's own: event 3 of base 1 is not event 3
    /// of base 0), at index `base - 1`.
    others: Vec<Explainer>,
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

    /// The explainer of base `base`'s records.
    fn of_base(&self, base: u32) -> Option<&Explainer> {
        match base {
            0 => Some(self),
            b => self.others.get(b as usize - 1),
        }
    }

    /// Remembers what a record says about names.
    pub fn learn(&mut self, rec: &Record) {
        if rec.base != 0 {
            let i = rec.base as usize - 1;
            if self.others.len() <= i {
                let lang = self.lang;
                self.others.resize_with(i + 1, || Explainer::new(lang));
            }
            let other = &mut self.others[i];
            if let Body::BaseNew { backend, .. } = &rec.body {
                other.backend = backend.clone();
            }
            return other.learn_body(&rec.body);
        }
        self.learn_body(&rec.body);
    }

    /// Remembers what a record of this explainer's base says about names.
    fn learn_body(&mut self, body: &Body) {
        match body {
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
            // An event made without an fd gets one later (bufferevent_socket_connect sets
            // the socket): from then on its name says so.
            Body::Transition {
                ev, fd: Some(fd), ..
            } => {
                if let Some(info) = self.events.get_mut(ev) {
                    info.fd = Some(*fd);
                }
            }
            Body::PollBegin { backend, .. } if !backend.is_empty() && self.backend != *backend => {
                self.backend = backend.to_string();
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
        self.of_base(rec.base).unwrap_or(self).explain_here(rec)
    }

    /// Explains `rec` with what this explainer knows (of `rec`'s base).
    fn explain_here(&self, rec: &Record) -> String {
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
                let info = self.events.get(ev);
                let moved = Moved {
                    fd: *fd,
                    from: *from,
                    to: *to,
                    what: info.map(|info| info.what),
                    write_side: info.is_some_and(|info| {
                        if info.what.contains(What::READ) {
                            false
                        } else if info.what.contains(What::WRITE) {
                            true
                        } else {
                            info.label.ends_with(" write")
                        }
                    }),
                };
                let why = transition_text(cause, &moved, self.lang);
                if zh {
                    let _ = write!(o, "{name} {}：{why}", state_zh(*to));
                } else {
                    let _ = write!(o, "{name} {}: {why}", state_en(*to));
                }
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
            Body::LoopIteration { n, thread } => match (zh, thread) {
                (true, None) => {
                    let _ = write!(o, "事件循环第 {n} 轮开始");
                }
                (true, Some(t)) => {
                    let _ = write!(o, "事件循环第 {n} 轮开始（在线程 {t} 上运行）");
                }
                (false, None) => {
                    let _ = write!(o, "loop iteration {n} begins");
                }
                (false, Some(t)) => {
                    let _ = write!(o, "loop iteration {n} begins (run by thread {t})");
                }
            },
            Body::PollBegin {
                backend,
                timeout_us,
            } => {
                let b: &str = if backend.is_empty() {
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
                levels:
                    crate::ev::Levels {
                        input,
                        output,
                        read_high,
                        write_low,
                        ..
                    },
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
                if zh {
                    // A demo's note has its Chinese; a program's own is shown as written.
                    let text = crate::demos::note_zh(text).unwrap_or_else(|| text.clone());
                    let _ = write!(o, "注： {text}");
                } else {
                    let _ = write!(o, "note: {text}");
                }
            }
            Body::BaseNew { backend, thread } => {
                let b = rec.base;
                if zh {
                    let _ = write!(
                        o,
                        "event_base {b} 创建（后端 {backend}，由线程 {thread} 创建）：本进程的又一个事件循环"
                    );
                } else {
                    let _ = write!(
                        o,
                        "event_base {b} made (backend {backend}, by thread {thread}): another \
                         event loop of this process"
                    );
                }
            }
            Body::Dropped { count } => {
                // Written by a lossy recorder whose sink fell behind, or by a live link for a
                // viewer that fell behind while the program ran free: either way, not shown.
                if zh {
                    let _ = write!(
                        o,
                        "此处跳过了 {count} 条记录（记录跟不上程序：有损记录，或查看器落后）"
                    );
                } else {
                    let _ = write!(
                        o,
                        "{count} records were skipped here (the recording could not keep up: a \
                         lossy recorder, or a viewer that fell behind)"
                    );
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

    /// [`Explainer::event_name`] of event `ev` of base `base`.
    pub fn event_name_in(&self, base: u32, ev: u64) -> String {
        self.of_base(base).unwrap_or(self).event_name(ev)
    }

    /// [`Explainer::bev_name`] of bufferevent `bev` of base `base`.
    pub fn bev_name_in(&self, base: u32, bev: u64) -> String {
        self.of_base(base).unwrap_or(self).bev_name(bev)
    }

    /// "event 3 "label" (fd 7, READ|PERSIST)", or "事件 3 …" (an event of base 0, or of the
    /// base whose records this explainer was given alone).
    pub fn event_name(&self, ev: u64) -> String {
        let zh = self.lang == Lang::Zh;
        let mut s = String::from(if zh { "事件 " } else { "event " });
        push_id(&mut s, ev);
        let Some(info) = self.events.get(&ev) else {
            return s;
        };
        if !info.label.is_empty() {
            let _ = write!(s, " \"{}\"", label(&info.label, self.lang));
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
                let _ = write!(s, " \"{}\"", self::label(label, self.lang));
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
    let base = match rec.base {
        0 => String::new(),
        b => format!("[base {b}] "),
    };
    format!(
        "{:>10.3} ms  #{:<6} {:<14} {base}{text}",
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

/// A label as `lang` shows it: a demo's label in Chinese in `zh`, others as the program gave
/// them.
fn label(label: &str, lang: Lang) -> std::borrow::Cow<'_, str> {
    crate::demos::shown_label(label, lang)
}

fn push_id(s: &mut String, id: u64) {
    s.push_str(&id_text(id));
}

fn ms(us: u64) -> String {
    format!("{:.3} ms", us as f64 / 1000.0)
}

/// The course's Chinese term for a state (未决, 非未决, …), as the screens and lessons use it.
pub const fn state_term_zh(s: State) -> &'static str {
    match s {
        State::New => "新事件",
        State::Pending => "未决",
        State::Active => "激活",
        State::Callback => "回调执行中",
        State::NonPending => "非未决",
        State::Freed => "已释放",
    }
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
        State::Callback => format!("进入{} (callback)", state_term_zh(to)),
        State::Freed => format!("{} (freed)", state_term_zh(to)),
        _ => format!("变为{} ({})", state_term_zh(to), to.as_str()),
    }
}

/// What a transition record says, with what `event_new` said about the event's flags.
struct Moved {
    fd: Option<i32>,
    from: State,
    to: State,
    /// The event's flags, when its `event_new` was seen.
    what: Option<What>,
    /// A bufferevent's write event, not its read event: from the flags, or for the
    /// timeout-only events of a pair (neither `READ` nor `WRITE`) from the label.
    write_side: bool,
}

/// Which transitions of a cause a row of [`CAUSES`] puts into words.
#[derive(Clone, Copy, PartialEq, Eq)]
enum When {
    /// Any.
    Any,
    /// Those made while the event's own callback ran (the state left is `callback`).
    InCallback,
    /// Those that made the event pending: the cause added it (the other rows of the cause
    /// tell a deletion).
    Added,
}

/// Every cause the library writes, in words: (cause, which transitions, English, Chinese).
/// The first row that fits is used. In the text `{fd}` is the event's fd (or signal number),
/// `{ev}` the event as its bufferevent calls it ("read event", "write event"), `{rw}` its
/// direction ("read", "write") and `{rwing}` ("reading", "writing"). docs/trace-format.md
/// tells the same in its table of causes.
const CAUSES: &[(&str, When, &str, &str)] = &[
    // The program's calls.
    (
        "event_add",
        When::InCallback,
        "event_add was called during its callback",
        "回调期间调用了 event_add",
    ),
    (
        "event_add",
        When::Any,
        "event_add was called",
        "调用了 event_add",
    ),
    (
        "event_del",
        When::InCallback,
        "event_del was called during its callback",
        "回调期间调用了 event_del",
    ),
    (
        "event_del",
        When::Any,
        "event_del was called",
        "调用了 event_del",
    ),
    (
        "event_free",
        When::Any,
        "event_free was called",
        "调用了 event_free",
    ),
    (
        "event_active",
        When::Any,
        "event_active was called",
        "调用了 event_active",
    ),
    // The loop.
    (
        "fd_readable",
        When::Any,
        "fd {fd} is readable",
        "fd {fd} 可读",
    ),
    (
        "fd_writable",
        When::Any,
        "fd {fd} is writable",
        "fd {fd} 可写",
    ),
    (
        "fd_ready",
        When::Any,
        "fd {fd} is readable and writable",
        "fd {fd} 可读且可写",
    ),
    (
        "fd_closed",
        When::Any,
        "fd {fd} was closed by the peer",
        "fd {fd}：对端关闭了它的发送方向（或整个连接）",
    ),
    (
        "timeout",
        When::Any,
        "its timeout expired",
        "超时时间到了",
    ),
    (
        "signal",
        When::Any,
        "signal {fd} arrived",
        "信号 {fd} 到达",
    ),
    (
        "dispatch",
        When::Any,
        "the loop calls its callback",
        "事件循环调用它的回调函数",
    ),
    (
        "callback_returned",
        When::Any,
        "its callback returned",
        "回调函数返回",
    ),
    // A bufferevent, for its own read and write events.
    (
        "bufferevent_enable",
        When::Any,
        "bufferevent_enable was called: the bufferevent added its {ev}",
        "调用了 bufferevent_enable：bufferevent 添加了它的{ev}",
    ),
    (
        "bufferevent_disable",
        When::Any,
        "bufferevent_disable was called: the bufferevent deleted its {ev}",
        "调用了 bufferevent_disable：bufferevent 删除了它的{ev}",
    ),
    (
        "bufferevent_free",
        When::Added,
        "the bufferevent closes once its output is sent: it added its {ev} to read and discard what the peer still sends, until the peer closes",
        "bufferevent 发完输出后关闭：它添加了它的{ev}，读取并丢弃对端仍在发送的数据，直到对端关闭",
    ),
    (
        "bufferevent_free",
        When::Any,
        "bufferevent_free was called: the bufferevent deleted its {ev}",
        "调用了 bufferevent_free：bufferevent 删除了它的{ev}",
    ),
    (
        "bufferevent_socket_connect",
        When::Added,
        "bufferevent_socket_connect was called: the bufferevent added its {ev}",
        "调用了 bufferevent_socket_connect：bufferevent 添加了它的{ev}",
    ),
    (
        "bufferevent_socket_connect",
        When::Any,
        "bufferevent_socket_connect was called: the bufferevent deleted its {ev}, to set it up on the socket again",
        "调用了 bufferevent_socket_connect：bufferevent 删除了它的{ev}，以便在套接字上重新设置",
    ),
    (
        "bufferevent_set_timeouts",
        When::Added,
        "bufferevent_set_timeouts was called: the bufferevent added its {ev} again, with the new timeout",
        "调用了 bufferevent_set_timeouts：bufferevent 以新的超时重新添加了它的{ev}",
    ),
    (
        "bufferevent_set_timeouts",
        When::Any,
        "bufferevent_set_timeouts was called: the bufferevent deleted its {ev}",
        "调用了 bufferevent_set_timeouts：bufferevent 删除了它的{ev}",
    ),
    (
        "bev_output_added",
        When::Any,
        "the bufferevent added its write event: its output has bytes to send",
        "bufferevent 有数据要发送，添加了它的写事件",
    ),
    (
        "bev_output_empty",
        When::Any,
        "the output buffer is empty: the bufferevent deleted its write event",
        "输出缓冲区已空，bufferevent 删除了它的写事件",
    ),
    (
        "bev_read_high_watermark",
        When::Any,
        "the input buffer reached the read high watermark: the bufferevent deleted its read event and stops reading",
        "输入缓冲区达到读高水位，bufferevent 删除了它的读事件，暂停读取",
    ),
    (
        "bev_read_resumed",
        When::Any,
        "the input buffer is below the read high watermark again: the bufferevent added its read event and reads again",
        "输入缓冲区又低于读高水位，bufferevent 重新添加了它的读事件，继续读取",
    ),
    (
        "bev_eof",
        When::Any,
        "end of file while {rwing}: the bufferevent deleted its {ev}",
        "{rw}时遇到文件结束，bufferevent 删除了它的{ev}",
    ),
    (
        "bev_error",
        When::Any,
        "an error while {rwing}: the bufferevent deleted its {ev}",
        "{rw}时出错，bufferevent 删除了它的{ev}",
    ),
    (
        "bev_timeout",
        When::Any,
        "the bufferevent's {rw} timeout expired: it deleted its {ev}",
        "bufferevent 的{rw}超时到了，删除了它的{ev}",
    ),
    (
        "bev_connected",
        When::Any,
        "the connect has finished and writing is not enabled: the bufferevent deleted its write event",
        "连接已完成，而写没有启用，bufferevent 删除了它的写事件",
    ),
    (
        "bev_connect_failed",
        When::Any,
        "the connect failed: the bufferevent deleted its {ev}",
        "连接失败，bufferevent 删除了它的{ev}",
    ),
    (
        "bev_pair_transfer",
        When::Added,
        "the other end of the pair handed data over: the bufferevent added its {ev} again, restarting its {rw} timeout",
        "pair 的另一端交来了数据：bufferevent 重新添加了它的{ev}，{rw}超时重新计时",
    ),
    (
        "bev_pair_transfer",
        When::Any,
        "the other end of the pair handed data over and this end has nothing to send: the bufferevent deleted its {ev}",
        "pair 的另一端交来了数据，而这一端没有要发送的数据：bufferevent 删除了它的{ev}",
    ),
    (
        "bev_filter",
        When::Added,
        "a filter bufferevent on top reads now (or just filtered data): the bufferevent added its {ev} again",
        "上层的过滤 bufferevent 开始读取（或刚过滤了数据）：bufferevent 重新添加了它的{ev}",
    ),
    (
        "bev_filter",
        When::Any,
        "a filter bufferevent on top does not read: the bufferevent deleted its {ev} and waits for the filter",
        "上层的过滤 bufferevent 没有在读取：bufferevent 删除了它的{ev}，等待过滤器",
    ),
    (
        "bufferevent_setfd",
        When::Added,
        "bufferevent_setfd was called: the bufferevent added its {ev} on the new fd",
        "调用了 bufferevent_setfd：bufferevent 在新的文件描述符上添加了它的{ev}",
    ),
    (
        "bufferevent_setfd",
        When::Any,
        "bufferevent_setfd was called: the bufferevent deleted its {ev}, to set it up on the new fd",
        "调用了 bufferevent_setfd：bufferevent 删除了它的{ev}，以便在新的文件描述符上重新设置",
    ),
    (
        "bev_rate_limited",
        When::Added,
        "the bufferevent's rate limit is used up for now: it added its refill timer, which refills the token bucket after one tick",
        "bufferevent 的速率限制暂时用完：它添加了补充定时器，一个时间片后补充令牌桶",
    ),
    (
        "bev_rate_limited",
        When::Any,
        "the bufferevent's rate limit is used up for now (its token bucket, or its group's, is empty): it deleted its {ev} until the bucket refills",
        "bufferevent 的速率限制暂时用完（它的令牌桶或所在组的令牌桶已空）：它删除了它的{ev}，等令牌桶补充后再{rw}",
    ),
    (
        "bev_rate_refilled",
        When::Added,
        "the bufferevent's rate limit lets it {rw} again (its token bucket refilled, or the limit was changed or lifted): it added its {ev} again",
        "bufferevent 的速率限制又允许它{rw}了（令牌桶已补充，或限制被修改、取消）：它重新添加了它的{ev}",
    ),
    (
        "bev_rate_refilled",
        When::Any,
        "the bufferevent's token bucket has bytes again (the program gave some back or lifted the limit): it deleted its refill timer",
        "bufferevent 的令牌桶又有字节了（程序归还了一些字节或取消了限制）：它删除了补充定时器",
    ),
];

impl Moved {
    fn fits(&self, when: When) -> bool {
        match when {
            When::Any => true,
            When::InCallback => self.from == State::Callback,
            When::Added => self.to == State::Pending,
        }
    }

    /// The words for a bufferevent's event: ("read event", "read", "reading") or the write
    /// side's, in `lang`.
    fn side(&self, lang: Lang) -> [&'static str; 3] {
        match (self.write_side, lang) {
            (false, Lang::En) => ["read event", "read", "reading"],
            (true, Lang::En) => ["write event", "write", "writing"],
            (false, Lang::Zh) => ["读事件", "读", "读"],
            (true, Lang::Zh) => ["写事件", "写", "写"],
        }
    }
}

/// True when `cause` is one this explainer puts into words; any other cause is shown as it is
/// written in the trace.
pub fn is_known_cause(cause: &str) -> bool {
    CAUSES.iter().any(|(name, ..)| *name == cause)
}

/// Why a transition happened, from its `cause`; an unknown cause is shown as it is.
fn cause_text(cause: &str, m: &Moved, lang: Lang) -> String {
    let Some((.., en, zh)) = CAUSES
        .iter()
        .find(|(name, when, ..)| *name == cause && m.fits(*when))
    else {
        return cause.to_string();
    };
    let text = if lang == Lang::Zh { zh } else { en };
    if !text.contains('{') {
        return (*text).to_string();
    }
    let fd = m.fd.map_or_else(|| "?".to_string(), |f| f.to_string());
    let [ev, rw, rwing] = m.side(lang);
    text.replace("{fd}", &fd)
        .replace("{ev}", ev)
        .replace("{rwing}", rwing)
        .replace("{rw}", rw)
}

/// Why a transition happened, and after a callback what the event's flags make of it: a
/// persistent event is never called non-persistent, nor a one-shot event persistent.
fn transition_text(cause: &str, m: &Moved, lang: Lang) -> String {
    let mut s = cause_text(cause, m, lang);
    if m.from == State::Callback {
        s.push_str(after_callback(cause, m.to, m.what, lang));
    }
    s
}

/// What a callback's end means for the event, from its flags (None: its `event_new` was not
/// seen).
fn after_callback(cause: &str, to: State, what: Option<What>, lang: Lang) -> &'static str {
    let persistent = what.map(|w| w.contains(What::PERSIST));
    let zh = lang == Lang::Zh;
    match (cause, to, persistent, zh) {
        ("callback_returned", State::Pending, Some(true), false) => " (persistent: it waits again)",
        ("callback_returned", State::Pending, Some(true), true) => "（持久事件：继续等待）",
        ("callback_returned", State::Pending, Some(false), false) => {
            " (re-added during its callback: it waits again)"
        }
        ("callback_returned", State::Pending, Some(false), true) => {
            "（回调期间被重新添加：继续等待）"
        }
        ("callback_returned", State::Pending, None, false) => " (it waits again)",
        ("callback_returned", State::Pending, None, true) => "（继续等待）",
        ("callback_returned", State::NonPending, Some(false), false) => {
            " (not persistent: it waits no more until event_add)"
        }
        ("callback_returned", State::NonPending, Some(false), true) => {
            "（非持久事件：除非再次 event_add，不再等待）"
        }
        ("callback_returned", State::NonPending, Some(true), false) => {
            " (persistent, but not added: it waits no more until event_add)"
        }
        ("callback_returned", State::NonPending, Some(true), true) => {
            "（持久事件，但没有被添加：除非再次 event_add，不再等待）"
        }
        ("callback_returned", State::NonPending, None, false) => {
            " (it waits no more until event_add)"
        }
        ("callback_returned", State::NonPending, None, true) => "（除非再次 event_add，不再等待）",
        ("event_del", State::NonPending, Some(true), false) => {
            " (persistent, but deleted: it waits no more until event_add)"
        }
        ("event_del", State::NonPending, Some(true), true) => {
            "（持久事件，但已被删除：除非再次 event_add，不再等待）"
        }
        _ => "",
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
            "读到 EOF：对端关闭了它的发送方向",
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
    // In Chinese, EOF already says it was read: no "while reading" after it.
    let eof_read = zh && events.contains(BevEvents::EOF);
    let dir = match (
        events.contains(BevEvents::READING) && !eof_read,
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

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    /// Explains the transition `from → to` by `cause` of an event created with `what` (None:
    /// its `event_new` is not in the trace).
    fn said(what: Option<What>, from: State, to: State, cause: &str, lang: Lang) -> String {
        let mut ex = Explainer::new(lang);
        if let Some(what) = what {
            ex.learn(&Record {
                seq: 1,
                t_us: 0,
                base: 0,
                body: Body::EventNew {
                    ev: 0,
                    fd: Some(7),
                    what,
                    label: String::new(),
                },
            });
        }
        ex.explain(&Record {
            seq: 2,
            t_us: 1,
            base: 0,
            body: Body::Transition {
                ev: 0,
                fd: Some(7),
                from,
                to,
                cause: Cow::Owned(cause.to_string()),
            },
        })
    }

    const RP: What = What::from_bits_truncate(What::READ.bits() | What::PERSIST.bits());

    #[test]
    fn a_callback_s_end_follows_the_event_s_flags() {
        use State::{Callback, NonPending, Pending};
        let en = |w, to, c| said(w, Callback, to, c, Lang::En);
        let zh = |w, to, c| said(w, Callback, to, c, Lang::Zh);
        assert!(
            en(Some(RP), Pending, "callback_returned").ends_with("(persistent: it waits again)")
        );
        assert!(zh(Some(RP), Pending, "callback_returned").ends_with("（持久事件：继续等待）"));
        let one_shot = en(Some(What::READ), NonPending, "callback_returned");
        assert!(one_shot.contains("(not persistent"), "{one_shot}");
        assert!(zh(Some(What::READ), NonPending, "callback_returned").contains("非持久事件"));
        // A persistent event is never called otherwise, however it ended.
        for cause in ["callback_returned", "event_del", "bev_output_empty"] {
            let text = en(Some(RP), NonPending, cause);
            assert!(!text.contains("not persistent"), "{text}");
            let text = zh(Some(RP), NonPending, cause);
            assert!(!text.contains("非持久"), "{text}");
        }
        let deleted = en(Some(RP), NonPending, "event_del");
        assert!(
            deleted.contains("event_del was called during its callback (persistent, but deleted"),
            "{deleted}"
        );
        // Without its event_new, nothing is said about persistence.
        let unknown = en(None, NonPending, "callback_returned");
        assert!(!unknown.contains("persistent"), "{unknown}");
    }

    #[test]
    fn a_bufferevent_s_causes_name_who_did_it_and_which_event() {
        let wp = What::WRITE | What::PERSIST;
        let added = said(
            Some(wp),
            State::NonPending,
            State::Pending,
            "bev_output_added",
            Lang::En,
        );
        assert!(
            added.ends_with("the bufferevent added its write event: its output has bytes to send"),
            "{added}"
        );
        let zh = said(
            Some(wp),
            State::NonPending,
            State::Pending,
            "bev_output_added",
            Lang::Zh,
        );
        assert!(
            zh.ends_with("bufferevent 有数据要发送，添加了它的写事件"),
            "{zh}"
        );
        let eof = said(
            Some(RP),
            State::Callback,
            State::NonPending,
            "bev_eof",
            Lang::En,
        );
        assert!(
            eof.ends_with("end of file while reading: the bufferevent deleted its read event"),
            "{eof}"
        );
        let enable = said(
            Some(RP),
            State::New,
            State::Pending,
            "bufferevent_enable",
            Lang::Zh,
        );
        assert!(
            enable.ends_with("调用了 bufferevent_enable：bufferevent 添加了它的读事件"),
            "{enable}"
        );
        let unknown = said(
            Some(RP),
            State::Pending,
            State::Active,
            "something_new",
            Lang::En,
        );
        assert!(unknown.ends_with(": something_new"), "{unknown}");
    }
}
