//! Bufferevent rate limiting in the engine, on every backend: a limited read side reads a
//! tick's worth at a time, and the trace says why its read event was deleted and added again;
//! a group's refill timer keeps the loop running; a group with members cannot be freed.

use crate::util;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use evscope::ev::{
    BevOptions, BevWhy, Cause, EventBase, LoopFlags, State, TokenBucketCfg, What,
    MAX_SINGLE_READ_DEFAULT,
};
use util::*;

#[test]
fn a_read_limit_reads_a_tick_at_a_time_and_the_trace_says_why() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let rec = Recorder::install(&mut base);
        let (ours, theirs) = socketpair()?;
        poke(&theirs, &[7u8; 250])?;
        let bev = base.bufferevent_socket_new(fd(&ours), BevOptions::NONE)?;
        let sizes = Rc::new(RefCell::new(Vec::new()));
        let s = sizes.clone();
        base.bufferevent_setcb(
            bev,
            Some(Box::new(move |base, bev| {
                let mut out = [0u8; 1000];
                let n = base.bufferevent_read(bev, &mut out).unwrap_or(0);
                s.borrow_mut().push(n);
                if s.borrow().iter().sum::<usize>() == 250 {
                    let freed = base.bufferevent_free(bev);
                    assert!(freed.is_ok(), "{freed:?}");
                }
            })),
            None,
            None,
        )?;
        let cfg = TokenBucketCfg::new(100, 100, 1000, 1000, Some(ms(20)))?;
        base.bufferevent_set_rate_limit(bev, Some(Arc::new(cfg)))?;
        assert_eq!(base.bufferevent_get_read_limit(bev)?, 100);
        assert_eq!(base.bufferevent_get_max_to_read(bev)?, 100);
        base.bufferevent_enable(bev, What::READ)?;
        let (read_ev, _) = base.bufferevent_events(bev)?;
        let read_ev = read_ev.ok_or("a socket bufferevent has a read event")?;
        base.dispatch()?;
        assert_eq!(*sizes.borrow(), vec![100, 100, 50]);
        let causes: Vec<(State, State, Cause)> = rec
            .log
            .borrow()
            .iter()
            .filter_map(|s| match s {
                Seen::Transition(id, from, to, cause) if *id == read_ev => {
                    Some((*from, *to, *cause))
                }
                _ => None,
            })
            .collect();
        let limited = causes
            .iter()
            .filter(|(from, to, c)| {
                (*from, *to, *c)
                    == (
                        State::Callback,
                        State::NonPending,
                        Cause::Bev(BevWhy::RateLimited),
                    )
            })
            .count();
        let refilled = causes
            .iter()
            .filter(|(_, to, c)| (*to, *c) == (State::Pending, Cause::Bev(BevWhy::RateRefilled)))
            .count();
        assert_eq!((limited, refilled), (2, 2), "{causes:?}");
        rec.assert_all_legal();
        Ok(())
    });
}

#[test]
fn max_single_read_bounds_each_read_without_a_limit() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ours, theirs) = socketpair()?;
        poke(&theirs, &[1u8; 700])?;
        let bev = base.bufferevent_socket_new(fd(&ours), BevOptions::NONE)?;
        assert_eq!(
            base.bufferevent_get_max_single_read(bev)?,
            MAX_SINGLE_READ_DEFAULT
        );
        base.bufferevent_set_max_single_read(bev, 300)?;
        assert_eq!(base.bufferevent_get_max_to_read(bev)?, 300);
        let sizes = Rc::new(RefCell::new(Vec::new()));
        let s = sizes.clone();
        base.bufferevent_setcb(
            bev,
            Some(Box::new(move |base, bev| {
                let mut out = [0u8; 1000];
                s.borrow_mut()
                    .push(base.bufferevent_read(bev, &mut out).unwrap_or(0));
            })),
            None,
            None,
        )?;
        base.bufferevent_enable(bev, What::READ)?;
        for _ in 0..3 {
            base.loop_(LoopFlags::ONCE)?;
        }
        assert_eq!(*sizes.borrow(), vec![300, 300, 100]);
        base.bufferevent_set_max_single_read(bev, 0)?;
        assert_eq!(
            base.bufferevent_get_max_single_read(bev)?,
            MAX_SINGLE_READ_DEFAULT
        );
        Ok(())
    });
}

#[test]
fn a_group_keeps_the_loop_running_and_is_freed_once_empty() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ours, _theirs) = socketpair()?;
        let bev = base.bufferevent_socket_new(fd(&ours), BevOptions::NONE)?;
        let cfg = TokenBucketCfg::new(100, 100, 100, 100, Some(ms(10)))?;
        let g = base.bufferevent_rate_limit_group_new(&cfg)?;
        base.bufferevent_add_to_rate_limit_group(bev, g)?;
        assert!(
            base.bufferevent_rate_limit_group_free(g).is_err(),
            "a group with members stays"
        );
        base.bufferevent_rate_limit_group_decrement_read(g, 150)?;
        assert_eq!(base.bufferevent_rate_limit_group_get_read_limit(g)?, -50);
        assert_eq!(base.bufferevent_get_max_to_read(bev)?, 0);
        base.loopexit(Some(ms(30)));
        assert_eq!(base.dispatch()?, evscope::ev::Exit::Finished);
        assert!(
            base.bufferevent_rate_limit_group_get_read_limit(g)? > -50,
            "the refill timer ran"
        );
        base.bufferevent_remove_from_rate_limit_group(bev)?;
        base.bufferevent_free(bev)?;
        base.bufferevent_rate_limit_group_free(g)?;
        assert_eq!(base.dispatch()?, evscope::ev::Exit::NoEvents);
        Ok(())
    });
}
