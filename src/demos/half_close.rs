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
    summary_zh: "双方同时发送；客户端关闭写方向，服务器读到 EOF 后继续发送",
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
    note!(
        base,
        "the server listens on {addr}; each round the client connects to it",
        "服务器在 {addr} 监听；每一轮客户端都连接它",
        addr = pace.addr
    );
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
            let _ = base.event_free(timer);
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
    note!(
        base,
        "round {n}: the client ({bev}) connects; both sides will send lines at the same time: full duplex",
        "第 {n} 轮：客户端（{bev}）发起连接；双方会同时发送数据行：全双工"
    );
    base.bufferevent_socket_connect(bev, pace.addr)
}

/// The server's side of the round's connection.
fn on_accept(base: &mut EventBase, sock: OwnedFd, round: &Shared, every: Duration) {
    let bev = match base.bufferevent_socket_new(sock.into_raw_fd(), BevOptions::CLOSE_ON_FREE) {
        Ok(bev) => bev,
        Err(e) => {
            note!(
                base,
                "server: bufferevent_socket_new failed: {e}",
                "服务器：bufferevent_socket_new 失败：{e}"
            );
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
            base.labeled("server sends (timer)").event_new(
                None,
                What::PERSIST,
                move |base, _, _| server_tick(base, &tm),
            )
        })
        .and_then(|timer| {
            round.borrow_mut().server.timer = Some(timer);
            base.event_add(timer, Some(every))
        });
    match started {
        Ok(()) => note!(
            base,
            "server: accepted the client as {bev}",
            "服务器：接受了客户端，它这一端是 {bev}"
        ),
        Err(e) => note!(
            base,
            "server: cannot serve the client: {e}",
            "服务器：无法为客户端服务：{e}"
        ),
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
        note!(
            base,
            "{who}: bufferevent_write failed: {e}",
            "{who}：bufferevent_write 失败：{e}",
            who = who.name()
        );
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
    note!(
        base,
        "client sends line {k}: {bev} write goes pending → active → callback → non-pending",
        "客户端发送第 {k} 行：{bev} write 经历 未决 → 激活 → 回调执行中 → 非未决"
    );
    if k < CLIENT_LINES {
        return;
    }
    let (bev, timer) = {
        let mut r = round.borrow_mut();
        (r.client.bev, r.client.timer.take())
    };
    if let Some(timer) = timer {
        let _ = base.event_free(timer);
    }
    if let Some(bev) = bev {
        note!(
            base,
            "client: that was its last line: bufferevent_shutdown_write({bev}) — its sending direction closes once the write buffer drains; it goes on reading",
            "客户端：这是它的最后一行：bufferevent_shutdown_write({bev})——输出缓冲区发完后，它的发送方向就关闭；它继续读"
        );
        if let Err(e) = base.bufferevent_shutdown_write(bev) {
            note!(
                base,
                "client: bufferevent_shutdown_write failed: {e}",
                "客户端：bufferevent_shutdown_write 失败：{e}"
            );
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
        note!(
            base,
            "server sends line {k}: the client's direction is closed, this one is still open ({bev} write goes pending → active → callback → non-pending)",
            "服务器发送第 {k} 行：客户端的发送方向已关闭，这个方向仍然开着（{bev} write 经历 未决 → 激活 → 回调执行中 → 非未决）"
        );
    } else {
        note!(
            base,
            "server sends line {k}: {bev} write goes pending → active → callback → non-pending",
            "服务器发送第 {k} 行：{bev} write 经历 未决 → 激活 → 回调执行中 → 非未决"
        );
    }
    if !(eof && k >= SERVER_LINES) {
        return;
    }
    let (bev, timer) = {
        let mut r = round.borrow_mut();
        (r.server.bev.take(), r.server.timer.take())
    };
    if let Some(timer) = timer {
        let _ = base.event_free(timer);
    }
    if let Some(bev) = bev {
        note!(
            base,
            "server: done too: bufferevent_close_after_flush({bev}) sends what is left, then closes; the client will read end of file",
            "服务器：也发完了：bufferevent_close_after_flush({bev}) 先把剩下的发出去再关闭；客户端将读到 EOF"
        );
        if let Err(e) = base.bufferevent_close_after_flush(bev) {
            note!(
                base,
                "server: bufferevent_close_after_flush failed: {e}",
                "服务器：bufferevent_close_after_flush 失败：{e}"
            );
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
            note!(
                base,
                "error: {who}: what arrived is not what was sent: {e}",
                "错误：{who}：收到的和发出的不一样：{e}",
                who = who.name()
            );
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
            note!(
                base,
                "client reads {line:?}: it shut down its own sending, yet this direction still delivers",
                "客户端读到 {line:?}：它已关闭自己的发送方向，这个方向却仍在传送数据"
            );
        } else {
            note!(
                base,
                "{who} reads {line:?}",
                "{who}读到 {line:?}",
                who = who.name()
            );
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
            note!(
                base,
                "error: server: end of file with {missing} B from the client missing",
                "错误：服务器：读到 EOF，但客户端还有 {missing} 字节没有到"
            );
        }
        note!(
            base,
            "server: {events} — the client will send nothing more, so {bev}'s read event stops; the other direction is still open, and the server keeps sending",
            "服务器：{events}——读到 EOF：客户端关闭了它的发送方向，不会再发数据，所以 {bev} 的读事件停止；另一个方向仍然开着，服务器继续发送"
        );
        return;
    }
    note!(
        base,
        "server: {events} on {bev}; it gives up this round",
        "服务器：{bev} 收到 {events}；放弃这一轮"
    );
    let (bev, timer) = {
        let mut r = round.borrow_mut();
        (r.server.bev.take(), r.server.timer.take())
    };
    if let Some(timer) = timer {
        let _ = base.event_free(timer);
    }
    if let Some(bev) = bev {
        let _ = base.bufferevent_free(bev);
    }
}

/// The client's event callback: connected; at the end, the server's end of file.
fn client_event(base: &mut EventBase, bev: BevId, events: BevEvents, round: &Shared, pace: Pace) {
    if events.contains(BevEvents::CONNECTED) {
        note!(
            base,
            "client: connected (CONNECTED)",
            "客户端：已连接（CONNECTED）"
        );
        // The client's lines go out between the server's.
        let tm = round.clone();
        let started = base
            .labeled("client sends (timer)")
            .event_new(None, What::PERSIST, move |base, _, _| {
                client_tick(base, &tm)
            })
            .and_then(|timer| {
                round.borrow_mut().client.timer = Some(timer);
                let first = pace.every / 2;
                base.once(None, What::TIMEOUT, Some(first), move |base, _| {
                    let _ = base.event_add(timer, Some(pace.every));
                })
            });
        if let Err(e) = started {
            note!(
                base,
                "client: cannot start its timer: {e}",
                "客户端：无法启动它的定时器：{e}"
            );
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
        let _ = base.event_free(timer);
    }
    let _ = base.bufferevent_free(bev);
    if events.contains(BevEvents::EOF) && missing == 0 {
        note!(
            base,
            "client: {events} — the server has finished too, both directions are closed; bufferevent_free({bev})",
            "客户端：{events}——读到 EOF：服务器也发完了，两个方向都已关闭；bufferevent_free({bev})"
        );
        note!(
            base,
            "round {n}: the client sent {sent} lines and half-closed; it still received all {received} of the server's lines; no byte lost",
            "第 {n} 轮：客户端发了 {sent} 行就半关闭，仍然收到了服务器的全部 {received} 行；一个字节也没丢"
        );
    } else if events.contains(BevEvents::EOF) {
        note!(
            base,
            "error: client: end of file with {missing} B from the server missing",
            "错误：客户端：读到 EOF，但服务器还有 {missing} 字节没有到"
        );
    } else {
        note!(
            base,
            "client: {events} ({err}); this round ends",
            "客户端：{events}（{err}）；这一轮结束"
        );
    }
    let next = round.clone();
    let scheduled = base.once(
        None,
        What::TIMEOUT,
        Some(pace.between_rounds),
        move |base, _| {
            if let Err(e) = start_round(base, &next, pace) {
                note!(
                    base,
                    "cannot start the next round: {e}",
                    "无法开始下一轮：{e}"
                );
            }
        },
    );
    if let Err(e) = scheduled {
        note!(
            base,
            "cannot schedule the next round: {e}",
            "无法安排下一轮：{e}"
        );
    }
}
