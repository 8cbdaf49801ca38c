//! [`LinkSink`]: the observed program's end of the live link. It queues lines for each viewer,
//! which a writer thread of the viewer's own sends; it reads each viewer's control lines on a
//! thread of their own; when a viewer goes away nothing more is queued for it.
//!
//! A link serves a class: one owner and any number of followers (up to [`MAX_VIEWERS`] in
//! all). Only the owner's control lines reach the [`Gate`]; when the owner goes away the gate is
//! released (and the earliest remaining viewer that showed the owner's token becomes the owner).
//! A follower's control lines are answered with an error status saying it follows read-only,
//! then with the loop's state (`running` or `paused`), and change nothing.
//!
//! The link belongs to the program's user: on a Unix socket the one viewer must run as the same
//! uid (`SO_PEERCRED`) and owns the link; on TCP a viewer must show a token first: the owner's
//! [`LinkToken`] (the first such viewer owns the link, later ones follow), or the follower token
//! (it follows).
//!
//! A slow viewer does not slow a free-running program: the sink thread never writes to the
//! socket, it only queues, and what is queued for a viewer is bounded by [`OUTBOX_BYTES`]. While
//! the loop runs freely, records that do not fit are skipped for that viewer, and a `dropped`
//! record tells it how many before the next one it gets. While the viewer holds the loop
//! (paused, stepping, stopped at a breakpoint) nothing is skipped: the sink thread waits for
//! room instead, as the viewer asked the loop to wait for it.
//!
//! A follower's records are skipped when its queue is full even while the owner holds the loop:
//! only the owner is waited for.
//!
//! The bound: a slow viewer adds no wait at all to a free-running loop (the sink thread only
//! queues, under a lock each writer thread holds just to pick up a batch). The loop waits on a
//! viewer only while that viewer owns the link and holds the loop, and, when the trace ends, at
//! most [`FINISH_TIMEOUT`] after the last viewer still taking something last took something.

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
    check_loopback, parse_control, read_control_line, Control, ControlLine, Status, Stream,
    AUTH_TIMEOUT, HELLO_TIMEOUT, MAX_CONTROL_LINE,
};
use super::link_frame::{frame_as_lines, FrameEncoder};
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

/// The most viewers (owner and followers) a link serves at once; more are turned away.
pub const MAX_VIEWERS: usize = 64;

/// TCP connections that may be showing their token at the same time; more are turned away. A
/// class connecting at once fits.
const MAX_HANDSHAKES: usize = MAX_VIEWERS;

/// How long a free-running loop's records may wait to go to the viewers in one batch.
const VIEW_TICK: Duration = Duration::from_millis(16);

/// The most records held back for one batch.
const VIEW_BATCH: usize = 8192;

/// Chunks a writer thread takes from its queue at a time.
const WRITE_BATCH: usize = 64;

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
    /// The batch as a frame (`link_frame`), or as whole lines when no frame was made.
    bytes: Arc<[u8]>,
    frame: bool,
}

/// What waits to be sent to a viewer.
struct Queued {
    bytes: Arc<[u8]>,
    /// It counts against [`OUTBOX_BYTES`] (what a late viewer catches up on does not).
    counts: bool,
    /// A frame to send as whole lines (to a viewer that reads lines, catching up on history).
    as_lines: bool,
}

/// Encoded batches kept for late viewers.
#[derive(Default)]
struct History {
    chunks: VecDeque<Chunk>,
    bytes: usize,
    trimmed: u64,
}

/// A viewer's connection and what waits to be sent to it.
struct Viewer {
    /// Which connection this is, so that a thread of an earlier viewer never ends a later one.
    id: u64,
    stream: Stream,
    /// It showed the owner's token (or is a Unix link's viewer): it owns the link when no other
    /// viewer does.
    may_own: bool,
    /// It reads records in frames (it asked on its token line); otherwise in whole lines.
    frames: bool,
    /// Wakes this viewer's writer thread (waiting with `idle` set).
    wake: Arc<Condvar>,
    idle: bool,
    /// What to send.
    queue: VecDeque<Queued>,
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
    fn new(id: u64, stream: Stream, may_own: bool, frames: bool) -> Viewer {
        Viewer {
            id,
            stream,
            may_own,
            frames,
            wake: Arc::new(Condvar::new()),
            idle: false,
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
        self.push_queued(Queued {
            bytes,
            counts,
            as_lines: false,
        });
    }

    fn push_queued(&mut self, q: Queued) {
        if q.counts {
            self.queued += q.bytes.len();
        }
        self.queue.push_back(q);
        self.wake_writer();
    }

    /// Wakes the writer thread if it waits (a wake-up costs a system call, so only then).
    fn wake_writer(&self) {
        if self.idle {
            self.wake.notify_one();
        }
    }

    /// Counts `n` records skipped for this viewer, the last of them `last`.
    fn skip(&mut self, n: usize, last: &Record) {
        self.skipped += n as u64;
        self.last_skipped = (last.seq, last.t_us, last.base);
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
    /// The viewers, in the order they came.
    viewers: Vec<Viewer>,
    /// The viewer whose controls the gate obeys.
    owner: Option<u64>,
    next_id: u64,
    header: Option<Arc<[u8]>>,
    history: Option<History>,
}

struct Shared {
    inner: Mutex<Inner>,
    /// A full queue got room, a finishing viewer made progress, a viewer left, or the gate
    /// changed.
    changed: Condvar,
    gate: Arc<Gate>,
    closed: AtomicBool,
    /// The token a TCP viewer shows to own the link.
    token: Option<LinkToken>,
    /// The token a TCP viewer shows to follow.
    follow_token: Option<LinkToken>,
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

    /// The viewer `id` (every viewer, with `None`) is gone: stop sending to it; if it owned the
    /// link, release the loop.
    fn drop_viewer(&self, inner: &mut Inner, id: Option<u64>) {
        let mut owner_left = false;
        inner.viewers.retain(|v| {
            if id.is_some_and(|id| v.id != id) {
                return true;
            }
            v.stream.shutdown();
            v.wake.notify_one();
            owner_left |= inner.owner == Some(v.id);
            false
        });
        if owner_left {
            self.release_owner(inner);
        }
        self.changed.notify_all();
    }

    /// The owner left or is leaving: the gate opens (the followers are told, if the owner held
    /// the loop), and the earliest viewer still here that showed the owner's token (and is not
    /// being closed) becomes the owner.
    fn release_owner(&self, inner: &mut Inner) {
        inner.owner = None;
        let held = self.gate.is_paused();
        self.gate.disconnect();
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        if held && inner.header.is_some() {
            self.queue_status(inner, &Status::Running);
        }
        if let Some(v) = inner.viewers.iter().find(|v| v.may_own && !v.finishing) {
            inner.owner = Some(v.id);
            self.gate.connect();
        }
    }

    /// The viewer `id`, if it is still a viewer.
    fn viewer<'a>(&self, inner: &'a mut Inner, id: u64) -> Option<&'a mut Viewer> {
        inner.viewers.iter_mut().find(|v| v.id == id)
    }

    /// Queues a status line for every viewer; statuses are never skipped.
    fn queue_status(&self, inner: &mut Inner, status: &Status) {
        if inner.viewers.is_empty() {
            return;
        }
        let line = status_line(status);
        for v in &mut inner.viewers {
            v.push(line.clone(), true);
        }
    }

    /// Queues a status line for the viewer `id` alone.
    fn queue_status_to(&self, inner: &mut Inner, id: u64, status: &Status) {
        if let Some(v) = self.viewer(inner, id) {
            v.push(status_line(status), true);
        }
    }

    /// Lets the viewer `id` (every viewer, with `None`) take what is queued for it and then the
    /// end of the stream; gives up on one, closing its link, when it takes nothing for
    /// [`FINISH_TIMEOUT`]. An owner being finished releases the loop at once.
    fn finish_viewers(&self, id: Option<u64>) {
        let mut inner = self.lock();
        let mut progress: Vec<(u64, u64, Instant)> = Vec::new();
        let mut owner_leaves = false;
        let owner = inner.owner;
        for v in &mut inner.viewers {
            if id.is_some_and(|id| v.id != id) {
                continue;
            }
            v.finishing = true;
            v.wake.notify_one();
            owner_leaves |= owner == Some(v.id);
            progress.push((v.id, v.sent, Instant::now()));
        }
        if owner_leaves {
            self.release_owner(&mut inner);
        }
        loop {
            let mut next = FINISH_TIMEOUT;
            let mut stalled = Vec::new();
            progress.retain_mut(|(id, sent, since)| {
                let Some(v) = inner.viewers.iter().find(|v| v.id == *id) else {
                    return false;
                };
                if v.sent_all {
                    return false;
                }
                if v.sent != *sent {
                    (*sent, *since) = (v.sent, Instant::now());
                }
                let left = FINISH_TIMEOUT.saturating_sub(since.elapsed());
                if left.is_zero() {
                    stalled.push(*id);
                    return false;
                }
                next = next.min(left);
                true
            });
            for id in stalled {
                self.drop_viewer(&mut inner, Some(id));
            }
            if progress.is_empty() {
                return;
            }
            inner = self.wait(inner, next);
        }
    }
}

/// A status as the line sent for it.
fn status_line(status: &Status) -> Arc<[u8]> {
    let mut line = serde_json::to_vec(status).unwrap_or_default();
    line.push(b'\n');
    line.into()
}

/// What a follower is told when it sends `ctl`.
fn follower_refusal(ctl: &Control) -> String {
    let what = match ctl {
        Control::Pause => "pause",
        Control::Step { .. } => "step",
        Control::Continue => "continue",
        Control::Break { .. } => "break",
        Control::Unbreak { .. } => "unbreak",
        Control::NextIteration => "next_iteration",
    };
    // Short: a dashboard shows it in its footer.
    format!(
        "{what} refused: you follow read-only; only the owner may pause, step or set breakpoints"
    )
}

/// The program's end of a live link (a [`Sink`]).
pub struct LinkSink {
    shared: Arc<Shared>,
    line: Vec<u8>,
    /// Makes the frames of viewers that read them (and of the history); made on first use.
    frames: Option<FrameEncoder>,
    /// Records held back to go out in one batch ([`VIEW_TICK`]), and since when.
    pending: Vec<Record>,
    pending_since: Instant,
    /// The listening address, for waking the accept thread on drop.
    listening: Option<SocketAddr>,
    /// The token files of a TCP link (the follower's, the owner's), removed with the sink.
    published: Vec<Published>,
}

impl LinkSink {
    fn with(
        gate: Arc<Gate>,
        history: bool,
        token: Option<LinkToken>,
        follow_token: Option<LinkToken>,
    ) -> LinkSink {
        LinkSink {
            shared: Arc::new(Shared {
                inner: Mutex::new(Inner {
                    viewers: Vec::new(),
                    owner: None,
                    next_id: 1,
                    header: None,
                    history: history.then(History::default),
                }),
                changed: Condvar::new(),
                gate,
                closed: AtomicBool::new(false),
                token,
                follow_token,
                handshakes: AtomicUsize::new(0),
            }),
            line: Vec::with_capacity(1 << 14),
            frames: None,
            pending: Vec::new(),
            pending_since: Instant::now(),
            listening: None,
            published: Vec::new(),
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
        let sink = LinkSink::with(gate, false, None, None);
        let (hello_tx, hello_rx) = mpsc::channel();
        let input = BufReader::new(Stream::Unix(stream.try_clone()?));
        attach_viewer(
            &sink.shared,
            Stream::Unix(stream),
            input,
            Some(hello_tx),
            (true, false),
        )
        .map_err(|_| io::Error::other("a new link has no room for its viewer"))??;
        let _ = hello_rx.recv_timeout(HELLO_TIMEOUT);
        Ok(sink)
    }

    /// Listens on `addr` (loopback unless `force_remote`) for viewers, and publishes the
    /// owner's `token` and the `follow` token for this user (see [`LinkToken`]). The first
    /// viewer that shows `token` owns the link (it pauses, steps, sets breakpoints); every other
    /// viewer, and any that shows `follow`, follows read-only. Each viewer gets the header and
    /// the records so far, then the live stream. `token_given`: the user chose the tokens (so a
    /// token file that cannot be written is no error).
    pub fn listen_tcp(
        addr: SocketAddr,
        force_remote: bool,
        gate: Arc<Gate>,
        (token, follow): (LinkToken, LinkToken),
        token_given: bool,
    ) -> io::Result<(LinkSink, SocketAddr)> {
        check_loopback(&addr, force_remote)?;
        if token == follow {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the follower token ({}) must differ from the owner's token ({}): \
                     followers must never hold the owner's",
                    super::FOLLOW_TOKEN_ENV,
                    super::TOKEN_ENV
                ),
            ));
        }
        let listener = TcpListener::bind(addr).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot listen for a trace viewer on {addr}: {e}"),
            )
        })?;
        let bound = listener.local_addr()?;
        // The follower's first: whoever finds the owner's file finds the follower's too.
        let mut published = Vec::new();
        for (t, follower) in [(&follow, true), (&token, false)] {
            let written = if follower {
                t.publish_follow(bound.port())
            } else {
                t.publish(bound.port())
            };
            match written {
                Ok(p) => published.push(p),
                // A token the user chose is known to them without the file.
                Err(e) if token_given => {
                    eprintln!(
                        "evscope: {e}; viewers need the token from {}",
                        if follower {
                            super::FOLLOW_TOKEN_ENV
                        } else {
                            super::TOKEN_ENV
                        }
                    );
                }
                Err(e) => return Err(e),
            }
        }
        let mut sink = LinkSink::with(gate, true, Some(token), Some(follow));
        sink.listening = Some(bound);
        let shared = sink.shared.clone();
        std::thread::Builder::new()
            .name("evscope-link-accept".into())
            .spawn(move || accept_viewers(listener, shared))?;
        let where_token = match published.as_slice() {
            [follow, owner] => format!(
                "; its owner's token is in {}, the follower token for a class in {}",
                owner.path().display(),
                follow.path().display()
            ),
            [one] => format!("; a token is in {}", one.path().display()),
            _ => String::new(),
        };
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

/// A TCP viewer's first line must carry a token, within [`AUTH_TIMEOUT`]; then it becomes a
/// viewer (the owner, if it showed the owner's token and there is none), or gets the finished
/// trace (if it is over).
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
    let (may_own, frames) = match read_token(&mut input, token, shared.follow_token.as_ref()) {
        Ok(admitted) => admitted,
        Err(why) => return refuse(stream, &format!("refused: {why}"), Some(&mut input)),
    };
    let _ = input.get_ref().set_read_timeout(None);
    if shared.closed.load(Ordering::Acquire) {
        let queued = {
            let inner = shared.lock();
            catch_up(&inner, frames)
        };
        let mut s = stream;
        let _ = s.set_write_timeout(Some(REFUSAL_WRITE_TIMEOUT));
        for q in queued {
            let Ok(bytes) = wire_bytes(&q) else {
                break;
            };
            if s.write_all(&bytes).is_err() {
                break;
            }
        }
        s.shutdown_write();
        discard_input(&mut input);
        s.shutdown();
        return;
    }
    // Without a thread for it the connection is dropped, and the program runs on.
    if let Err(Refused(stream, mut input)) =
        attach_viewer(shared, stream, input, None, (may_own, frames))
    {
        refuse(
            stream,
            &format!("refused: this program has {MAX_VIEWERS} viewers already"),
            Some(&mut input),
        );
    }
}

/// A viewer turned away because the link has [`MAX_VIEWERS`] already.
struct Refused(Stream, BufReader<Stream>);

/// Reads the token line within [`AUTH_TIMEOUT`] (in all, however slowly it trickles in):
/// whether it showed the owner's `token` (not the `follow` token), and whether it asked for
/// frames.
fn read_token(
    input: &mut BufReader<Stream>,
    token: &LinkToken,
    follow: Option<&LinkToken>,
) -> Result<(bool, bool), String> {
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
            // Both are compared, whichever matches.
            let owner = token.admits(&buf);
            let follower = follow.map(|f| f.admits(&buf));
            if let Some(Ok(frames)) = follower {
                return Ok((false, frames));
            }
            return owner.map(|frames| (true, frames)).map_err(|why| {
                format!(
                    "{why}; this program's trace link needs the token it wrote for its user \
                     (evscope attach reads it, or give it with --token-file or {})",
                    super::TOKEN_ENV
                )
            });
        }
    }
}

/// The header and the records kept so far, for a viewer that joins late (`frames`: one that
/// reads frames; kept frames go to others as whole lines).
fn catch_up(inner: &Inner, frames: bool) -> Vec<Queued> {
    let whole = |bytes: Arc<[u8]>| Queued {
        bytes,
        counts: false,
        as_lines: false,
    };
    let mut out = Vec::new();
    if let Some(h) = &inner.header {
        out.push(whole(h.clone()));
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
                out.push(whole(line.into()));
            }
        }
        out.extend(hist.chunks.iter().map(|c| Queued {
            bytes: c.bytes.clone(),
            counts: false,
            as_lines: c.frame && !frames,
        }));
    }
    out
}

/// What goes on the wire for `q`: its bytes, or a frame's records as whole lines.
fn wire_bytes(q: &Queued) -> Result<std::borrow::Cow<'_, [u8]>, String> {
    if q.as_lines {
        frame_as_lines(&q.bytes).map(std::borrow::Cow::Owned)
    } else {
        Ok(std::borrow::Cow::Borrowed(&q.bytes))
    }
}

/// Adds `stream` as a viewer (unless the link has [`MAX_VIEWERS`]: then it is handed back):
/// queues what it missed, makes it the owner when it `may_own` and there is none (connecting the
/// gate), and starts its writer and control threads. `Ok(Err(_))` when a thread could not be
/// started (the viewer is then dropped).
fn attach_viewer(
    shared: &Arc<Shared>,
    stream: Stream,
    input: BufReader<Stream>,
    hello: Option<mpsc::Sender<()>>,
    (may_own, frames): (bool, bool),
) -> Result<io::Result<()>, Refused> {
    let output = match stream.try_clone() {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let id = {
        let mut inner = shared.lock();
        if inner.viewers.len() >= MAX_VIEWERS {
            return Err(Refused(stream, input));
        }
        let id = inner.next_id;
        inner.next_id += 1;
        let mut viewer = Viewer::new(id, stream, may_own, frames);
        for q in catch_up(&inner, frames) {
            viewer.push_queued(q);
        }
        let owns = may_own && inner.owner.is_none();
        if !owns && inner.header.is_some() && shared.gate.is_paused() {
            // A follower joining a held loop learns it is held.
            viewer.push(
                status_line(&Status::Paused {
                    reason: "pause".into(),
                    ev: None,
                }),
                true,
            );
        }
        inner.viewers.push(viewer);
        if owns {
            inner.owner = Some(id);
            shared.gate.connect();
        }
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
    let mut batch: Vec<Queued> = Vec::with_capacity(WRITE_BATCH);
    loop {
        {
            let mut inner = shared.lock();
            loop {
                let Some(v) = shared.viewer(&mut inner, id) else {
                    return;
                };
                v.idle = false;
                if !v.queue.is_empty() {
                    let was_full = v.full();
                    while let Some(q) = v.queue.pop_front() {
                        if q.counts {
                            v.queued -= q.bytes.len();
                        }
                        batch.push(q);
                        if batch.len() == WRITE_BATCH {
                            break;
                        }
                    }
                    if was_full || v.finishing {
                        // Someone may wait for room in this queue, or for this viewer to finish.
                        shared.changed.notify_all();
                    }
                    break;
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
                v.idle = true;
                let wake = v.wake.clone();
                inner = wake.wait(inner).unwrap_or_else(|p| p.into_inner());
            }
        }
        let mut wrote = Ok(());
        let mut sent = 0;
        for q in batch.drain(..) {
            wrote = match wire_bytes(&q) {
                Ok(bytes) => out.write_all(&bytes),
                Err(why) => {
                    // Only this build's own frames get here, so this is a bug: say so and end
                    // the link rather than send a history with a hole in it.
                    let message = format!("cannot send the kept history: {why}");
                    let _ = out.write_all(&status_line(&Status::Error { message }));
                    Err(io::Error::other(why))
                }
            };
            if wrote.is_err() {
                break;
            }
            sent += 1;
        }
        let mut inner = shared.lock();
        if wrote.is_err() {
            shared.drop_viewer(&mut inner, Some(id));
            return;
        }
        if let Some(v) = shared.viewer(&mut inner, id) {
            v.sent += sent;
            if v.finishing {
                shared.changed.notify_all();
            }
        }
    }
}

/// The control thread: applies each control line of the owner to the gate, and answers a
/// follower's with a refusal and the loop's state, until the viewer goes away. A viewer with
/// [`OUTBOX_BYTES`] of replies and records not taken is not read from until it takes some, so
/// one that sends without reading holds only itself.
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
                    let mut inner = shared.lock();
                    if inner.owner == Some(id) {
                        apply_owner_control(shared, &mut inner, id, &ctl, hello.is_some());
                    } else if inner.header.is_some() {
                        // A follower: told, with the loop's state, so that its view shows the
                        // truth.
                        let state = if shared.gate.is_paused() {
                            Status::Paused {
                                reason: "pause".into(),
                                ev: None,
                            }
                        } else {
                            Status::Running
                        };
                        let refusal = Status::Error {
                            message: follower_refusal(&ctl),
                        };
                        shared.queue_status_to(&mut inner, id, &refusal);
                        shared.queue_status_to(&mut inner, id, &state);
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
                    shared.queue_status_to(&mut inner, id, &Status::Error { message });
                }
                // An owner leaving this way releases the loop.
                shared.finish_viewers(Some(id));
                discard_input(&mut input);
                break;
            }
            Ok(ControlLine::Eof) | Err(_) => break,
        };
        hello.take();
        if let Some(status) = status {
            let mut inner = shared.lock();
            if inner.header.is_some() {
                shared.queue_status_to(&mut inner, id, &status);
            }
        }
    }
    let mut inner = shared.lock();
    shared.drop_viewer(&mut inner, Some(id));
}

/// Applies the owner's control line to the gate. Its reply is queued before the loop this
/// control lets go can queue a record or a status of its own: the viewers read them in the order
/// they happened (a `running` never arrives after the `paused` that followed it). The first line
/// of a Unix link (`hello`) gets no reply: its effect is what the viewer asked for.
fn apply_owner_control(shared: &Shared, inner: &mut Inner, id: u64, ctl: &Control, hello: bool) {
    let Some(status) = shared.gate.apply(ctl).filter(|_| !hello) else {
        return;
    };
    if inner.header.is_none() {
        return;
    }
    if matches!(status, Status::Error { .. }) {
        shared.queue_status_to(inner, id, &status);
    } else {
        // Every viewer sees the loop paused or running.
        shared.queue_status(inner, &status);
    }
}

impl Sink for LinkSink {
    fn header(&mut self, header: &Header) -> io::Result<()> {
        let mut line = serde_json::to_vec(header)?;
        line.push(b'\n');
        let line: Arc<[u8]> = line.into();
        let mut inner = self.shared.lock();
        for v in &mut inner.viewers {
            v.push(line.clone(), true);
        }
        inner.header = Some(line);
        Ok(())
    }

    fn records(&mut self, records: &[Record]) -> io::Result<()> {
        if self.pending.is_empty() {
            self.pending_since = Instant::now();
        }
        self.pending.extend_from_slice(records);
        self.send_pending(false)
    }

    fn status(&mut self, status: &Status) -> io::Result<()> {
        // After the records before it.
        self.send_pending(true)?;
        let mut inner = self.shared.lock();
        self.shared.queue_status(&mut inner, status);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_pending(true)
    }

    fn holding(&self) -> bool {
        !self.pending.is_empty()
    }

    fn flush_due(&mut self) -> io::Result<()> {
        self.send_pending(false)
    }
}

impl LinkSink {
    /// Sends the records held back when `now`, or when they are due. A viewer's eye needs no
    /// more than 60 batches a second, and each batch costs every viewer a wake-up and a write,
    /// so while every viewer reads frames a free-running loop's records go out every
    /// [`VIEW_TICK`] (or [`VIEW_BATCH`] records). While the loop is held or stepped, and while a
    /// viewer reads whole lines (a batch of lines is some twenty times larger, and a larger one
    /// only costs more cache), each batch goes out at once.
    fn send_pending(&mut self, now: bool) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let due = now
            || self.pending.len() >= VIEW_BATCH
            || self.pending_since.elapsed() >= VIEW_TICK
            || self.shared.gate.is_paused()
            || self
                .shared
                .lock()
                .viewers
                .iter()
                .any(|v| !v.frames && !v.finishing);
        if !due {
            return Ok(());
        }
        let records = std::mem::take(&mut self.pending);
        let sent = self.send(&records);
        // Its allocation serves the next batch.
        self.pending = records;
        self.pending.clear();
        sent
    }

    /// Sends `records` to every viewer (and the history).
    fn send(&mut self, records: &[Record]) -> io::Result<()> {
        let (Some(first), Some(last)) = (records.first(), records.last()) else {
            return Ok(());
        };
        let (need_lines, need_frame) = {
            let mut inner = self.shared.lock();
            if inner.history.is_none() {
                if inner.viewers.is_empty() {
                    // The viewer has gone and no later one can come: nothing to encode for.
                    return Ok(());
                }
                if inner.viewers.iter().all(Viewer::full) && !self.shared.gate.is_paused() {
                    // Nothing would be sent: skip it without encoding it.
                    for v in &mut inner.viewers {
                        v.skip(records.len(), last);
                    }
                    return Ok(());
                }
            }
            let live = || inner.viewers.iter().filter(|v| !v.finishing);
            // The history is kept as frames: a fifth of the JSON's size, so it holds more.
            (
                live().any(|v| !v.frames),
                inner.history.is_some() || live().any(|v| v.frames),
            )
        };
        // Encoded once for every viewer (and the history), outside the lock.
        let lines: Option<Arc<[u8]>> = need_lines.then(|| {
            self.line.clear();
            for r in records {
                encode_line(r, &mut self.line);
            }
            self.line.as_slice().into()
        });
        let frame: Option<Arc<[u8]>> = if need_frame {
            let encoder = match &mut self.frames {
                Some(e) => e,
                None => self.frames.insert(FrameEncoder::new()?),
            };
            Some(encoder.encode(records)?)
        } else {
            None
        };
        let (kept, kept_is_frame) = match (&frame, &lines) {
            (Some(f), _) => (f.clone(), true),
            (None, Some(l)) => (l.clone(), false),
            (None, None) => return Ok(()),
        };
        // What a viewer of each kind gets; one that came in between the two locks may need the
        // other form (a frame reader reads whole lines too).
        let pick = |frames: bool| -> Queued {
            let (bytes, as_lines) = match (&frame, &lines) {
                (Some(f), _) if frames => (f.clone(), false),
                (_, Some(l)) => (l.clone(), false),
                _ => (kept.clone(), kept_is_frame),
            };
            Queued {
                bytes,
                counts: true,
                as_lines,
            }
        };
        let mut inner = self.shared.lock();
        if let Some(hist) = inner.history.as_mut() {
            let bytes = kept.clone();
            hist.bytes += bytes.len();
            hist.chunks.push_back(Chunk {
                first_seq: first.seq,
                first_t_us: first.t_us,
                first_base: first.base,
                records: records.len() as u64,
                bytes,
                frame: kept_is_frame,
            });
            while hist.bytes > HISTORY_BYTES {
                match hist.chunks.pop_front() {
                    Some(c) => {
                        hist.bytes -= c.bytes.len();
                        hist.trimmed += c.records;
                    }
                    None => break,
                }
            }
        }
        let paused = self.shared.gate.is_paused();
        let owner = inner.owner;
        let mut owner_waits = false;
        // Viewers being closed get nothing more.
        for v in inner.viewers.iter_mut().filter(|v| !v.finishing) {
            if !v.full() {
                v.push_skipped();
                v.push_queued(pick(v.frames));
            } else if paused && owner == Some(v.id) {
                owner_waits = true;
            } else {
                // Running freely, or a follower: this viewer misses these records, and is told
                // how many.
                v.skip(records.len(), last);
            }
        }
        if !owner_waits {
            return Ok(());
        }
        loop {
            // The owner holds the loop: wait until it takes some of what it was sent (or lets
            // the loop run, or leaves).
            inner = self.shared.wait(inner, Duration::from_millis(50));
            let paused = self.shared.gate.is_paused();
            let owner = inner.owner;
            let Some(v) = inner
                .viewers
                .iter_mut()
                .find(|v| Some(v.id) == owner && !v.finishing)
            else {
                return Ok(());
            };
            if !v.full() {
                v.push_skipped();
                v.push_queued(pick(v.frames));
                return Ok(());
            }
            if !paused {
                v.skip(records.len(), last);
                return Ok(());
            }
        }
    }
}

impl Drop for LinkSink {
    /// The trace is over: every viewer gets what is queued for it and then the end of the
    /// stream (waiting at most [`FINISH_TIMEOUT`] for one that takes nothing), the gate opens,
    /// and the accept thread (if any) stops.
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.gate.disconnect();
        self.shared.finish_viewers(None);
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
