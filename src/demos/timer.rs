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
    summary_zh: "一个持久的节拍器，一个每隔几拍重新添加的一次性闹钟，一个被 event_del 取消的定时器",
    setup,
};

fn setup(base: &mut EventBase, opts: &DemoOptions) -> ev::Result<()> {
    let alarm_after = opts.pace(2500);
    let alarm = base
        .labeled("alarm (one-shot)")
        .event_new(None, What::TIMEOUT, |base, _, _| {
            note!(
                base,
                "alarm rang: a one-shot event is non-pending after its callback",
                "闹钟响了：一次性事件的回调执行完就变为非未决"
            );
        })?;
    base.event_add(alarm, Some(alarm_after))?;

    let cancelled =
        base.labeled("reminder (cancelled)")
            .event_new(None, What::TIMEOUT, |base, _, _| {
                note!(
                    base,
                    "reminder rang before it was cancelled",
                    "提醒在被取消之前响了"
                );
            })?;
    let reminder_after = opts.pace(8000);
    base.event_add(cancelled, Some(reminder_after))?;

    let ticks = Rc::new(Cell::new(0u64));
    let ticker =
        base.labeled("ticker (persistent)")
            .event_new(None, What::PERSIST, move |base, _, _| {
                ticks.set(ticks.get() + 1);
                let n = ticks.get();
                note!(
                    base,
                    "tick {n}: a persistent timer is pending again after its callback",
                    "第 {n} 拍：持久定时器的回调执行完又变为未决"
                );
                if n.is_multiple_of(4) && matches!(base.event_state(alarm), Ok(State::NonPending)) {
                    note!(
                        base,
                        "re-adding the alarm: non-pending → pending",
                        "重新添加闹钟：非未决 → 未决"
                    );
                    let _ = base.event_add(alarm, Some(alarm_after));
                }
                if n % 6 == 2 {
                    note!(
                        base,
                        "event_del on the reminder: pending → non-pending, it will not ring",
                        "对提醒调用 event_del：未决 → 非未决，它不会响了"
                    );
                    let _ = base.event_del(cancelled);
                } else if n % 6 == 5 {
                    let _ = base.event_add(cancelled, Some(reminder_after));
                }
            })?;
    base.event_add(ticker, Some(opts.pace(1000)))
}
