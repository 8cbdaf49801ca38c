//! Filter bufferevents and the program's references on the engine: bytes through an input
//! and an output filter over a socket, the underlying's reading held until the filter reads
//! (the trace says why), flush modes, freeing with `CLOSE_ON_FREE`, and incref / decref.

use crate::util;

use std::cell::RefCell;
use std::rc::Rc;

use evscope::ev::{
    BevId, BevOptions, BevWhy, Cause, Evbuffer, EventBase, FilterCall, FilterFn, FilterResult,
    FlushMode, LoopFlags, State, What,
};
use util::*;

/// Takes everything from the call's source buffer.
fn take_source(base: &mut EventBase, call: &FilterCall) -> Evbuffer {
    let (bev, output) = call.source();
    let mut buf = if output {
        base.bufferevent_get_output(bev).unwrap()
    } else {
        base.bufferevent_get_input(bev).unwrap()
    };
    let mut all = Evbuffer::new();
    all.add_buffer(&mut buf);
    all
}

/// Appends `bytes` to the call's destination buffer.
fn give_destination(base: &mut EventBase, call: &FilterCall, bytes: &[u8]) {
    let (bev, output) = call.destination();
    let mut buf = if output {
        base.bufferevent_get_output(bev).unwrap()
    } else {
        base.bufferevent_get_input(bev).unwrap()
    };
    buf.add(bytes);
}

/// Upper-cases what it gets; records the modes it was called in.
fn upper(modes: Rc<RefCell<Vec<FlushMode>>>) -> FilterFn {
    Rc::new(move |base, call| {
        modes.borrow_mut().push(call.mode);
        let mut src = take_source(base, call);
        if src.is_empty() {
            return FilterResult::NeedMore;
        }
        let mut bytes = vec![0; src.len()];
        src.remove(&mut bytes);
        give_destination(base, call, &bytes.to_ascii_uppercase());
        FilterResult::Ok
    })
}

fn read_all(base: &mut EventBase, bev: BevId) -> Vec<u8> {
    let mut sink = Evbuffer::new();
    base.bufferevent_read_buffer(bev, &mut sink).unwrap();
    let mut out = vec![0; sink.len()];
    sink.remove(&mut out);
    out
}

#[test]
fn bytes_go_through_both_filters_and_the_trace_says_why_reading_waits() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let rec = Recorder::install(&mut base);
        let (ours, theirs) = socketpair()?;
        let under = base.bufferevent_socket_new(fd(&ours), BevOptions::NONE)?;
        let modes = Rc::new(RefCell::new(Vec::new()));
        let filter = base.bufferevent_filter_new(
            under,
            Some(upper(modes.clone())),
            None,
            BevOptions::NONE,
            None,
        )?;
        assert_eq!(base.bufferevent_get_underlying(filter)?, Some(under));
        assert_eq!(base.bufferevent_get_underlying(under)?, None);
        assert_eq!(base.bufferevent_getfd(filter)?, Some(fd(&ours)));
        assert_eq!(
            base.bufferevent_get_enabled(under)?,
            What::READ | What::WRITE
        );
        let (under_read, _) = base.bufferevent_events(under)?;
        let under_read = under_read.expect("a socket bufferevent has a read event");
        assert_eq!(
            base.event_state(under_read)?,
            State::NonPending,
            "held by the filter"
        );

        let got = Rc::new(RefCell::new(Vec::new()));
        let g = got.clone();
        base.bufferevent_setcb(
            filter,
            Some(Box::new(move |base, bev| {
                g.borrow_mut().extend(read_all(base, bev));
                base.loopbreak();
            })),
            None,
            None,
        )?;
        poke(&theirs, b"before")?;
        base.loop_(LoopFlags::NONBLOCK)?;
        assert!(got.borrow().is_empty(), "the filter does not read yet");
        assert!(modes.borrow().is_empty());

        base.bufferevent_enable(filter, What::READ)?;
        assert_eq!(base.event_state(under_read)?, State::Pending);
        base.dispatch()?;
        assert_eq!(got.borrow().as_slice(), b"BEFORE");
        assert_eq!(modes.borrow().as_slice(), [FlushMode::Normal]);

        // The null output filter passes bytes to the underlying's output.
        base.bufferevent_write(filter, b"out")?;
        assert_eq!(base.bufferevent_levels(under)?.output, 3);
        base.loop_(LoopFlags::NONBLOCK)?;
        assert_eq!(drain(&theirs), 3);

        // A flush calls the filter in that mode even with nothing to filter.
        assert_eq!(
            base.bufferevent_flush(filter, What::READ, FlushMode::Finished)?,
            0
        );
        assert_eq!(modes.borrow().last(), Some(&FlushMode::Finished));

        let why_of = |to: State| {
            rec.log
                .borrow()
                .iter()
                .filter_map(|s| match s {
                    Seen::Transition(ev, _, t, Cause::Bev(why))
                        if *ev == under_read && *t == to =>
                    {
                        Some(*why)
                    }
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        assert!(why_of(State::NonPending).contains(&BevWhy::Filter));
        assert!(why_of(State::Pending).contains(&BevWhy::Filter));
        let filter_levels = rec
            .log
            .borrow()
            .iter()
            .filter(|s| matches!(s, Seen::Buffer(b, l) if *b == filter && l.input == 6))
            .count();
        assert!(
            filter_levels > 0,
            "the filter's input level reaches the trace"
        );
        rec.assert_all_legal();
        Ok(())
    });
}

#[test]
fn close_on_free_frees_the_underlying_and_its_socket() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ours, theirs) = socketpair()?;
        let raw = std::os::fd::IntoRawFd::into_raw_fd(ours);
        let under = base.bufferevent_socket_new(raw, BevOptions::CLOSE_ON_FREE)?;
        let freed = Rc::new(RefCell::new(false));
        let f = freed.clone();
        let filter = base.bufferevent_filter_new(
            under,
            None,
            None,
            BevOptions::CLOSE_ON_FREE,
            Some(Box::new(move |_base| *f.borrow_mut() = true)),
        )?;
        base.bufferevent_free(filter)?;
        assert!(!base.bufferevent_is_live(filter));
        assert!(
            !*freed.borrow(),
            "the context goes as the filter is finalized"
        );
        base.loop_(LoopFlags::NONBLOCK)?;
        assert!(*freed.borrow());
        assert!(!base.bufferevent_is_live(under));
        // The socket is closed: the peer reads end of file.
        let mut buf = [0u8; 4];
        assert_eq!(std::io::Read::read(&mut &theirs, &mut buf)?, 0);
        Ok(())
    });
}

#[test]
fn increfs_keep_a_freed_bufferevent_until_the_last_decref() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (ours, _theirs) = socketpair()?;
        let bev = base.bufferevent_socket_new(fd(&ours), BevOptions::NONE)?;
        base.bufferevent_incref(bev)?;
        base.bufferevent_free(bev)?;
        assert!(base.bufferevent_is_live(bev));
        assert_eq!(base.bufferevent_refs(bev)?, (0, 0));
        assert!(
            base.bufferevent_decref(bev)?,
            "the last reference frees at once"
        );
        assert!(!base.bufferevent_is_live(bev));
        assert!(base.bufferevent_decref(bev).is_err());
        Ok(())
    });
}
