//! A load client for echo servers: many blocking connections per thread, moved in lock step
//! (write one piece on every connection, then read every piece back), so that all of them are
//! open and in flight at once while each holds at most one piece in the network. Every byte is
//! checked against its deterministic stream, and checksums of what was sent and what came back
//! are compared.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::Duration;

use super::{ByteStream, Fnv};

/// What one run moved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub connections: usize,
    pub bytes_sent: u64,
    pub bytes_back: u64,
    /// Connections whose echo differed from what they sent (bytes or checksum).
    pub corrupted: usize,
}

struct Conn {
    stream: TcpStream,
    send: ByteStream,
    expect: ByteStream,
    sent_sum: Fnv,
    back_sum: Fnv,
    intact: bool,
}

/// Opens `conns` connections to `addr` over `threads` threads; each connection echoes
/// `per_conn` bytes in pieces of `piece`. A connection seeded `seed + i` sends stream `i`.
pub fn lockstep_echo(
    addr: SocketAddr,
    conns: usize,
    per_conn: usize,
    piece: usize,
    threads: usize,
    seed: u64,
) -> io::Result<Moved> {
    let threads = threads.clamp(1, conns.max(1));
    let mut handles = Vec::new();
    for t in 0..threads {
        let ids: Vec<usize> = (t..conns).step_by(threads).collect();
        handles.push(thread::spawn(move || {
            run_thread(addr, &ids, per_conn, piece, seed)
        }));
    }
    let mut total = Moved::default();
    for h in handles {
        let m = h
            .join()
            .map_err(|_| io::Error::other("a client thread panicked"))??;
        total.connections += m.connections;
        total.bytes_sent += m.bytes_sent;
        total.bytes_back += m.bytes_back;
        total.corrupted += m.corrupted;
    }
    Ok(total)
}

fn run_thread(
    addr: SocketAddr,
    ids: &[usize],
    per_conn: usize,
    piece: usize,
    seed: u64,
) -> io::Result<Moved> {
    let mut conns = Vec::with_capacity(ids.len());
    for &i in ids {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_write_timeout(Some(Duration::from_secs(30)))?;
        conns.push(Conn {
            stream,
            send: ByteStream::new(seed + i as u64),
            expect: ByteStream::new(seed + i as u64),
            sent_sum: Fnv::default(),
            back_sum: Fnv::default(),
            intact: true,
        });
    }
    let mut moved = Moved {
        connections: conns.len(),
        ..Moved::default()
    };
    let mut out = vec![0u8; piece];
    let mut back = vec![0u8; piece];
    let mut done = 0;
    while done < per_conn {
        let n = piece.min(per_conn - done);
        for c in conns.iter_mut() {
            c.send.fill(&mut out[..n]);
            c.sent_sum.update(&out[..n]);
            c.stream.write_all(&out[..n])?;
            moved.bytes_sent += n as u64;
        }
        for c in conns.iter_mut() {
            c.stream.read_exact(&mut back[..n])?;
            c.back_sum.update(&back[..n]);
            c.intact &= c.expect.check(&back[..n]);
            moved.bytes_back += n as u64;
        }
        done += n;
    }
    for c in &conns {
        if !c.intact || c.sent_sum != c.back_sum {
            moved.corrupted += 1;
        }
    }
    Ok(moved)
}
