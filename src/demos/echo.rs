//! The course's echo server with a few scripted clients in the same loop: accepts, each
//! client's lines filling and draining both buffers, and, now and then, a client hanging up
//! (end of file, the server frees its bufferevent) and a new one connecting.

use std::net::SocketAddr;
use std::time::Duration;

use super::talker::{self, Script};
use super::{echo_server, Demo, DemoOptions};
use crate::ev::{self, EventBase, What};

pub(super) const DEMO: Demo = Demo {
    name: "echo",
    lesson: "01/08-10/12 what libevent is; bufferevent's two buffers; bufferevent_setcb; bufferevent_enable; the server: evconnlistener_new_bind",
    summary: "the course's echo server (listener + one bufferevent per client) with scripted clients that come and go",
    summary_zh: "课程中的回显服务器（监听器 + 每个客户端一个 bufferevent），配上按脚本来来去去的客户端",
    setup,
};

/// Scripted clients connected at a time.
const CLIENTS: u32 = 3;

/// The first words of the note that tells where the server listens; the address follows.
pub const LISTENING: &str = "echo server listening on ";

fn setup(base: &mut EventBase, opts: &DemoOptions) -> ev::Result<()> {
    let wanted = opts
        .listen
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
    let bound = echo_server::listen(base, wanted)?;
    let server = echo_server::connect_addr(bound);
    // Starts with LISTENING, which `evscope demo` and the tests look for.
    note!(
        base,
        "echo server listening on {bound}; join in from another terminal: nc {ip} {port}",
        "回显服务器在 {bound} 监听；可以从另一个终端加入：nc {ip} {port}",
        ip = server.ip(),
        port = server.port()
    );
    let every = opts.pace(2400);
    for n in 1..=CLIENTS {
        // Staggered, so the lines of the clients take turns.
        later(
            base,
            opts.pace(400 + 800 * u64::from(n - 1)),
            n,
            server,
            every,
        )?;
    }
    Ok(())
}

/// Starts scripted client `n` after `delay`; when it hangs up, client `n + CLIENTS` follows.
fn later(
    base: &mut EventBase,
    delay: Duration,
    n: u32,
    server: SocketAddr,
    every: Duration,
) -> ev::Result<()> {
    base.once(None, What::TIMEOUT, Some(delay), move |base, _| {
        let script = Script {
            name: format!("client {n}"),
            server,
            every,
            lines: 2 + (n - 1) % 3,
        };
        let gap = every / 2;
        let next = Box::new(move |base: &mut EventBase, _ok: bool| {
            if let Err(e) = later(base, gap, n + CLIENTS, server, every) {
                note!(
                    base,
                    "cannot schedule client {next}: {e}",
                    "无法安排客户端 {next}：{e}",
                    next = n + CLIENTS
                );
            }
        });
        if let Err(e) = talker::start(base, script, next) {
            note!(
                base,
                "client {n}: cannot start: {e}",
                "客户端 {n}：无法启动：{e}"
            );
        }
    })?;
    Ok(())
}
