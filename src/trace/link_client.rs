//! The viewer's end of the live link: [`ViewerListener`] (a private Unix socket a program
//! connects to, as `evscope run` uses; only programs of the same user are let in),
//! [`LinkClient`] (shows a TCP link's token, then reads the header, checked records and
//! statuses) and [`ControlSender`] (sends controls, from any thread).

use std::io::{self, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::check::{Checker, Stats};
use super::error::TraceError;
use super::reader::{parse_header, parse_lenient, parse_record, read_line, Line};
use crate::ev::{euid, peer_cred};
use evscope_core::trace::link::{check_loopback, Control, LinkMsg, Status, Stream};
use evscope_core::trace::LinkToken;
use evscope_core::trace::{unpack, FrameHead, Header, Implied, Record, VERSION};

/// Sends control messages to the observed program; cheap to clone, usable from any thread.
#[derive(Clone)]
pub struct ControlSender(Arc<Mutex<Stream>>);

impl ControlSender {
    /// Sends one control line.
    pub fn send(&self, ctl: &Control) -> io::Result<()> {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        s.send_line(ctl)
    }

    /// Closes the link; the program's gate opens and it runs on.
    pub fn close(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).shutdown();
    }
}

/// A viewer's connection to an observed program: what it sends, checked as a trace file is.
pub struct LinkClient {
    input: BufReader<Stream>,
    control: ControlSender,
    buf: Vec<u8>,
    line: u64,
    header: Option<Header>,
    checker: Checker,
    /// The frame being read (`link_frame`): its record lines, how far they are read, and what
    /// its lines so far imply.
    frame: Vec<u8>,
    frame_at: usize,
    frame_implied: Implied,
    /// The record of the frame's last line read, when that line also said a record before it
    /// (a version 5 `callback_begin`'s move to `callback`), which came first.
    frame_after: Option<Record>,
    packed: Vec<u8>,
}

impl LinkClient {
    /// Joins a program started with `EVSCOPE_TRACE=tcp:ADDR` (`evscope attach`), showing the
    /// token the program wrote for this user ([`LinkToken::find`]). Refuses non-loopback
    /// addresses unless `force_remote`.
    pub fn attach(addr: SocketAddr, force_remote: bool) -> io::Result<LinkClient> {
        check_loopback(&addr, force_remote)?;
        let token = LinkToken::find(addr.port())?;
        LinkClient::attach_with_token(addr, force_remote, &token)
    }

    /// [`LinkClient::attach`] showing `token`. A wrong token is refused by the program: the
    /// first [`LinkClient::recv`] then fails with its reason.
    pub fn attach_with_token(
        addr: SocketAddr,
        force_remote: bool,
        token: &LinkToken,
    ) -> io::Result<LinkClient> {
        check_loopback(&addr, force_remote)?;
        LinkClient::new(Stream::Tcp(LinkClient::connect_tcp(addr, token, None)?))
    }

    /// Connects to the program at `addr` (giving up after `timeout`, if any) and shows it
    /// `token`: the socket a [`LinkClient`] is then made on, once the caller is content.
    pub fn connect_tcp(
        addr: SocketAddr,
        token: &LinkToken,
        timeout: Option<std::time::Duration>,
    ) -> io::Result<TcpStream> {
        let connected = match timeout {
            Some(t) => TcpStream::connect_timeout(&addr, t),
            None => TcpStream::connect(addr),
        };
        let mut s = connected.map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot attach to {addr}: {e} (was the program started with \
                     EVSCOPE_TRACE=tcp:{addr}?)"
                ),
            )
        })?;
        // Latency only: the link works the same without it.
        let _ = s.set_nodelay(true);
        s.write_all(&token.auth_line())
            .map_err(|e| io::Error::new(e.kind(), format!("cannot attach to {addr}: {e}")))?;
        Ok(s)
    }

    /// A client on an accepted or connected link socket.
    pub fn new(stream: Stream) -> io::Result<LinkClient> {
        let control = ControlSender(Arc::new(Mutex::new(stream.try_clone()?)));
        Ok(LinkClient {
            input: BufReader::with_capacity(1 << 16, stream),
            control,
            buf: Vec::with_capacity(256),
            line: 0,
            header: None,
            checker: Checker::new(),
            frame: Vec::new(),
            frame_at: 0,
            frame_implied: Implied::new(),
            frame_after: None,
            packed: Vec::new(),
        })
    }

    /// A handle for sending controls from another thread.
    pub fn sender(&self) -> ControlSender {
        self.control.clone()
    }

    /// Sends one control line.
    pub fn send(&self, ctl: &Control) -> io::Result<()> {
        self.control.send(ctl)
    }

    /// The header, once received.
    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// What the records so far held.
    pub fn stats(&self) -> &Stats {
        self.checker.stats()
    }

    /// Whether a whole line has arrived and waits in the buffer, so that [`LinkClient::recv`]
    /// returns without waiting for the program.
    pub fn has_buffered_line(&self) -> bool {
        if self.frame_at < self.frame.len() {
            return true;
        }
        let buf = self.input.buffer();
        let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
            return false;
        };
        match FrameHead::parse(&buf[..nl]) {
            // A frame's line: only with all of its bytes.
            Some(Ok(head)) => (buf.len() - nl - 1) as u64 >= head.bytes,
            // A line, or a bad frame line that `recv` reports at once.
            _ => true,
        }
    }

    /// The next record line of the frame being read, as a whole record (checked).
    fn next_in_frame(&mut self) -> Result<Record, TraceError> {
        self.line += 1;
        let line = self.line;
        let rest = &self.frame[self.frame_at..];
        let len = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        self.buf.clear();
        self.buf.extend_from_slice(&rest[..len]);
        self.frame_at += len + 1;
        let (rec, absent) = parse_lenient(&self.buf, line, true)?;
        let (first, then) = self
            .frame_implied
            .fill(rec, &absent)
            .map_err(|what| TraceError::at(line, what))?;
        self.frame_after = then;
        self.checked(first)
    }

    /// `rec`, once the checker took it.
    fn checked(&mut self, rec: Record) -> Result<Record, TraceError> {
        self.checker
            .check(&rec)
            .map_err(|what| TraceError::at(self.line, what))?;
        Ok(rec)
    }

    /// Reads the frame `head` announced (its bytes follow its line) and starts on its lines.
    fn start_frame(&mut self, head: &FrameHead, line: u64) -> Result<(), TraceError> {
        self.packed.resize(head.bytes as usize, 0);
        self.input.read_exact(&mut self.packed).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                TraceError::at(
                    line,
                    "the frame is truncated: the link ended in the middle of it",
                )
            } else {
                TraceError::io(line, e)
            }
        })?;
        unpack(head, &self.packed, &mut self.frame)
            .map_err(|why| TraceError::at(line, format!("the link sent {why}")))?;
        self.frame_at = 0;
        // Its lines are of the header's version (an older program's frames hold version 3).
        let version = self.header.as_ref().map_or(VERSION, |h| h.version);
        self.frame_implied = Implied::of_version(version).unwrap_or_default();
        Ok(())
    }

    /// The next message (blocking): `Ok(None)` when the program closed the link (it ended, or
    /// its base was dropped). Records are checked like a trace file's; the first line must be
    /// the header.
    pub fn recv(&mut self) -> Result<Option<LinkMsg>, TraceError> {
        loop {
            if let Some(rec) = self.frame_after.take() {
                return self.checked(rec).map(|r| Some(LinkMsg::Record(r)));
            }
            if self.frame_at < self.frame.len() {
                return self.next_in_frame().map(|r| Some(LinkMsg::Record(r)));
            }
            self.line += 1;
            let line = self.line;
            let complete = match read_line(&mut self.input, &mut self.buf, line)? {
                Line::Eof => return Ok(None),
                Line::Blank => continue,
                Line::Text { complete } => complete,
            };
            if self.header.is_none() {
                if let Ok(Status::Error { message }) = serde_json::from_slice(&self.buf) {
                    let why = message.strip_prefix("refused: ").unwrap_or(&message);
                    return Err(TraceError::at(line, format!("the program refused: {why}")));
                }
                let h = parse_header(&self.buf, line, complete)?;
                self.header = Some(h.clone());
                return Ok(Some(LinkMsg::Header(h)));
            }
            if let Some(head) = FrameHead::parse(&self.buf) {
                let head =
                    head.map_err(|why| TraceError::at(line, format!("the link sent {why}")))?;
                self.start_frame(&head, line)?;
                continue;
            }
            match parse_record(&self.buf, line, complete) {
                Ok(rec) => {
                    self.checker
                        .check(&rec)
                        .map_err(|what| TraceError::at(line, what))?;
                    return Ok(Some(LinkMsg::Record(rec)));
                }
                Err(e) => match serde_json::from_slice::<Status>(&self.buf) {
                    Ok(status) => return Ok(Some(LinkMsg::Status(status))),
                    Err(_) => return Err(e),
                },
            }
        }
    }
}

/// A private Unix socket (in a fresh 0700 directory, the socket itself 0600) that an observed
/// program connects to through `EVSCOPE_TRACE=unix:PATH`. Removed on drop.
pub struct ViewerListener {
    dir: PathBuf,
    path: PathBuf,
    listener: UnixListener,
}

impl ViewerListener {
    /// Binds a new private socket under the temporary directory.
    pub fn bind_private() -> io::Result<ViewerListener> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("evscope-{}-{nanos:x}", std::process::id()));
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        let path = dir.join("link.sock");
        let listener = match UnixListener::bind(&path) {
            Ok(l) => l,
            Err(e) => {
                let _ = std::fs::remove_dir(&dir);
                return Err(e);
            }
        };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        Ok(ViewerListener {
            dir,
            path,
            listener,
        })
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `EVSCOPE_TRACE` value that makes a program connect here.
    pub fn trace_env(&self) -> String {
        format!("unix:{}", self.path.display())
    }

    /// Waits for a program to connect, checking `keep_waiting` every few milliseconds (e.g.
    /// "has the child exited?"); `Ok(None)` when it says stop. A program of another user (the
    /// kernel's `SO_PEERCRED` says) is turned away and the wait goes on.
    pub fn accept_while(
        &self,
        mut keep_waiting: impl FnMut() -> bool,
    ) -> io::Result<Option<Stream>> {
        self.listener.set_nonblocking(true)?;
        loop {
            match self.listener.accept() {
                Ok((s, _)) => {
                    if peer_cred(&s).map_or(true, |p| p.uid != euid()) {
                        continue;
                    }
                    s.set_nonblocking(false)?;
                    return Ok(Some(Stream::Unix(s)));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !keep_waiting() {
                        return Ok(None);
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Turns away later connections (e.g. from the program's own children, which inherit
    /// `EVSCOPE_TRACE`) on a background thread, so they run on untraced at once.
    pub fn refuse_others(&self) -> io::Result<()> {
        let l = self.listener.try_clone()?;
        l.set_nonblocking(false)?;
        std::thread::Builder::new()
            .name("evscope-refuse".into())
            .spawn(move || {
                for conn in l.incoming() {
                    drop(conn);
                }
            })?;
        Ok(())
    }
}

impl Drop for ViewerListener {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_dir(&self.dir);
    }
}
