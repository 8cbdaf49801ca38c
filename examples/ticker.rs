//! A small program on the library that ends by itself in well under a second: a persistent
//! timer writes five ticks (or as many as the first argument says) into a pipe, a persistent read event on the pipe's other end reads
//! them (and frees itself at end of file), and a one-shot timer leaves a note halfway.
//!
//! ```sh
//! EVSCOPE_TRACE=file:ticker.jsonl cargo run --example ticker
//! cargo run -- run --print -- target/debug/examples/ticker
//! ```

use std::cell::Cell;
use std::io::{PipeWriter, Read, Write};
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::Duration;

use evscope::ev::{set_nonblocking, EventBase, What};

const DEFAULT_TICKS: u32 = 5;
const PERIOD: Duration = Duration::from_millis(10);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ticks_wanted: u32 = match std::env::args().nth(1) {
        Some(n) => n
            .parse()
            .map_err(|_| format!("{n:?} is not a number of ticks"))?,
        None => DEFAULT_TICKS,
    };
    let mut base = EventBase::new()?;
    let (mut reader, writer) = std::io::pipe()?;
    set_nonblocking(reader.as_raw_fd(), true)?;
    let fd = reader.as_raw_fd();

    let received = Rc::new(Cell::new(0usize));
    let got = received.clone();
    let read_ev = base.labeled("pipe reader").event_new(
        fd,
        What::READ | What::PERSIST,
        move |base, id, _what| {
            let mut buf = [0u8; 256];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => {
                        base.note("the pipe reached end of file: the reader frees itself");
                        let _ = base.event_free(id);
                        return;
                    }
                    Ok(n) => got.set(got.get() + n),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                    Err(e) => {
                        eprintln!("ticker: read failed: {e}");
                        let _ = base.event_free(id);
                        return;
                    }
                }
            }
        },
    )?;
    base.event_add(read_ev, None)?;

    let mut writer: Option<PipeWriter> = Some(writer);
    let mut ticks = 0;
    let timer = base
        .labeled("ticker")
        .event_new(None, What::PERSIST, move |base, id, _| {
            ticks += 1;
            if let Some(w) = writer.as_mut() {
                let _ = w.write_all(format!("tick {ticks}\n").as_bytes());
            }
            if ticks == ticks_wanted {
                // Closing the write end makes the reader see end of file.
                writer = None;
                let _ = base.event_free(id);
            }
        })?;
    base.event_add(timer, Some(PERIOD))?;

    base.once(
        None,
        What::TIMEOUT,
        Some(PERIOD * ticks_wanted / 2),
        |base, _| {
            base.note("halfway: a one-shot timer fired once");
        },
    )?;

    base.dispatch()?;
    println!(
        "ticker: read {} bytes in {ticks_wanted} ticks",
        received.get()
    );
    Ok(())
}
