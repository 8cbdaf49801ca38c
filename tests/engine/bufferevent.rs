//! Bufferevent semantics on real loopback TCP, on every backend: watermarks, half-close,
//! connect errors, timeouts, end of file, close-after-flush, freeing inside callbacks.

use crate::util;

use std::cell::{Cell, RefCell};
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::rc::Rc;
use std::thread;
use std::time::Instant;

use evscope::ev::{
    BevEvents, BevId, BevOptions, Error, Evbuffer, EventBase, FlushMode, LoopFlags, State, What,
};
use util::*;

/// libevent's own watermark case (regress_bufferevent.c): 65,000 bytes through a socket with
/// read watermarks 10..20; every read callback sees between 10 and 20 bytes.
#[test]
fn read_watermarks_bound_every_read_callback() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (a, b) = tcp_pair()?;
        let writer = bev_on(&mut base, a)?;
        let reader = bev_on(&mut base, b)?;
        base.bufferevent_setwatermark(reader, What::READ, 10, 20)?;
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s = seen.clone();
        base.bufferevent_setcb(
            reader,
            Some(Box::new(move |base, bev| {
                let mut sink = Evbuffer::new();
                base.bufferevent_read_buffer(bev, &mut sink).unwrap();
                let mut s = s.borrow_mut();
                s.push(sink.len());
                if s.iter().sum::<usize>() == 65_000 {
                    base.bufferevent_disable(bev, What::READ).unwrap();
                    base.loopexit(None);
                }
            })),
            None,
            None,
        )?;
        base.bufferevent_enable(reader, What::READ)?;
        base.bufferevent_write(writer, &[b'x'; 65_000])?;
        base.dispatch()?;
        let seen = seen.borrow();
        assert_eq!(seen.iter().sum::<usize>(), 65_000);
        assert!(
            seen.iter().all(|n| (10..=20).contains(n)),
            "a read callback saw {:?} bytes",
            seen.iter().find(|n| !(10..=20).contains(*n))
        );
        Ok(())
    });
}

/// The peer half-closes: the bufferevent hears EOF, and can still write back.
#[test]
fn half_close_by_the_peer_keeps_our_write_side_open() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ours, mut theirs) = tcp_pair()?;
        let bev = bev_on(&mut base, ours)?;
        let got = Rc::new(RefCell::new(Vec::new()));
        let events = Rc::new(RefCell::new(Vec::new()));
        let (g, e) = (got.clone(), events.clone());
        base.bufferevent_setcb(
            bev,
            Some(Box::new(move |base, bev| {
                let mut buf = [0u8; 64];
                let n = base.bufferevent_read(bev, &mut buf).unwrap();
                g.borrow_mut().extend_from_slice(&buf[..n]);
            })),
            None,
            Some(Box::new(move |base, bev, ev| {
                e.borrow_mut().push(ev);
                if ev.contains(BevEvents::EOF) {
                    base.bufferevent_write(bev, b"reply after your EOF")
                        .unwrap();
                    base.bufferevent_close_after_flush(bev).unwrap();
                }
            })),
        )?;
        base.bufferevent_enable(bev, What::READ)?;
        theirs.write_all(b"hello")?;
        theirs.shutdown(Shutdown::Write)?;
        let peer = thread::spawn(move || -> io::Result<Vec<u8>> {
            let mut all = Vec::new();
            theirs.read_to_end(&mut all)?;
            Ok(all)
        });
        base.dispatch()?;
        let reply = peer.join().map_err(|_| "peer panicked")??;
        assert_eq!(&*got.borrow(), b"hello");
        assert_eq!(*events.borrow(), vec![BevEvents::EOF | BevEvents::READING]);
        assert_eq!(reply, b"reply after your EOF");
        Ok(())
    });
}

/// We half-close: the peer reads every byte then EOF, and what it sends afterwards still
/// reaches us.
#[test]
fn half_close_by_us_keeps_reading() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ours, mut theirs) = tcp_pair()?;
        let bev = bev_on(&mut base, ours)?;
        let got = Rc::new(RefCell::new(Vec::new()));
        let eof = Rc::new(Cell::new(false));
        let (g, e) = (got.clone(), eof.clone());
        base.bufferevent_setcb(
            bev,
            Some(Box::new(move |base, bev| {
                let mut input = base.bufferevent_get_input(bev).unwrap();
                g.borrow_mut().extend(input.to_vec());
                let n = input.len();
                input.drain(n);
            })),
            None,
            Some(Box::new(move |base, bev, ev| {
                e.set(ev == BevEvents::EOF | BevEvents::READING);
                base.bufferevent_free(bev).unwrap();
            })),
        )?;
        base.bufferevent_enable(bev, What::READ)?;
        base.bufferevent_write(bev, &[7u8; 300_000])?;
        base.bufferevent_shutdown_write(bev)?;
        assert!(
            matches!(base.bufferevent_write(bev, b"late"), Err(Error::Invalid(_))),
            "a write after shutdown_write must be refused"
        );
        let peer = thread::spawn(move || -> io::Result<usize> {
            let mut all = Vec::new();
            theirs.read_to_end(&mut all)?;
            theirs.write_all(b"still listening?")?;
            theirs.shutdown(Shutdown::Write)?;
            Ok(all.len())
        });
        base.dispatch()?;
        let peer_got = peer.join().map_err(|_| "peer panicked")??;
        assert_eq!(peer_got, 300_000, "the peer must read every byte, then EOF");
        assert_eq!(&*got.borrow(), b"still listening?");
        assert!(eof.get(), "EOF|READING after the peer's data");
        Ok(())
    });
}

#[test]
fn connect_refused_gives_error_with_econnrefused() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let addr = closed_port()?;
        let bev = base.bufferevent_socket_new(None, BevOptions::CLOSE_ON_FREE)?;
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s = seen.clone();
        base.bufferevent_setcb(
            bev,
            None,
            None,
            Some(Box::new(move |base, bev, ev| {
                let err = base.bufferevent_get_error(bev).unwrap();
                s.borrow_mut()
                    .push((ev, err.and_then(|e| e.raw_os_error())));
                base.bufferevent_free(bev).unwrap();
            })),
        )?;
        base.bufferevent_enable(bev, What::READ)?;
        base.bufferevent_socket_connect(bev, addr)?;
        base.dispatch()?;
        assert_eq!(
            *seen.borrow(),
            vec![(BevEvents::ERROR, Some(libc::ECONNREFUSED))]
        );
        Ok(())
    });
}

#[test]
fn connect_succeeds_then_data_flows() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let lev = echo_server(&mut base, loopback())?;
        let addr = base.evconnlistener_local_addr(lev)?;
        let bev = base.bufferevent_socket_new(None, BevOptions::CLOSE_ON_FREE)?;
        // Written before the connect finishes: queued, sent once connected.
        base.bufferevent_write(bev, b"early bird")?;
        let log = Rc::new(RefCell::new(Vec::new()));
        let (l1, l2) = (log.clone(), log.clone());
        base.bufferevent_setcb(
            bev,
            Some(Box::new(move |base, bev| {
                let input = base.bufferevent_get_input(bev).unwrap();
                if input.len() == 10 {
                    l1.borrow_mut()
                        .push(String::from_utf8_lossy(&input.to_vec()).into());
                    drop(input);
                    base.loopexit(None);
                }
            })),
            None,
            Some(Box::new(move |_base, _bev, ev| {
                l2.borrow_mut().push(ev.to_string());
            })),
        )?;
        base.bufferevent_enable(bev, What::READ)?;
        base.bufferevent_socket_connect(bev, addr)?;
        base.dispatch()?;
        assert_eq!(*log.borrow(), vec!["CONNECTED", "early bird"]);
        Ok(())
    });
}

#[test]
fn read_timeout_reports_and_disables_reading() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ours, _silent) = tcp_pair()?;
        let bev = bev_on(&mut base, ours)?;
        let seen = Rc::new(RefCell::new(None));
        let s = seen.clone();
        let started = Instant::now();
        base.bufferevent_setcb(
            bev,
            None,
            None,
            Some(Box::new(move |base, bev, ev| {
                let enabled = base.bufferevent_get_enabled(bev).unwrap();
                *s.borrow_mut() = Some((ev, started.elapsed(), enabled));
            })),
        )?;
        base.bufferevent_set_timeouts(bev, Some(ms(50)), None)?;
        base.bufferevent_enable(bev, What::READ)?;
        base.dispatch()?;
        let (ev, after, enabled) = seen.borrow().ok_or("no event")?;
        assert_eq!(ev, BevEvents::TIMEOUT | BevEvents::READING);
        assert!(after >= ms(50), "timed out after only {after:?}");
        assert!(!enabled.contains(What::READ), "reading must be disabled");
        assert!(enabled.contains(What::WRITE));
        Ok(())
    });
}

#[test]
fn cleared_timeouts_stay_cleared() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ours, mut theirs) = tcp_pair()?;
        let bev = bev_on(&mut base, ours)?;
        let events = Rc::new(RefCell::new(Vec::new()));
        let e = events.clone();
        base.bufferevent_setcb(
            bev,
            Some(Box::new(|base, bev| {
                let mut input = base.bufferevent_get_input(bev).unwrap();
                let n = input.len();
                input.drain(n);
            })),
            None,
            Some(Box::new(move |_base, _bev, ev| e.borrow_mut().push(ev))),
        )?;
        base.bufferevent_set_timeouts(bev, Some(ms(20)), None)?;
        base.bufferevent_enable(bev, What::READ)?;
        base.bufferevent_disable(bev, What::READ)?;
        base.bufferevent_set_timeouts(bev, None, None)?;
        base.bufferevent_enable(bev, What::READ)?;
        theirs.write_all(b"wake up")?;
        base.loopexit(Some(ms(100)));
        base.dispatch()?;
        assert!(events.borrow().is_empty(), "{:?}", events.borrow());
        Ok(())
    });
}

#[test]
fn write_timeout_when_the_peer_never_reads() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ours, _stalled) = tcp_pair()?;
        let bev = bev_on(&mut base, ours)?;
        let seen = Rc::new(Cell::new(None));
        let s = seen.clone();
        base.bufferevent_setcb(
            bev,
            None,
            None,
            Some(Box::new(move |base, bev, ev| {
                s.set(Some(ev));
                base.bufferevent_free(bev).unwrap();
            })),
        )?;
        base.bufferevent_set_timeouts(bev, None, Some(ms(50)))?;
        // More than loopback's socket buffers hold, so the write side blocks.
        base.bufferevent_write(bev, &vec![1u8; 32 << 20])?;
        base.dispatch()?;
        assert_eq!(seen.get(), Some(BevEvents::TIMEOUT | BevEvents::WRITING));
        Ok(())
    });
}

#[test]
fn eof_after_the_data_when_the_peer_closes() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ours, mut theirs) = tcp_pair()?;
        let bev = bev_on(&mut base, ours)?;
        let log = Rc::new(RefCell::new(Vec::new()));
        let (l1, l2) = (log.clone(), log.clone());
        base.bufferevent_setcb(
            bev,
            Some(Box::new(move |base, bev| {
                let mut buf = [0u8; 16];
                let n = base.bufferevent_read(bev, &mut buf).unwrap();
                l1.borrow_mut().push(format!("data {n}"));
            })),
            None,
            Some(Box::new(move |base, bev, ev| {
                l2.borrow_mut().push(ev.to_string());
                base.bufferevent_free(bev).unwrap();
            })),
        )?;
        base.bufferevent_enable(bev, What::READ)?;
        theirs.write_all(b"last words")?;
        drop(theirs);
        base.dispatch()?;
        assert_eq!(*log.borrow(), vec!["data 10", "READING|EOF"]);
        assert!(matches!(
            base.bufferevent_enable(bev, What::READ),
            Err(Error::Stale(_))
        ));
        Ok(())
    });
}

/// libevent's `bufferevent_free` may drop queued output; close-after-flush sends all of it,
/// even when the peer has sent bytes nobody will read (which would otherwise turn the close
/// into a reset).
#[test]
fn close_after_flush_delivers_every_byte() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ours, mut theirs) = tcp_pair()?;
        let bev = bev_on(&mut base, ours)?;
        let data = ByteStream::new(5).take(8 << 20);
        let peer = thread::spawn(move || -> io::Result<(usize, bool)> {
            theirs.write_all(&[9u8; 100_000])?;
            // Read late, so most of the output is still queued in the bufferevent at close.
            thread::sleep(ms(50));
            let mut all = Vec::new();
            theirs.read_to_end(&mut all)?;
            Ok((all.len(), ByteStream::new(5).check(&all)))
        });
        base.bufferevent_write(bev, &data)?;
        base.bufferevent_close_after_flush(bev)?;
        assert!(matches!(
            base.bufferevent_write(bev, b"more"),
            Err(Error::Stale(_))
        ));
        base.dispatch()?;
        let (n, same) = peer.join().map_err(|_| "peer panicked")??;
        assert_eq!(n, 8 << 20);
        assert!(same, "bytes changed or out of order");
        assert!(base.bufferevent_ids().is_empty(), "the bufferevent is gone");
        Ok(())
    });
}

/// A peer that writes everything before reading anything would deadlock against a closing
/// bufferevent that does not read: both sides' buffers full. Closing discards input at once.
#[test]
fn close_after_flush_with_a_peer_that_writes_before_reading() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ours, mut theirs) = tcp_pair()?;
        let bev = bev_on(&mut base, ours)?;
        // (tcp_pair's timeouts turn a deadlock into a failure.)
        let peer = thread::spawn(move || -> io::Result<usize> {
            theirs.write_all(&vec![3u8; 16 << 20])?;
            let mut all = Vec::new();
            theirs.read_to_end(&mut all)?;
            Ok(all.len())
        });
        base.bufferevent_write(bev, &vec![4u8; 8 << 20])?;
        base.bufferevent_close_after_flush(bev)?;
        base.dispatch()?;
        assert_eq!(peer.join().map_err(|_| "peer panicked")??, 8 << 20);
        Ok(())
    });
}

/// libevent's `be_socket_flush` does nothing: the bytes wait in the output for the write event,
/// and the write side stays open.
#[test]
fn flush_on_a_socket_does_nothing_as_in_libevent() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ours, mut theirs) = tcp_pair()?;
        let bev = bev_on(&mut base, ours)?;
        base.bufferevent_write(bev, b"all of it")?;
        let n = base.bufferevent_flush(bev, What::WRITE, FlushMode::Finished)?;
        assert_eq!(n, 0);
        assert_eq!(
            base.bufferevent_levels(bev)?.output,
            9,
            "nothing was written"
        );
        base.loop_(LoopFlags::ONCE)?;
        assert_eq!(
            base.bufferevent_levels(bev)?.output,
            0,
            "the write event sent it"
        );
        let mut got = [0u8; 9];
        theirs.read_exact(&mut got)?;
        assert_eq!(&got, b"all of it");
        base.bufferevent_write(bev, b" and more")?;
        base.loop_(LoopFlags::ONCE)?;
        let mut more = [0u8; 9];
        theirs.read_exact(&mut more)?;
        assert_eq!(&more, b" and more", "the write side is still open");
        base.bufferevent_free(bev)?;
        Ok(())
    });
}

/// Freeing itself inside its read callback, and handing its socket's peer a clean close.
#[test]
fn free_inside_the_read_callback() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ours, mut theirs) = tcp_pair()?;
        let bev = bev_on(&mut base, ours)?;
        let calls = Rc::new(Cell::new(0));
        let c = calls.clone();
        base.bufferevent_setcb(
            bev,
            Some(Box::new(move |base, bev| {
                c.set(c.get() + 1);
                base.bufferevent_free(bev).unwrap();
            })),
            None,
            None,
        )?;
        base.bufferevent_enable(bev, What::READ)?;
        theirs.write_all(b"x")?;
        base.dispatch()?;
        theirs.write_all(b"y")?;
        let mut rest = Vec::new();
        theirs.read_to_end(&mut rest)?;
        assert_eq!(calls.get(), 1);
        assert!(rest.is_empty());
        assert!(base.event_ids().is_empty(), "its events were freed too");
        Ok(())
    });
}

#[test]
fn pair_moves_data_both_ways_and_ends_with_eof() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (a, b) = base.bufferevent_pair_new(BevOptions::NONE)?;
        let log = Rc::new(RefCell::new(Vec::new()));
        let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
        base.bufferevent_setcb(
            b,
            Some(Box::new(move |base, bev| {
                let mut buf = [0u8; 32];
                let n = base.bufferevent_read(bev, &mut buf).unwrap();
                l1.borrow_mut()
                    .push(format!("b got {}", String::from_utf8_lossy(&buf[..n])));
                base.bufferevent_write(bev, b"pong").unwrap();
            })),
            None,
            Some(Box::new(move |base, bev, ev| {
                l2.borrow_mut().push(format!("b {ev}"));
                base.bufferevent_free(bev).unwrap();
            })),
        )?;
        base.bufferevent_setcb(
            a,
            Some(Box::new(move |base, bev| {
                let mut buf = [0u8; 32];
                let n = base.bufferevent_read(bev, &mut buf).unwrap();
                l3.borrow_mut()
                    .push(format!("a got {}", String::from_utf8_lossy(&buf[..n])));
                base.bufferevent_shutdown_write(bev).unwrap();
            })),
            None,
            None,
        )?;
        base.bufferevent_enable(a, What::READ)?;
        base.bufferevent_enable(b, What::READ)?;
        base.bufferevent_write(a, b"ping")?;
        base.dispatch()?;
        assert_eq!(
            *log.borrow(),
            vec!["b got ping", "a got pong", "b READING|EOF"]
        );
        Ok(())
    });
}

#[test]
fn pair_respects_the_read_high_watermark() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (a, b) = base.bufferevent_pair_new(BevOptions::NONE)?;
        base.bufferevent_setwatermark(b, What::READ, 0, 100)?;
        let sizes = Rc::new(RefCell::new(Vec::new()));
        let s = sizes.clone();
        base.bufferevent_setcb(
            b,
            Some(Box::new(move |base, bev| {
                let mut input = base.bufferevent_get_input(bev).unwrap();
                s.borrow_mut().push(input.len());
                let n = input.len();
                input.drain(n);
            })),
            None,
            None,
        )?;
        base.bufferevent_enable(b, What::READ)?;
        base.bufferevent_write(a, &[0u8; 1000])?;
        base.dispatch()?;
        assert_eq!(*sizes.borrow(), vec![100; 10]);
        Ok(())
    });
}

/// What the writer `w` holds in its output and the reader `r` in its input.
fn across(base: &EventBase, w: BevId, r: BevId) -> Result<(u64, u64), Error> {
    Ok((
        base.bufferevent_levels(w)?.output,
        base.bufferevent_levels(r)?.input,
    ))
}

/// libevent's pair hands data over inside the call that makes it possible (a write, the reader
/// enabling reading) and runs the callbacks later from the loop (`BEV_OPT_DEFER_CALLBACKS`).
#[test]
fn pair_moves_data_at_once_and_runs_callbacks_from_the_loop() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (a, b) = base.bufferevent_pair_new(BevOptions::NONE)?;
        let log = Rc::new(RefCell::new(Vec::new()));
        let (l1, l2) = (log.clone(), log.clone());
        base.bufferevent_setcb(
            a,
            None,
            Some(Box::new(move |_, _| l1.borrow_mut().push("a write"))),
            None,
        )?;
        base.bufferevent_setcb(
            b,
            Some(Box::new(move |_, _| l2.borrow_mut().push("b read"))),
            None,
            None,
        )?;
        base.bufferevent_write(a, b"ping")?;
        assert_eq!(across(&base, a, b)?, (4, 0), "b does not read yet");
        base.bufferevent_enable(b, What::READ)?;
        assert_eq!(across(&base, a, b)?, (0, 4), "moved as b enabled reading");
        base.bufferevent_write(a, b"pong")?;
        assert_eq!(across(&base, a, b)?, (0, 8), "moved inside the write");
        assert!(log.borrow().is_empty(), "no callback inside the calls");
        base.dispatch()?;
        assert_eq!(
            *log.borrow(),
            ["b read", "a write"],
            "each once, in that order"
        );
        Ok(())
    });
}

/// The reader's high watermark bounds each hand-over; the reader draining below it takes more
/// at once; the writer's write callback runs only once its output is at its low watermark.
#[test]
fn pair_refills_the_reader_as_it_drains() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (w, r) = base.bufferevent_pair_new(BevOptions::NONE)?;
        let seen = Rc::new(RefCell::new(Vec::new()));
        let (s1, s2) = (seen.clone(), seen.clone());
        base.bufferevent_setcb(
            w,
            None,
            Some(Box::new(move |base, w| {
                let out = base.bufferevent_levels(w).unwrap().output;
                s1.borrow_mut().push(format!("write out={out}"));
            })),
            None,
        )?;
        base.bufferevent_setcb(
            r,
            Some(Box::new(move |base, r| {
                let mut buf = [0u8; 7];
                base.bufferevent_read(r, &mut buf).unwrap();
                let input = base.bufferevent_levels(r).unwrap().input;
                s2.borrow_mut().push(format!("read, then in={input}"));
            })),
            None,
            None,
        )?;
        base.bufferevent_setwatermark(w, What::WRITE, 5, 0)?;
        base.bufferevent_setwatermark(r, What::READ, 0, 10)?;
        base.bufferevent_enable(r, What::READ)?;
        base.bufferevent_write(w, &[b'x'; 20])?;
        assert_eq!(across(&base, w, r)?, (10, 10), "up to the high watermark");
        base.dispatch()?;
        assert_eq!(
            *seen.borrow(),
            [
                "read, then in=10",
                "read, then in=6",
                "write out=0",
                "read, then in=0",
            ]
        );
        Ok(())
    });
}

/// `bufferevent_flush(BEV_FINISHED)` tells the partner `EOF|READING` from the loop and leaves its
/// reading enabled; freeing one end tells the other nothing, and flushing it then fails.
#[test]
fn pair_flush_finished_and_free_as_in_libevent() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (a, b) = base.bufferevent_pair_new(BevOptions::NONE)?;
        let events = Rc::new(RefCell::new(Vec::new()));
        let e = events.clone();
        base.bufferevent_setcb(
            b,
            None,
            None,
            Some(Box::new(move |_, _, what| e.borrow_mut().push(what))),
        )?;
        base.bufferevent_enable(b, What::READ)?;
        base.bufferevent_flush(a, What::WRITE, FlushMode::Finished)?;
        assert!(events.borrow().is_empty(), "told from the loop");
        base.dispatch()?;
        assert_eq!(*events.borrow(), [BevEvents::EOF | BevEvents::READING]);
        assert_eq!(
            base.bufferevent_get_enabled(b)?,
            What::READ | What::WRITE,
            "reading stays enabled"
        );
        assert_eq!(base.bufferevent_pair_get_partner(b)?, Some(a));
        base.bufferevent_free(a)?;
        assert_eq!(base.bufferevent_pair_get_partner(b)?, None);
        base.bufferevent_write(b, b"alone")?;
        assert_eq!(base.bufferevent_levels(b)?.output, 5, "nowhere to go");
        assert!(base
            .bufferevent_flush(b, What::WRITE, FlushMode::Finished)
            .is_err());
        base.dispatch()?;
        assert_eq!(
            events.borrow().len(),
            1,
            "no end of file for a freed partner"
        );
        Ok(())
    });
}

/// A pair handing over one byte a round queues each round's deferred callback from the one
/// before; past 32 in one loop iteration the rest wait for the next (libevent's
/// `MAX_DEFERREDS_QUEUED`), so the loop goes on polling.
#[test]
fn pair_rounds_spread_over_loop_iterations() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (w, r) = base.bufferevent_pair_new(BevOptions::NONE)?;
        let per_iteration = Rc::new(RefCell::new(Vec::<(u64, usize)>::new()));
        let p = per_iteration.clone();
        base.bufferevent_setcb(
            r,
            Some(Box::new(move |base, r| {
                let mut byte = [0u8; 1];
                base.bufferevent_read(r, &mut byte).unwrap();
                let mut p = p.borrow_mut();
                match p.last_mut() {
                    Some((it, n)) if *it == base.iteration() => *n += 1,
                    _ => p.push((base.iteration(), 1)),
                }
            })),
            None,
            None,
        )?;
        base.bufferevent_setwatermark(r, What::READ, 0, 1)?;
        base.bufferevent_enable(r, What::READ)?;
        base.bufferevent_write(w, &[b'x'; 100])?;
        base.dispatch()?;
        let rounds: Vec<usize> = per_iteration.borrow().iter().map(|(_, n)| *n).collect();
        assert_eq!(rounds, [34, 33, 33], "as libevent 2.1.12 runs them");
        Ok(())
    });
}

/// A pair end's read timeout restarts as data arrives; when it expires, reading is disabled and
/// the event callback hears `TIMEOUT|READING` (libevent's generic timeouts).
#[test]
fn pair_read_timeout_restarts_with_data_and_then_expires() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (a, b) = base.bufferevent_pair_new(BevOptions::NONE)?;
        let log = Rc::new(RefCell::new(Vec::new()));
        let (l1, l2) = (log.clone(), log.clone());
        base.bufferevent_setcb(
            b,
            Some(Box::new(move |base, b| {
                let mut buf = [0u8; 8];
                let n = base.bufferevent_read(b, &mut buf).unwrap();
                l1.borrow_mut().push(format!("read {n}"));
            })),
            None,
            Some(Box::new(move |base, b, what| {
                let enabled = base.bufferevent_get_enabled(b).unwrap();
                l2.borrow_mut().push(format!("{what} enabled={enabled}"));
            })),
        )?;
        let timeout = std::time::Duration::from_millis(60);
        base.bufferevent_set_timeouts(b, Some(timeout), None)?;
        base.bufferevent_enable(b, What::READ)?;
        let (read_ev, _) = base.bufferevent_events(b)?;
        let read_ev = read_ev.ok_or("a pair end has a read event")?;
        assert_eq!(
            base.event_state(read_ev)?,
            State::Pending,
            "the timeout waits"
        );
        let started = Instant::now();
        let timer = base.evtimer_new(move |base, _, _| {
            base.bufferevent_write(a, b"late").unwrap();
        })?;
        base.event_add(timer, Some(std::time::Duration::from_millis(30)))?;
        base.dispatch()?;
        assert!(
            started.elapsed() >= std::time::Duration::from_millis(90),
            "restarted by the data at 30 ms: {:?}",
            started.elapsed()
        );
        assert_eq!(*log.borrow(), ["read 4", "READING|TIMEOUT enabled=WRITE"]);
        Ok(())
    });
}

/// Whether the bufferevent's read and write events are pending (libevent's
/// `event_pending(&bev->ev_read, EV_READ, NULL)` and the same for `ev_write`).
fn pending_events(base: &EventBase, bev: evscope::ev::BevId) -> Result<(bool, bool), Error> {
    let (read, write) = base.bufferevent_events(bev)?;
    let is = |ev: Option<evscope::ev::EventId>, what| -> Result<bool, Error> {
        match ev {
            Some(ev) => Ok(!base.event_pending(ev, what)?.0.is_empty()),
            None => Ok(false),
        }
    };
    Ok((is(read, What::READ)?, is(write, What::WRITE)?))
}

/// libevent's write path: bufferevent_write leaves the bytes in the output and the write event
/// pending; the loop writes them from the write event, which then deletes itself, and only
/// then runs the write callback.
#[test]
fn bytes_are_written_from_the_write_event() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ours, mut theirs) = tcp_pair()?;
        let bev = bev_on(&mut base, ours)?;
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s = seen.clone();
        base.bufferevent_setcb(
            bev,
            None,
            Some(Box::new(move |base, bev| {
                let output = base.bufferevent_levels(bev).unwrap().output;
                s.borrow_mut()
                    .push((output, pending_events(base, bev).unwrap()));
            })),
            None,
        )?;
        assert_eq!(
            pending_events(&base, bev)?,
            (false, false),
            "new: nothing added"
        );
        base.bufferevent_write(bev, b"hello")?;
        assert_eq!(base.bufferevent_levels(bev)?.output, 5, "not written yet");
        assert_eq!(
            pending_events(&base, bev)?,
            (false, true),
            "the write event waits"
        );
        let (_, write_ev) = base.bufferevent_events(bev)?;
        let write_ev = write_ev.ok_or("a socket bufferevent has a write event")?;
        assert_eq!(base.event_state(write_ev)?, State::Pending);
        base.loop_(LoopFlags::ONCE)?;
        assert_eq!(
            *seen.borrow(),
            [(0, (false, false))],
            "written, deleted, then the write callback"
        );
        assert_eq!(base.event_state(write_ev)?, State::NonPending);
        let mut got = [0u8; 5];
        theirs.read_exact(&mut got)?;
        assert_eq!(&got, b"hello");
        Ok(())
    });
}

/// The WRITE_INLINE extension writes inside the call and leaves the write event alone while
/// the socket takes everything.
#[test]
fn write_inline_extension_writes_at_once() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let rec = Recorder::install(&mut base);
        let (ours, mut theirs) = tcp_pair()?;
        let fd = std::os::fd::IntoRawFd::into_raw_fd(ours);
        let bev =
            base.bufferevent_socket_new(fd, BevOptions::CLOSE_ON_FREE | BevOptions::WRITE_INLINE)?;
        assert!(
            rec.notes()
                .iter()
                .any(|n| n.contains("WRITE_INLINE extension")),
            "the extension is named in the trace: {:?}",
            rec.notes()
        );
        base.bufferevent_write(bev, b"hello")?;
        assert_eq!(base.bufferevent_levels(bev)?.output, 0);
        assert_eq!(pending_events(&base, bev)?, (false, false));
        let mut got = [0u8; 5];
        theirs.read_exact(&mut got)?;
        assert_eq!(&got, b"hello");
        Ok(())
    });
}

/// Enabling writing adds the write event even with nothing to send, so the write callback runs
/// once the socket is writable (libevent's be_socket_enable and bufferevent_writecb).
#[test]
fn enabling_writing_runs_the_write_callback_once() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ours, _theirs) = tcp_pair()?;
        let bev = bev_on(&mut base, ours)?;
        assert_eq!(
            base.bufferevent_get_enabled(bev)?,
            What::WRITE,
            "writing is on by default"
        );
        let calls = Rc::new(Cell::new(0));
        let c = calls.clone();
        base.bufferevent_setcb(
            bev,
            None,
            Some(Box::new(move |_, _| c.set(c.get() + 1))),
            None,
        )?;
        base.bufferevent_enable(bev, What::WRITE)?;
        assert_eq!(pending_events(&base, bev)?, (false, true));
        base.loop_(LoopFlags::ONCE)?;
        assert_eq!(calls.get(), 1);
        assert_eq!(
            pending_events(&base, bev)?,
            (false, false),
            "nothing to send: deleted"
        );
        Ok(())
    });
}

/// libevent holds a reference while a bufferevent's callback runs: freed inside it, the handle
/// answers until the callback returns; then the events are deleted at once and the socket
/// closes from the active queue.
#[test]
fn freed_inside_its_callback_it_lives_until_the_callback_returns() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ours, mut theirs) = tcp_pair()?;
        let bev = bev_on(&mut base, ours)?;
        let inside = Rc::new(RefCell::new(None));
        let i = inside.clone();
        base.bufferevent_setcb(
            bev,
            Some(Box::new(move |base, bev| {
                base.bufferevent_free(bev).unwrap();
                let after = (
                    base.bufferevent_get_enabled(bev).is_ok(),
                    pending_events(base, bev).map(|p| p.0).ok(),
                    base.bufferevent_free(bev).is_err(),
                );
                *i.borrow_mut() = Some(after);
            })),
            None,
            None,
        )?;
        base.bufferevent_enable(bev, What::READ)?;
        theirs.write_all(b"x")?;
        base.loop_(LoopFlags::ONCE)?;
        assert_eq!(
            *inside.borrow(),
            Some((true, Some(true), true)),
            "inside: still valid, still reading, and a second free is refused"
        );
        assert!(
            base.bufferevent_get_enabled(bev).is_err(),
            "stale once the callback returned"
        );
        let mut rest = Vec::new();
        theirs.read_to_end(&mut rest)?;
        assert!(rest.is_empty(), "the socket was closed: end of file");
        Ok(())
    });
}

/// libevent's bufferevent_socket_connect assigns the socket's events and adds them as enabled:
/// with reading enabled first, the read event is pending during the connect, beside the write
/// event that waits for it to finish.
#[test]
fn connect_adds_the_read_event_when_reading_is_enabled() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let bev = base.bufferevent_socket_new(None, BevOptions::CLOSE_ON_FREE)?;
        let got = Rc::new(Cell::new(None));
        let g = got.clone();
        base.bufferevent_setcb(
            bev,
            None,
            None,
            Some(Box::new(move |base, bev, events| {
                g.set(Some(events));
                assert_eq!(pending_events(base, bev).unwrap(), (true, true));
            })),
        )?;
        base.bufferevent_enable(bev, What::READ)?;
        assert_eq!(
            pending_events(&base, bev)?,
            (true, false),
            "no socket yet, and the read event is added all the same (libevent's fd -1)"
        );
        base.bufferevent_socket_connect(bev, listener.local_addr()?)?;
        assert_eq!(pending_events(&base, bev)?, (true, true));
        base.loop_(LoopFlags::ONCE)?;
        assert_eq!(got.get(), Some(BevEvents::CONNECTED));
        assert_eq!(
            pending_events(&base, bev)?,
            (true, false),
            "connected with nothing to send: the write event deleted itself"
        );
        Ok(())
    });
}
