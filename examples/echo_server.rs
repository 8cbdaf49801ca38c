//! The course's echo server: an evconnlistener, and one bufferevent per client whose read
//! callback moves the input buffer to the output buffer. Runs until killed.
//!
//! ```text
//! cargo run --example echo_server 127.0.0.1:9995 [--write-inline] [--null-observer] [--idle-thread]
//! ```
//!
//! The first line on stdout is `listening on ADDR` (useful with port 0). `--write-inline` makes
//! each bufferevent with evscope's `BevOptions::WRITE_INLINE` extension (replies written inside
//! the read callback, not from the write event as libevent does).
//!
//! Two options measure what observing costs before any record is made (`bench/run`'s
//! `echo_observe_100x64`): `--null-observer` installs an observer that does nothing (in place
//! of any recorder `EVSCOPE_TRACE` installed), so the library calls its hooks, reads its clock
//! for them and samples the kernel's queues, and nothing more; `--idle-thread` starts one more thread that only sleeps, as a recorder's
//! writer thread is when it has nothing to do (a process of several threads pays for it on
//! its system calls).

use std::error::Error;
use std::io::Write;
use std::net::SocketAddr;
use std::os::fd::{IntoRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};

use evscope::ev::{
    set_tcp_nodelay, BevEvents, BevOptions, EventBase, ListenerFlags, ListenerId, Observer, What,
};

/// `--write-inline` was given.
static WRITE_INLINE: AtomicBool = AtomicBool::new(false);

/// `--null-observer`: every hook keeps its default, which does nothing.
struct NullObserver;

impl Observer for NullObserver {}

fn main() {
    if let Err(e) = run() {
        eprintln!("echo_server: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut arg = "127.0.0.1:9995".to_string();
    let (mut null_observer, mut idle_thread) = (false, false);
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--write-inline" => WRITE_INLINE.store(true, Ordering::Relaxed),
            "--null-observer" => null_observer = true,
            "--idle-thread" => idle_thread = true,
            other if other.starts_with('-') => {
                return Err(format!(
                "unknown option {other:?} (try --write-inline, --null-observer or --idle-thread)"
            )
                .into())
            }
            other => arg = other.to_string(),
        }
    }
    let addr: SocketAddr = arg
        .parse()
        .map_err(|e| format!("{arg:?} is not an address like 127.0.0.1:9995: {e}"))?;
    let mut base = EventBase::new()?;
    if null_observer {
        base.set_observer(Box::new(NullObserver));
    }
    if idle_thread {
        std::thread::Builder::new()
            .name("idle".into())
            .spawn(|| loop {
                std::thread::park();
            })?;
    }
    let lev = base
        .evconnlistener_new_bind(
            addr,
            ListenerFlags::REUSEABLE | ListenerFlags::CLOSE_ON_FREE,
            1024,
            on_accept,
        )
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    base.evconnlistener_set_error_cb(
        lev,
        Some(Box::new(|_base, _lev, err| {
            eprintln!("accept error: {err} (backing off until descriptors come back)");
        })),
    )?;
    println!("listening on {}", base.evconnlistener_local_addr(lev)?);
    std::io::stdout().flush()?;
    base.dispatch()?;
    Ok(())
}

fn on_accept(base: &mut EventBase, _lev: ListenerId, sock: OwnedFd, _peer: Option<SocketAddr>) {
    let fd = sock.into_raw_fd();
    // Small replies go out at once instead of waiting for Nagle's algorithm.
    let _ = set_tcp_nodelay(fd, true);
    let mut options = BevOptions::CLOSE_ON_FREE;
    if WRITE_INLINE.load(Ordering::Relaxed) {
        options = options | BevOptions::WRITE_INLINE;
    }
    let bev = match base.bufferevent_socket_new(fd, options) {
        Ok(bev) => bev,
        Err(e) => {
            eprintln!("bufferevent_socket_new: {e}");
            return;
        }
    };
    let _ = base.bufferevent_setcb(
        bev,
        Some(Box::new(|base, bev| {
            if let Ok(mut bufs) = base.bufferevent_buffers(bev) {
                let (input, output) = bufs.split();
                output.add_buffer(input);
            }
        })),
        None,
        Some(Box::new(|base, bev, events| {
            if events.contains(BevEvents::EOF) {
                // The client is done sending: send back what is left, then close.
                let _ = base.bufferevent_close_after_flush(bev);
            } else if events.contains(BevEvents::ERROR) {
                let _ = base.bufferevent_free(bev);
            }
        })),
    );
    if let Err(e) = base.bufferevent_enable(bev, What::READ) {
        // e.g. an fd past select's FD_SETSIZE: give the connection up.
        eprintln!("bufferevent_enable: {e}");
        let _ = base.bufferevent_free(bev);
    }
}
