//! Timers: a persistent ticker stays pending after each callback; a one-shot alarm becomes
//! non-pending once it rings and is pending again only when re-added; a cancelled timer goes
//! pending → non-pending through `event_del`.

use std::cell::Cell;
use std::rc::Rc;

use super::{Demo, DemoOptions};
use crate::ev::{self, EventBase, State, What};

pub(super) const DEMO: Demo = Demo {
    name: "timer",
    lesson: "02/04/06/07 building and installing; the framework; event_add with a timeout, event_del, event_free; pending and non-pending",
    summary: "a persistent ticker, a one-shot alarm re-added every few ticks, a timer cancelled by event_del",
    setup,
};

fn setup(base: &mut EventBase, opts: &DemoOptions) -> ev::Result<()> {
    let alarm_after = opts.pace(2500);
    let alarm = base.event_new_labeled(None, What::TIMEOUT, "alarm (one-shot)", |base, _, _| {
        base.note("alarm rang: a one-shot event is non-pending after its callback");
    })?;
    base.add(alarm, Some(alarm_after))?;

    let cancelled =
        base.event_new_labeled(None, What::TIMEOUT, "reminder (cancelled)", |base, _, _| {
            base.note("reminder rang before it was cancelled");
        })?;
    let reminder_after = opts.pace(8000);
    base.add(cancelled, Some(reminder_after))?;

    let ticks = Rc::new(Cell::new(0u64));
    let ticker = base.event_new_labeled(
        None,
        What::PERSIST,
        "ticker (persistent)",
        move |base, _, _| {
            ticks.set(ticks.get() + 1);
            let n = ticks.get();
            base.note(&format!(
                "tick {n}: a persistent timer is pending again after its callback"
            ));
            if n.is_multiple_of(4) && matches!(base.state(alarm), Ok(State::NonPending)) {
                base.note("re-adding the alarm: non-pending → pending");
                let _ = base.add(alarm, Some(alarm_after));
            }
            if n % 6 == 2 {
                base.note("event_del on the reminder: pending → non-pending, it will not ring");
                let _ = base.del(cancelled);
            } else if n % 6 == 5 {
                let _ = base.add(cancelled, Some(reminder_after));
            }
        },
    )?;
    base.add(ticker, Some(opts.pace(1000)))
}
