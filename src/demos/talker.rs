//! A scripted client of an echo server, written as the course's client (lesson 11): a
//! bufferevent with no socket, `bufferevent_socket_connect`, a timer that writes a line every so
//! often, a read callback that checks each echo against what was sent, and `bufferevent_free`
//! once every line has come back.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use super::expect::Expect;
use crate::ev::{self, BevEvents, BevId, BevOptions, EventBase, EventId, What};

/// What a scripted client does.
pub(super) struct Script {
    /// How it calls itself in notes and labels, e.g. `client 1`.
    pub name: String,
    /// The echo server.
    pub server: SocketAddr,
    /// Time between lines.
    pub every: Duration,
    /// Lines to send before hanging up.
    pub lines: u32,
}

/// Told once when the client is gone: true when every line came back.
pub(super) type OnEnd = Box<dyn FnOnce(&mut EventBase, bool)>;

struct Talk {
    script: Script,
    sent: u32,
    echoed: u32,
    expect: Expect,
    /// Echoed bytes of the line not yet complete.
    partial: Vec<u8>,
    timer: Option<EventId>,
    on_end: Option<OnEnd>,
}

type Shared = Rc<RefCell<Talk>>;

/// Starts the client: creates its bufferevent and connects; the rest happens in the loop.
pub(super) fn start(base: &mut EventBase, script: Script, on_end: OnEnd) -> ev::Result<BevId> {
    let server = script.server;
    let talk: Shared = Rc::new(RefCell::new(Talk {
        script,
        sent: 0,
        echoed: 0,
        expect: Expect::default(),
        partial: Vec::new(),
        timer: None,
        on_end: Some(on_end),
    }));
    // No socket yet: bufferevent_socket_connect makes one.
    let bev = base.bufferevent_socket_new(None, BevOptions::CLOSE_ON_FREE)?;
    let (r, w, e) = (talk.clone(), talk.clone(), talk.clone());
    base.bufferevent_setcb(
        bev,
        Some(Box::new(move |base: &mut EventBase, bev: BevId| {
            on_read(base, bev, &r)
        })),
        Some(Box::new(move |base: &mut EventBase, bev: BevId| {
            on_write(base, bev, &w)
        })),
        Some(Box::new(
            move |base: &mut EventBase, bev: BevId, events: BevEvents| {
                on_event(base, bev, events, &e)
            },
        )),
    )?;
    base.bufferevent_enable(bev, What::READ)?;
    let name = talk.borrow().script.name.clone();
    note!(
        base,
        "{name}: {bev} has no socket yet; bufferevent_socket_connect to {server}",
        "{name}：{bev} 还没有套接字；bufferevent_socket_connect 连接 {server}"
    );
    if let Err(err) = base.bufferevent_socket_connect(bev, server) {
        note!(
            base,
            "{name}: cannot connect to {server}: {err}",
            "{name}：无法连接 {server}：{err}"
        );
        finish(base, bev, &talk, false);
    }
    Ok(bev)
}

/// The event callback: connected, or the end of the connection.
fn on_event(base: &mut EventBase, bev: BevId, events: BevEvents, talk: &Shared) {
    let (name, server, every) = {
        let t = talk.borrow();
        (t.script.name.clone(), t.script.server, t.script.every)
    };
    if events.contains(BevEvents::CONNECTED) {
        note!(
            base,
            "{name}: connected to {server} ({events}); its read event, pending since the connect, now has a connection to read from",
            "{name}：已连接到 {server}（{events}）；它的读事件从发起连接起就是未决，现在有连接可读了"
        );
        let sender = talk.clone();
        let timer = base.labeled(&format!("{name} sends (timer)")).event_new(
            None,
            What::PERSIST,
            move |base, id, _| send_line(base, bev, id, &sender),
        );
        match timer.and_then(|id| base.event_add(id, Some(every)).map(|()| id)) {
            Ok(id) => talk.borrow_mut().timer = Some(id),
            Err(err) => {
                note!(
                    base,
                    "{name}: cannot start its timer: {err}",
                    "{name}：无法启动它的定时器：{err}"
                );
                finish(base, bev, talk, false);
            }
        }
        return;
    }
    let outstanding = talk.borrow().expect.outstanding();
    if events.contains(BevEvents::ERROR) {
        let err = match base.bufferevent_get_error(bev) {
            Ok(Some(e)) => e.to_string(),
            _ => "unknown error".to_string(),
        };
        note!(
            base,
            "{name}: connection to {server} failed ({events}: {err})",
            "{name}：连接 {server} 失败（{events}：{err}）"
        );
    } else if outstanding > 0 {
        note!(
            base,
            "error: {name}: the server closed the connection ({events}) with {outstanding} B still to come back",
            "错误：{name}：服务器关闭了连接（{events}），还有 {outstanding} 字节没有回来"
        );
    } else {
        note!(
            base,
            "{name}: the server closed the connection ({events})",
            "{name}：服务器关闭了连接（{events}）"
        );
    }
    finish(base, bev, talk, false);
}

/// The timer: one more line into the write buffer; the bufferevent's write event sends it.
fn send_line(base: &mut EventBase, bev: BevId, timer: EventId, talk: &Shared) {
    let mut t = talk.borrow_mut();
    if t.sent >= t.script.lines {
        return;
    }
    t.sent += 1;
    let line = format!("{} says hello #{}\n", t.script.name, t.sent);
    if let Err(err) = base.bufferevent_write(bev, line.as_bytes()) {
        let name = t.script.name.clone();
        drop(t);
        note!(
            base,
            "{name}: bufferevent_write failed: {err}",
            "{name}：bufferevent_write 失败：{err}"
        );
        finish(base, bev, talk, false);
        return;
    }
    t.expect.sent(line.as_bytes());
    note!(
        base,
        "{name}: bufferevent_write line {sent} of {lines}: {line:?}; {bev} write turns pending, and sends it when the loop finds the socket writable",
        "{name}：bufferevent_write 第 {sent} 行（共 {lines} 行）：{line:?}；{bev} write 变为未决，事件循环发现套接字可写时就发送它",
        name = t.script.name,
        sent = t.sent,
        lines = t.script.lines,
        line = line.trim_end()
    );
    if t.sent == t.script.lines {
        // Nothing more to send: the timer stops (event_del inside its own callback: callback →
        // non-pending when it returns).
        let _ = base.event_del(timer);
    }
}

/// The write callback: the write event has sent everything and deleted itself.
fn on_write(base: &mut EventBase, bev: BevId, talk: &Shared) {
    let t = talk.borrow();
    note!(
        base,
        "{name}: write callback: line {sent} has left and the write buffer is empty, so {bev} write goes non-pending when its callback returns",
        "{name}：写回调：第 {sent} 行已发出，输出缓冲区空了，所以 {bev} write 在回调返回后变为非未决",
        name = t.script.name,
        sent = t.sent
    );
}

/// The read callback: take the echo out of the read buffer and check it.
fn on_read(base: &mut EventBase, bev: BevId, talk: &Shared) {
    let mut buf = [0u8; 1024];
    loop {
        let n = match base.bufferevent_read(bev, &mut buf) {
            Ok(n) if n > 0 => n,
            _ => break,
        };
        let mut t = talk.borrow_mut();
        if let Err(e) = t.expect.received(&buf[..n]) {
            let name = t.script.name.clone();
            drop(t);
            note!(
                base,
                "error: {name}: the echo is not what was sent: {e}",
                "错误：{name}：回显和发出的不一样：{e}"
            );
            finish(base, bev, talk, false);
            return;
        }
        t.partial.extend_from_slice(&buf[..n]);
        while let Some(end) = t.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = t.partial.drain(..=end).collect();
            t.echoed += 1;
            note!(
                base,
                "{name}: bufferevent_read: the echo of line {echoed} came back: {line:?}",
                "{name}：bufferevent_read：第 {echoed} 行的回显回来了：{line:?}",
                name = t.script.name,
                echoed = t.echoed,
                line = String::from_utf8_lossy(&line).trim_end()
            );
        }
    }
    let t = talk.borrow();
    if t.echoed == t.script.lines && t.expect.outstanding() == 0 {
        note!(
            base,
            "{name}: all {lines} lines came back, byte for byte; bufferevent_free({bev}) hangs up",
            "{name}：{lines} 行全部回来了，一个字节不差；bufferevent_free({bev}) 挂断连接",
            name = t.script.name,
            lines = t.script.lines
        );
        drop(t);
        finish(base, bev, talk, true);
    }
}

/// Frees the timer and the bufferevent (closing the socket), then tells the owner.
fn finish(base: &mut EventBase, bev: BevId, talk: &Shared, ok: bool) {
    let (timer, on_end) = {
        let mut t = talk.borrow_mut();
        (t.timer.take(), t.on_end.take())
    };
    if let Some(timer) = timer {
        let _ = base.event_free(timer);
    }
    let _ = base.bufferevent_free(bev);
    if let Some(on_end) = on_end {
        on_end(base, ok);
    }
}
