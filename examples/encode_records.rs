//! The trace writer's work per record, without the file or the loop: the records of N echoed
//! messages (the 14 records an echo server makes per message, over 100 connections), written
//! as this build's lines by `Writer::write_batch` in batches of 1,024, into nothing.
//!
//! ```text
//! cargo run --release --example encode_records -- 200000
//! ```
//!
//! prints `TRACE_ENCODE ns_per_record=… bytes_per_record=…`. The wall time on a shared machine
//! varies; the instructions do not. To count them (the encoding alone, in `encode_all`):
//!
//! ```text
//! valgrind --tool=callgrind --toggle-collect='*encode_all*' \
//!     target/release/examples/encode_records 20000
//! ```

use std::borrow::Cow;
use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Instant;

use evscope::ev::{State, What};
use evscope::trace::{Body, Header, Levels, Record, Writer};

fn main() -> ExitCode {
    let arg = std::env::args().nth(1);
    let messages: u64 = match arg.as_deref().map(|a| (a, a.parse())) {
        None => 200_000,
        Some((_, Ok(n))) if n > 0 => n,
        Some((a, _)) => {
            eprintln!("encode_records: expected a number of messages above 0, got {a:?}");
            return ExitCode::FAILURE;
        }
    };
    let records = echo_records(messages);
    let bytes = Counted(0);
    let started = Instant::now();
    let written = encode_all(&records, bytes);
    let took = started.elapsed();
    match written {
        Ok(bytes) => {
            let n = records.len() as f64;
            println!(
                "TRACE_ENCODE ns_per_record={:.1} bytes_per_record={:.1} records={}",
                took.as_nanos() as f64 / n,
                bytes as f64 / n,
                records.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("encode_records: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Counts the bytes written to it.
struct Counted(u64);

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes `records` as a trace into `out`; returns the bytes written.
#[inline(never)]
fn encode_all(records: &[Record], out: Counted) -> io::Result<u64> {
    let mut w = Writer::new(out, &Header::new("epoll", "encode_records"))?;
    for batch in records.chunks(1024) {
        w.write_batch(batch)?;
    }
    Ok(w.into_inner()?.0)
}

/// The records of `messages` messages echoed over 100 connections, as the echo example makes
/// them: each connection's bufferevent with its read and write events, then per message the
/// read event's wake-up, callback and buffer levels, and the write event's.
fn echo_records(messages: u64) -> Vec<Record> {
    let mut out = Vec::new();
    let (mut seq, mut t_us) = (0, 0);
    let mut push = |body: Body, dt: u64| {
        seq += 1;
        t_us += dt;
        out.push(Record {
            seq,
            t_us,
            base: 0,
            body,
        });
    };
    let cause = Cow::Borrowed;
    for c in 0..100u64 {
        let fd = Some(10 + c as i32);
        for (ev, what, label) in [
            (2 * c, What::READ, "read"),
            (2 * c + 1, What::WRITE, "write"),
        ] {
            push(
                Body::EventNew {
                    ev,
                    fd,
                    what: what | What::PERSIST,
                    label: format!("bev{c} {label}"),
                },
                0,
            );
        }
        push(
            Body::Transition {
                ev: 2 * c,
                fd,
                from: State::New,
                to: State::Pending,
                cause: cause("bufferevent_enable"),
            },
            1,
        );
        push(
            Body::Transition {
                ev: 2 * c + 1,
                fd,
                from: State::New,
                to: State::NonPending,
                cause: cause("bufferevent_enable"),
            },
            0,
        );
    }
    let levels = |input, output| Levels {
        input,
        output,
        enabled: What::READ | What::WRITE,
        kernel_in: Some(0),
        kernel_out: Some(0),
        ..Levels::default()
    };
    for m in 0..messages {
        let c = m % 100;
        let (r, w, fd) = (2 * c, 2 * c + 1, Some(10 + c as i32));
        let moved = |ev, from, to, why: &'static str| Body::Transition {
            ev,
            fd,
            from,
            to,
            cause: cause(why),
        };
        let begin = |ev, what| Body::CallbackBegin { ev, what };
        let end = |ev, what, dur_us| Body::CallbackEnd { ev, what, dur_us };
        let buffer = |input, output| Body::Buffer {
            bev: c,
            levels: levels(input, output),
        };
        let (read, write) = (What::READ, What::WRITE);
        for (body, dt) in [
            // The request arrives: the read callback takes it and queues the echo.
            (moved(r, State::Pending, State::Active, "fd_readable"), 3),
            (moved(r, State::Active, State::Callback, "dispatch"), 0),
            (begin(r, read), 0),
            (buffer(64, 0), 2),
            (buffer(0, 64), 0),
            (
                moved(w, State::NonPending, State::Pending, "bev_output_added"),
                1,
            ),
            (end(r, read, 3), 0),
            (
                moved(r, State::Callback, State::Pending, "callback_returned"),
                0,
            ),
            // The socket is writable: the write event sends the echo and deletes itself.
            (moved(w, State::Pending, State::Active, "fd_writable"), 5),
            (moved(w, State::Active, State::Callback, "dispatch"), 0),
            (begin(w, write), 1),
            (buffer(0, 0), 9),
            (end(w, write, 9), 0),
            (
                moved(w, State::Callback, State::NonPending, "bev_output_empty"),
                0,
            ),
        ] {
            push(body, dt);
        }
    }
    out
}
