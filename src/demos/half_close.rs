//! Full duplex and half-close on a real TCP connection. Both sides send lines at once; then
//! the client shuts down its sending direction (`bufferevent_shutdown_write`, after its write
//! buffer drains). The server reads end of file, yet goes on sending, and the client goes on
//! reading. When the server is done it closes too; the client reads end of file, and a new
//! round starts.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::os::fd::{IntoRawFd, OwnedFd};
use std::rc::Rc;
use std::time::Duration;

use super::expect::Expect;
use super::{Demo, DemoOptions};
use crate::ev::{
    self, BevEvents, BevId, BevOptions, EventBase, EventId, ListenerFlags, ListenerId, What,
};

pub(super) const DEMO: Demo = Demo {
    name: "half-close",
    lesson: "16 full duplex and half-close",
    summary:
        "both sides send; the client shuts down writing, the server reads EOF and keeps sending",
    setup,
};

/// Lines the client sends before it half-closes.
const CLIENT_LINES: u32 = 3;
/// Lines the server sends in all (it goes on until it has seen the client's end of file).
const SERVER_LINES: u32 = 6;

#[derive(Clone, Copy, PartialEq)]
enum Who {
    Client,
    Server,
}

impl Who {
    fn name(self) -> &'static str {
        match self {
            Who::Client => "client",
            Who::Server => "server",
        }
    }
}

/// One side of the connection.
#[derive(Default)]
struct Side {
    bev: Option<BevId>,
    timer: Option<EventId>,
    sent: u32,
    /// What this side should receive: what the other side sent.
    expect: Expect,
    partial: Vec<u8>,
    lines_in: u32,
    /// This side has read end of file.
    eof: bool,
}

#[derive(Default)]
struct Round {
    n: u32,
    client: Side,
    server: Side,
}

impl Round {
    fn side(&mut self, who: Who) -> &mut Side {
        match who {
            Who::Client => &mut self.client,
            Who::Server => &mut self.server,
        }
    }
}

type Shared = Rc<RefCell<Round>>;

/// Demo timing, in real time at the chosen speed.
#[derive(Clone, Copy)]
struct Pace {
    every: Duration,
    between_rounds: Duration,
    addr: SocketAddr,
}

fn setup(base: &mut EventBase, opts: &DemoOptions) -> ev::Result<()> {
    let round: Shared = Rc::default();
    let r = round.clone();
    let every = opts.pace(1000);
    let lev = base.evconnlistener_new_bind(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        ListenerFlags::CLOSE_ON_FREE | ListenerFlags::REUSEABLE,
        -1,
        move |base: &mut EventBase, _lev: ListenerId, sock: OwnedFd, _peer| {
            on_accept(base, sock, &r, every)
        },
    )?;
    let pace = Pace {
        every,
        between_rounds: opts.pace(2500),
        addr: base.evconnlistener_local_addr(lev)?,
    };
    base.note(&format!(
        "the server listens on {}; each round the client connects to it",
        pace.addr
    ));
    start_round(base, &round, pace)
}

/// A new connection: the client connects; the listener hands the server its side.
fn start_round(base: &mut EventBase, round: &Shared, pace: Pace) -> ev::Result<()> {
    let (n, leftovers) = {
        let mut r = round.borrow_mut();
        let old = std::mem::take(&mut *r);
        r.n = old.n + 1;
        (r.n, [old.client, old.server])
    };
    // After a failed round, what is left of it goes before the next begins.
    for side in leftovers {
        if let Some(timer) = side.timer {
            let _ = base.free(timer);
        }
        if let Some(bev) = side.bev {
            let _ = base.bufferevent_free(bev);
        }
    }
    let bev = base.bufferevent_socket_new(None, BevOptions::CLOSE_ON_FREE)?;
    round.borrow_mut().client.bev = Some(bev);
    let (rd, ev) = (round.clone(), round.clone());
    base.bufferevent_setcb(
        bev,
        Some(Box::new(move |base: &mut EventBase, bev: BevId| {
            on_read(base, bev, Who::Client, &rd)
        })),
        None,
        Some(Box::new(
            move |base: &mut EventBase, bev: BevId, events: BevEvents| {
                client_event(base, bev, events, &ev, pace)
            },
        )),
    )?;
    base.bufferevent_enable(bev, What::READ)?;
    base.note(&format!(
        "round {n}: the client ({bev}) connects; both sides will send lines at the same time: full duplex"
    ));
    base.bufferevent_socket_connect(bev, pace.addr)
}

/// The server's side of the round's connection.
fn on_accept(base: &mut EventBase, sock: OwnedFd, round: &Shared, every: Duration) {
    let bev = match base.bufferevent_socket_new(sock.into_raw_fd(), BevOptions::CLOSE_ON_FREE) {
        Ok(bev) => bev,
        Err(e) => {
            base.note(&format!("server: bufferevent_socket_new failed: {e}"));
            return;
        }
    };
    round.borrow_mut().server.bev = Some(bev);
    let (rd, ev, tm) = (round.clone(), round.clone(), round.clone());
    let started = base
        .bufferevent_setcb(
            bev,
            Some(Box::new(move |base: &mut EventBase, bev: BevId| {
                on_read(base, bev, Who::Server, &rd)
            })),
            None,
            Some(Box::new(
                move |base: &mut EventBase, bev: BevId, events: BevEvents| {
                    server_event(base, bev, events, &ev)
                },
            )),
        )
        .and_then(|()| base.bufferevent_enable(bev, What::READ))
        .and_then(|()| {
            base.event_new_labeled(
                None,
                What::PERSIST,
                "server sends (timer)",
                move |base, _, _| server_tick(base, &tm),
            )
        })
        .and_then(|timer| {
            round.borrow_mut().server.timer = Some(timer);
            base.add(timer, Some(every))
        });
    match started {
        Ok(()) => base.note(&format!("server: accepted the client as {bev}")),
        Err(e) => base.note(&format!("server: cannot serve the client: {e}")),
    }
}

/// Writes line `k` of `who` and tells the other side to expect it. The line waits in the write
/// buffer; the bufferevent's write event sends it.
fn send(base: &mut EventBase, round: &Shared, who: Who) -> Option<(u32, BevId)> {
    let mut r = round.borrow_mut();
    let bev = r.side(who).bev?;
    let k = r.side(who).sent + 1;
    let line = match who {
        Who::Client => format!("client → server #{k}\n"),
        Who::Server => format!("server → client #{k}\n"),
    };
    if let Err(e) = base.bufferevent_write(bev, line.as_bytes()) {
        base.note(&format!("{}: bufferevent_write failed: {e}", who.name()));
        return None;
    }
    r.side(who).sent = k;
    let other = match who {
        Who::Client => Who::Server,
        Who::Server => Who::Client,
    };
    r.side(other).expect.sent(line.as_bytes());
    Some((k, bev))
}

/// The client's timer: a line, and after the last one the half-close.
fn client_tick(base: &mut EventBase, round: &Shared) {
    let Some((k, bev)) = send(base, round, Who::Client) else {
        return;
    };
    base.note(&format!(
        "client sends line {k}: {bev} write goes pending → active → callback → non-pending"
    ));
    if k < CLIENT_LINES {
        return;
    }
    let (bev, timer) = {
        let mut r = round.borrow_mut();
        (r.client.bev, r.client.timer.take())
    };
    if let Some(timer) = timer {
        let _ = base.free(timer);
    }
    if let Some(bev) = bev {
        base.note(&format!(
            "client: that was its last line: bufferevent_shutdown_write({bev}) — its sending direction closes once the write buffer drains; it goes on reading"
        ));
        if let Err(e) = base.bufferevent_shutdown_write(bev) {
            base.note(&format!("client: bufferevent_shutdown_write failed: {e}"));
        }
    }
}

/// The server's timer: a line; once it has sent its share and seen the client's end of file,
/// it closes after its write buffer drains.
fn server_tick(base: &mut EventBase, round: &Shared) {
    let Some((k, bev)) = send(base, round, Who::Server) else {
        return;
    };
    let eof = round.borrow().server.eof;
    if eof {
        base.note(&format!(
            "server sends line {k}: the client's direction is closed, this one is still open ({bev} write goes pending → active → callback → non-pending)"
        ));
    } else {
        base.note(&format!(
            "server sends line {k}: {bev} write goes pending → active → callback → non-pending"
        ));
    }
    if !(eof && k >= SERVER_LINES) {
        return;
    }
    let (bev, timer) = {
        let mut r = round.borrow_mut();
        (r.server.bev.take(), r.server.timer.take())
    };
    if let Some(timer) = timer {
        let _ = base.free(timer);
    }
    if let Some(bev) = bev {
        base.note(&format!(
            "server: done too: bufferevent_close_after_flush({bev}) sends what is left, then closes; the client will read end of file"
        ));
        if let Err(e) = base.bufferevent_close_after_flush(bev) {
            base.note(&format!(
                "server: bufferevent_close_after_flush failed: {e}"
            ));
        }
    }
}

/// Either side's read callback: check each line against what the other side sent.
fn on_read(base: &mut EventBase, bev: BevId, who: Who, round: &Shared) {
    let mut buf = [0u8; 1024];
    let mut lines = Vec::new();
    loop {
        let n = match base.bufferevent_read(bev, &mut buf) {
            Ok(n) if n > 0 => n,
            _ => break,
        };
        let mut r = round.borrow_mut();
        let side = r.side(who);
        if let Err(e) = side.expect.received(&buf[..n]) {
            drop(r);
            base.note(&format!(
                "error: {}: what arrived is not what was sent: {e}",
                who.name()
            ));
            return;
        }
        side.partial.extend_from_slice(&buf[..n]);
        while let Some(end) = side.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = side.partial.drain(..=end).collect();
            side.lines_in += 1;
            lines.push(String::from_utf8_lossy(&line).trim_end().to_string());
        }
    }
    let shut = who == Who::Client && round.borrow().client.sent >= CLIENT_LINES;
    for line in lines {
        if shut {
            base.note(&format!(
                "client reads {line:?}: it shut down its own sending, yet this direction still delivers"
            ));
        } else {
            base.note(&format!("{} reads {line:?}", who.name()));
        }
    }
}

/// The server's event callback: the client's end of file (or an error).
fn server_event(base: &mut EventBase, bev: BevId, events: BevEvents, round: &Shared) {
    if events.contains(BevEvents::EOF) {
        let missing = {
            let mut r = round.borrow_mut();
            r.server.eof = true;
            r.server.expect.outstanding()
        };
        if missing > 0 {
            base.note(&format!(
                "error: server: end of file with {missing} B from the client missing"
            ));
        }
        base.note(&format!(
            "server: {events} — the client will send nothing more, so {bev}'s read event stops; the other direction is still open, and the server keeps sending"
        ));
        return;
    }
    base.note(&format!(
        "server: {events} on {bev}; it gives up this round"
    ));
    let (bev, timer) = {
        let mut r = round.borrow_mut();
        (r.server.bev.take(), r.server.timer.take())
    };
    if let Some(timer) = timer {
        let _ = base.free(timer);
    }
    if let Some(bev) = bev {
        let _ = base.bufferevent_free(bev);
    }
}

/// The client's event callback: connected; at the end, the server's end of file.
fn client_event(base: &mut EventBase, bev: BevId, events: BevEvents, round: &Shared, pace: Pace) {
    if events.contains(BevEvents::CONNECTED) {
        base.note("client: connected (CONNECTED)");
        // The client's lines go out between the server's.
        let tm = round.clone();
        let started = base
            .event_new_labeled(
                None,
                What::PERSIST,
                "client sends (timer)",
                move |base, _, _| client_tick(base, &tm),
            )
            .and_then(|timer| {
                round.borrow_mut().client.timer = Some(timer);
                let first = pace.every / 2;
                base.once(None, What::TIMEOUT, Some(first), move |base, _| {
                    let _ = base.add(timer, Some(pace.every));
                })
            });
        if let Err(e) = started {
            base.note(&format!("client: cannot start its timer: {e}"));
        }
        return;
    }
    let (timer, n, sent, received, missing) = {
        let mut r = round.borrow_mut();
        r.client.eof = true;
        r.client.bev = None;
        (
            r.client.timer.take(),
            r.n,
            r.client.sent,
            r.client.lines_in,
            r.client.expect.outstanding(),
        )
    };
    let err = match base.bufferevent_get_error(bev) {
        Ok(Some(e)) => e.to_string(),
        _ => "the connection failed".to_string(),
    };
    if let Some(timer) = timer {
        let _ = base.free(timer);
    }
    let _ = base.bufferevent_free(bev);
    if events.contains(BevEvents::EOF) && missing == 0 {
        base.note(&format!(
            "client: {events} — the server has finished too, both directions are closed; bufferevent_free({bev})"
        ));
        base.note(&format!(
            "round {n}: the client sent {sent} lines and half-closed; it still received all {received} of the server's lines; no byte lost"
        ));
    } else if events.contains(BevEvents::EOF) {
        base.note(&format!(
            "error: client: end of file with {missing} B from the server missing"
        ));
    } else {
        base.note(&format!("client: {events} ({err}); this round ends"));
    }
    let next = round.clone();
    let scheduled = base.once(
        None,
        What::TIMEOUT,
        Some(pace.between_rounds),
        move |base, _| {
            if let Err(e) = start_round(base, &next, pace) {
                base.note(&format!("cannot start the next round: {e}"));
            }
        },
    );
    if let Err(e) = scheduled {
        base.note(&format!("cannot schedule the next round: {e}"));
    }
}
