//! The course's client: connects with a bufferevent, sends each line of stdin, prints what comes
//! back, and exits once stdin has ended and every byte sent has come back.
//!
//! ```text
//! cargo run --example seed_client 127.0.0.1:9995 < some_file
//! ```
//!
//! stdin is read by an ordinary `event_new(0, READ | PERSIST)`, so it also works when stdin is
//! a regular file (which epoll refuses to watch; the library treats such fds as always ready).

use std::cell::RefCell;
use std::error::Error;
use std::io::Write;
use std::net::SocketAddr;
use std::rc::Rc;

use evscope::ev::{BevEvents, BevId, BevOptions, EolStyle, Evbuffer, EventBase, What};

#[derive(Default)]
struct Progress {
    sent: usize,
    received: usize,
    stdin_done: bool,
    failed: Option<String>,
}

fn main() {
    match run() {
        Ok(()) => {}
        Err(e) => {
            eprintln!("seed_client: {e}");
            std::process::exit(1);
        }
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let arg = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9995".to_string());
    let addr: SocketAddr = arg
        .parse()
        .map_err(|e| format!("{arg:?} is not an address like 127.0.0.1:9995: {e}"))?;
    let mut base = EventBase::new()?;
    let progress = Rc::new(RefCell::new(Progress::default()));

    let bev = base.bufferevent_socket_new(None, BevOptions::CLOSE_ON_FREE)?;
    let p = progress.clone();
    let p2 = progress.clone();
    base.bufferevent_setcb(
        bev,
        Some(Box::new(move |base, bev| {
            let Ok(mut input) = base.bufferevent_get_input(bev) else {
                return;
            };
            let mut out = std::io::stdout().lock();
            for piece in input.peek() {
                let _ = out.write_all(piece);
            }
            let _ = out.flush();
            let n = input.len();
            input.drain(n);
            drop(input);
            p.borrow_mut().received += n;
            finish_if_done(base, bev, &p);
        })),
        None,
        Some(Box::new(move |base, bev, events| {
            if events.contains(BevEvents::CONNECTED) {
                return;
            }
            let why = match base.bufferevent_get_error(bev) {
                Ok(Some(err)) if events.contains(BevEvents::ERROR) => format!("{events}: {err}"),
                _ => format!("{events} before every byte came back"),
            };
            p2.borrow_mut().failed = Some(format!("connection to {addr}: {why}"));
            let _ = base.bufferevent_free(bev);
            base.loopexit(None);
        })),
    )?;
    base.bufferevent_enable(bev, What::READ)?;
    base.bufferevent_socket_connect(bev, addr)?;

    let mut lines = Evbuffer::new();
    let p = progress.clone();
    let stdin = base.event_new(0, What::READ | What::PERSIST, move |base, ev, _what| {
        let ended = match lines.read_from(0, 64 * 1024) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
            Err(e) => {
                eprintln!("seed_client: reading stdin: {e}");
                true
            }
        };
        while let Some(mut line) = lines.readln(EolStyle::Lf) {
            line.push(b'\n');
            send(base, bev, &line, &p);
        }
        if ended {
            if !lines.is_empty() {
                // A last line without its newline is still a line.
                let mut line = lines.to_vec();
                lines.drain(line.len());
                line.push(b'\n');
                send(base, bev, &line, &p);
            }
            let _ = base.event_free(ev);
            p.borrow_mut().stdin_done = true;
            finish_if_done(base, bev, &p);
        }
    })?;
    base.event_add(stdin, None)?;
    base.dispatch()?;

    let progress = progress.borrow();
    if let Some(why) = &progress.failed {
        return Err(why.clone().into());
    }
    Ok(())
}

fn send(base: &mut EventBase, bev: BevId, line: &[u8], p: &Rc<RefCell<Progress>>) {
    if base.bufferevent_write(bev, line).is_ok() {
        p.borrow_mut().sent += line.len();
    }
}

fn finish_if_done(base: &mut EventBase, bev: BevId, p: &Rc<RefCell<Progress>>) {
    let done = {
        let p = p.borrow();
        p.stdin_done && p.received >= p.sent
    };
    if done {
        let _ = base.bufferevent_free(bev);
        base.loopexit(None);
    }
}
