//! [`LinkSink`]: the observed program's end of the live link. It queues lines for the viewer,
//! which a writer thread of the viewer's own sends; it reads the viewer's control lines on a
//! thread of their own and applies them to the [`Gate`]; when the viewer goes away the gate is
//! released and nothing more is queued for it.
//!
//! The link belongs to the program's user: on a Unix socket the viewer must run as the same
//! uid (`SO_PEERCRED`), on TCP it must show the link's [`LinkToken`] first.
//!
//! A slow viewer does not slow a free-running program: the sink thread never writes to the
//! socket, it only queues, and what is queued for a viewer is bounded by [`OUTBOX_BYTES`]. While
//! the loop runs freely, records that do not fit are skipped for that viewer, and a `dropped`
//! record tells it how many before the next one it gets. While the viewer holds the loop
//! (paused, stepping, stopped at a breakpoint) nothing is skipped: the sink thread waits for
//! room instead, as the viewer asked the loop to wait for it.
//!
//! The bound: a slow viewer adds no wait at all to a free-running loop (the sink thread only
//! queues, under a lock the writer thread holds just to pick up a batch). The loop waits on a
//! viewer only while that viewer holds it, and, when the trace ends, at most
//! [`FINISH_TIMEOUT`] after the viewer last took something.

use std::collections::VecDeque;
use std::io::{self, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::encode::encode_line;
use super::gate::Gate;
use super::link::{
    check_loopback, parse_control, read_control_line, ControlLine, Status, Stream, AUTH_TIMEOUT,
    HELLO_TIMEOUT, MAX_CONTROL_LINE,
};
use super::link_token::{LinkToken, Published};
use super::record::{Header, Record};
use super::schema::Body;
use super::sink::Sink;
use crate::ev::sys::cred;

/// Bytes of history kept for viewers that attach late (TCP); older records are trimmed and a
/// late viewer is told how many with a `dropped` record.
const HISTORY_BYTES: usize = 64 << 20;

/// Bytes of live records and statuses queued for a viewer that has not taken them yet. Past
/// this, a free-running loop's records are skipped for that viewer (and counted), and the
/// viewer's control lines are not read until it takes some of its replies.
pub const OUTBOX_BYTES: usize = 8 << 20;

/// When the trace ends (the base is dropped), how long the program waits for its viewer to
/// take what is still queued for it once the viewer has stopped taking anything.
pub const FINISH_TIMEOUT: Duration = Duration::from_secs(1);

/// TCP connections that may be showing their token at the same time; more are turned away.
const MAX_HANDSHAKES: usize = 8;

/// How long a refusal or a late viewer's copy of the finished trace may block on a write.
const REFUSAL_WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a link the program closes (a refusal, a line too long) goes on reading and
/// discarding what the peer still sends, so that closing does not reset the connection and
/// lose the last line sent.
const LINGER: Duration = Duration::from_secs(1);

/// One batch of encoded records kept for late viewers.
struct Chunk {
    first_seq: u64,
    first_t_us: u64,
    first_base: u32,
    records: u64,
    lines: Arc<[u8]>,
}

/// Encoded batches kept for late viewers.
#[derive(Default)]
struct History {
    chunks: VecDeque<Chunk>,
    bytes: usize,
    trimmed: u64,
}

/// The viewer's connection and what waits to be sent to it.
struct Viewer {
    /// Which connection this is, so that a thread of an earlier viewer never ends a later one.
    id: u64,
    stream: Stream,
    /// Lines to send, each marked whether it counts against [`OUTBOX_BYTES`] (what a late
    /// viewer catches up on does not).
    queue: VecDeque<(Arc<[u8]>, bool)>,
    /// Bytes in `queue` that count.
    queued: usize,
    /// Records skipped for this viewer since it last got one, and the seq and t_us of the last.
    skipped: u64,
    last_skipped: (u64, u64, u32),
    /// Chunks written so far (the finishing program watches it move).
    sent: u64,
    /// Send what is queued, then end the stream.
    finishing: bool,
    /// Finishing, everything was sent and the stream ended.
    sent_all: bool,
}

impl Viewer {
    fn new(id: u64, stream: Stream) -> Viewer {
        Viewer {
            id,
            stream,
            queue: VecDeque::new(),
            queued: 0,
            skipped: 0,
            last_skipped: (0, 0, 0),
            sent: 0,
            finishing: false,
            sent_all: false,
        }
    }

    fn push(&mut self, bytes: Arc<[u8]>, counts: bool) {
        if counts {
            self.queued += bytes.len();
        }
        self.queue.push_back((bytes, counts));
    }

    fn full(&self) -> bool {
        self.queued >= OUTBOX_BYTES
    }

    /// Queues the `dropped` record for what was skipped, if anything was.
    fn push_skipped(&mut self) {
        if self.skipped == 0 {
            return;
        }
        let (seq, t_us, base) = self.last_skipped;
        let mut line = Vec::with_capacity(64);
        encode_line(
            &Record {
                seq,
                t_us,
                base,
                body: Body::Dropped {
                    count: self.skipped,
                },
            },
            &mut line,
        );
        self.skipped = 0;
        self.push(line.into(), true);
    }
}

struct Inner {
    viewer: Option<Viewer>,
    next_id: u64,
    header: Option<Arc<[u8]>>,
    history: Option<History>,
}

struct Shared {
    inner: Mutex<Inner>,
    /// Something was queued or sent, a viewer left, or the gate changed.
    changed: Condvar,
    gate: Arc<Gate>,
    closed: AtomicBool,
    /// The token a TCP viewer must show.
    token: Option<LinkToken>,
    handshakes: AtomicUsize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait<'a>(&self, inner: MutexGuard<'a, Inner>, t: Duration) -> MutexGuard<'a, Inner> {
        self.changed
            .wait_timeout(inner, t)
            .unwrap_or_else(|p| p.into_inner())
            .0
    }

    /// The viewer `id` (any viewer, with `None`) is gone: release the loop, stop sending.
    fn drop_viewer(&self, inner: &mut Inner, id: Option<u64>) {
        if inner
            .viewer
            .as_ref()
            .is_some_and(|v| id.is_none_or(|id| v.id == id))
        {
            if let Some(v) = inner.viewer.take() {
                v.stream.shutdown();
            }
            self.gate.disconnect();
        }
        self.changed.notify_all();
    }

    /// The viewer `id`, if it is still the viewer.
    fn viewer<'a>(&self, inner: &'a mut Inner, id: u64) -> Option<&'a mut Viewer> {
        inner.viewer.as_mut().filter(|v| v.id == id)
    }

    /// Queues a status line for the viewer; statuses are never skipped.
    fn queue_status(&self, inner: &mut Inner, status: &Status) {
        if let Some(v) = inner.viewer.as_mut() {
            let mut line = serde_json::to_vec(status).unwrap_or_default();
            line.push(b'\n');
            v.push(line.into(), true);
            self.changed.notify_all();
        }
    }

    /// Lets the viewer `id` (any, with `None`) take what is queued for it and then the end of
    /// the stream; gives up, closing its link, when it takes nothing for [`FINISH_TIMEOUT`].
    fn finish_viewer(&self, id: Option<u64>) {
        let mut inner = self.lock();
        let Some(v) = inner
            .viewer
            .as_mut()
            .filter(|v| id.is_none_or(|id| v.id == id))
        else {
            return;
        };
        let id = v.id;
        v.finishing = true;
        self.changed.notify_all();
        let mut progress = (v.sent, Instant::now());
        loop {
            let Some(v) = self.viewer(&mut inner, id) else {
                return;
            };
            if v.sent_all {
                return;
            }
            if v.sent != progress.0 {
                progress = (v.sent, Instant::now());
            }
            let left = FINISH_TIMEOUT.saturating_sub(progress.1.elapsed());
            if left.is_zero() {
                self.drop_viewer(&mut inner, Some(id));
                return;
            }
            inner = self.wait(inner, left);
        }
    }
}

/// The program's end of a live link (a [`Sink`]).
pub struct LinkSink {
    shared: Arc<Shared>,
    line: Vec<u8>,
    /// The listening address, for waking the accept thread on drop.
    listening: Option<SocketAddr>,
    /// The token file of a TCP link, removed with the sink.
    published: Option<Published>,
}

impl LinkSink {
    fn with(gate: Arc<Gate>, history: bool, token: Option<LinkToken>) -> LinkSink {
        LinkSink {
            shared: Arc::new(Shared {
                inner: Mutex::new(Inner {
                    viewer: None,
                    next_id: 1,
                    header: None,
                    history: history.then(History::default),
                }),
                changed: Condvar::new(),
                gate,
                closed: AtomicBool::new(false),
                token,
                handshakes: AtomicUsize::new(0),
            }),
            line: Vec::with_capacity(1 << 14),
            listening: None,
            published: None,
        }
    }

    /// Connects to a viewer listening on the Unix socket `path`, refusing one that runs as
    /// another user, then waits up to [`HELLO_TIMEOUT`] for its first control line (so `pause`
    /// applies from the first record).
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
        let peer = cred::peer_cred(&stream)?;
        let me = cred::euid();
        if peer.uid != me {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "refusing the trace viewer at {}: it runs as uid {} (pid {}), not as this \
                     program's uid {me}",
                    path.display(),
                    peer.uid,
                    peer.pid
                ),
            ));
        }
        let sink = LinkSink::with(gate, false, None);
        let (hello_tx, hello_rx) = mpsc::channel();
        let input = BufReader::new(Stream::Unix(stream.try_clone()?));
        attach_viewer(&sink.shared, Stream::Unix(stream), input, Some(hello_tx))
            .map_err(|_| io::Error::other("a new link has a viewer already"))??;
        let _ = hello_rx.recv_timeout(HELLO_TIMEOUT);
        Ok(sink)
    }

    /// Listens on `addr` (loopback unless `force_remote`) for viewers that show `token`, one at
    /// a time, and publishes the token for this user (see [`LinkToken`]). Each viewer gets the
    /// header and the records so far, then the live stream.
    pub fn listen_tcp(
        addr: SocketAddr,
        force_remote: bool,
        gate: Arc<Gate>,
        token: LinkToken,
        token_given: bool,
    ) -> io::Result<(LinkSink, SocketAddr)> {
        check_loopback(&addr, force_remote)?;
        let listener = TcpListener::bind(addr).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot listen for a trace viewer on {addr}: {e}"),
            )
        })?;
        let bound = listener.local_addr()?;
        let published = match token.publish(bound.port()) {
            Ok(p) => Some(p),
            // A token the user chose is known to them without the file.
            Err(e) if token_given => {
                eprintln!(
                    "evscope: {e}; viewers need the token from {}",
                    super::TOKEN_ENV
                );
                None
            }
            Err(e) => return Err(e),
        };
        let mut sink = LinkSink::with(gate, true, Some(token));
        sink.listening = Some(bound);
        let shared = sink.shared.clone();
        std::thread::Builder::new()
            .name("evscope-link-accept".into())
            .spawn(move || accept_viewers(listener, shared))?;
        let where_token = published
            .as_ref()
            .map(|p| format!("; its token is in {}", p.path().display()))
            .unwrap_or_default();
        sink.published = published;
        eprintln!(
            "evscope: trace link listening on {bound} (join with: evscope attach {bound}{where_token})"
        );
        Ok((sink, bound))
    }
}

fn accept_viewers(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        let conn = match conn {
            Ok(c) => c,
            Err(_) => {
                // Out of descriptors, say: try again shortly rather than spin.
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        if shared.closed.load(Ordering::Acquire) {
            // The trace is over: whoever is still waiting gets all of it (if theirs), then the
            // end.
            spawn_handshake(&shared, conn);
            let _ = listener.set_nonblocking(true);
            while let Ok((c, _)) = listener.accept() {
                let _ = c.set_nonblocking(false);
                spawn_handshake(&shared, c);
            }
            return;
        }
        spawn_handshake(&shared, conn);
    }
}

/// Checks a new TCP connection's token on a thread of its own, a few at a time.
fn spawn_handshake(shared: &Arc<Shared>, conn: TcpStream) {
    let _ = conn.set_nodelay(true);
    if shared.handshakes.fetch_add(1, Ordering::AcqRel) >= MAX_HANDSHAKES {
        shared.handshakes.fetch_sub(1, Ordering::AcqRel);
        refuse(
            Stream::Tcp(conn),
            "refused: too many connections are showing their token at once; try again",
            None,
        );
        return;
    }
    let sh = shared.clone();
    let spawned = std::thread::Builder::new()
        .name("evscope-link-auth".into())
        .spawn(move || {
            handshake(&sh, conn);
            sh.handshakes.fetch_sub(1, Ordering::AcqRel);
        });
    if spawned.is_err() {
        shared.handshakes.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Sends one error status line and closes; with `input`, the rest of what the peer sends is
/// read and dropped first ([`LINGER`]), so that the line is not lost to a reset.
fn refuse(mut s: Stream, message: &str, input: Option<&mut BufReader<Stream>>) {
    let _ = s.set_write_timeout(Some(REFUSAL_WRITE_TIMEOUT));
    let _ = s.send_line(&Status::Error {
        message: message.to_string(),
    });
    s.shutdown_write();
    if let Some(input) = input {
        discard_input(input);
    }
    s.shutdown();
}

/// Reads and drops what the peer sends until it closes, for at most [`LINGER`]. Closing a TCP
/// socket with unread input resets the connection, and the peer may then lose the last lines
/// it was sent.
fn discard_input(input: &mut BufReader<Stream>) {
    use std::io::Read;
    let until = Instant::now() + LINGER;
    let mut sink = [0u8; 4096];
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || input.get_ref().set_read_timeout(Some(left)).is_err() {
            return;
        }
        match input.read(&mut sink) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// A TCP viewer's first line must carry the token, within [`AUTH_TIMEOUT`]; then it becomes the
/// viewer (if there is none), or gets the finished trace (if it is over).
fn handshake(shared: &Arc<Shared>, conn: TcpStream) {
    let Ok(read_half) = conn.try_clone() else {
        return;
    };
    let mut input = BufReader::with_capacity(MAX_CONTROL_LINE, Stream::Tcp(read_half));
    let stream = Stream::Tcp(conn);
    let Some(token) = &shared.token else {
        return refuse(
            stream,
            "refused: this link takes no viewers",
            Some(&mut input),
        );
    };
    if let Err(why) = read_token(&mut input, token) {
        return refuse(stream, &format!("refused: {why}"), Some(&mut input));
    }
    let _ = input.get_ref().set_read_timeout(None);
    if shared.closed.load(Ordering::Acquire) {
        let lines = {
            let inner = shared.lock();
            catch_up(&inner)
        };
        let mut s = stream;
        let _ = s.set_write_timeout(Some(REFUSAL_WRITE_TIMEOUT));
        for chunk in lines {
            if s.write_all(&chunk).is_err() {
                break;
            }
        }
        s.shutdown_write();
        discard_input(&mut input);
        s.shutdown();
        return;
    }
    // Without a thread for it the connection is dropped, and the program runs on.
    if let Err(Refused(stream, mut input)) = attach_viewer(shared, stream, input, None) {
        refuse(
            stream,
            "another viewer is attached to this program",
            Some(&mut input),
        );
    }
}

/// A viewer turned away because another is attached.
struct Refused(Stream, BufReader<Stream>);

/// Reads the token line within [`AUTH_TIMEOUT`] (in all, however slowly it trickles in).
fn read_token(input: &mut BufReader<Stream>, token: &LinkToken) -> Result<(), String> {
    let deadline = Instant::now() + AUTH_TIMEOUT;
    let mut buf = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("no token line within {} s", AUTH_TIMEOUT.as_secs()));
        }
        let _ = input.get_ref().set_read_timeout(Some(left));
        let chunk = match std::io::BufRead::fill_buf(input) {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(e) => return Err(format!("reading the token line failed: {e}")),
        };
        if chunk.is_empty() {
            return Err("the connection ended before a token line".into());
        }
        let (take, found) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        if buf.len() + take > MAX_CONTROL_LINE {
            return Err("the token line is too long".into());
        }
        buf.extend_from_slice(&chunk[..take]);
        std::io::BufRead::consume(input, if found { take + 1 } else { take });
        if found {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return token.admits(&buf).map_err(|why| {
                format!(
                    "{why}; this program's trace link needs the token it wrote for its user \
                     (evscope attach reads it, or give it with --token-file or {})",
                    super::TOKEN_ENV
                )
            });
        }
    }
}

/// The header and the records kept so far, for a viewer that joins late.
fn catch_up(inner: &Inner) -> Vec<Arc<[u8]>> {
    let mut out = Vec::new();
    if let Some(h) = &inner.header {
        out.push(h.clone());
    }
    if let Some(hist) = &inner.history {
        if hist.trimmed > 0 {
            if let Some(first) = hist.chunks.front() {
                let rec = Record {
                    seq: first.first_seq.saturating_sub(1),
                    t_us: first.first_t_us,
                    base: first.first_base,
                    body: Body::Dropped {
                        count: hist.trimmed,
                    },
                };
                let mut line = Vec::new();
                encode_line(&rec, &mut line);
                out.push(line.into());
            }
        }
        out.extend(hist.chunks.iter().map(|c| c.lines.clone()));
    }
    out
}

/// Installs `stream` as the viewer (unless there is one: then it is handed back): queues what it
/// missed, connects the gate, and starts its writer and control threads. `Ok(Err(_))` when a
/// thread could not be started (the viewer is then dropped).
fn attach_viewer(
    shared: &Arc<Shared>,
    stream: Stream,
    input: BufReader<Stream>,
    hello: Option<mpsc::Sender<()>>,
) -> Result<io::Result<()>, Refused> {
    let output = match stream.try_clone() {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let id = {
        let mut inner = shared.lock();
        if inner.viewer.is_some() {
            return Err(Refused(stream, input));
        }
        let id = inner.next_id;
        inner.next_id += 1;
        let mut viewer = Viewer::new(id, stream);
        for lines in catch_up(&inner) {
            viewer.push(lines, false);
        }
        inner.viewer = Some(viewer);
        shared.gate.connect();
        id
    };
    let sh = shared.clone();
    let writer = std::thread::Builder::new()
        .name("evscope-link-write".into())
        .spawn(move || write_to_viewer(&sh, id, output));
    let sh = shared.clone();
    let control = writer.and_then(|_| {
        std::thread::Builder::new()
            .name("evscope-link-control".into())
            .spawn(move || read_controls(&sh, id, input, hello))
    });
    if let Err(e) = control {
        let mut inner = shared.lock();
        shared.drop_viewer(&mut inner, Some(id));
        return Ok(Err(e));
    }
    Ok(Ok(()))
}

/// The writer thread: sends what is queued for viewer `id`, blocking on the socket as long as
/// the viewer makes it (only this thread waits for the viewer).
fn write_to_viewer(shared: &Shared, id: u64, mut out: Stream) {
    loop {
        let bytes = {
            let mut inner = shared.lock();
            loop {
                let Some(v) = shared.viewer(&mut inner, id) else {
                    return;
                };
                if let Some((bytes, counts)) = v.queue.pop_front() {
                    if counts {
                        v.queued -= bytes.len();
                    }
                    shared.changed.notify_all();
                    break bytes;
                }
                if v.skipped > 0 {
                    // All caught up after skipping: say how many were skipped now, not only
                    // when the next record comes.
                    v.push_skipped();
                    continue;
                }
                if v.finishing {
                    out.shutdown_write();
                    v.sent_all = true;
                    shared.changed.notify_all();
                    return;
                }
                inner = shared
                    .changed
                    .wait(inner)
                    .unwrap_or_else(|p| p.into_inner());
            }
        };
        let wrote = out.write_all(&bytes);
        let mut inner = shared.lock();
        if wrote.is_err() {
            shared.drop_viewer(&mut inner, Some(id));
            return;
        }
        if let Some(v) = shared.viewer(&mut inner, id) {
            v.sent += 1;
            shared.changed.notify_all();
        }
    }
}

/// The control thread: applies each control line to the gate until the viewer goes away. A
/// viewer with [`OUTBOX_BYTES`] of replies and records not taken is not read from until it
/// takes some, so one that sends without reading holds only itself.
fn read_controls(
    shared: &Shared,
    id: u64,
    mut input: BufReader<Stream>,
    mut hello: Option<mpsc::Sender<()>>,
) {
    let mut buf = Vec::new();
    loop {
        {
            let mut inner = shared.lock();
            loop {
                match shared.viewer(&mut inner, id) {
                    None => return,
                    Some(v) if v.full() && !v.finishing => {
                        inner = shared.wait(inner, Duration::from_millis(100));
                    }
                    Some(_) => break,
                }
            }
        }
        let status = match read_control_line(&mut input, &mut buf) {
            Ok(ControlLine::Text) => match parse_control(&buf) {
                Ok(ctl) => {
                    // The reply is queued before the loop this control lets go can queue a
                    // record or a status of its own: the viewer reads them in the order they
                    // happened (a `running` never arrives after the `paused` that followed it).
                    let mut inner = shared.lock();
                    let status = shared.gate.apply(&ctl);
                    // The first line answers the hello; its effect is what the viewer asked for.
                    if let Some(status) = status.filter(|_| hello.is_none()) {
                        if inner.header.is_some() && shared.viewer(&mut inner, id).is_some() {
                            shared.queue_status(&mut inner, &status);
                        }
                    }
                    drop(inner);
                    // The sink thread may be waiting for room only because the loop was held.
                    shared.changed.notify_all();
                    None
                }
                Err(message) => Some(Status::Error { message }),
            },
            Ok(ControlLine::Blank) => None,
            Ok(ControlLine::TooLong) => {
                let message =
                    format!("control line longer than {MAX_CONTROL_LINE} bytes; closing the link");
                {
                    let mut inner = shared.lock();
                    shared.queue_status(&mut inner, &Status::Error { message });
                }
                shared.gate.disconnect();
                shared.finish_viewer(Some(id));
                discard_input(&mut input);
                break;
            }
            Ok(ControlLine::Eof) | Err(_) => break,
        };
        hello.take();
        if let Some(status) = status {
            let mut inner = shared.lock();
            if inner.header.is_some() && shared.viewer(&mut inner, id).is_some() {
                shared.queue_status(&mut inner, &status);
            }
        }
    }
    let mut inner = shared.lock();
    shared.drop_viewer(&mut inner, Some(id));
}

impl Sink for LinkSink {
    fn header(&mut self, header: &Header) -> io::Result<()> {
        let mut line = serde_json::to_vec(header)?;
        line.push(b'\n');
        let line: Arc<[u8]> = line.into();
        let mut inner = self.shared.lock();
        if let Some(v) = inner.viewer.as_mut() {
            v.push(line.clone(), true);
            self.shared.changed.notify_all();
        }
        inner.header = Some(line);
        Ok(())
    }

    fn records(&mut self, records: &[Record]) -> io::Result<()> {
        let (Some(first), Some(last)) = (records.first(), records.last()) else {
            return Ok(());
        };
        {
            let mut inner = self.shared.lock();
            if inner.history.is_none() {
                match inner.viewer.as_mut() {
                    // The viewer has gone and no later one can come: nothing to encode for.
                    None => return Ok(()),
                    // Nothing would be sent: skip it without encoding it.
                    Some(v) if v.full() && !self.shared.gate.is_paused() => {
                        v.skipped += records.len() as u64;
                        v.last_skipped = (last.seq, last.t_us, last.base);
                        return Ok(());
                    }
                    Some(_) => {}
                }
            }
        }
        self.line.clear();
        for r in records {
            encode_line(r, &mut self.line);
        }
        let lines: Arc<[u8]> = self.line.as_slice().into();
        let mut inner = self.shared.lock();
        if let Some(hist) = inner.history.as_mut() {
            hist.bytes += lines.len();
            hist.chunks.push_back(Chunk {
                first_seq: first.seq,
                first_t_us: first.t_us,
                first_base: first.base,
                records: records.len() as u64,
                lines: lines.clone(),
            });
            while hist.bytes > HISTORY_BYTES {
                match hist.chunks.pop_front() {
                    Some(c) => {
                        hist.bytes -= c.lines.len();
                        hist.trimmed += c.records;
                    }
                    None => break,
                }
            }
        }
        loop {
            let paused = self.shared.gate.is_paused();
            let Some(v) = inner.viewer.as_mut().filter(|v| !v.finishing) else {
                // No viewer, or one being closed: nothing more for it.
                return Ok(());
            };
            if !v.full() {
                v.push_skipped();
                v.push(lines, true);
                self.shared.changed.notify_all();
                return Ok(());
            }
            if !paused {
                // Running freely: this viewer misses these records, and is told how many.
                v.skipped += records.len() as u64;
                v.last_skipped = (last.seq, last.t_us, last.base);
                return Ok(());
            }
            // The viewer holds the loop: wait until it takes some of what it was sent (or lets
            // the loop run, or leaves).
            inner = self.shared.wait(inner, Duration::from_millis(50));
        }
    }

    fn status(&mut self, status: &Status) -> io::Result<()> {
        let mut inner = self.shared.lock();
        self.shared.queue_status(&mut inner, status);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for LinkSink {
    /// The trace is over: the viewer gets what is queued for it and then the end of the stream
    /// (waiting at most [`FINISH_TIMEOUT`] for a viewer that takes nothing), the gate opens, and
    /// the accept thread (if any) stops.
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.gate.disconnect();
        self.shared.finish_viewer(None);
        {
            let mut inner = self.shared.lock();
            self.shared.drop_viewer(&mut inner, None);
        }
        if let Some(addr) = self.listening {
            // Wake the blocked accept so the thread sees `closed` and ends.
            let _ = TcpStream::connect(addr);
        }
    }
}
