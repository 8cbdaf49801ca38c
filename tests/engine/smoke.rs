use crate::util;

use std::cell::Cell;
use std::rc::Rc;

use evscope::ev::{EventBase, State, What};
use util::*;

#[test]
fn one_shot_read_then_persistent_timer() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let rec = Recorder::install(&mut base);
        let (a, b) = socketpair()?;
        poke(&b, b"x")?;
        let hits = Rc::new(Cell::new(0));
        let h = hits.clone();
        let ev = base.event_new(fd(&a), What::READ, move |_b, _id, what| {
            assert!(what.contains(What::READ));
            h.set(h.get() + 1);
        })?;
        base.event_add(ev, None)?;
        base.dispatch()?;
        assert_eq!(hits.get(), 1);
        assert_eq!(
            rec.path_of(ev),
            vec![
                State::New,
                State::Pending,
                State::Active,
                State::Callback,
                State::NonPending
            ]
        );
        let ticks = Rc::new(Cell::new(0));
        let t = ticks.clone();
        let timer = base.event_new(None, What::PERSIST, move |base, id, _| {
            t.set(t.get() + 1);
            if t.get() == 3 {
                base.event_free(id).unwrap();
            }
        })?;
        base.event_add(timer, Some(ms(5)))?;
        base.dispatch()?;
        assert_eq!(ticks.get(), 3);
        assert!(base.event_state(timer).is_err());
        rec.assert_all_legal();
        Ok(())
    });
}
