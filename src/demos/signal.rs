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
    summary_zh: "SIGUSR1 上的两个持久事件；一个定时器每 1.5 秒发出这个信号",
    setup,
};

fn setup(base: &mut EventBase, opts: &DemoOptions) -> ev::Result<()> {
    let caught = Rc::new(Cell::new(0u64));
    let c = caught.clone();
    let handler = base.labeled("SIGUSR1 handler").event_new(
        libc::SIGUSR1,
        What::SIGNAL | What::PERSIST,
        move |base, _, _| {
            c.set(c.get() + 1);
            note!(
                base,
                "SIGUSR1 caught ({count} so far): the signal event ran like any other",
                "收到 SIGUSR1（累计 {count} 次）：信号事件和其他事件一样执行了回调",
                count = c.get()
            );
        },
    )?;
    let logger = base.labeled("SIGUSR1 logger").event_new(
        libc::SIGUSR1,
        What::SIGNAL | What::PERSIST,
        |base, _, _| {
            note!(
                base,
                "a second event on the same signal runs too",
                "同一个信号上的第二个事件也执行了"
            )
        },
    )?;
    base.event_add(handler, None)?;
    base.event_add(logger, None)?;
    let sender = base
        .labeled("sender (timer)")
        .event_new(None, What::PERSIST, |base, _, _| {
            note!(base, "raising SIGUSR1", "发出 SIGUSR1");
            if let Err(e) = ev::raise(libc::SIGUSR1) {
                note!(base, "raise failed: {e}", "raise 失败：{e}");
            }
        })?;
    base.event_add(sender, Some(opts.pace(1500)))
}
