//! A stand-in for a program's TCP live link, to run `evscope attach` against a peer that
//! sends chosen lines, says nothing, or hangs up.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A token `attach` accepts (through `EVSCOPE_TRACE_TOKEN`); the fake peer never checks it.
pub const TOKEN: &str = "fake-link-token-0123456789";

/// A listener on 127.0.0.1 that takes one connection, writes `lines` to it, keeps it open for
/// `hold`, then closes it.
pub struct FakeLink {
    pub addr: SocketAddr,
    thread: JoinHandle<io::Result<()>>,
}

impl FakeLink {
    pub fn serve(lines: Vec<String>, hold: Duration) -> io::Result<FakeLink> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let thread = std::thread::spawn(move || -> io::Result<()> {
            // A client that never comes must not hang the test.
            let deadline = Instant::now() + Duration::from_secs(30);
            let mut conn = loop {
                match listener.accept() {
                    Ok((c, _)) => break c,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        if Instant::now() > deadline {
                            return Err(io::Error::other("nobody connected"));
                        }
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(e) => return Err(e),
                }
            };
            conn.set_nonblocking(false)?;
            for l in lines {
                writeln!(conn, "{l}")?;
            }
            std::thread::sleep(hold);
            // Hang up without a reset: say we are done, then read what the client sent (its
            // token, controls) until it closes too.
            conn.shutdown(Shutdown::Write)?;
            conn.set_read_timeout(Some(Duration::from_secs(10)))?;
            let mut sink = [0u8; 4096];
            while matches!(conn.read(&mut sink), Ok(n) if n > 0) {}
            Ok(())
        });
        Ok(FakeLink { addr, thread })
    }

    /// Waits for the peer to finish; its error if it failed.
    pub fn join(self) -> Result<(), Box<dyn std::error::Error>> {
        self.thread
            .join()
            .map_err(|_| "the fake link's thread panicked")??;
        Ok(())
    }
}
