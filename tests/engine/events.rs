//! The event core on real fds, on every backend: readiness, timers, signals, loop controls,
//! priorities, handles, and the exact transitions the observer is told.

use crate::util;

use std::cell::{Cell, RefCell};
use std::os::fd::{AsFd, AsRawFd};
use std::rc::Rc;
use std::time::{Duration, Instant};

use evscope::ev::{BackendKind, Cause, Error, EventBase, Exit, LoopFlags, State, What};
use util::*;

fn counter() -> (Rc<Cell<u32>>, Rc<Cell<u32>>) {
    let c = Rc::new(Cell::new(0));
    (c.clone(), c)
}

#[test]
fn read_readiness_needs_data() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (a, b) = socketpair()?;
        let (hits, h) = counter();
        let ev = base.event_new(fd(&a), What::READ, move |_, _, what| {
            assert_eq!(what, What::READ);
            h.set(h.get() + 1);
        })?;
        base.event_add(ev, None)?;
        // Nothing to read yet: a non-blocking pass runs nothing.
        base.loop_(LoopFlags::NONBLOCK)?;
        assert_eq!(hits.get(), 0);
        assert_eq!(base.event_state(ev)?, State::Pending);
        poke(&b, b"hello")?;
        base.loop_(LoopFlags::ONCE)?;
        assert_eq!(hits.get(), 1);
        assert_eq!(base.event_state(ev)?, State::NonPending);
        Ok(())
    });
}

#[test]
fn write_readiness_on_an_empty_socket() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (a, _b) = socketpair()?;
        let (hits, h) = counter();
        let ev = base.event_new(fd(&a), What::WRITE, move |_, _, what| {
            assert!(what.contains(What::WRITE));
            h.set(h.get() + 1);
        })?;
        base.event_add(ev, None)?;
        assert_eq!(base.dispatch()?, Exit::NoEvents);
        assert_eq!(hits.get(), 1);
        Ok(())
    });
}

#[test]
fn one_shot_runs_once_persistent_runs_until_deleted() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (a, b) = socketpair()?;
        poke(&b, b"x")?;
        let (once, o) = counter();
        let one = base.event_new(fd(&a), What::READ, move |_, _, _| o.set(o.get() + 1))?;
        base.event_add(one, None)?;
        for _ in 0..3 {
            base.loop_(LoopFlags::NONBLOCK)?;
        }
        assert_eq!(
            once.get(),
            1,
            "a one-shot event runs once though the fd stays readable"
        );

        let (many, m) = counter();
        let persistent =
            base.event_new(fd(&a), What::READ | What::PERSIST, move |base, id, _| {
                m.set(m.get() + 1);
                if m.get() == 3 {
                    base.event_del(id).unwrap();
                }
            })?;
        base.event_add(persistent, None)?;
        assert_eq!(base.dispatch()?, Exit::NoEvents);
        assert_eq!(
            many.get(),
            3,
            "a persistent event runs every iteration until deleted"
        );
        assert_eq!(base.event_state(persistent)?, State::NonPending);
        Ok(())
    });
}

#[test]
fn a_pure_timeout_waits_at_least_its_delay() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let fired = Rc::new(Cell::new(None));
        let f = fired.clone();
        let ev = base.evtimer_new(move |_, _, what| f.set(Some((what, Instant::now()))))?;
        let start = Instant::now();
        base.event_add(ev, Some(ms(30)))?;
        let (pending, deadline) = base.event_pending(ev, What::TIMEOUT)?;
        assert_eq!(pending, What::TIMEOUT);
        assert!(deadline.is_some_and(|d| d >= start + ms(30)));
        base.dispatch()?;
        let (what, at) = fired.get().ok_or("timer never fired")?;
        assert_eq!(what, What::TIMEOUT);
        assert!(at - start >= ms(30), "fired after {:?}", at - start);
        Ok(())
    });
}

#[test]
fn an_fd_event_with_a_timeout_reports_timeout_when_the_fd_stays_quiet() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (a, _b) = socketpair()?;
        let got = Rc::new(Cell::new(What::NONE));
        let g = got.clone();
        let ev = base.event_new(fd(&a), What::READ, move |_, _, what| g.set(what))?;
        base.event_add(ev, Some(ms(10)))?;
        base.dispatch()?;
        assert_eq!(got.get(), What::TIMEOUT);
        // A one-shot that timed out is no longer watching its fd.
        assert_eq!(
            base.event_pending(ev, What::READ | What::TIMEOUT)?.0,
            What::NONE
        );
        Ok(())
    });
}

#[test]
fn a_persistent_timer_is_periodic() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let times = Rc::new(RefCell::new(Vec::new()));
        let t = times.clone();
        let ev = base.event_new(None, What::PERSIST, move |base, id, what| {
            assert_eq!(what, What::TIMEOUT);
            t.borrow_mut().push(Instant::now());
            if t.borrow().len() == 4 {
                base.event_del(id).unwrap();
            }
        })?;
        let start = Instant::now();
        base.event_add(ev, Some(ms(10)))?;
        base.dispatch()?;
        let times = times.borrow();
        assert_eq!(times.len(), 4);
        // Fire k happens no earlier than k intervals after the add.
        for (k, at) in times.iter().enumerate() {
            assert!(
                *at - start >= ms(10) * (k as u32 + 1),
                "fire {k} at {:?}",
                *at - start
            );
        }
        Ok(())
    });
}

#[test]
fn equal_deadlines_fire_in_insertion_order() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let order = Rc::new(RefCell::new(Vec::new()));
        let mut ids = Vec::new();
        for i in 0..8 {
            let o = order.clone();
            ids.push(base.evtimer_new(move |_, _, _| o.borrow_mut().push(i))?);
        }
        // Same deadline for all: add them while the time cache holds one instant.
        base.event_add(ids[0], Some(ms(5)))?;
        let (_, deadline) = base.event_pending(ids[0], What::TIMEOUT)?;
        for id in &ids[1..] {
            base.event_add(*id, Some(ms(5)))?;
        }
        let all_equal = ids
            .iter()
            .all(|id| base.event_pending(*id, What::TIMEOUT).map(|p| p.1).ok() == Some(deadline));
        base.dispatch()?;
        if all_equal {
            assert_eq!(*order.borrow(), (0..8).collect::<Vec<_>>());
        } else {
            // Deadlines differ by the clock between adds; still ordered by deadline.
            assert_eq!(order.borrow().len(), 8);
        }
        Ok(())
    });
}

#[test]
fn equal_deadlines_inside_the_loop_fire_in_insertion_order() {
    // Inside a callback the time cache is fixed, so these deadlines are exactly equal.
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let order = Rc::new(RefCell::new(Vec::new()));
        let o = order.clone();
        let starter = base.evtimer_new(move |base, _, _| {
            for i in [3, 1, 4, 1, 5, 9, 2, 6] {
                let o = o.clone();
                let id = base
                    .evtimer_new(move |_, _, _| o.borrow_mut().push(i))
                    .unwrap();
                base.event_add(id, Some(ms(2))).unwrap();
            }
        })?;
        base.event_add(starter, Some(Duration::ZERO))?;
        base.dispatch()?;
        assert_eq!(*order.borrow(), vec![3, 1, 4, 1, 5, 9, 2, 6]);
        Ok(())
    });
}

#[test]
fn delete_free_and_re_add_inside_own_callback() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let rec = Recorder::install(&mut base);
        let (a, b) = socketpair()?;
        poke(&b, b"x")?;

        // Re-add a one-shot inside its callback: it stays pending, three times.
        let (readds, r) = counter();
        let readd = base.event_new(fd(&a), What::READ, move |base, id, _| {
            r.set(r.get() + 1);
            if r.get() < 3 {
                base.event_add(id, None).unwrap();
            }
        })?;
        base.event_add(readd, None)?;
        base.dispatch()?;
        assert_eq!(readds.get(), 3);
        assert_eq!(
            rec.transitions_of(readd)[2..4],
            [
                (State::Active, State::Callback),
                (State::Callback, State::Pending)
            ]
        );

        // Delete a persistent event inside its callback.
        let (dels, d) = counter();
        let del = base.event_new(fd(&a), What::READ | What::PERSIST, move |base, id, _| {
            d.set(d.get() + 1);
            base.event_del(id).unwrap();
        })?;
        base.event_add(del, None)?;
        base.dispatch()?;
        assert_eq!(dels.get(), 1);
        assert_eq!(base.event_state(del)?, State::NonPending);

        // Free inside its callback, then make a new event in the same callback (slot reuse).
        let (frees, f) = counter();
        let made = Rc::new(Cell::new(None));
        let m = made.clone();
        let freer = base.event_new(fd(&a), What::READ | What::PERSIST, move |base, id, _| {
            f.set(f.get() + 1);
            base.event_free(id).unwrap();
            assert!(matches!(base.event_state(id), Err(Error::Stale(_))));
            m.set(Some(base.evtimer_new(|_, _, _| {}).unwrap()));
        })?;
        base.event_add(freer, None)?;
        base.dispatch()?;
        assert_eq!(frees.get(), 1);
        let replacement = made.get().ok_or("no replacement event")?;
        assert_eq!(
            replacement.index(),
            freer.index(),
            "the freed slot is reused"
        );
        assert_eq!(base.event_state(replacement)?, State::New);
        assert!(base.event_state(freer).is_err());
        assert_eq!(
            rec.transitions_of(freer).last(),
            Some(&(State::Callback, State::Freed))
        );
        rec.assert_all_legal();
        Ok(())
    });
}

#[test]
fn event_active_runs_a_callback_with_the_given_flags() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let rec = Recorder::install(&mut base);
        let got = Rc::new(Cell::new(What::NONE));
        let g = got.clone();
        let (a, _b) = socketpair()?;
        let ev = base.event_new(fd(&a), What::READ, move |_, _, what| g.set(what))?;
        base.event_active(ev, What::WRITE)?;
        assert_eq!(base.event_state(ev)?, State::Active);
        base.dispatch()?;
        assert_eq!(got.get(), What::WRITE);
        assert_eq!(
            rec.path_of(ev),
            [
                State::New,
                State::Active,
                State::Callback,
                State::NonPending
            ]
        );
        // Activating itself inside its callback runs it again, once per activation.
        let (runs, r) = counter();
        let again = base.evtimer_new(move |base, id, _| {
            r.set(r.get() + 1);
            if r.get() < 3 {
                base.event_active(id, What::TIMEOUT).unwrap();
            }
        })?;
        base.event_active(again, What::TIMEOUT)?;
        base.dispatch()?;
        assert_eq!(runs.get(), 3);
        rec.assert_all_legal();
        Ok(())
    });
}

#[test]
fn lower_priority_numbers_run_first_and_starve_the_rest_for_one_pass() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        base.priority_init(3)?;
        assert_eq!(base.get_npriorities(), 3);
        let order = Rc::new(RefCell::new(Vec::new()));
        let mut ids = Vec::new();
        for (name, prio) in [("low", 2), ("mid", 1), ("high", 0), ("default", 99)] {
            let o = order.clone();
            let id = base.evtimer_new(move |_, _, _| o.borrow_mut().push(name))?;
            if prio < 3 {
                base.event_priority_set(id, prio)?;
            } else {
                assert_eq!(base.event_get_priority(id)?, 1, "new events get n/2");
                assert!(base.event_priority_set(id, prio).is_err());
            }
            ids.push(id);
        }
        for id in &ids {
            base.event_active(*id, What::TIMEOUT)?;
        }
        assert!(
            base.priority_init(2).is_err(),
            "not while events are active"
        );
        assert!(
            base.event_priority_set(ids[0], 0).is_err(),
            "not while the event is active"
        );
        let rec = Recorder::install(&mut base);
        base.dispatch()?;
        assert_eq!(*order.borrow(), vec!["high", "mid", "default", "low"]);
        // One iteration runs only the highest non-empty queue: each queue ran in its own.
        let mut iteration = 0;
        let mut ran_in = Vec::new();
        for seen in rec.log.borrow().iter() {
            match seen {
                Seen::Iteration(n) => iteration = *n,
                Seen::Begin(..) => ran_in.push(iteration),
                _ => {}
            }
        }
        assert_eq!(ran_in.len(), 4);
        assert!(ran_in[0] < ran_in[1] && ran_in[1] < ran_in[3], "{ran_in:?}");
        assert_eq!(ran_in[1], ran_in[2], "mid and default share priority 1");
        Ok(())
    });
}

#[test]
fn loopexit_with_a_delay_stops_the_loop_after_it() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ticks, t) = counter();
        let ev = base.event_new(None, What::PERSIST, move |_, _, _| t.set(t.get() + 1))?;
        base.event_add(ev, Some(ms(5)))?;
        let start = Instant::now();
        base.loopexit(Some(ms(40)));
        assert_eq!(base.dispatch()?, Exit::Finished);
        assert!(start.elapsed() >= ms(40));
        assert!(base.got_exit());
        assert!(!base.got_break());
        assert!(
            ticks.get() >= 2,
            "the timer kept running until the exit: {}",
            ticks.get()
        );
        assert_eq!(
            base.event_state(ev)?,
            State::Pending,
            "exit leaves events pending"
        );
        // With only a loopexit pending, the loop still waits for it.
        let start = Instant::now();
        base.event_del(ev)?;
        base.loopexit(Some(ms(20)));
        assert_eq!(base.dispatch()?, Exit::Finished);
        assert!(start.elapsed() >= ms(20));
        Ok(())
    });
}

#[test]
fn loopbreak_stops_after_the_current_callback() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let order = Rc::new(RefCell::new(Vec::new()));
        let o1 = order.clone();
        let first = base.evtimer_new(move |base, _, _| {
            o1.borrow_mut().push(1);
            base.loopbreak();
        })?;
        let o2 = order.clone();
        let second = base.evtimer_new(move |_, _, _| o2.borrow_mut().push(2))?;
        base.event_active(first, What::TIMEOUT)?;
        base.event_active(second, What::TIMEOUT)?;
        assert_eq!(base.dispatch()?, Exit::Finished);
        assert!(base.got_break());
        assert_eq!(*order.borrow(), vec![1]);
        assert_eq!(
            base.event_state(second)?,
            State::Active,
            "the rest stays queued"
        );
        base.dispatch()?;
        assert!(
            !base.got_break(),
            "flags are cleared when the loop starts again"
        );
        assert_eq!(*order.borrow(), vec![1, 2]);
        Ok(())
    });
}

#[test]
fn once_and_nonblock() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (a, b) = socketpair()?;
        let (hits, h) = counter();
        let ev = base.event_new(fd(&a), What::READ | What::PERSIST, move |_, _, _| {
            h.set(h.get() + 1)
        })?;
        base.event_add(ev, None)?;
        // NONBLOCK with nothing ready returns at once.
        let start = Instant::now();
        assert_eq!(base.loop_(LoopFlags::NONBLOCK)?, Exit::Finished);
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(hits.get(), 0);
        // ONCE blocks until something is active, runs it, returns.
        poke(&b, b"x")?;
        assert_eq!(base.loop_(LoopFlags::ONCE)?, Exit::Finished);
        assert_eq!(hits.get(), 1);
        // ONCE returns even though a persistent event stays pending.
        assert_eq!(base.loop_(LoopFlags::ONCE)?, Exit::Finished);
        assert_eq!(hits.get(), 2);
        base.event_free(ev)?;
        assert_eq!(base.loop_(LoopFlags::ONCE)?, Exit::NoEvents);
        Ok(())
    });
}

#[test]
fn no_exit_on_empty_keeps_looping_until_exit() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        base.loopexit(Some(ms(10)));
        let start = Instant::now();
        assert_eq!(base.loop_(LoopFlags::NO_EXIT_ON_EMPTY)?, Exit::Finished);
        assert!(start.elapsed() >= ms(10));
        Ok(())
    });
}

#[test]
fn two_events_on_one_signal_both_run_and_the_handler_is_restored() {
    // SIGURG's default action is to ignore it, so a stray delivery after restore is harmless.
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (first, f) = counter();
        let (second, s) = counter();
        let a = base.evsignal_new(libc::SIGURG, move |_, _, what| {
            assert_eq!(what, What::SIGNAL);
            f.set(f.get() + 1);
        })?;
        let b = base.evsignal_new(libc::SIGURG, move |base, _, _| {
            s.set(s.get() + 1);
            base.loopexit(None);
        })?;
        base.event_add(a, None)?;
        base.event_add(b, None)?;
        send_signal("URG")?;
        base.dispatch()?;
        assert!(first.get() >= 1 && second.get() >= 1);
        assert_eq!(
            base.event_state(a)?,
            State::Pending,
            "signal events are persistent"
        );
        base.event_free(a)?;
        base.event_free(b)?;
        Ok(())
    });
}

fn send_signal(name: &str) -> TestResult {
    let status = std::process::Command::new("kill")
        .arg(format!("-{name}"))
        .arg(std::process::id().to_string())
        .status()?;
    assert!(status.success());
    Ok(())
}

#[test]
fn stale_handles_are_errors_not_panics() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let ev = base.evtimer_new(|_, _, _| {})?;
        base.event_free(ev)?;
        assert!(matches!(
            base.event_add(ev, Some(ms(1))),
            Err(Error::Stale(_))
        ));
        assert!(matches!(base.event_del(ev), Err(Error::Stale(_))));
        assert!(matches!(base.event_free(ev), Err(Error::Stale(_))));
        assert!(matches!(
            base.event_active(ev, What::TIMEOUT),
            Err(Error::Stale(_))
        ));
        assert!(matches!(
            base.event_pending(ev, What::TIMEOUT),
            Err(Error::Stale(_))
        ));
        // The slot is reused; the old handle still does not reach the new event.
        let new = base.evtimer_new(|_, _, _| {})?;
        assert_eq!(new.index(), ev.index());
        assert!(base.event_state(ev).is_err());
        assert_eq!(base.event_state(new)?, State::New);
        let msg = base.event_del(ev).unwrap_err().to_string();
        assert!(msg.contains("stale"), "{msg}");
        Ok(())
    });
}

#[test]
fn bad_arguments_are_refused_with_reasons() -> TestResult {
    let mut base = EventBase::with_backend(BackendKind::Poll)?;
    assert!(matches!(
        base.event_new(-5, What::READ, |_, _, _| {}),
        Err(Error::Invalid(_))
    ));
    // libevent takes a READ event on fd -1 (it watches nothing: conformance event_no_fd).
    assert!(base.event_new(None, What::READ, |_, _, _| {}).is_ok());
    assert!(matches!(
        base.event_new(3, What::SIGNAL | What::READ, |_, _, _| {}),
        Err(Error::Invalid(_))
    ));
    // libevent's event_add of a timer without a timeout succeeds and adds nothing.
    let timer = base.evtimer_new(|_, _, _| {})?;
    base.event_add(timer, None)?;
    assert_eq!(base.event_state(timer)?, State::New);
    assert!(base.event_pending(timer, What::TIMEOUT)?.0.is_empty());
    assert!(base.priority_init(0).is_err());
    assert!(base.once(None, What::PERSIST, None, |_, _| {}).is_err());
    assert!("kqueue".parse::<BackendKind>().is_err());
    Ok(())
}

#[test]
fn select_refuses_an_fd_at_or_above_fd_setsize() -> TestResult {
    let mut base = EventBase::with_backend(BackendKind::Select)?;
    let (a, _b) = socketpair()?;
    // One descriptor at FD_SETSIZE (1024) or above, leaving the numbers below it to the tests
    // running beside this one (filling them pushed their select backends past 1024).
    let high = match crate::sys::dup_at_least(a.as_fd(), 1024) {
        Ok(d) => d,
        Err(e)
            if e.raw_os_error() == Some(libc::EINVAL) || e.raw_os_error() == Some(libc::EMFILE) =>
        {
            eprintln!("skipped: RLIMIT_NOFILE is too low to open fd 1024 ({e})");
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    let ev = base.event_new(high.as_raw_fd(), What::READ, |_, _, _| {})?;
    let err = base.event_add(ev, None).unwrap_err();
    assert!(
        matches!(err, Error::FdTooLarge { limit: 1024, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("FD_SETSIZE"));
    assert_eq!(
        base.event_state(ev)?,
        State::New,
        "a refused add changes nothing"
    );
    // The same fd works on poll.
    let mut poll = EventBase::with_backend(BackendKind::Poll)?;
    let ev = poll.event_new(high.as_raw_fd(), What::WRITE, |_, _, _| {})?;
    poll.event_add(ev, None)?;
    assert_eq!(poll.dispatch()?, Exit::NoEvents);
    Ok(())
}

#[test]
fn event_base_once_runs_and_frees_itself() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let got = Rc::new(Cell::new(What::NONE));
        let g = got.clone();
        let id = base.once(None, What::TIMEOUT, Some(ms(2)), move |_, what| g.set(what))?;
        base.dispatch()?;
        assert_eq!(got.get(), What::TIMEOUT);
        assert!(base.event_state(id).is_err(), "freed after running");
        Ok(())
    });
}

#[test]
fn dump_events_lists_inserted_and_active() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (a, _b) = socketpair()?;
        let r =
            base.labeled("reader")
                .event_new(fd(&a), What::READ | What::PERSIST, |_, _, _| {})?;
        let t = base.evtimer_new(|_, _, _| {})?;
        base.event_add(r, None)?;
        base.event_add(t, Some(Duration::from_secs(60)))?;
        base.event_active(t, What::TIMEOUT)?;
        let dump = base.dump_events();
        let (inserted, active) = dump.split_once("Active events:").ok_or("no active part")?;
        assert!(
            inserted.contains(&format!("[fd {}] READ|PERSIST \"reader\"", fd(&a))),
            "{dump}"
        );
        assert!(
            inserted.contains("[timer]") && inserted.contains("Timeout=T+"),
            "{dump}"
        );
        assert!(
            active.contains(&format!("{t} [timer, priority=0] TIMEOUT active")),
            "{dump}"
        );
        assert!(!active.contains("reader"), "{dump}");
        Ok(())
    });
}

#[test]
fn two_events_on_one_fd_share_it() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (a, b) = socketpair()?;
        let (reads, r) = counter();
        let (writes, w) = counter();
        let reader = base.event_new(fd(&a), What::READ, move |_, _, _| r.set(r.get() + 1))?;
        let writer = base.event_new(fd(&a), What::WRITE, move |_, _, _| w.set(w.get() + 1))?;
        base.event_add(reader, None)?;
        base.event_add(writer, None)?;
        base.loop_(LoopFlags::NONBLOCK)?;
        assert_eq!((reads.get(), writes.get()), (0, 1));
        poke(&b, b"x")?;
        base.loop_(LoopFlags::NONBLOCK)?;
        assert_eq!((reads.get(), writes.get()), (1, 1));
        Ok(())
    });
}

#[test]
fn edge_triggered_fires_once_per_new_data() -> TestResult {
    let mut base = EventBase::with_backend(BackendKind::Epoll)?;
    let (a, b) = socketpair()?;
    let (hits, h) = counter();
    let ev = base.event_new(
        fd(&a),
        What::READ | What::PERSIST | What::ET,
        move |_, _, _| h.set(h.get() + 1),
    )?;
    base.event_add(ev, None)?;
    poke(&b, b"x")?;
    for _ in 0..3 {
        base.loop_(LoopFlags::NONBLOCK)?;
    }
    assert_eq!(
        hits.get(),
        1,
        "unread data does not fire again when edge-triggered"
    );
    poke(&b, b"y")?;
    base.loop_(LoopFlags::NONBLOCK)?;
    assert_eq!(hits.get(), 2);
    Ok(())
}

#[test]
fn a_regular_file_is_always_readable_even_on_epoll() {
    each_backend(|kind| {
        let dir = std::env::temp_dir().join(format!(
            "evscope-file-{}-{}",
            std::process::id(),
            kind.name()
        ));
        std::fs::write(&dir, b"line\n")?;
        let file = std::fs::File::open(&dir)?;
        let mut base = EventBase::with_backend(kind)?;
        let (hits, h) = counter();
        let ev = base.event_new(file.as_raw_fd(), What::READ, move |_, _, _| {
            h.set(h.get() + 1)
        })?;
        base.event_add(ev, None)?;
        base.dispatch()?;
        std::fs::remove_file(&dir)?;
        assert_eq!(hits.get(), 1);
        Ok(())
    });
}

#[test]
fn canonical_scenarios_give_the_exact_transition_sequence() {
    use State::*;
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let rec = Recorder::install(&mut base);
        let (a, b) = socketpair()?;

        // One-shot read: new → pending → active → callback → non_pending.
        let one = base.event_new(fd(&a), What::READ, |_, _, _| {})?;
        base.event_add(one, None)?;
        poke(&b, b"x")?;
        base.dispatch()?;
        assert_eq!(
            rec.path_of(one),
            [New, Pending, Active, Callback, NonPending]
        );
        drain(&a);

        // Persistent: … → callback → pending, then deleted → non_pending.
        let per = base.event_new(fd(&a), What::READ | What::PERSIST, |base, id, _| {
            base.loopexit(None);
            let _ = id;
        })?;
        base.event_add(per, None)?;
        poke(&b, b"x")?;
        base.dispatch()?;
        base.event_del(per)?;
        assert_eq!(
            rec.path_of(per),
            [New, Pending, Active, Callback, Pending, NonPending]
        );

        // Deleted while pending: pending → non_pending; then freed.
        let del = base.event_new(fd(&a), What::WRITE, |_, _, _| {})?;
        base.event_add(del, None)?;
        base.event_del(del)?;
        base.event_free(del)?;
        assert_eq!(rec.path_of(del), [New, Pending, NonPending, Freed]);

        // Deleted while active: active → non_pending.
        let act = base.evtimer_new(|_, _, _| {})?;
        base.event_active(act, What::TIMEOUT)?;
        base.event_del(act)?;
        assert_eq!(rec.path_of(act), [New, Active, NonPending]);

        // Freed while pending, and freed before ever being added.
        let fp = base.evtimer_new(|_, _, _| {})?;
        base.event_add(fp, Some(ms(100)))?;
        base.event_free(fp)?;
        assert_eq!(rec.path_of(fp), [New, Pending, Freed]);
        let fnew = base.evtimer_new(|_, _, _| {})?;
        base.event_free(fnew)?;
        assert_eq!(rec.path_of(fnew), [New, Freed]);

        // A persistent timer: pending → active (timeout) → callback → pending, twice.
        let (n, c) = counter();
        let tick = base.event_new(None, What::PERSIST, move |base, id, _| {
            c.set(c.get() + 1);
            if c.get() == 2 {
                base.event_free(id).unwrap();
            }
        })?;
        base.event_add(tick, Some(ms(2)))?;
        base.dispatch()?;
        assert_eq!(n.get(), 2);
        assert_eq!(
            rec.path_of(tick),
            [New, Pending, Active, Callback, Pending, Active, Callback, Freed]
        );

        // Each callback is bracketed by begin / end, in order.
        let log = rec.log.borrow();
        let begins = log.iter().filter(|s| matches!(s, Seen::Begin(..))).count();
        let ends = log.iter().filter(|s| matches!(s, Seen::End(..))).count();
        assert_eq!(begins, ends);
        drop(log);
        rec.assert_all_legal();
        Ok(())
    });
}

#[test]
fn the_backend_is_chosen_at_run_time() -> TestResult {
    for kind in BackendKind::ALL {
        let base = EventBase::with_backend(kind)?;
        assert_eq!(base.get_method(), kind.name());
        assert_eq!(kind.name().parse::<BackendKind>()?, kind);
    }
    // EVSCOPE_BACKEND, read by EventBase::new, is checked in a child process so this test's
    // environment stays untouched.
    let out = std::process::Command::new(std::env::current_exe()?)
        .args([
            "--exact",
            "events::backend_from_env_child",
            "--nocapture",
            "--ignored",
        ])
        .env("EVSCOPE_BACKEND", "poll")
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("method=poll"), "{stdout}");
    Ok(())
}

#[test]
#[ignore = "run by the_backend_is_chosen_at_run_time in a child process"]
fn backend_from_env_child() -> TestResult {
    let base = EventBase::new()?;
    println!("method={}", base.get_method());
    Ok(())
}

/// The transition shown when a callback returns names what happened inside it: a persistent
/// event deleted there goes callback → non_pending *by event_del*; a one-shot re-added there
/// goes callback → pending by event_add; left alone, each follows its flags (callback_returned).
#[test]
fn the_cause_of_a_callback_s_end_is_what_happened_inside_it() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let rec = Recorder::install(&mut base);
        let (a, b) = socketpair()?;
        poke(&b, b"x")?;
        let deleted = base.event_new(fd(&a), What::READ | What::PERSIST, |base, id, _| {
            base.event_del(id).unwrap();
        })?;
        let (runs, r) = counter();
        let readded = base.event_new(None, What::NONE, move |base, id, _| {
            r.set(r.get() + 1);
            if r.get() == 1 {
                base.event_add(id, Some(ms(1))).unwrap();
            }
        })?;
        let ticker = base.event_new(None, What::PERSIST, |base, id, _| {
            if base.event_state(id).is_ok() {
                base.event_free(id).unwrap();
            }
        })?;
        base.event_add(deleted, None)?;
        base.event_add(readded, Some(ms(1)))?;
        base.event_add(ticker, Some(ms(1)))?;
        base.dispatch()?;
        assert_eq!(runs.get(), 2);
        let ends = |ev| -> Vec<(State, Cause)> {
            rec.log
                .borrow()
                .iter()
                .filter_map(|s| match s {
                    Seen::Transition(id, State::Callback, to, cause) if *id == ev => {
                        Some((*to, *cause))
                    }
                    _ => None,
                })
                .collect()
        };
        assert_eq!(ends(deleted), [(State::NonPending, Cause::Del)]);
        assert_eq!(
            ends(readded),
            [
                (State::Pending, Cause::Add),
                (State::NonPending, Cause::Returned)
            ]
        );
        assert_eq!(ends(ticker), [(State::Freed, Cause::Free)]);
        rec.assert_all_legal();
        Ok(())
    });
}

/// An fd's events become active newest first, as libevent's evmap lists them (so the one added
/// last runs first when both are ready in one wait).
#[test]
fn an_fd_s_events_run_newest_first() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (a, b) = socketpair()?;
        poke(&b, b"x")?;
        let order = Rc::new(RefCell::new(Vec::new()));
        let mut evs = Vec::new();
        for name in ["first", "second", "third"] {
            let o = order.clone();
            let ev =
                base.event_new(fd(&a), What::READ, move |_, _, _| o.borrow_mut().push(name))?;
            evs.push(ev);
        }
        for ev in evs {
            base.event_add(ev, None)?;
        }
        base.loop_(LoopFlags::ONCE)?;
        assert_eq!(*order.borrow(), ["third", "second", "first"]);
        Ok(())
    });
}
