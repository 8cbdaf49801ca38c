//! The course's echo server (lessons 8–10 and 12): `evconnlistener_new_bind`, and for each
//! accepted client one bufferevent whose read callback moves the read buffer to the write
//! buffer, and whose event callback frees it on end of file or error. Each echo leaves through
//! the bufferevent's write event: pending → active → callback → non-pending.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{IntoRawFd, OwnedFd};

use crate::ev::{self, BevEvents, BevId, BevOptions, EventBase, ListenerFlags, ListenerId, What};

/// Listens on `addr` (port 0: any free port) and serves every client; returns the address
/// the listener got, where clients can connect.
pub(super) fn listen(base: &mut EventBase, addr: SocketAddr) -> ev::Result<SocketAddr> {
    // socket + bind + listen in one call; accept happens in the loop.
    let lev = base.evconnlistener_new_bind(
        addr,
        ListenerFlags::CLOSE_ON_FREE | ListenerFlags::REUSEABLE,
        -1, // backlog: libevent's default (128)
        on_accept,
    )?;
    base.evconnlistener_set_error_cb(
        lev,
        Some(Box::new(|base, _lev, err| {
            note!(
                base,
                "server: accept failed: {err}",
                "服务器：accept 失败：{err}"
            );
        })),
    )?;
    base.evconnlistener_local_addr(lev)
}

/// Where a client reaches a server bound to `addr`: a wildcard address means this host.
pub(super) fn connect_addr(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// The listener's callback: one accepted connection.
fn on_accept(base: &mut EventBase, _lev: ListenerId, sock: OwnedFd, peer: Option<SocketAddr>) {
    let who = peer.map_or_else(|| "a client".to_string(), |p| p.to_string());
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
    note!(
        base,
        "server: {who} connected; {bev} has writing enabled from the start (its write event waits for something to send) and reads once bufferevent_enable(EV_READ) is called",
        "服务器：{who} 连上了；{bev} 一创建就启用了写（它的写事件等着有数据要发），调用 bufferevent_enable(EV_READ) 之后才开始读"
    );
    let closed = who.clone();
    let set = base.bufferevent_setcb(
        bev,
        Some(Box::new(echo_read)),
        None,
        Some(Box::new(
            move |base: &mut EventBase, bev: BevId, events: BevEvents| {
                on_event(base, bev, events, &closed)
            },
        )),
    );
    if let Err(e) = set.and_then(|()| base.bufferevent_enable(bev, What::READ)) {
        note!(
            base,
            "server: cannot serve {who}: {e}",
            "服务器：无法为 {who} 服务：{e}"
        );
        let _ = base.bufferevent_free(bev);
    }
}

/// The read callback: everything in the read buffer goes to the write buffer; the bufferevent
/// adds its write event, which sends the bytes once the loop finds the socket writable.
fn echo_read(base: &mut EventBase, bev: BevId) {
    let moved = match base.bufferevent_buffers(bev) {
        Ok(mut buffers) => {
            let (input, output) = buffers.split();
            let n = input.len();
            output.add_buffer(input);
            n
        }
        Err(_) => return,
    };
    note!(
        base,
        "server: {bev}'s read callback moves {moved} B from the read buffer to the write buffer; watch {bev} write go pending → active → callback → non-pending as it sends them",
        "服务器：{bev} 的读回调把 {moved} 字节从输入缓冲区移到输出缓冲区；请看 {bev} write 发送它们时经历 未决 → 激活 → 回调执行中 → 非未决"
    );
}

/// The event callback: the client hung up (EOF) or the connection failed (ERROR).
fn on_event(base: &mut EventBase, bev: BevId, events: BevEvents, who: &str) {
    if events.contains(BevEvents::EOF) {
        note!(
            base,
            "server: {who} closed the connection ({events}); bufferevent_free({bev}) closes our socket",
            "服务器：读到 EOF，{who} 关闭了连接（{events}）；bufferevent_free({bev}) 关闭我们这一端的套接字"
        );
    } else if events.contains(BevEvents::ERROR) {
        let err = match base.bufferevent_get_error(bev) {
            Ok(Some(e)) => e.to_string(),
            _ => "unknown error".to_string(),
        };
        note!(
            base,
            "server: error on {who}'s connection ({events}: {err}); bufferevent_free({bev})",
            "服务器：与 {who} 的连接出错（{events}：{err}）；bufferevent_free({bev})"
        );
    } else {
        return;
    }
    let _ = base.bufferevent_free(bev);
}
