//! The observer's `callback_end` carries how long the callback ran (the library reads the
//! clock for it only while an observer is installed).

use crate::util;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use evscope::ev::{EventBase, EventId, Observer, What};
use util::*;

struct Durations(Rc<RefCell<Vec<Duration>>>);

impl Observer for Durations {
    fn callback_end(&mut self, _ev: EventId, _what: What, dur: Duration, _at: Instant) {
        self.0.borrow_mut().push(dur);
    }
}

#[test]
fn callback_end_reports_the_time_the_callback_ran() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let seen = Rc::new(RefCell::new(Vec::new()));
        base.set_observer(Box::new(Durations(seen.clone())));
        let ev = base.evtimer_new(|_, _, _| std::thread::sleep(Duration::from_millis(5)))?;
        base.event_add(ev, Some(Duration::ZERO))?;
        base.dispatch()?;
        let seen = seen.borrow();
        assert_eq!(seen.len(), 1, "one callback ran");
        assert!(
            seen[0] >= Duration::from_millis(5),
            "a 5 ms callback was reported as {:?}",
            seen[0]
        );
        Ok(())
    });
}
