//! The event loop of the dashboard: terminal input, the live feed, the play clock and shutdown
//! signals merged in one `select!`; each becomes a message for `update`, then the screen is
//! drawn again.

use std::time::Duration;

use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::feed::{Gate, LiveItem};
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

/// Runs the dashboard until the user quits or a signal asks to.
pub(crate) fn run(
    mut session: Session,
    mut ui: Ui,
    theme: Theme,
    live: Option<(mpsc::Receiver<LiveItem>, Box<dyn Gate>)>,
    rt: &tokio::runtime::Runtime,
) -> Result<(), DashError> {
    rt.block_on(async move {
        let cancel = CancellationToken::new();
        watch_signals(cancel.clone())?;
        let mut guard = TerminalGuard::new()?;
        let (mut items, mut gate) = match live {
            Some((rx, gate)) => (Some(rx), Some(gate)),
            None => (None, None),
        };
        let mut keys = EventStream::new();
        let mut tick = tokio::time::interval(Duration::from_millis(TICK_MS));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut dirty = true;
        loop {
            if dirty {
                guard.terminal.draw(|f| {
                    view::draw(
                        f,
                        Ctx {
                            session: &session,
                            ui: &ui,
                            theme: &theme,
                        },
                    )
                })?;
            }
            let msgs = tokio::select! {
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
                        dirty = false;
                        continue;
                    }
                    vec![Msg::Tick]
                }
                item = recv(&mut items) => {
                    let mut batch = Vec::new();
                    match item {
                        Some(first) => batch.push(Msg::Live(first)),
                        None => {
                            items = None;
                            batch.push(Msg::Live(LiveItem::Ended(None)));
                        }
                    }
                    while let Some(rx) = items.as_mut() {
                        if batch.len() >= BATCH { break; }
                        match rx.try_recv() {
                            Ok(next) => batch.push(Msg::Live(next)),
                            Err(_) => break,
                        }
                    }
                    batch
                }
            };
            for msg in msgs {
                let ended = matches!(msg, Msg::Live(LiveItem::Ended(_)));
                for cmd in update(&mut session, &mut ui, msg) {
                    let Cmd::Gate(c) = cmd;
                    if let Some(g) = gate.as_mut() {
                        if g.send(c).is_err() {
                            gate = None;
                            ui.status = Some("the live link is gone".into());
                        }
                    }
                }
                if ended {
                    items = None;
                }
            }
            dirty = true;
            if ui.quit {
                break;
            }
        }
        cancel.cancel();
        drop(gate);
        drop(guard);
        Ok(())
    })
}

/// The next live item; never resolves when there is no feed.
async fn recv(items: &mut Option<mpsc::Receiver<LiveItem>>) -> Option<LiveItem> {
    match items {
        Some(rx) => rx.recv().await,
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
