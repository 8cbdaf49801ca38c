//! What the observer sees of buffered I/O: buffer levels rising and falling, bufferevent
//! events, accepts, and only legal event transitions throughout.

use crate::util;

use std::cell::Cell;
use std::rc::Rc;

use evscope::ev::{BevEvents, BevId, BevOptions, EventBase, Levels, What};
use util::*;

fn levels_of(rec: &Recorder, bev: BevId) -> Vec<Levels> {
    rec.log
        .borrow()
        .iter()
        .filter_map(|s| match s {
            Seen::Buffer(b, l) if *b == bev => Some(*l),
            _ => None,
        })
        .collect()
}

/// True when some record has `pick > 0` and a later one has it back at 0.
fn rises_and_falls(levels: &[Levels], pick: impl Fn(&Levels) -> u64) -> bool {
    levels
        .iter()
        .position(|l| pick(l) > 0)
        .is_some_and(|i| levels[i..].iter().any(|l| pick(l) == 0))
}

#[test]
fn an_echo_exchange_shows_levels_events_and_accepts() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let rec = Recorder::install(&mut base);
        let lev = echo_server(&mut base, loopback())?;
        let addr = base.evconnlistener_local_addr(lev)?;
        let client = base.bufferevent_socket_new(None, BevOptions::CLOSE_ON_FREE)?;
        let received = Rc::new(Cell::new(0));
        let r = received.clone();
        base.bufferevent_setcb(
            client,
            Some(Box::new(move |base, bev| {
                let mut input = base.bufferevent_get_input(bev).unwrap();
                r.set(r.get() + input.len());
                let n = input.len();
                input.drain(n);
                drop(input);
                if r.get() == 3000 {
                    base.bufferevent_shutdown_write(bev).unwrap();
                }
            })),
            None,
            Some(Box::new(|base, bev, events| {
                if events.contains(BevEvents::CONNECTED) {
                    base.bufferevent_write(bev, &[b'e'; 3000]).unwrap();
                } else {
                    base.bufferevent_free(bev).unwrap();
                    base.loopexit(None);
                }
            })),
        )?;
        base.bufferevent_enable(client, What::READ)?;
        base.bufferevent_socket_connect(client, addr)?;
        base.dispatch()?;
        assert_eq!(received.get(), 3000);

        let log = rec.log.borrow().clone();
        let accepts = log
            .iter()
            .filter(|s| matches!(s, Seen::Accept(l, fd) if *l == lev && *fd >= 0))
            .count();
        assert_eq!(accepts, 1, "one accept record");
        let server = log
            .iter()
            .find_map(|s| match s {
                Seen::Buffer(b, _) if *b != client => Some(*b),
                _ => None,
            })
            .ok_or("no buffer record for the server's bufferevent")?;
        let events: Vec<(BevId, BevEvents)> = log
            .iter()
            .filter_map(|s| match s {
                Seen::BevEvent(b, e) => Some((*b, *e)),
                _ => None,
            })
            .collect();
        assert!(
            events.contains(&(client, BevEvents::CONNECTED)),
            "{events:?}"
        );
        assert!(
            events.contains(&(server, BevEvents::EOF | BevEvents::READING)),
            "{events:?}"
        );
        assert!(
            events.contains(&(client, BevEvents::EOF | BevEvents::READING)),
            "{events:?}"
        );

        let c = levels_of(&rec, client);
        let s = levels_of(&rec, server);
        assert!(rises_and_falls(&c, |l| l.output), "client output: {c:?}");
        assert!(rises_and_falls(&c, |l| l.input), "client input: {c:?}");
        assert!(rises_and_falls(&s, |l| l.input), "server input: {s:?}");
        assert!(rises_and_falls(&s, |l| l.output), "server output: {s:?}");
        assert!(
            c.iter().any(|l| l.enabled.contains(What::READ)),
            "enabled directions are reported"
        );
        assert!(
            s.iter()
                .all(|l| l.kernel_in.is_some() && l.kernel_out.is_some()),
            "kernel queue sizes are reported for sockets"
        );
        for pair in c.windows(2).chain(s.windows(2)) {
            let strip = |l: &Levels| Levels {
                kernel_in: None,
                kernel_out: None,
                ..*l
            };
            assert_ne!(
                strip(&pair[0]),
                strip(&pair[1]),
                "a record without a change"
            );
        }
        rec.assert_all_legal();
        Ok(())
    });
}

#[test]
fn watermark_changes_are_reported() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let rec = Recorder::install(&mut base);
        let (a, _b) = tcp_pair()?;
        let bev = bev_on(&mut base, a)?;
        base.bufferevent_setwatermark(bev, What::READ, 5, 50)?;
        base.bufferevent_setwatermark(bev, What::WRITE, 7, 0)?;
        let last = *levels_of(&rec, bev).last().ok_or("no buffer record")?;
        assert_eq!((last.read_low, last.read_high, last.write_low), (5, 50, 7));
        base.bufferevent_free(bev)?;
        Ok(())
    });
}

/// Records only the buffer levels, and says whether a viewer may hold the loop.
struct Kernel {
    holds: bool,
    seen: Rc<std::cell::RefCell<Vec<Levels>>>,
}

impl evscope::ev::Observer for Kernel {
    fn buffer(&mut self, _bev: BevId, levels: &Levels) {
        self.seen.borrow_mut().push(*levels);
    }
    fn may_hold(&self) -> bool {
        self.holds
    }
}

/// The kernel's queues are sampled (at most once per 100 ms for a loop running free), but read
/// afresh for every report while a viewer may hold the loop.
#[test]
fn kernel_queues_are_fresh_while_a_viewer_may_hold_the_loop() {
    use std::io::Write;
    for holds in [false, true] {
        let mut base = EventBase::new().expect("base");
        let seen = Rc::new(std::cell::RefCell::new(Vec::new()));
        base.set_observer(Box::new(Kernel {
            holds,
            seen: seen.clone(),
        }));
        let (a, mut b) = tcp_pair().expect("pair");
        // The same socket, to see what the kernel holds without reading it.
        let probe = a.try_clone().expect("clone");
        // Before the first sample (the bufferevent's first report).
        let began = std::time::Instant::now();
        let bev = bev_on(&mut base, a).expect("bev");
        // A report (a watermark changed), then 10 bytes arrive in the kernel unread (reading is
        // not enabled), then another report at once.
        base.bufferevent_setwatermark(bev, What::READ, 1, 0)
            .expect("watermark");
        b.write_all(b"0123456789").expect("write");
        let mut peeked = [0u8; 16];
        while probe.peek(&mut peeked).expect("peek") < 10 {}
        base.bufferevent_setwatermark(bev, What::READ, 2, 0)
            .expect("watermark");
        let seen = seen.borrow();
        let last = seen.last().expect("a report");
        if holds {
            assert_eq!(
                last.kernel_in,
                Some(10),
                "a fresh sample while held: {seen:?}"
            );
        } else if began.elapsed() < std::time::Duration::from_millis(100) {
            assert_eq!(
                last.kernel_in,
                seen[seen.len() - 2].kernel_in,
                "running free, the sample of a moment ago is repeated: {seen:?}"
            );
        }
        drop(seen);
        base.bufferevent_free(bev).expect("free");
    }
}
