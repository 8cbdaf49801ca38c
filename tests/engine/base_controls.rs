//! The base controls beyond the loop, on every backend: event counts and their maxima, the
//! running event, finalizers, dispatch limits, `loopcontinue`, activation by fd and by signal,
//! and the transitions the observer is told for each.

use crate::util;

use std::cell::RefCell;
use std::rc::Rc;

use evscope::ev::{CountKind, DispatchLimits, EventBase, EventId, LoopFlags, State, What};
use util::*;

const ADDED: CountKind = CountKind::from_bits(4);
const ACTIVE: CountKind = CountKind::from_bits(1);

type Log = Rc<RefCell<Vec<String>>>;

fn log() -> Log {
    Rc::new(RefCell::new(Vec::new()))
}

fn logging(log: &Log, name: &'static str) -> impl FnMut(&mut EventBase, EventId, What) + 'static {
    let log = log.clone();
    move |_, _, what| log.borrow_mut().push(format!("{name} {what}"))
}

#[test]
fn counts_are_one_per_list_and_maxima_rise_only() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (a, _b) = socketpair()?;
        let r = base.event_new(fd(&a), What::READ, |_, _, _| {})?;
        let t = base.evtimer_new(|_, _, _| {})?;
        base.event_add(r, Some(ms(5000)))?;
        base.event_add(t, Some(ms(5000)))?;
        assert_eq!(
            base.get_num_events(ADDED),
            3,
            "r inserted and armed, t armed"
        );
        base.event_active(t, What::TIMEOUT)?;
        assert_eq!(base.get_num_events(ACTIVE), 1);
        assert_eq!(base.get_num_events(ADDED), 4);
        assert_eq!(base.get_max_events(ADDED, true), 4);
        base.event_del(r)?;
        assert_eq!(base.get_num_events(ADDED), 2);
        assert_eq!(
            base.get_max_events(ADDED, false),
            0,
            "a cleared maximum stays 0 as counts fall"
        );
        base.event_add(r, None)?;
        assert_eq!(base.get_max_events(ADDED, false), 3);
        base.event_free(r)?;
        base.event_free(t)?;
        assert_eq!(base.get_num_events(CountKind::from_bits(7)), 0);
        Ok(())
    });
}

#[test]
fn the_running_event_is_the_one_whose_callback_runs() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s = seen.clone();
        let ev = base.event_new(None, What::NONE, move |b, id, _| {
            s.borrow_mut().push((id, b.get_running_event()));
        })?;
        assert_eq!(base.get_running_event(), None);
        base.event_active(ev, What::TIMEOUT)?;
        base.loop_(LoopFlags::ONCE)?;
        assert_eq!(*seen.borrow(), vec![(ev, Some(ev))]);
        assert_eq!(base.get_running_event(), None);
        Ok(())
    });
}

#[test]
fn a_finalizer_runs_after_the_callback_and_the_ones_queued_before() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let rec = Recorder::install(&mut base);
        let order = log();
        let o = order.clone();
        let a = base.event_new(None, What::NONE, move |b, id, _| {
            o.borrow_mut().push("a".to_string());
            let o2 = o.clone();
            b.event_free_finalize(
                id,
                Box::new(move |b, _| {
                    o2.borrow_mut()
                        .push(format!("fin running={:?}", b.get_running_event()))
                }),
            )
            .unwrap();
            assert!(
                b.event_add(id, None).is_err(),
                "a finalizing event cannot be added"
            );
        })?;
        let b_ev = base.event_new(None, What::NONE, logging(&order, "b"))?;
        base.event_active(a, What::READ)?;
        base.event_active(b_ev, What::WRITE)?;
        base.loop_(LoopFlags::ONCE)?;
        assert_eq!(*order.borrow(), vec!["a", "b WRITE", "fin running=None"]);
        assert!(
            !base.event_is_live(a),
            "event_free_finalize frees the event"
        );
        assert_eq!(
            rec.path_of(a),
            vec![
                State::New,
                State::Active,
                State::Callback,
                State::NonPending,
                State::Active,
                State::Callback,
                State::Freed
            ]
        );
        rec.assert_all_legal();
        Ok(())
    });
}

#[test]
fn queued_finalizers_run_when_asked() {
    let mut base = EventBase::with_backend(evscope::ev::BackendKind::Poll).unwrap();
    let order = log();
    let o = order.clone();
    let ev = base.evtimer_new(|_, _, _| {}).unwrap();
    base.event_add(ev, Some(ms(5000))).unwrap();
    base.event_finalize(ev, Box::new(move |_, _| o.borrow_mut().push("fin".into())))
        .unwrap();
    assert_eq!(base.event_pending(ev, What::TIMEOUT).unwrap().0, What::NONE);
    base.run_finalizers();
    assert_eq!(*order.borrow(), vec!["fin"]);
    assert!(
        base.event_is_live(ev),
        "event_finalize leaves the event to the program"
    );
    assert!(base.event_is_finalizing(ev).unwrap());
}

/// Two low-priority events active, the first making an fd readable for a high-priority one:
/// the order the three callbacks run in.
fn readied_order(
    kind: evscope::ev::BackendKind,
    limits: Option<DispatchLimits>,
    cont: bool,
) -> Vec<String> {
    let mut base = EventBase::with_backend(kind).unwrap();
    if let Some(l) = limits {
        base.set_dispatch_limits(l);
    }
    base.priority_init(2).unwrap();
    let (a, b) = socketpair().unwrap();
    let order = log();
    let r = base
        .event_new(fd(&a), What::READ, logging(&order, "r"))
        .unwrap();
    let o = order.clone();
    let a1 = base
        .event_new(None, What::NONE, move |base, _, _| {
            o.borrow_mut().push("a1".into());
            poke(&b, b"x").unwrap();
            if cont {
                base.loopcontinue();
            }
        })
        .unwrap();
    let a2 = base
        .event_new(None, What::NONE, logging(&order, "a2"))
        .unwrap();
    base.event_priority_set(r, 0).unwrap();
    base.event_priority_set(a1, 1).unwrap();
    base.event_priority_set(a2, 1).unwrap();
    base.event_add(r, None).unwrap();
    base.event_active(a1, What::TIMEOUT).unwrap();
    base.event_active(a2, What::TIMEOUT).unwrap();
    base.dispatch().unwrap();
    drop(a);
    let out = order.borrow().clone();
    out
}

#[test]
fn dispatch_limits_and_loopcontinue_let_new_events_in() {
    each_backend(|kind| {
        let whole = vec!["a1", "r READ", "a2 TIMEOUT"];
        let queue_first = vec!["a1", "a2 TIMEOUT", "r READ"];
        assert_eq!(readied_order(kind, None, false), queue_first);
        let one = DispatchLimits::new(None, Some(1), 0);
        assert_eq!(readied_order(kind, Some(one), false), whole);
        let above = DispatchLimits::new(None, Some(1), 2);
        assert_eq!(readied_order(kind, Some(above), false), queue_first);
        let zero = DispatchLimits::new(Some(ms(0)), None, 0);
        assert_eq!(readied_order(kind, Some(zero), false), whole);
        assert_eq!(readied_order(kind, None, true), whole);
        Ok(())
    });
}

#[test]
fn active_by_fd_and_signal_activate_as_the_backend_would() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let rec = Recorder::install(&mut base);
        let (a, _b) = socketpair()?;
        let order = log();
        let r1 = base.event_new(fd(&a), What::READ | What::PERSIST, logging(&order, "r1"))?;
        let r2 = base.event_new(fd(&a), What::READ | What::WRITE, logging(&order, "r2"))?;
        let w = base.event_new(fd(&a), What::WRITE, logging(&order, "w"))?;
        base.event_add(r1, None)?;
        base.event_add(r2, None)?;
        base.event_add(w, None)?;
        base.active_by_fd(fd(&a), What::READ);
        assert_eq!(base.event_state(r1)?, State::Active);
        assert_eq!(base.event_state(w)?, State::Pending);
        base.loop_(LoopFlags::NONBLOCK)?;
        // Newest first; the socket is writable too, so the backend adds WRITE to r2 and w.
        assert_eq!(&order.borrow()[..2], ["r2 READ|WRITE", "r1 READ"]);
        let s1 = base.evsignal_new(libc::SIGUSR1, logging(&order, "s1"))?;
        let s2 = base.evsignal_new(libc::SIGUSR1, logging(&order, "s2"))?;
        base.event_add(s1, None)?;
        base.event_add(s2, None)?;
        order.borrow_mut().clear();
        base.active_by_signal(libc::SIGUSR1);
        base.active_by_signal(libc::SIGUSR2);
        base.loop_(LoopFlags::NONBLOCK)?;
        assert_eq!(order.borrow()[..2], ["s2 SIGNAL", "s1 SIGNAL"]);
        rec.assert_all_legal();
        Ok(())
    });
}
