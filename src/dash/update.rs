//! The one place the session and the view state change.

use super::feed::LiveItem;
use super::model::{id_text, Lang, Session};
use super::msg::{Cmd, Msg};
use super::quiz::Stage;
use super::ui::{Focus, Mode, Ui, SPEEDS};
use super::view::events::state_name;
use crate::trace::{escape_text, Body, Control, Status};

/// The play clock's period.
pub const TICK_MS: u64 = 50;

/// Applies `msg`; returns what must be sent to the observed loop.
pub fn update(s: &mut Session, ui: &mut Ui, msg: Msg) -> Vec<Cmd> {
    if ui.quiz.is_some() && quiz_key(s, ui, &msg) {
        return Vec::new();
    }
    let out = update_view(s, ui, msg);
    if let Some(quiz) = ui.quiz.as_mut() {
        if quiz.arrive(s.pos()) {
            ui.playing = false;
        }
    }
    out
}

/// Quiz mode: a question shown takes the keys that would move the cursor, an answer shown
/// takes any key to play on. True when `msg` was taken.
fn quiz_key(s: &Session, ui: &mut Ui, msg: &Msg) -> bool {
    let Some(quiz) = ui.quiz.as_mut() else {
        return false;
    };
    match (&quiz.stage, msg) {
        (
            _,
            Msg::Quit | Msg::Lang | Msg::Tick | Msg::Live(_) | Msg::Loaded(_) | Msg::LoadEnded(_),
        ) => false,
        (Stage::Asking(_), Msg::Answer(c)) => {
            if let Some(right) = quiz.answer(*c) {
                ui.status = Some(
                    match (right, ui.lang) {
                        (true, Lang::En) => "right",
                        (true, Lang::Zh) => "答对了",
                        (false, Lang::En) => "wrong",
                        (false, Lang::Zh) => "答错了",
                    }
                    .into(),
                );
            }
            true
        }
        (
            Stage::Asking(_),
            Msg::Up
            | Msg::Down
            | Msg::NextPanel
            | Msg::PrevPanel
            | Msg::Enter
            | Msg::Close
            | Msg::Help,
        ) => false,
        (Stage::Asking(_), _) => true,
        (Stage::Answered { .. }, _) => {
            quiz.resume();
            ui.status = None;
            ui.playing = !s.at_end();
            ui.carry = 0;
            true
        }
        (Stage::Playing, Msg::Answer(_)) => true,
        (Stage::Playing, _) => false,
    }
}

fn update_view(s: &mut Session, ui: &mut Ui, msg: Msg) -> Vec<Cmd> {
    let mut out = Vec::new();
    match msg {
        Msg::Answer(_) => {}
        Msg::Quit => {
            ui.quit = true;
            if ui.mode == Mode::Live && ui.ended.is_none() {
                // Never leave the observed program held.
                for ev in std::mem::take(&mut ui.breakpoints) {
                    out.push(Cmd::Gate(Control::Unbreak { ev }));
                }
                out.push(Cmd::Gate(Control::Continue));
            }
        }
        Msg::Help => ui.help = !ui.help,
        Msg::Close => {
            ui.help = false;
            ui.history = None;
        }
        Msg::Lang => {
            ui.lang = match ui.lang {
                Lang::En => Lang::Zh,
                Lang::Zh => Lang::En,
            }
        }
        Msg::NextBase => {
            if s.next_base() {
                ui.selected = 0;
                ui.selected_bev = 0;
                ui.scroll = 0;
                ui.history = None;
            }
            let (i, base) = s.shown_base();
            ui.status = Some(match (s.bases(), ui.lang) {
                (1, Lang::En) => "this program has one event_base".to_string(),
                (1, Lang::Zh) => "该程序只有一个 event_base".to_string(),
                (n, Lang::En) => format!("showing event_base {} ({} of {n})", base.id, i + 1),
                (n, Lang::Zh) => format!(
                    "显示 event_base {}（共 {n} 个中的第 {} 个）",
                    base.id,
                    i + 1
                ),
            });
        }
        Msg::NextPanel => ui.focus = ui.focus.next(),
        Msg::PrevPanel => ui.focus = ui.focus.prev(),
        Msg::Up => match ui.focus {
            Focus::Events => ui.selected = ui.selected.saturating_sub(1),
            Focus::Buffers => ui.selected_bev = ui.selected_bev.saturating_sub(1),
            Focus::Timeline => ui.scroll = (ui.scroll + 1).min(s.pos().saturating_sub(1)),
        },
        Msg::Down => match ui.focus {
            Focus::Events => {
                let n = s.snapshot().events.len();
                ui.selected = (ui.selected + 1).min(n.saturating_sub(1));
            }
            Focus::Buffers => {
                let n = s.snapshot().bevs.len();
                ui.selected_bev = (ui.selected_bev + 1).min(n.saturating_sub(1));
            }
            Focus::Timeline => ui.scroll = ui.scroll.saturating_sub(1),
        },
        Msg::Enter => {
            if ui.history.is_some() {
                ui.history = None;
            } else {
                ui.history = selected_event(s, ui);
            }
        }
        Msg::Breakpoint => {
            if let Some(ev) = selected_event(s, ui) {
                let on = ui.breakpoints.insert(ev);
                if !on {
                    ui.breakpoints.remove(&ev);
                }
                ui.status = Some(match ui.lang {
                    Lang::En => format!(
                        "breakpoint {} on event {}",
                        if on { "set" } else { "cleared" },
                        id_text(ev)
                    ),
                    Lang::Zh => format!(
                        "{}事件 {} 的断点",
                        if on { "设置了" } else { "清除了" },
                        id_text(ev)
                    ),
                });
                if ui.mode == Mode::Live {
                    out.push(Cmd::Gate(if on {
                        Control::Break { ev }
                    } else {
                        Control::Unbreak { ev }
                    }));
                }
            }
        }
        Msg::Faster => ui.speed = (ui.speed + 1).min(SPEEDS.len() - 1),
        Msg::Slower => ui.speed = ui.speed.saturating_sub(1),
        Msg::Home => {
            ui.playing = false;
            ui.follow = false;
            move_to(s, ui, 0);
        }
        Msg::End => {
            ui.playing = false;
            ui.follow = true;
            move_to(s, ui, s.timeline().len());
        }
        Msg::Back => {
            ui.playing = false;
            ui.follow = false;
            move_to(s, ui, s.pos().saturating_sub(1));
        }
        Msg::Forward => forward(s, ui, &mut out),
        Msg::NextIteration => next_iteration(s, ui, &mut out),
        Msg::PlayPause => play_pause(s, ui, &mut out),
        Msg::Tick => {
            if ui.mode == Mode::Replay && ui.playing {
                play_tick(s, ui);
            }
        }
        Msg::Live(item) => live_item(s, ui, item),
        Msg::Loaded(records) => {
            ui.indexing = Some(ui.indexing.unwrap_or(0) + records.len());
            for r in records {
                s.push(r, false);
            }
        }
        Msg::LoadEnded(why) => {
            ui.indexing = None;
            if let Some(why) = why {
                ui.status = Some(escape_text(&why).into_owned());
            }
        }
    }
    out
}

/// The id of the selected event of the table (rows as [`crate::dash::model::Snapshot::events_listed`]).
pub fn selected_event(s: &Session, ui: &Ui) -> Option<u64> {
    let snap = s.snapshot();
    let i = ui.selected.min(snap.events.len().checked_sub(1)?);
    snap.events_listed().nth(i).map(|e| e.id)
}

fn move_to(s: &mut Session, ui: &mut Ui, pos: usize) {
    s.seek(pos);
    ui.scroll = 0;
}

fn forward(s: &mut Session, ui: &mut Ui, out: &mut Vec<Cmd>) {
    ui.playing = false;
    if !s.at_end() {
        move_to(s, ui, s.pos() + 1);
        if ui.mode == Mode::Live && s.at_end() {
            ui.follow = true;
        }
        return;
    }
    if ui.mode == Mode::Live && ui.ended.is_none() {
        ui.follow = true;
        if ui.held {
            ui.stepped = true;
            out.push(Cmd::Gate(Control::Step { n: 1 }));
        } else {
            ui.held = true;
            out.push(Cmd::Gate(Control::Pause));
        }
    }
}

fn next_iteration(s: &mut Session, ui: &mut Ui, out: &mut Vec<Cmd>) {
    ui.playing = false;
    match s.timeline().next_iteration(s.pos()) {
        Some(pos) => move_to(s, ui, pos),
        None if ui.mode == Mode::Live && ui.ended.is_none() => {
            move_to(s, ui, s.timeline().len());
            ui.follow = true;
            ui.held = true;
            ui.stepped = true;
            out.push(Cmd::Gate(Control::NextIteration));
        }
        None => move_to(s, ui, s.timeline().len()),
    }
}

fn play_pause(s: &mut Session, ui: &mut Ui, out: &mut Vec<Cmd>) {
    match ui.mode {
        Mode::Replay => {
            ui.playing = !ui.playing;
            if ui.playing && s.at_end() {
                move_to(s, ui, 0);
            }
            ui.carry = 0;
        }
        Mode::Live => {
            if ui.ended.is_some() {
                return;
            }
            ui.follow = true;
            move_to(s, ui, s.timeline().len());
            if ui.held {
                ui.held = false;
                ui.stepped = false;
                out.push(Cmd::Gate(Control::Continue));
            } else {
                ui.held = true;
                out.push(Cmd::Gate(Control::Pause));
            }
        }
    }
}

/// Advances playback by one tick's worth of records, stopping at a breakpoint or the end.
fn play_tick(s: &mut Session, ui: &mut Ui) {
    ui.carry += u64::from(ui.speed_rps()) * TICK_MS;
    let n = (ui.carry / 1000) as usize;
    ui.carry %= 1000;
    let start = s.pos();
    let end = (start + n).min(s.timeline().len());
    let mut stop = end;
    if !ui.breakpoints.is_empty() {
        for (i, r) in s.timeline().range(start..end).enumerate() {
            if let Body::Transition { ev, to, .. } = &r.body {
                if ui.breakpoints.contains(ev) {
                    stop = start + i + 1;
                    ui.playing = false;
                    ui.status = Some(became(ui.lang, *ev, *to));
                    break;
                }
            }
        }
    }
    if let Some(p) = ui.quiz.as_ref().and_then(|q| q.next_pos()) {
        // Quiz: stop just before the record that answers the next question.
        if (start..=stop).contains(&p) {
            stop = p;
        }
    }
    move_to(s, ui, stop);
    if s.at_end() {
        ui.playing = false;
    }
}

fn live_item(s: &mut Session, ui: &mut Ui, item: LiveItem) {
    match item {
        LiveItem::Header(h) => s.set_header(h),
        LiveItem::Record(r) => {
            if let Body::Transition { ev, to, .. } = &r.body {
                if ui.breakpoints.contains(ev) {
                    ui.status = Some(became(ui.lang, *ev, *to));
                }
            }
            let skip = matches!(r.body, Body::Dropped { .. }).then_some(r.base);
            s.push(r, ui.follow);
            if let Some(base) = skip {
                // The viewer fell behind and the program ran on: what came before does not
                // join up with what follows, so step-back history starts here.
                s.start_at_skip(base);
            }
        }
        LiveItem::Status(Status::Paused { reason, ev }) => {
            ui.held = true;
            let zh = ui.lang == Lang::Zh;
            match (reason.as_str(), ev) {
                ("breakpoint", Some(ev)) => {
                    let tl = s.timeline();
                    let last = tl.len().checked_sub(1).and_then(|i| tl.record(i));
                    ui.status = Some(match last.as_deref().map(|r| &r.body) {
                        Some(Body::Transition { ev: e, to, .. }) if *e == ev => {
                            if zh {
                                format!(
                                    "停在断点：事件 {} 变为 {}",
                                    id_text(ev),
                                    state_name(*to, Lang::Zh)
                                )
                            } else {
                                format!("paused at a breakpoint: event {} became {to}", id_text(ev))
                            }
                        }
                        _ if zh => format!("停在事件 {} 的断点", id_text(ev)),
                        _ => format!("paused at a breakpoint on event {}", id_text(ev)),
                    });
                }
                ("next_iteration", _) => {
                    let n = s.timeline().last().iteration;
                    ui.status = Some(if zh {
                        format!("已暂停：事件循环第 {n} 轮开始")
                    } else {
                        format!("paused: loop iteration {n} begins")
                    });
                }
                _ => {}
            }
        }
        LiveItem::Status(Status::Running) => {
            ui.held = false;
            ui.stepped = false;
        }
        LiveItem::Status(Status::Error { message }) => {
            ui.status = Some(match ui.lang {
                Lang::En => format!("the program says: {}", escape_text(&message)),
                Lang::Zh => format!("程序报告：{}", escape_text(&message)),
            });
        }
        LiveItem::Ended(why) => {
            ui.held = false;
            ui.ended = Some(why.map_or_else(
                || match ui.lang {
                    Lang::En => "the program ended".into(),
                    Lang::Zh => "程序已结束".into(),
                },
                |why| escape_text(&why).into_owned(),
            ));
        }
    }
}

/// The footer's word for a breakpoint's transition, in `lang`.
fn became(lang: Lang, ev: u64, to: crate::ev::State) -> String {
    match lang {
        Lang::En => format!("breakpoint: event {} became {to}", id_text(ev)),
        Lang::Zh => format!(
            "断点：事件 {} 变为 {}",
            id_text(ev),
            state_name(to, Lang::Zh)
        ),
    }
}
