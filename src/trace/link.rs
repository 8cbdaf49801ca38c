//! The live link's protocol: newline-delimited JSON both ways over a Unix or loopback TCP
//! socket.
//!
//! Observed program → viewer: the trace's header line, then record lines exactly as in a trace
//! file, with [`Status`] lines (`{"status":…}`) interleaved when the step gate pauses or runs.
//! Viewer → program: [`Control`] lines (`{"cmd":…}`).
//!
//! Who connects to whom:
//! - `EVSCOPE_TRACE=unix:PATH` — the viewer listens on PATH (a private 0600 socket, as
//!   `evscope run` makes) and the program connects when its `EventBase` is created. The program
//!   then waits up to [`HELLO_TIMEOUT`] for the viewer's first control line (`pause` to start
//!   stepped, `continue` to run), so no record escapes before the viewer's choice applies.
//! - `EVSCOPE_TRACE=tcp:127.0.0.1:PORT` — the program listens (loopback only unless forced);
//!   a viewer (`evscope attach`) connects at any time, gets the header and every record so far,
//!   then the live stream. One viewer at a time.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::record::{Header, Record};

/// How long a program that connected to a viewer waits for the viewer's first control line.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(2);

/// A control message, viewer → program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Control {
    /// Stop the loop before its next record.
    Pause,
    /// Release `n` records (default 1), then stay paused.
    Step {
        /// How many records to release.
        #[serde(default = "one")]
        n: u64,
    },
    /// Run freely (breakpoints still apply).
    Continue,
    /// Pause right after the next record about event `ev`.
    Break {
        /// The event's trace id.
        ev: u64,
    },
    /// Remove the breakpoint on event `ev`.
    Unbreak {
        /// The event's trace id.
        ev: u64,
    },
    /// Run until the next `loop_iteration` record has been released, then pause.
    NextIteration,
}

fn one() -> u64 {
    1
}

/// A status message, program → viewer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// The loop is paused before its next record.
    Paused {
        /// `pause`, `breakpoint` or `next_iteration`.
        reason: String,
        /// The event whose breakpoint fired.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ev: Option<u64>,
    },
    /// The loop runs freely.
    Running,
    /// A control line was not understood, or the program refused it.
    Error {
        /// What was wrong.
        message: String,
    },
}

/// One line received by a viewer.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkMsg {
    /// The trace header (first line of each connection).
    Header(Header),
    /// A record.
    Record(Record),
    /// A step-gate status.
    Status(Status),
}

/// A connected link socket, Unix or TCP.
#[derive(Debug)]
pub enum Stream {
    /// A Unix stream socket.
    Unix(UnixStream),
    /// A TCP connection on loopback.
    Tcp(TcpStream),
}

impl Stream {
    /// Another handle to the same socket.
    pub fn try_clone(&self) -> io::Result<Stream> {
        Ok(match self {
            Stream::Unix(s) => Stream::Unix(s.try_clone()?),
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
        })
    }

    /// Shuts both directions down, waking any thread blocked on the socket.
    pub fn shutdown(&self) {
        let _ = match self {
            Stream::Unix(s) => s.shutdown(Shutdown::Both),
            Stream::Tcp(s) => s.shutdown(Shutdown::Both),
        };
    }

    /// Sets how long a read may block (`None`: forever).
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.set_read_timeout(t),
            Stream::Tcp(s) => s.set_read_timeout(t),
        }
    }

    /// Writes one message as a JSON line.
    pub fn send_line<T: Serialize>(&mut self, msg: &T) -> io::Result<()> {
        let mut line = serde_json::to_vec(msg)?;
        line.push(b'\n');
        self.write_all(&line)
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Unix(s) => s.read(buf),
            Stream::Tcp(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Unix(s) => s.write(buf),
            Stream::Tcp(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.flush(),
            Stream::Tcp(s) => s.flush(),
        }
    }
}

/// Refuses addresses other than loopback unless `force` is set: the trace shows a program's
/// inner life and the link can pause it, so it is not offered to the network by accident.
pub fn check_loopback(addr: &SocketAddr, force: bool) -> io::Result<()> {
    if addr.ip().is_loopback() || force {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "refusing trace link on {addr}: not a loopback address (use 127.0.0.1 or [::1], \
             or set EVSCOPE_TRACE_FORCE_REMOTE=1 to expose it deliberately)"
        ),
    ))
}

/// Parses one control line (viewer → program).
pub fn parse_control(line: &[u8]) -> Result<Control, String> {
    serde_json::from_slice(line).map_err(|e| {
        format!(
            "control line not understood ({e}); expected {{\"cmd\":\"pause\"|\"step\"|\
             \"continue\"|\"break\"|\"unbreak\"|\"next_iteration\", …}}"
        )
    })
}
