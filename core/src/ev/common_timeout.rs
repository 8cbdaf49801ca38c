//! libevent's common timeouts (`event_base_init_common_timeout`): events added with the same
//! common duration wait in one FIFO queue, behind one internal timer of priority 0 that is due
//! when the queue's first event is. When that timer runs (first in the active phase) it
//! activates every expired event of its queue, so those events join the active queues after
//! everything else that became active in the same iteration, queue by queue.
//!
//! The engine keeps such events in its timer heap like any other; what it keeps of the queues
//! is that order of activation.

use super::base::EventBase;
use super::error::Result;
use super::handle::EventId;

impl EventBase {
    /// Marks the event as added with common timeout `queue` (None: an ordinary timeout), for
    /// the next `event_add` with a timeout and the persistent re-adds after it.
    pub fn init_common_timeout(&mut self, id: EventId, queue: Option<u8>) -> Result<()> {
        self.get_mut(id)?.common_timeout = queue;
        Ok(())
    }
}

/// The expired events of common timeouts, given as (queue, slot) in the order the heap gave
/// them (by deadline), in the order libevent activates them: queue by queue, each queue in the
/// order its first expired event came (its internal timer's place in the heap), FIFO within.
pub(super) fn queue_order(expired: Vec<(u8, u32)>) -> Vec<u32> {
    let mut queues: Vec<(u8, Vec<u32>)> = Vec::new();
    for (queue, slot) in expired {
        match queues.iter_mut().find(|(q, _)| *q == queue) {
            Some((_, slots)) => slots.push(slot),
            None => queues.push((queue, vec![slot])),
        }
    }
    queues.into_iter().flat_map(|(_, slots)| slots).collect()
}

#[cfg(test)]
mod tests {
    use super::queue_order;

    #[test]
    fn queues_keep_together_in_the_order_their_first_event_expired() {
        let expired = vec![(1, 10), (0, 20), (1, 11), (0, 21), (2, 30)];
        assert_eq!(queue_order(expired), vec![10, 11, 20, 21, 30]);
    }
}
