//! The event loop of the dashboard: terminal input, the live feed, the play clock and shutdown
//! signals merged in one `select!`; each becomes a message for `update`, then the screen is
//! drawn again.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;

use super::feed::{Controls, Feed, LiveItem, Loaded, Loader};
use super::input::map_key;
use super::model::Session;
use super::msg::{Cmd, Msg};
use super::terminal::TerminalGuard;
use super::theme::Theme;
use super::ui::Ui;
use super::update::{update, TICK_MS};
use super::view::{self, Ctx};
use super::DashError;

/// Most live items folded between two frames.
const BATCH: usize = 4096;

/// Records arriving (live, or a big trace read in the background) redraw the screen at most
/// this often; keys redraw at once.
const FRAME: Duration = Duration::from_millis(16);

/// Runs the dashboard until the user quits or a signal asks to. However it ends, a live feed's
/// loop is released and runs on.
pub(crate) fn main_loop(
    mut session: Session,
    mut ui: Ui,
    theme: Theme,
    live: Option<Feed>,
    loader: Option<Loader>,
    rt: &tokio::runtime::Runtime,
) -> Result<(), DashError> {
    let release = live.as_ref().map(|f| f.controls.clone());
    let result = rt.block_on(async {
        let cancel = CancellationToken::new();
        watch_signals(cancel.clone())?;
        let guard = TerminalGuard::new()?;
        let sources = Sources { live, loader };
        let result = event_loop(&mut session, &mut ui, &theme, sources, guard, &cancel).await;
        cancel.cancel();
        result
    });
    if let Some(c) = release {
        c.release();
    }
    result
}

/// Where records come from besides the keys: a live feed, or the rest of a big trace.
struct Sources {
    live: Option<Feed>,
    loader: Option<Loader>,
}

async fn event_loop(
    session: &mut Session,
    ui: &mut Ui,
    theme: &Theme,
    sources: Sources,
    mut guard: TerminalGuard,
    cancel: &CancellationToken,
) -> Result<(), DashError> {
    let Sources { live, mut loader } = sources;
    let mut controls: Option<Controls> = live.as_ref().map(|f| f.controls.clone());
    let mut items = live;
    let mut keys = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(TICK_MS));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    // Records came in since the last frame, which was drawn at `last_draw`: the next frame
    // waits for its time, so a fast feed is folded in large batches and drawn 60 times a second.
    let mut records_in = false;
    let mut last_draw: Option<Instant> = None;
    let mut wait_draw = false;
    loop {
        if dirty {
            let due = last_draw.is_none_or(|t| t.elapsed() >= FRAME);
            if records_in && !due {
                wait_draw = true;
            } else {
                guard
                    .terminal
                    .draw(|f| view::draw(f, Ctx { session, ui, theme }))?;
                last_draw = Some(Instant::now());
                wait_draw = false;
            }
        }
        records_in = false;
        let next_frame = last_draw.map_or_else(Instant::now, |t| t + FRAME);
        let msgs = tokio::select! {
            _ = tokio::time::sleep_until(next_frame), if wait_draw => {
                dirty = true;
                continue;
            }
            _ = cancel.cancelled() => vec![Msg::Quit],
            ev = keys.next() => match ev {
                Some(Ok(Event::Key(k))) => map_key(k).into_iter().collect(),
                Some(Ok(Event::Resize(..))) => { dirty = true; continue; }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(DashError::Io(e)),
                None => vec![Msg::Quit],
            },
            _ = tick.tick() => {
                if !ui.playing {
                    // Waiting for a key: the next step back is made ready.
                    session.prepare_step_back();
                    dirty = false;
                    continue;
                }
                vec![Msg::Tick]
            }
            item = recv(&mut items) => {
                records_in = true;
                let mut batch = vec![Msg::Live(item.unwrap_or(LiveItem::Ended(None)))];
                while let Some(feed) = items.as_mut() {
                    if batch.len() >= BATCH { break; }
                    match feed.try_recv() {
                        Some(next) => batch.push(Msg::Live(next)),
                        None => break,
                    }
                }
                batch
            }
            loaded = load(&mut loader) => match loaded {
                Some(Loaded::Records(records)) => {
                    records_in = true;
                    vec![Msg::Loaded(records)]
                }
                Some(Loaded::End(e)) => {
                    loader = None;
                    vec![Msg::LoadEnded(e.map(|e| e.to_string()))]
                }
                None => {
                    loader = None;
                    vec![Msg::LoadEnded(None)]
                }
            },
        };
        let mut queue = VecDeque::from(msgs);
        while let Some(msg) = queue.pop_front() {
            if matches!(msg, Msg::Live(LiveItem::Ended(_))) {
                items = None;
            }
            for cmd in update(session, ui, msg) {
                let Cmd::Gate(c) = cmd;
                let Some(ctl) = controls.as_ref() else {
                    continue;
                };
                match ctl.send(&c) {
                    // The in-process gate answers at once.
                    Ok(Some(status)) => queue.push_front(Msg::Live(LiveItem::Status(status))),
                    Ok(None) => {}
                    Err(_) => {
                        controls = None;
                        ui.status = Some("the live link is gone".into());
                    }
                }
            }
        }
        dirty = true;
        if ui.quit {
            return Ok(());
        }
    }
}

/// The next live item; never resolves when there is no feed.
async fn recv(items: &mut Option<Feed>) -> Option<LiveItem> {
    match items {
        Some(feed) => feed.recv().await,
        None => std::future::pending().await,
    }
}

/// The next batch of a big trace; never resolves when there is none.
async fn load(loader: &mut Option<Loader>) -> Option<Loaded> {
    match loader {
        Some(l) => l.recv().await,
        None => std::future::pending().await,
    }
}

/// SIGTERM, SIGINT and SIGHUP cancel `token`, so the loop quits and the terminal is restored.
fn watch_signals(token: CancellationToken) -> std::io::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = hup.recv() => {}
            _ = token.cancelled() => return,
        }
        token.cancel();
    });
    Ok(())
}
