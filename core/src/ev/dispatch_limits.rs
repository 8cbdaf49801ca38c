//! libevent's `event_config_set_max_dispatch_interval`: from some priority on, the loop runs at
//! most so many callbacks, or for at most so long, before it goes back to check for new events
//! (so that a busy low-priority queue cannot keep higher-priority events waiting).

use std::time::{Duration, Instant};

use super::base::EventBase;

/// How much of one priority's active queue the loop runs before it checks for new events
/// (libevent's `max_dispatch_callbacks`, `max_dispatch_time`, `limit_callbacks_after_prio`).
/// The default limits nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DispatchLimits {
    /// At most this long running callbacks (None: no limit).
    pub max_interval: Option<Duration>,
    /// At most this many callbacks (`usize::MAX`: no limit).
    pub max_callbacks: usize,
    /// The limits hold for priorities `min_priority` and above (numerically; 0 runs first).
    pub min_priority: usize,
}

impl Default for DispatchLimits {
    fn default() -> Self {
        DispatchLimits {
            max_interval: None,
            max_callbacks: usize::MAX,
            min_priority: usize::MAX,
        }
    }
}

impl DispatchLimits {
    /// What libevent's `event_base_new_with_config` makes of a configuration's
    /// `event_config_set_max_dispatch_interval(cfg, max_interval, max_callbacks,
    /// min_priority)`: a negative `max_callbacks` is no limit, a negative `min_priority` is 0,
    /// and with neither limit nothing is limited.
    pub fn new(
        max_interval: Option<Duration>,
        max_callbacks: Option<usize>,
        min_priority: usize,
    ) -> DispatchLimits {
        let max_callbacks = max_callbacks.unwrap_or(usize::MAX);
        let min_priority = if max_interval.is_none() && max_callbacks == usize::MAX {
            usize::MAX
        } else {
            min_priority
        };
        DispatchLimits {
            max_interval,
            max_callbacks,
            min_priority,
        }
    }
}

/// The limits in force while one priority's queue runs.
pub(super) struct QueueBudget {
    max_callbacks: usize,
    end: Option<Instant>,
}

impl EventBase {
    /// Sets how much of an active queue the loop runs before it checks for new events.
    pub fn set_dispatch_limits(&mut self, limits: DispatchLimits) {
        self.limits = limits;
    }

    /// The limits the base runs with.
    pub fn dispatch_limits(&self) -> DispatchLimits {
        self.limits
    }

    /// When the active phase starts: the time the interval runs to. As libevent, the time
    /// cache is refreshed first when an interval is set.
    pub(super) fn dispatch_end(&mut self) -> Option<Instant> {
        let interval = self.limits.max_interval?;
        let now = Instant::now();
        self.time_cache = Some(now);
        Some(now + interval)
    }

    /// The budget of the queue of `priority`, with the interval ending at `end`.
    pub(super) fn queue_budget(&self, priority: usize, end: Option<Instant>) -> QueueBudget {
        if priority < self.limits.min_priority {
            QueueBudget {
                max_callbacks: usize::MAX,
                end: None,
            }
        } else {
            QueueBudget {
                max_callbacks: self.limits.max_callbacks,
                end,
            }
        }
    }

    /// After a callback, with `ran` callbacks run from this queue: true when the budget is
    /// spent and the loop must check for new events (the time cache is refreshed to tell).
    pub(super) fn budget_spent(&mut self, budget: &QueueBudget, ran: usize) -> bool {
        if ran >= budget.max_callbacks {
            return true;
        }
        if let (Some(end), true) = (budget.end, ran > 0) {
            let now = Instant::now();
            self.time_cache = Some(now);
            return now >= end;
        }
        false
    }
}
