//! A live feed over a socket: records arrive as JSON lines (header first, `{"status":…}` lines
//! when the step gate pauses or runs), step controls leave as `{"cmd":…}` lines, both framed
//! with `LinesCodec`.
//!
//! The wire format is the trace layer's live link protocol (`trace::link`); this file speaks it
//! from the dashboard's async side.

use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_util::codec::{FramedRead, FramedWrite, LinesCodec};

use super::file::parse_header;
use super::{Control, Feed, FeedError, Gate, LiveItem};
use crate::trace::Record;

/// Longest line accepted from the link.
const MAX_LINE: usize = 1 << 20;

/// A connected socket to an observed program.
pub struct SocketFeed {
    addr: String,
    stream: Stream,
}

enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
}

/// Connects to `unix:PATH` or `tcp:HOST:PORT` (`HOST:PORT` alone means TCP). TCP must be on
/// loopback: the link carries no authentication.
pub fn connect(addr: &str) -> Result<SocketFeed, FeedError> {
    let stream = if let Some(path) = addr.strip_prefix("unix:") {
        Stream::Unix(UnixStream::connect(path)?)
    } else {
        let hostport = addr.strip_prefix("tcp:").unwrap_or(addr);
        let sa: SocketAddr = hostport.parse().map_err(|_| {
            FeedError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{addr:?} is not unix:PATH or tcp:IP:PORT"),
            ))
        })?;
        if !sa.ip().is_loopback() {
            return Err(FeedError::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!("{sa} is not a loopback address; the live link stays on this machine"),
            )));
        }
        Stream::Tcp(TcpStream::connect(sa)?)
    };
    Ok(SocketFeed {
        addr: addr.to_string(),
        stream,
    })
}

impl SocketFeed {
    /// A feed over an already connected Unix socket (e.g. one `evscope run` accepted).
    pub fn from_unix(stream: UnixStream) -> SocketFeed {
        let addr = stream
            .peer_addr()
            .ok()
            .and_then(|a| a.as_pathname().map(|p| format!("unix:{}", p.display())))
            .unwrap_or_else(|| "unix socket".into());
        SocketFeed {
            addr,
            stream: Stream::Unix(stream),
        }
    }

    /// A feed over an already connected TCP socket.
    pub fn from_tcp(stream: TcpStream) -> SocketFeed {
        let addr = stream
            .peer_addr()
            .map_or_else(|_| "tcp".into(), |a| format!("tcp:{a}"));
        SocketFeed {
            addr,
            stream: Stream::Tcp(stream),
        }
    }
}

impl Feed for SocketFeed {
    fn source(&self) -> String {
        self.addr.clone()
    }

    fn start(self: Box<Self>) -> Result<(mpsc::Receiver<LiveItem>, Box<dyn Gate>), FeedError> {
        match self.stream {
            Stream::Unix(s) => {
                s.set_nonblocking(true)?;
                spawn_io(tokio::net::UnixStream::from_std(s)?)
            }
            Stream::Tcp(s) => {
                s.set_nonblocking(true)?;
                spawn_io(tokio::net::TcpStream::from_std(s)?)
            }
        }
    }
}

/// Reads items and writes controls on `stream`, each in its own task.
fn spawn_io<S>(stream: S) -> Result<(mpsc::Receiver<LiveItem>, Box<dyn Gate>), FeedError>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (rd, wr) = tokio::io::split(stream);
    let (items_tx, items_rx) = mpsc::channel(4096);
    let (ctl_tx, mut ctl_rx) = mpsc::unbounded_channel::<Control>();

    tokio::spawn(async move {
        let mut lines = FramedRead::new(rd, LinesCodec::new_with_max_length(MAX_LINE));
        let mut n = 0usize;
        let end = loop {
            let line = match lines.next().await {
                None => break None,
                Some(Err(e)) => break Some(format!("line {}: {e}", n + 1)),
                Some(Ok(line)) => line,
            };
            n += 1;
            let item = match decode(n, &line) {
                Ok(item) => item,
                Err(e) => break Some(e.to_string()),
            };
            if items_tx.send(item).await.is_err() {
                return;
            }
        };
        let _ = items_tx.send(LiveItem::Ended(end)).await;
    });

    tokio::spawn(async move {
        let mut out = FramedWrite::new(wr, LinesCodec::new());
        while let Some(c) = ctl_rx.recv().await {
            if out.send(wire(c)).await.is_err() {
                break;
            }
        }
    });

    Ok((items_rx, Box::new(ctl_tx)))
}

/// A control as the link writes it.
pub(crate) fn wire(c: Control) -> String {
    match c {
        Control::Pause => r#"{"cmd":"pause"}"#.into(),
        Control::Step => r#"{"cmd":"step","n":1}"#.into(),
        Control::Continue => r#"{"cmd":"continue"}"#.into(),
        Control::NextIteration => r#"{"cmd":"next_iteration"}"#.into(),
        Control::Breakpoint { ev, on: true } => format!(r#"{{"cmd":"break","ev":{ev}}}"#),
        Control::Breakpoint { ev, on: false } => format!(r#"{{"cmd":"unbreak","ev":{ev}}}"#),
    }
}

/// One line of the link: the header (line 1), a step-gate status, or a record.
fn decode(n: usize, line: &str) -> Result<LiveItem, FeedError> {
    if n == 1 {
        return parse_header(line).map(LiveItem::Header);
    }
    #[derive(serde::Deserialize)]
    #[serde(tag = "status", rename_all = "snake_case")]
    enum Status {
        Paused,
        Running,
        Error {
            #[serde(default)]
            message: String,
        },
    }
    if line.contains("\"status\"") {
        if let Ok(st) = serde_json::from_str::<Status>(line) {
            return Ok(match st {
                Status::Paused => LiveItem::Held(true),
                Status::Running => LiveItem::Held(false),
                Status::Error { message } => LiveItem::Notice(message),
            });
        }
    }
    serde_json::from_str::<Record>(line)
        .map(LiveItem::Record)
        .map_err(|e| FeedError::Bad {
            line: n,
            what: e.to_string(),
        })
}
