//! The echo path under load: bulk random bytes, many concurrent clients, a slow reader.

use crate::util;

use std::cell::{Cell, RefCell};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use evscope::ev::{BevEvents, BevOptions, EventBase, What};
use util::*;

const TEN_MB: usize = 10 << 20;

#[test]
fn ten_megabytes_of_random_bytes_come_back_intact() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let lev = echo_server(&mut base, loopback())?;
        let addr = base.evconnlistener_local_addr(lev)?;
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let client = thread::spawn(move || {
            let res = (|| -> io::Result<(usize, Fnv, Fnv, bool)> {
                let stream = TcpStream::connect(addr)?;
                let mut w = stream.try_clone()?;
                let writer = thread::spawn(move || -> io::Result<Fnv> {
                    let mut src = ByteStream::new(10);
                    let mut sum = Fnv::default();
                    let mut buf = vec![0; 100_000];
                    let mut left = TEN_MB;
                    while left > 0 {
                        let n = left.min(buf.len());
                        src.fill(&mut buf[..n]);
                        sum.update(&buf[..n]);
                        w.write_all(&buf[..n])?;
                        left -= n;
                    }
                    w.shutdown(Shutdown::Write)?;
                    Ok(sum)
                });
                let mut r = stream;
                let mut expect = ByteStream::new(10);
                let (mut total, mut sum, mut same) = (0, Fnv::default(), true);
                let mut buf = vec![0; 64 * 1024];
                loop {
                    let n = r.read(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    sum.update(&buf[..n]);
                    same &= expect.check(&buf[..n]);
                    total += n;
                }
                let sent = writer
                    .join()
                    .map_err(|_| io::Error::other("writer panicked"))??;
                Ok((total, sent, sum, same))
            })();
            d.store(true, Ordering::SeqCst);
            res
        });
        run_until(&mut base, done, Duration::from_secs(60))?;
        let (total, sent, got, same) = client.join().map_err(|_| "client panicked")??;
        assert_eq!(total, TEN_MB);
        assert_eq!(sent, got, "checksums differ");
        assert!(same, "bytes came back changed or out of order");
        Ok(())
    });
}

const CLIENTS: usize = 200;
const PER_CLIENT: usize = 256 * 1024;

#[test]
fn two_hundred_concurrent_clients_lose_no_byte() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let lev = echo_server(&mut base, loopback())?;
        let addr = base.evconnlistener_local_addr(lev)?;
        let finished = Rc::new(Cell::new(0usize));
        let failures = Rc::new(RefCell::new(Vec::<String>::new()));
        for i in 0..CLIENTS {
            let bev = base.bufferevent_socket_new(None, BevOptions::CLOSE_ON_FREE)?;
            let expect = Rc::new(RefCell::new((ByteStream::new(i as u64), 0usize)));
            let (fin, fail) = (finished.clone(), failures.clone());
            let fail2 = failures.clone();
            base.bufferevent_setcb(
                bev,
                Some(Box::new(move |base, bev| {
                    let mut e = expect.borrow_mut();
                    let Ok(mut input) = base.bufferevent_get_input(bev) else {
                        return;
                    };
                    for piece in input.peek() {
                        if !e.0.check(piece) {
                            fail.borrow_mut().push(format!("client {i}: wrong bytes"));
                        }
                        e.1 += piece.len();
                    }
                    let n = input.len();
                    input.drain(n);
                    drop(input);
                    if e.1 == PER_CLIENT {
                        let _ = base.bufferevent_free(bev);
                        fin.set(fin.get() + 1);
                        if fin.get() == CLIENTS {
                            base.loopexit(None);
                        }
                    }
                })),
                None,
                Some(Box::new(move |base, bev, events| {
                    if events.contains(BevEvents::CONNECTED) {
                        let data = ByteStream::new(i as u64).take(PER_CLIENT);
                        let _ = base.bufferevent_write(bev, &data);
                    } else {
                        fail2
                            .borrow_mut()
                            .push(format!("client {i}: unexpected {events}"));
                        base.loopexit(None);
                    }
                })),
            )?;
            base.bufferevent_enable(bev, What::READ)?;
            base.bufferevent_socket_connect(bev, addr)?;
        }
        base.loopexit(Some(Duration::from_secs(60)));
        base.dispatch()?;
        let failures = failures.borrow();
        assert!(
            failures.is_empty(),
            "{:?}",
            &failures[..failures.len().min(5)]
        );
        assert_eq!(
            finished.get(),
            CLIENTS,
            "not every client got all its bytes back"
        );
        Ok(())
    });
}

const SIXTY_FOUR_MB: usize = 64 << 20;
const PIECE: usize = 256 * 1024;
const LOW: usize = 64 * 1024;

#[test]
fn sixty_four_megabytes_to_a_slow_reader_with_backpressure() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let listener = TcpListener::bind(loopback())?;
        let addr = listener.local_addr()?;
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let reader = thread::spawn(move || {
            let res = slow_reader(listener);
            d.store(true, Ordering::SeqCst);
            res
        });
        let bev = base.bufferevent_socket_new(None, BevOptions::CLOSE_ON_FREE)?;
        base.bufferevent_setwatermark(bev, What::WRITE, LOW, 0)?;
        let state = Rc::new(RefCell::new((ByteStream::new(64), 0usize, 0u64)));
        let s = state.clone();
        let refill = move |base: &mut EventBase, bev| {
            let mut st = s.borrow_mut();
            let level = base.bufferevent_levels(bev).map_or(0, |l| l.output);
            st.2 = st.2.max(level);
            let n = PIECE.min(SIXTY_FOUR_MB - st.1);
            let piece = st.0.take(n);
            st.1 += n;
            let _ = base.bufferevent_write(bev, &piece);
            let level = base.bufferevent_levels(bev).map_or(0, |l| l.output);
            st.2 = st.2.max(level);
            if st.1 == SIXTY_FOUR_MB {
                // Everything is queued: the rest is the library's job.
                let _ = base.bufferevent_close_after_flush(bev);
            }
        };
        let first = refill.clone();
        base.bufferevent_setcb(
            bev,
            None,
            Some(Box::new(refill)),
            Some(Box::new(move |base, bev, events| {
                if events.contains(BevEvents::CONNECTED) {
                    first(base, bev);
                } else {
                    base.loopexit(None);
                }
            })),
        )?;
        base.bufferevent_socket_connect(bev, addr)?;
        run_until(&mut base, done, Duration::from_secs(60))?;
        let (total, same) = reader.join().map_err(|_| "reader panicked")??;
        let (_, written, max_output) = *state.borrow();
        assert_eq!(written, SIXTY_FOUR_MB);
        assert_eq!(total, SIXTY_FOUR_MB, "the reader did not get every byte");
        assert!(same, "bytes arrived changed or out of order");
        assert!(max_output > 0, "the socket never pushed back");
        assert!(
            max_output <= (LOW + PIECE) as u64,
            "the output grew to {max_output} bytes despite the write watermark"
        );
        Ok(())
    });
}

/// Reads everything from the first connection, late and with pauses, so the writer meets a
/// full socket; returns the byte count and whether the bytes were the expected stream.
fn slow_reader(listener: TcpListener) -> io::Result<(usize, bool)> {
    let (mut s, _) = listener.accept()?;
    // Start late and pause now and then, so the writer meets a full socket.
    thread::sleep(Duration::from_millis(150));
    let mut expect = ByteStream::new(64);
    let (mut total, mut same, mut reads) = (0, true, 0u32);
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        same &= expect.check(&buf[..n]);
        total += n;
        reads += 1;
        if reads % 256 == 0 {
            thread::sleep(Duration::from_millis(2));
        }
    }
    Ok((total, same))
}
