//! Helpers for tests of the live link over TCP: a private runtime directory for a traced
//! program's token, finding the port and token it published there, a raw viewer that speaks
//! the protocol by hand, and a ticking program in this process traced to a link.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use evscope::ev::{BackendKind, EventBase, What};
use evscope::trace::{LinkToken, Recorder};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The environment that makes a program listen for a viewer on a free loopback port and keep
/// its token under `runtime` (its `XDG_RUNTIME_DIR`).
pub fn tcp_trace_env(runtime: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("EVSCOPE_TRACE", "tcp:127.0.0.1:0".to_string()),
        ("XDG_RUNTIME_DIR", runtime.display().to_string()),
    ]
}

/// The port and token file a program traced with [`tcp_trace_env`] published under `runtime`,
/// waiting up to `limit` for it.
pub fn published_link(runtime: &Path, limit: Duration) -> Res<(SocketAddr, PathBuf)> {
    let dir = runtime.join("evscope");
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let port = name
                    .strip_prefix("link-tcp-")
                    .and_then(|r| r.strip_suffix(".token"))
                    .and_then(|p| p.parse::<u16>().ok());
                if let Some(port) = port {
                    return Ok((SocketAddr::from(([127, 0, 0, 1], port)), e.path()));
                }
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "no link token appeared in {} within {limit:?}",
                dir.display()
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A TCP connection to a program's link that has sent `first` (a token line, or anything).
pub fn raw_viewer(addr: SocketAddr, first: &[u8]) -> Res<TcpStream> {
    let mut s = TcpStream::connect(addr)?;
    s.write_all(first)?;
    Ok(s)
}

/// A token line that asks for records in whole JSON lines, as a viewer does that does not ask
/// for frames (`LinkToken::auth_line` asks for them): for tests that read the stream as text.
pub fn lines_auth_line(token: &LinkToken) -> Vec<u8> {
    let mut line =
        serde_json::to_vec(&serde_json::json!({ "auth": token.as_str() })).expect("a JSON object");
    line.push(b'\n');
    line
}

/// A connection that showed `token`.
pub fn authed_viewer(addr: SocketAddr, token: &LinkToken) -> Res<TcpStream> {
    raw_viewer(addr, &token.auth_line())
}

/// Every line the program sends until it closes (or `limit` passes), after sending `first`.
pub fn lines_after(addr: SocketAddr, first: &[u8], limit: Duration) -> Res<Vec<String>> {
    let s = raw_viewer(addr, first)?;
    s.set_read_timeout(Some(limit))?;
    let mut lines = Vec::new();
    for line in BufReader::new(s).lines() {
        match line {
            Ok(l) => lines.push(l),
            Err(e) => return Err(format!("after {lines:?}: {e}").into()),
        }
    }
    Ok(lines)
}

/// Reads whatever arrives within `wait` (the bytes, and whether the peer closed).
pub fn read_for(s: &mut TcpStream, wait: Duration) -> Res<(Vec<u8>, bool)> {
    s.set_read_timeout(Some(Duration::from_millis(50)))?;
    let deadline = Instant::now() + wait;
    let mut got = Vec::new();
    let mut buf = [0u8; 1 << 16];
    while Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => return Ok((got, true)),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok((got, true)),
            Err(e) => return Err(e.into()),
        }
    }
    Ok((got, false))
}

/// A loop on its own thread with a persistent timer, traced to a TCP link with the given tokens.
/// It runs until [`TickingProgram::end`] (which drops its base, ending every viewer's stream), or
/// until the test binary ends.
pub struct TickingProgram {
    /// The link's address.
    pub addr: SocketAddr,
    ticks: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl TickingProgram {
    /// Starts the loop, its timer firing `every`.
    pub fn start(owner: &LinkToken, follow: &LinkToken, every: Duration) -> Res<TickingProgram> {
        let (recorder, addr) = Recorder::listen_tcp_with_tokens(
            "127.0.0.1:0".parse()?,
            false,
            Some(owner.clone()),
            Some(follow.clone()),
        )?;
        let ticks = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (t, s) = (ticks.clone(), stop.clone());
        let thread = thread::spawn(move || {
            let mut base = EventBase::with_backend(BackendKind::Epoll).expect("a base");
            base.set_observer(Box::new(recorder));
            let timer = base
                .labeled("tick")
                .event_new(None, What::PERSIST, move |base, _, _| {
                    t.fetch_add(1, Ordering::SeqCst);
                    if s.load(Ordering::SeqCst) {
                        base.loopbreak();
                    }
                })
                .expect("a timer");
            base.event_add(timer, Some(every)).expect("added");
            base.dispatch().expect("the loop ran");
        });
        Ok(TickingProgram {
            addr,
            ticks,
            stop,
            thread: Some(thread),
        })
    }

    /// How many times the timer has fired.
    pub fn ticks(&self) -> u64 {
        self.ticks.load(Ordering::SeqCst)
    }

    /// The loop moves on (by two ticks) within 20 s.
    pub fn runs_on(&self) -> Res<()> {
        let from = self.ticks();
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.ticks() < from + 2 {
            if Instant::now() > deadline {
                return Err(format!("the loop stalled at tick {from}").into());
            }
            thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    }

    /// Stops the loop at its next tick and drops its base (which ends every viewer's stream).
    pub fn end(mut self) -> Res<()> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().map_err(|_| "the program's thread panicked")?;
        }
        Ok(())
    }
}
