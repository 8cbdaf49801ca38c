//! Network helpers for the buffered I/O tests: an echo server built on the library, a
//! deterministic byte stream, a checksum, and a loop that runs until a flag is set.

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use evscope::ev::{BevEvents, BevOptions, EventBase, ListenerFlags, ListenerId, What};

/// A small deterministic generator (xorshift64*), so streams can be checked without storing
/// them.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// An endless deterministic byte stream for one seed, read in pieces of any size.
#[derive(Clone)]
pub struct ByteStream {
    rng: Rng,
    word: [u8; 8],
    used: usize,
}

impl ByteStream {
    pub fn new(seed: u64) -> ByteStream {
        ByteStream {
            rng: Rng::new(seed),
            word: [0; 8],
            used: 8,
        }
    }

    pub fn fill(&mut self, out: &mut [u8]) {
        let lead = (8 - self.used).min(out.len());
        out[..lead].copy_from_slice(&self.word[self.used..self.used + lead]);
        self.used += lead;
        let mut words = out[lead..].chunks_exact_mut(8);
        for w in &mut words {
            w.copy_from_slice(&self.rng.next_u64().to_le_bytes());
        }
        let tail = words.into_remainder();
        if !tail.is_empty() {
            self.word = self.rng.next_u64().to_le_bytes();
            tail.copy_from_slice(&self.word[..tail.len()]);
            self.used = tail.len();
        }
    }

    pub fn take(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0; n];
        self.fill(&mut v);
        v
    }

    /// True when `got` is what comes next in the stream.
    pub fn check(&mut self, got: &[u8]) -> bool {
        let want = self.take(got.len());
        want == got
    }
}

/// FNV-1a over a stream, fed piece by piece.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fnv(pub u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

pub fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().expect("a valid address")
}

/// A connected pair of TCP sockets on loopback (blocking, as std makes them, with 20 s
/// timeouts so a test that goes wrong fails instead of hanging).
pub fn tcp_pair() -> std::io::Result<(std::net::TcpStream, std::net::TcpStream)> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    let a = std::net::TcpStream::connect(l.local_addr()?)?;
    let (b, _) = l.accept()?;
    for s in [&a, &b] {
        s.set_read_timeout(Some(Duration::from_secs(20)))?;
        s.set_write_timeout(Some(Duration::from_secs(20)))?;
    }
    Ok((a, b))
}

/// A bufferevent that owns `stream`'s socket.
pub fn bev_on(
    base: &mut EventBase,
    stream: std::net::TcpStream,
) -> evscope::ev::Result<evscope::ev::BevId> {
    let fd = std::os::fd::IntoRawFd::into_raw_fd(stream);
    base.bufferevent_socket_new(fd, BevOptions::CLOSE_ON_FREE)
}

/// A loopback port nobody listens on (bound, then released).
pub fn closed_port() -> std::io::Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    l.local_addr()
}

/// The course's echo server on the library: one bufferevent per client, its read callback
/// moves the input to the output; at end of file it closes after flushing.
pub fn echo_server(base: &mut EventBase, addr: SocketAddr) -> evscope::ev::Result<ListenerId> {
    base.evconnlistener_new_bind(
        addr,
        ListenerFlags::REUSEABLE | ListenerFlags::CLOSE_ON_FREE,
        -1,
        |base, _lev, sock, _peer| {
            let fd = std::os::fd::IntoRawFd::into_raw_fd(sock);
            let Ok(bev) = base.bufferevent_socket_new(fd, BevOptions::CLOSE_ON_FREE) else {
                return;
            };
            let _ = base.bufferevent_setcb(
                bev,
                Some(Box::new(|base, bev| {
                    if let Ok(mut bufs) = base.bufferevent_buffers(bev) {
                        let (input, output) = bufs.split();
                        output.add_buffer(input);
                    }
                })),
                None,
                Some(Box::new(|base, bev, events| {
                    if events.contains(BevEvents::EOF) {
                        let _ = base.bufferevent_close_after_flush(bev);
                    } else {
                        let _ = base.bufferevent_free(bev);
                    }
                })),
            );
            if base.bufferevent_enable(bev, What::READ).is_err() {
                // e.g. an fd past select's FD_SETSIZE: give the connection up.
                let _ = base.bufferevent_free(bev);
            }
        },
    )
}

/// Runs the loop until `done` is set, checking every 2 ms; an error after `limit`.
pub fn run_until(
    base: &mut EventBase,
    done: Arc<AtomicBool>,
    limit: Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    let deadline = Instant::now() + limit;
    let timed_out = Arc::new(AtomicBool::new(false));
    let t = timed_out.clone();
    let timer = base.event_new(None, What::PERSIST, move |base, _id, _what| {
        if done.load(Ordering::SeqCst) {
            base.loopexit(None);
        } else if Instant::now() > deadline {
            t.store(true, Ordering::SeqCst);
            base.loopexit(None);
        }
    })?;
    base.event_add(timer, Some(Duration::from_millis(2)))?;
    base.dispatch()?;
    base.event_free(timer)?;
    if timed_out.load(Ordering::SeqCst) {
        return Err(format!("gave up after {limit:?}").into());
    }
    Ok(())
}
