//! The live link's protocol: newline-delimited JSON both ways over a Unix or loopback TCP
//! socket.
//!
//! Observed program → viewer: the trace's header line, then record lines exactly as in a trace
//! file — or, for a TCP viewer that asked (`"frames":"zstd"` on its token line), frames of
//! records, each a batch compressed once for every such viewer (`link_frame`) — with [`Status`]
//! lines (`{"status":…}`) interleaved when the step gate pauses or runs.
//! Viewer → program: [`Control`] lines (`{"cmd":…}`), each at most [`MAX_CONTROL_LINE`] bytes.
//!
//! Who connects to whom, and how each end knows the other is its own user's:
//! - `EVSCOPE_TRACE=unix:PATH` — the viewer listens on PATH (a private 0600 socket in a 0700
//!   directory, as `evscope run` makes) and the program connects when its `EventBase` is
//!   created. Each end asks the kernel (`SO_PEERCRED`) who the other is and refuses a peer of
//!   another uid. The program then waits up to [`HELLO_TIMEOUT`] for the viewer's first control
//!   line (`pause` to start stepped, `continue` to run), so no record escapes before the
//!   viewer's choice applies.
//! - `EVSCOPE_TRACE=tcp:127.0.0.1:PORT` — the program listens (loopback only unless forced);
//!   a viewer (`evscope attach`) connects at any time and first shows the link's token
//!   (`{"auth":"TOKEN"}`, see [`super::LinkToken`]) within [`AUTH_TIMEOUT`]; without it the
//!   program answers one error status line and closes. A viewer let in gets the header and every
//!   record so far, then the live stream. Many viewers at a time (a class): the first that
//!   showed the owner's token owns the link and its controls hold the loop; the others (and any
//!   that showed the follower token) follow read-only, their control lines answered with an
//!   error status and the loop's state.
//!
//! No viewer ever holds a free-running program back: what it has not taken yet waits in a
//! bounded queue in the program (`link_sink::OUTBOX_BYTES`), and records that do not fit are
//! skipped for that viewer and counted in a `dropped` record. Only pause, step and breakpoints
//! hold the loop.

use std::io::{self, BufRead, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::record::{Header, Record};

/// How long a program that connected to a viewer waits for the viewer's first control line.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a viewer that connected over TCP has to show its token.
pub const AUTH_TIMEOUT: Duration = Duration::from_secs(3);

/// The longest control line (or token line) a program reads; a longer one is answered with an
/// error status and the link is closed. Real ones are under 100 bytes.
pub const MAX_CONTROL_LINE: usize = 4096;

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

    /// Ends the sending direction (the peer reads the end of the stream after what was sent).
    pub fn shutdown_write(&self) {
        let _ = match self {
            Stream::Unix(s) => s.shutdown(Shutdown::Write),
            Stream::Tcp(s) => s.shutdown(Shutdown::Write),
        };
    }

    /// Sets how long a read may block (`None`: forever).
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.set_read_timeout(t),
            Stream::Tcp(s) => s.set_read_timeout(t),
        }
    }

    /// Sets how long a write may block (`None`: forever).
    pub fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.set_write_timeout(t),
            Stream::Tcp(s) => s.set_write_timeout(t),
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

/// Parses one control line (viewer → program). The error is one line and short, whatever the
/// input.
pub fn parse_control(line: &[u8]) -> Result<Control, String> {
    serde_json::from_slice(line).map_err(|e| {
        let mut why = e.to_string();
        if why.len() > 120 {
            let mut end = 120;
            while !why.is_char_boundary(end) {
                end -= 1;
            }
            why.truncate(end);
            why.push('…');
        }
        let why: String = why
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        format!(
            "control line not understood ({why}); expected {{\"cmd\":\"pause\"|\"step\"|\
             \"continue\"|\"break\"|\"unbreak\"|\"next_iteration\", …}}"
        )
    })
}

/// One line read by [`read_control_line`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ControlLine {
    /// A line (maybe the last, without its newline) is in the buffer.
    Text,
    /// Nothing but white space.
    Blank,
    /// The peer closed its side.
    Eof,
    /// The line went on past [`MAX_CONTROL_LINE`] bytes.
    TooLong,
}

/// Reads one line of at most [`MAX_CONTROL_LINE`] bytes into `buf` (without its newline),
/// never holding more than that in memory, whatever the peer sends.
pub(crate) fn read_control_line(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
) -> io::Result<ControlLine> {
    buf.clear();
    let mut complete = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        let (take, found) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        if buf.len() + take > MAX_CONTROL_LINE {
            return Ok(ControlLine::TooLong);
        }
        buf.extend_from_slice(&chunk[..take]);
        input.consume(if found { take + 1 } else { take });
        if found {
            complete = true;
            break;
        }
    }
    if !complete && buf.is_empty() {
        return Ok(ControlLine::Eof);
    }
    if buf.iter().all(u8::is_ascii_whitespace) {
        return Ok(ControlLine::Blank);
    }
    Ok(ControlLine::Text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<(ControlLine, Vec<u8>)> {
        let mut r = io::BufReader::with_capacity(7, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            let l = read_control_line(&mut r, &mut buf).unwrap();
            let stop = matches!(l, ControlLine::Eof | ControlLine::TooLong);
            out.push((l, buf.clone()));
            if stop {
                return out;
            }
        }
    }

    #[test]
    fn control_lines_are_split_bounded_and_blank_lines_noticed() {
        let got = lines(b"{\"cmd\":\"pause\"}\n \r\n{\"cmd\"");
        assert_eq!(got[0], (ControlLine::Text, b"{\"cmd\":\"pause\"}".to_vec()));
        assert_eq!(got[1].0, ControlLine::Blank);
        assert_eq!(got[2], (ControlLine::Text, b"{\"cmd\"".to_vec()));
        assert_eq!(got[3].0, ControlLine::Eof);
        let mut long = vec![b'x'; MAX_CONTROL_LINE + 1];
        long.push(b'\n');
        assert_eq!(lines(&long)[0].0, ControlLine::TooLong);
        let mut exact = vec![b'x'; MAX_CONTROL_LINE];
        exact.push(b'\n');
        assert_eq!(lines(&exact)[0].0, ControlLine::Text);
    }

    #[test]
    fn a_bad_control_line_gets_a_short_single_line_error() {
        let mut line = b"{\"cmd\":\"".to_vec();
        line.extend(std::iter::repeat_n(b'a', 3000));
        line.extend_from_slice(b"\n\\u0007\"}");
        let e = parse_control(&line).unwrap_err();
        assert!(e.len() < 400, "{e}");
        assert!(!e.chars().any(char::is_control), "{e:?}");
        assert_eq!(
            parse_control(b"{\"cmd\":\"step\",\"n\":18446744073709551615}"),
            Ok(Control::Step { n: u64::MAX })
        );
        assert!(parse_control(b"{\"cmd\":\"step\",\"n\":18446744073709551616}").is_err());
        assert!(parse_control(b"{\"cmd\":\"break\",\"ev\":-1}").is_err());
    }
}
