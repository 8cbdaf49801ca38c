//! `evscope attach ADDR`: joins a program started with `EVSCOPE_TRACE=tcp:ADDR` (the program
//! listens, the viewer connects), shows everything it recorded so far and then its live records,
//! in the dashboard or (`--print`) as text. Leaving lets the program run on.
//!
//! The program lets in only a viewer that shows one of its link tokens: `attach` reads the
//! owner's token the program wrote for this user (`trace::LinkToken::find`), or with `--follow`
//! its follower token (`trace::LinkToken::find_follow`), or the one given with `--token-file` or
//! `EVSCOPE_TRACE_TOKEN`. There is no `--token VALUE`: a command line is visible to every user
//! of the machine.
//!
//! Many viewers may attach at once (a class): the first that shows the owner's token owns the
//! link — its pause, step and breakpoints hold the program — and the others follow read-only;
//! the program answers a follower's control with a refusal shown in its footer.
//!
//! A peer that is not such a program must not leave `attach` waiting: the program's header has
//! to arrive within [`HEADER_WAIT`] of connecting, and a peer that hangs up before sending it
//! is an error too.

use std::io::{self, Cursor};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use evscope::dash::{self, Feed};
use evscope::trace::link::check_loopback;
use evscope::trace::{Control, LinkClient, LinkToken, Reader, Status, Stream};

use super::view::ViewArgs;
use super::{dash_failure, print, values, Failure};

/// How long `attach` waits for the program's trace header once connected.
pub const HEADER_WAIT: Duration = Duration::from_secs(3);

#[derive(clap::Args)]
#[command(
    after_help = "attach gives up, with exit status 1, when the program's trace header \
                         has not arrived within 3 seconds of connecting, or when the peer hangs \
                         up before sending it."
)]
pub struct Args {
    /// The program's address: 127.0.0.1:PORT (or tcp:127.0.0.1:PORT).
    #[arg(value_parser = values::attach_addr)]
    addr: SocketAddr,
    #[command(flatten)]
    view: ViewArgs,
    /// Allow an address that is not loopback.
    #[arg(long)]
    force_remote: bool,
    /// Read the link's token from FILE (default: the file the program wrote for this user;
    /// EVSCOPE_TRACE_TOKEN gives the token itself). The owner's token owns the link (if no one
    /// else does); the follower token follows read-only.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Follow read-only: show the follower token the program wrote for this user instead of the
    /// owner's (watch without ever pausing or stepping the program).
    #[arg(long, conflicts_with = "step")]
    follow: bool,
}

pub fn main(args: Args) -> Result<ExitCode, Failure> {
    let addr = args.addr;
    if !args.view.print {
        dash::terminal::ensure().map_err(|e| dash_failure(e, None))?;
    }
    let token = match &args.token_file {
        Some(path) => Some(LinkToken::read_file(path)?),
        None => LinkToken::from_env()?,
    };
    check_loopback(&addr, args.force_remote)?;
    let token = match token {
        Some(t) => t,
        None if args.follow => LinkToken::find_follow(addr.port())?,
        None => LinkToken::find(addr.port())?,
    };
    let client = connect(addr, &token)?;
    if args.view.print {
        if args.view.step {
            client.send(&Control::Pause)?;
        }
        print::show(client, args.view.step, args.view.lang)?;
    } else {
        let opts = args.view.dash_options();
        let feed = Feed::link(&format!("attach {addr}"), client);
        dash::live(feed, &opts).map_err(|e| dash_failure(e, None))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Connects to the program at `addr`, shows it `token`, and waits for its header.
fn connect(addr: SocketAddr, token: &LinkToken) -> Result<LinkClient, Failure> {
    let s = LinkClient::connect_tcp(addr, token, Some(HEADER_WAIT)).map_err(|e| e.to_string())?;
    wait_for_header(&s, addr)?;
    Ok(LinkClient::new(Stream::Tcp(s))?)
}

/// Waits until the peer's first line has arrived (without reading it: the client does) and
/// checks that it is a trace header.
fn wait_for_header(s: &TcpStream, addr: SocketAddr) -> Result<(), Failure> {
    let secs = HEADER_WAIT.as_secs();
    let silent = || {
        Failure::from(format!(
            "{addr} sent no trace header within {secs} s of connecting; is it a program \
             started with EVSCOPE_TRACE=tcp:{addr}?"
        ))
    };
    let deadline = Instant::now() + HEADER_WAIT;
    let mut buf = vec![0u8; 1 << 16];
    let first_line = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(silent());
        }
        s.set_read_timeout(Some(left))?;
        match s.peek(&mut buf) {
            Ok(0) => {
                return Err(Failure::from(format!(
                    "{addr} closed the connection before sending a trace header; is it a \
                     program started with EVSCOPE_TRACE=tcp:{addr}?"
                )))
            }
            Ok(n) => match buf[..n].iter().position(|&b| b == b'\n') {
                Some(end) => break &buf[..=end],
                // A first line this long is no header: the reader will say what it is.
                None if n == buf.len() => break &buf[..n],
                // Part of a line: wait for the rest.
                None => std::thread::sleep(Duration::from_millis(10)),
            },
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(silent())
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Failure::from(format!("the link to {addr} failed: {e}"))),
        }
    };
    s.set_read_timeout(None)?;
    if let Ok(Status::Error { message }) = serde_json::from_slice(first_line) {
        return Err(Failure::from(format!("the program refused: {message}")));
    }
    Reader::new(Cursor::new(first_line))
        .map_err(|e| format!("{addr} did not send a trace header: {}", e.what))?;
    Ok(())
}
