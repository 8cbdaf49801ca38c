//! Reaching a running loop from another thread (`EventBase::evthread_make_base_notifiable` and its
//! `Remote`), on every backend: a job wakes a loop blocked with no timeout, a break handle
//! wakes it too, and the eventfd is not an event of the base.

use crate::util;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use evscope::ev::{EventBase, Exit, Job, LoopFlags, Remote, What};
use util::*;

/// Fails the whole test process if `done` is not set within 10 s: a loop that is never woken
/// would otherwise hang the test run.
fn watchdog(done: Arc<AtomicBool>) {
    thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if done.load(Ordering::Acquire) {
                return;
            }
            thread::sleep(ms(10));
        }
        eprintln!("the loop was not woken from another thread within 10 s");
        std::process::exit(1);
    });
}

/// Sends `make()`'s job once a loop runs the base (retrying until it is accepted).
fn send_when_running(remote: &Remote, make: impl Fn() -> Job) {
    loop {
        match remote.run(make()) {
            Ok(()) => return,
            Err(_) => thread::sleep(ms(5)),
        }
    }
}

#[test]
fn a_job_from_another_thread_wakes_a_blocked_loop() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let remote = base.evthread_make_base_notifiable()?;
        // The only event: a persistent read on a socket nobody writes, no timeout.
        let (idle, _peer) = socketpair()?;
        let watched = base.event_new(fd(&idle), What::READ | What::PERSIST, |_, _, _| {
            panic!("nobody writes this socket")
        })?;
        base.event_add(watched, None)?;
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        let woken = base.evtimer_new(move |base, _, what| {
            l.borrow_mut().push(format!("woken {what:?}"));
            base.loopbreak();
        })?;
        let done = Arc::new(AtomicBool::new(false));
        watchdog(done.clone());
        let sender = {
            let remote = remote.clone();
            thread::spawn(move || {
                thread::sleep(ms(30)); // let the loop block first
                send_when_running(&remote, || {
                    Box::new(move |base: &mut EventBase| {
                        base.event_active(woken, What::READ).expect("a live event");
                    })
                });
            })
        };
        let exit = base.dispatch()?;
        done.store(true, Ordering::Release);
        sender.join().expect("the sender does not panic");
        assert_eq!(exit, Exit::Finished);
        assert_eq!(*log.borrow(), vec![format!("woken {:?}", What::READ)]);
        // No loop runs now: a job is given back, not queued.
        assert!(remote.run(Box::new(|_| ())).is_err());
        Ok(())
    });
}

#[test]
fn a_break_handle_wakes_a_notifiable_blocked_loop() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        base.evthread_make_base_notifiable()?;
        let (idle, _peer) = socketpair()?;
        let watched = base.event_new(fd(&idle), What::READ | What::PERSIST, |_, _, _| {})?;
        base.event_add(watched, None)?;
        let breaker = base.break_handle();
        let done = Arc::new(AtomicBool::new(false));
        watchdog(done.clone());
        let t = thread::spawn(move || {
            thread::sleep(ms(50));
            breaker.loopbreak();
        });
        let exit = base.dispatch()?;
        done.store(true, Ordering::Release);
        t.join().expect("the breaker does not panic");
        assert_eq!(exit, Exit::Finished);
        assert!(base.got_break());
        Ok(())
    });
}

#[test]
fn the_notify_fd_is_not_an_event() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let remote = base.evthread_make_base_notifiable()?;
        assert_eq!(base.notify_fd(), Some(remote.fd()));
        // A second call gives the same descriptor.
        assert_eq!(base.evthread_make_base_notifiable()?.fd(), remote.fd());
        // With nothing else, the loop has nothing to wait for.
        assert_eq!(base.dispatch()?, Exit::NoEvents);
        assert!(!base.dump_events().contains(&format!("fd {}", remote.fd())));
        // A wake while no loop runs is consumed by the next loop and runs nothing.
        remote.wake();
        let hits = Rc::new(RefCell::new(0));
        let h = hits.clone();
        let t = base.evtimer_new(move |_, _, _| *h.borrow_mut() += 1)?;
        base.event_add(t, Some(ms(20)))?;
        base.loop_(LoopFlags::ONCE)?;
        assert_eq!(*hits.borrow(), 1);
        Ok(())
    });
}

#[test]
fn a_job_accepted_as_the_loop_ends_still_runs() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let remote = base.evthread_make_base_notifiable()?;
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let ender = base.evtimer_new(move |base, _, _| {
            // Queued while the loop runs, then the loop breaks before it waits again: the
            // job must run as the loop closes its queue, not be lost.
            let r = r.clone();
            let queued = remote.run(Box::new(move |_| r.store(true, Ordering::Release)));
            assert!(queued.is_ok(), "a running loop accepts jobs");
            base.loopbreak();
        })?;
        base.event_active(ender, What::TIMEOUT)?;
        assert_eq!(base.dispatch()?, Exit::Finished);
        assert!(ran.load(Ordering::Acquire));
        Ok(())
    });
}
