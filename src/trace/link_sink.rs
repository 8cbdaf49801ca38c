//! [`LinkSink`]: the observed program's end of the live link. It writes records to the viewer,
//! reads the viewer's control lines on a thread of its own and applies them to the [`Gate`];
//! when the viewer goes away the gate is released and records are no longer sent.

use std::collections::VecDeque;
use std::io::{self, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};

use super::encode::encode_line;
use super::gate::Gate;
use super::link::{check_loopback, parse_control, Status, Stream, HELLO_TIMEOUT};
use super::reader::{read_line, Line};
use super::record::{Body, Header, Record};
use super::sink::Sink;

/// Bytes of history kept for viewers that attach late (TCP); older records are trimmed and a
/// late viewer is told how many with a `dropped` record.
const HISTORY_BYTES: usize = 64 << 20;

/// Encoded batches kept for late viewers.
#[derive(Default)]
struct History {
    /// (first seq, first t_us, records, lines)
    chunks: VecDeque<(u64, u64, u64, Vec<u8>)>,
    bytes: usize,
    trimmed: u64,
}

#[derive(Default)]
struct Inner {
    stream: Option<Stream>,
    header: Option<Vec<u8>>,
    history: Option<History>,
}

struct Shared {
    inner: Mutex<Inner>,
    gate: Arc<Gate>,
    closed: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The viewer is gone: release the loop, stop sending.
    fn drop_viewer(&self, inner: &mut Inner) {
        if let Some(s) = inner.stream.take() {
            s.shutdown();
        }
        self.gate.disconnect();
    }

    fn write(&self, inner: &mut Inner, bytes: &[u8]) {
        use std::io::Write;
        if let Some(s) = inner.stream.as_mut() {
            if s.write_all(bytes).is_err() {
                self.drop_viewer(inner);
            }
        }
    }
}

/// The program's end of a live link (a [`Sink`]).
pub struct LinkSink {
    shared: Arc<Shared>,
    line: Vec<u8>,
    /// The listening address, for waking the accept thread on drop.
    listening: Option<SocketAddr>,
}

impl LinkSink {
    fn with(gate: Arc<Gate>, history: bool) -> LinkSink {
        LinkSink {
            shared: Arc::new(Shared {
                inner: Mutex::new(Inner {
                    history: history.then(History::default),
                    ..Inner::default()
                }),
                gate,
                closed: AtomicBool::new(false),
            }),
            line: Vec::with_capacity(1 << 14),
            listening: None,
        }
    }

    /// Connects to a viewer listening on the Unix socket `path`, then waits up to
    /// [`HELLO_TIMEOUT`] for its first control line (so `pause` applies from the first record).
    pub fn connect_unix(path: &Path, gate: Arc<Gate>) -> io::Result<LinkSink> {
        let stream = UnixStream::connect(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot connect to the trace viewer at {}: {e} (is `evscope run` listening?)",
                    path.display()
                ),
            )
        })?;
        let sink = LinkSink::with(gate, false);
        let (hello_tx, hello_rx) = mpsc::channel();
        attach_viewer(&sink.shared, Stream::Unix(stream), Some(hello_tx))?;
        let _ = hello_rx.recv_timeout(HELLO_TIMEOUT);
        Ok(sink)
    }

    /// Listens on `addr` (loopback unless `force_remote`) for viewers, one at a time. Each gets
    /// the header and the records so far, then the live stream.
    pub fn listen_tcp(
        addr: SocketAddr,
        force_remote: bool,
        gate: Arc<Gate>,
    ) -> io::Result<(LinkSink, SocketAddr)> {
        check_loopback(&addr, force_remote)?;
        let listener = TcpListener::bind(addr).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot listen for a trace viewer on {addr}: {e}"),
            )
        })?;
        let bound = listener.local_addr()?;
        let mut sink = LinkSink::with(gate, true);
        sink.listening = Some(bound);
        let shared = sink.shared.clone();
        std::thread::Builder::new()
            .name("evscope-link-accept".into())
            .spawn(move || accept_viewers(listener, shared))?;
        eprintln!("evscope: trace link listening on {bound} (join with: evscope attach {bound})");
        Ok((sink, bound))
    }
}

fn accept_viewers(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let _ = conn.set_nodelay(true);
        if shared.closed.load(Ordering::Acquire) {
            // The trace is over: whoever is still waiting gets all of it, then the end.
            let _ = attach_viewer(&shared, Stream::Tcp(conn), None);
            let _ = listener.set_nonblocking(true);
            while let Ok((c, _)) = listener.accept() {
                let _ = c.set_nonblocking(false);
                let _ = attach_viewer(&shared, Stream::Tcp(c), None);
            }
            return;
        }
        let busy = shared.lock().stream.is_some();
        if busy {
            let mut s = Stream::Tcp(conn);
            let _ = s.send_line(&Status::Error {
                message: "another viewer is attached to this program".into(),
            });
            s.shutdown();
            continue;
        }
        let _ = attach_viewer(&shared, Stream::Tcp(conn), None);
    }
}

/// The header and the records kept so far, as lines, for a viewer that joins late.
fn catch_up(inner: &Inner) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(h) = &inner.header {
        out.extend_from_slice(h);
    }
    if let Some(hist) = &inner.history {
        if hist.trimmed > 0 {
            if let Some((seq, t_us, _, _)) = hist.chunks.front() {
                let rec = Record {
                    seq: seq.saturating_sub(1),
                    t_us: *t_us,
                    body: Body::Dropped {
                        count: hist.trimmed,
                    },
                };
                encode_line(&rec, &mut out);
            }
        }
        for (_, _, _, lines) in &hist.chunks {
            out.extend_from_slice(lines);
        }
    }
    out
}

/// Installs `stream` as the viewer: sends what it missed, connects the gate, and starts the
/// control thread. Once the trace is over (the sink dropped), the viewer gets what there was
/// and the end of the stream instead.
fn attach_viewer(
    shared: &Arc<Shared>,
    stream: Stream,
    hello: Option<mpsc::Sender<()>>,
) -> io::Result<()> {
    let control = stream.try_clone()?;
    {
        let mut inner = shared.lock();
        let lines = catch_up(&inner);
        if shared.closed.load(Ordering::Acquire) {
            let mut s = stream;
            use std::io::Write;
            let _ = s.write_all(&lines);
            s.shutdown();
            return Ok(());
        }
        inner.stream = Some(stream);
        shared.write(&mut inner, &lines);
        if inner.stream.is_some() {
            shared.gate.connect();
        }
    }
    let shared = shared.clone();
    std::thread::Builder::new()
        .name("evscope-link-control".into())
        .spawn(move || read_controls(shared, control, hello))?;
    Ok(())
}

/// The control thread: applies each control line to the gate until the viewer goes away.
fn read_controls(shared: Arc<Shared>, stream: Stream, mut hello: Option<mpsc::Sender<()>>) {
    let mut input = BufReader::new(stream);
    let mut buf = Vec::new();
    let mut line_no = 0;
    loop {
        line_no += 1;
        let line = read_line(&mut input, &mut buf, line_no);
        let status = match line {
            Ok(Line::Text { .. }) => match parse_control(&buf) {
                Ok(ctl) => shared.gate.apply(&ctl),
                Err(message) => Some(Status::Error { message }),
            },
            Ok(Line::Blank) => None,
            Ok(Line::Eof) | Err(_) => break,
        };
        // The first line answers the hello; its effect is what the viewer asked for.
        if hello.take().is_some() {
            continue;
        }
        if let Some(status) = status {
            let mut inner = shared.lock();
            if inner.header.is_some() {
                let mut line = serde_json::to_vec(&status).unwrap_or_default();
                line.push(b'\n');
                shared.write(&mut inner, &line);
            }
        }
    }
    let mut inner = shared.lock();
    shared.drop_viewer(&mut inner);
}

impl Sink for LinkSink {
    fn header(&mut self, header: &Header) -> io::Result<()> {
        let mut line = serde_json::to_vec(header)?;
        line.push(b'\n');
        let mut inner = self.shared.lock();
        self.shared.write(&mut inner, &line);
        inner.header = Some(line);
        Ok(())
    }

    fn records(&mut self, records: &[Record]) -> io::Result<()> {
        let Some(first) = records.first() else {
            return Ok(());
        };
        {
            let inner = self.shared.lock();
            if inner.stream.is_none() && inner.history.is_none() {
                // The viewer has gone and no later one can come: nothing to encode for.
                return Ok(());
            }
        }
        self.line.clear();
        for r in records {
            encode_line(r, &mut self.line);
        }
        let mut inner = self.shared.lock();
        self.shared.write(&mut inner, &self.line);
        if let Some(hist) = inner.history.as_mut() {
            hist.bytes += self.line.len();
            hist.chunks.push_back((
                first.seq,
                first.t_us,
                records.len() as u64,
                self.line.clone(),
            ));
            while hist.bytes > HISTORY_BYTES {
                match hist.chunks.pop_front() {
                    Some((_, _, n, lines)) => {
                        hist.bytes -= lines.len();
                        hist.trimmed += n;
                    }
                    None => break,
                }
            }
        }
        Ok(())
    }

    fn status(&mut self, status: &Status) -> io::Result<()> {
        let mut line = serde_json::to_vec(status)?;
        line.push(b'\n');
        let mut inner = self.shared.lock();
        self.shared.write(&mut inner, &line);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for LinkSink {
    /// The trace is over: the viewer sees the end of the stream, the gate opens, and the accept
    /// thread (if any) stops.
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        {
            let mut inner = self.shared.lock();
            self.shared.drop_viewer(&mut inner);
        }
        if let Some(addr) = self.listening {
            // Wake the blocked accept so the thread sees `closed` and ends.
            let _ = TcpStream::connect(addr);
        }
    }
}
