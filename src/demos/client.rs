//! The course's client: a bufferevent with no socket, `bufferevent_socket_connect`,
//! `BEV_EVENT_CONNECTED`, then lines written at a watchable pace and their echoes read back.
//! It talks to a small echo server in the same loop, or to the server at `--listen` (for
//! example `evscope demo echo --listen ADDR` in another terminal). When it has all its echoes
//! it hangs up, and a new connection follows.

use std::net::SocketAddr;
use std::time::Duration;

use super::talker::{self, Script};
use super::{echo_server, Demo, DemoOptions};
use crate::ev::{self, EventBase, What};

pub(super) const DEMO: Demo = Demo {
    name: "client",
    lesson: "11 the client: bufferevent_socket_connect",
    summary:
        "bufferevent_socket_connect to an echo server, a line every 1.5 s, each echo read back",
    summary_zh: "用 bufferevent_socket_connect 连接回显服务器，每 1.5 秒发一行，读回每一行的回显",
    setup,
};

/// Lines per connection.
const LINES: u32 = 5;

fn setup(base: &mut EventBase, opts: &DemoOptions) -> ev::Result<()> {
    let server = match opts.listen {
        Some(addr) => {
            let addr = echo_server::connect_addr(addr);
            note!(
                base,
                "the client connects to the server at {addr} (start one with: evscope demo echo --listen {addr})",
                "客户端连接 {addr} 上的服务器（可以这样启动一个：evscope demo echo --listen {addr}）"
            );
            addr
        }
        None => {
            let bound = echo_server::listen(base, SocketAddr::from(([127, 0, 0, 1], 0)))?;
            note!(
                base,
                "an echo server for the client to talk to listens on {bound} in the same loop",
                "同一个事件循环里有一个回显服务器在 {bound} 监听，供客户端连接"
            );
            bound
        }
    };
    connect(base, 1, server, opts.pace(1500))
}

/// Connection `n`: the client connects, talks, hangs up; connection `n + 1` follows.
fn connect(base: &mut EventBase, n: u32, server: SocketAddr, every: Duration) -> ev::Result<()> {
    let script = Script {
        name: "client".to_string(),
        server,
        every,
        lines: LINES,
    };
    let next = Box::new(move |base: &mut EventBase, ok: bool| {
        let pause = if ok { every * 2 } else { every * 3 };
        note!(
            base,
            "the client connects again in {secs:.1} s",
            "客户端 {secs:.1} 秒后再次连接",
            secs = pause.as_secs_f64()
        );
        let again = base.once(None, What::TIMEOUT, Some(pause), move |base, _| {
            if let Err(e) = connect(base, n + 1, server, every) {
                note!(
                    base,
                    "client: cannot start connection {next}: {e}",
                    "客户端：无法发起第 {next} 次连接：{e}",
                    next = n + 1
                );
            }
        });
        if let Err(e) = again {
            note!(
                base,
                "client: cannot schedule the next connection: {e}",
                "客户端：无法安排下一次连接：{e}"
            );
        }
    });
    talker::start(base, script, next)?;
    Ok(())
}
