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
    setup,
};

/// Lines per connection.
const LINES: u32 = 5;

fn setup(base: &mut EventBase, opts: &DemoOptions) -> ev::Result<()> {
    let server = match opts.listen {
        Some(addr) => {
            let addr = echo_server::connect_addr(addr);
            base.note(&format!(
                "the client connects to the server at {addr} (start one with: evscope demo echo --listen {addr})"
            ));
            addr
        }
        None => {
            let bound = echo_server::listen(base, SocketAddr::from(([127, 0, 0, 1], 0)))?;
            base.note(&format!(
                "an echo server for the client to talk to listens on {bound} in the same loop"
            ));
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
        base.note(&format!(
            "the client connects again in {:.1} s",
            pause.as_secs_f64()
        ));
        let again = base.once(None, What::TIMEOUT, Some(pause), move |base, _| {
            if let Err(e) = connect(base, n + 1, server, every) {
                base.note(&format!("client: cannot start connection {}: {e}", n + 1));
            }
        });
        if let Err(e) = again {
            base.note(&format!("client: cannot schedule the next connection: {e}"));
        }
    });
    talker::start(base, script, next)?;
    Ok(())
}
