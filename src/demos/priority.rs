//! Priorities: three events made active together run one queue per loop iteration, priority 0
//! first (libevent's `event_base_priority_init` / `event_priority_set`).

use super::{Demo, DemoOptions};
use crate::ev::{self, EventBase, What};

pub(super) const DEMO: Demo = Demo {
    name: "priority",
    lesson: "14 priorities",
    summary: "three events activated together every 2 s run urgent (0), normal (1), background (2)",
    summary_zh: "每 2 秒同时激活三个事件，它们按 紧急（0）、普通（1）、后台（2）的顺序运行",
    setup,
};

fn setup(base: &mut EventBase, opts: &DemoOptions) -> ev::Result<()> {
    base.priority_init(3)?;
    let mut queued = Vec::new();
    for (label, priority) in [("background (2)", 2), ("normal (1)", 1), ("urgent (0)", 0)] {
        let id = base
            .labeled(label)
            .event_new(None, What::TIMEOUT, move |base, _, _| {
                note!(base, "{label} ran", "{label}的回调执行了");
            })?;
        base.event_priority_set(id, priority)?;
        queued.push(id);
    }
    let trigger =
        base.labeled("trigger (timer)")
            .event_new(None, What::PERSIST, move |base, _, _| {
                note!(
                    base,
                    "activating background, normal and urgent, in that order",
                    "依次激活 后台、普通、紧急 三个事件"
                );
                for id in &queued {
                    let _ = base.event_active(*id, What::TIMEOUT);
                }
            })?;
    base.event_priority_set(trigger, 0)?;
    base.event_add(trigger, Some(opts.pace(2000)))
}
