//! `event_remove_timer`: a pending fd event loses its timeout (and its interval) but stays
//! pending for its fd.

use crate::util;

use std::cell::RefCell;
use std::rc::Rc;

use evscope::ev::{EventBase, State, What};
use util::*;

#[test]
fn remove_timer_keeps_the_fd_interest_and_forgets_the_interval() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (a, b) = socketpair()?;
        let fired = Rc::new(RefCell::new(Vec::new()));
        let f = fired.clone();
        let ev = base.event_new(fd(&a), What::READ | What::PERSIST, move |base, id, what| {
            f.borrow_mut().push(what);
            drain(&a);
            if f.borrow().len() == 2 {
                base.event_free(id).unwrap();
            }
        })?;
        base.event_add(ev, Some(ms(20)))?;
        base.event_remove_timer(ev)?;
        let (pending, deadline) = base.event_pending(ev, What::READ | What::TIMEOUT)?;
        assert_eq!((pending, deadline), (What::READ, None));
        assert_eq!(base.event_state(ev)?, State::Pending);
        poke(&b, b"1")?;
        base.loop_(evscope::ev::LoopFlags::ONCE)?;
        // Were the interval kept, the persistent event would now carry a 20 ms timeout.
        assert_eq!(base.event_pending(ev, What::TIMEOUT)?.0, What::NONE);
        poke(&b, b"2")?;
        base.dispatch()?;
        assert_eq!(*fired.borrow(), vec![What::READ, What::READ]);
        Ok(())
    });
}
