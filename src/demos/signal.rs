//! Signals as events: two persistent `EV_SIGNAL` events on SIGUSR1 both run when it arrives; a
//! timer sends the signal to this process.

use std::cell::Cell;
use std::rc::Rc;

use super::{Demo, DemoOptions};
use crate::ev::{self, EventBase, What};

pub(super) const DEMO: Demo = Demo {
    name: "signal",
    lesson: "13 signal events",
    summary: "two persistent events on SIGUSR1; a timer raises the signal every 1.5 s",
    setup,
};

fn setup(base: &mut EventBase, opts: &DemoOptions) -> ev::Result<()> {
    let caught = Rc::new(Cell::new(0u64));
    let c = caught.clone();
    let handler = base.event_new_labeled(
        libc::SIGUSR1,
        What::SIGNAL | What::PERSIST,
        "SIGUSR1 handler",
        move |base, _, _| {
            c.set(c.get() + 1);
            base.note(&format!(
                "SIGUSR1 caught ({} so far): the signal event ran like any other",
                c.get()
            ));
        },
    )?;
    let logger = base.event_new_labeled(
        libc::SIGUSR1,
        What::SIGNAL | What::PERSIST,
        "SIGUSR1 logger",
        |base, _, _| base.note("a second event on the same signal runs too"),
    )?;
    base.add(handler, None)?;
    base.add(logger, None)?;
    let sender = base.event_new_labeled(None, What::PERSIST, "sender (timer)", |base, _, _| {
        base.note("raising SIGUSR1");
        if let Err(e) = ev::raise(libc::SIGUSR1) {
            base.note(&format!("raise failed: {e}"));
        }
    })?;
    base.add(sender, Some(opts.pace(1500)))
}
