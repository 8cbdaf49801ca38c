//! [`Handoff`]: the bounded queue between the loop thread (which makes records) and the sink
//! thread (which encodes and writes them).
//!
//! Waking another thread costs a system call, more than a whole loop iteration of a busy
//! server, so the loop does not wake the sink thread for each batch: the sink thread looks at
//! the queue every [`TICK`] while records keep coming, and only when it has gone to sleep for
//! good (nothing for a while), when the queue fills up, or when a message is urgent (a viewer
//! stepping) does the loop wake it.
//!
//! A batch the loop fills is handed over whole, the loop taking an emptied one back from those
//! the sink thread returned, so a record is copied once on the loop thread (onto its batch);
//! only a small batch (the loop about to wait with a few records made) is copied onto the last
//! one queued.

use std::collections::VecDeque;
use std::sync::{mpsc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::link::Status;
use super::record::{Header, Record};

/// How often a sink thread with recent work looks for more.
pub const TICK: Duration = Duration::from_millis(2);
/// Ticks with nothing before the sink thread sleeps until woken.
const IDLE_TICKS: u32 = 250;

/// What travels to the sink thread.
pub enum Msg {
    Header(Header),
    Records(Vec<Record>),
    Status(Status),
    Flush(mpsc::Sender<()>),
}

#[derive(Default)]
struct Queue {
    msgs: VecDeque<Msg>,
    /// Emptied batches the sink thread gave back, for the loop to fill again.
    spare: Vec<Vec<Record>>,
    /// Records queued, over all `Records` messages.
    records: usize,
    closed: bool,
    /// The sink thread sleeps until woken.
    asleep: bool,
}

/// The queue and its two wake-ups.
pub struct Handoff {
    queue: Mutex<Queue>,
    to_sink: Condvar,
    to_loop: Condvar,
    capacity: usize,
}

/// How the loop thread hands over records.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Push {
    /// Wait while the queue is full (lossless).
    Wait,
    /// Refuse when the queue is full (lossy).
    Try,
    /// Wait while full, and wake the sink thread now.
    Urgent,
}

/// A batch of at least this many records is handed over whole rather than copied.
const WHOLE: usize = 128;
/// The most emptied batches kept for the loop.
const SPARE: usize = 16;

impl Handoff {
    /// A queue holding at most `capacity` records.
    pub fn new(capacity: usize) -> Handoff {
        Handoff {
            queue: Mutex::new(Queue::default()),
            to_sink: Condvar::new(),
            to_loop: Condvar::new(),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wake_sink(&self, q: &mut Queue) {
        q.asleep = false;
        self.to_sink.notify_one();
    }

    /// Loop side: moves the records out of `batch`, leaving it empty with room for as many: a
    /// batch of [`WHOLE`] records or more is queued as it is and `batch` becomes a spare one; a
    /// smaller one is joined to the last queued batch when that has room for it. With
    /// `Push::Try` a full queue refuses: returns false and leaves `batch` as it was.
    pub fn push_records(&self, batch: &mut Vec<Record>, how: Push) -> bool {
        if batch.is_empty() {
            return true;
        }
        let mut q = self.lock();
        while q.records > 0 && q.records + batch.len() > self.capacity && !q.closed {
            if how == Push::Try {
                return false;
            }
            self.wake_sink(&mut q);
            q = self.to_loop.wait(q).unwrap_or_else(|p| p.into_inner());
        }
        if q.closed {
            batch.clear();
            return true;
        }
        q.records += batch.len();
        match q.msgs.back_mut() {
            Some(Msg::Records(tail))
                if batch.len() < WHOLE && tail.len() + batch.len() <= tail.capacity() =>
            {
                tail.append(batch);
            }
            _ => {
                let room = batch.capacity().max(WHOLE);
                let mut spare = q.spare.pop().unwrap_or_default();
                spare.reserve(room);
                let full = std::mem::replace(batch, spare);
                q.msgs.push_back(Msg::Records(full));
            }
        }
        if q.asleep || how == Push::Urgent || q.records * 4 >= self.capacity {
            self.wake_sink(&mut q);
        }
        true
    }

    /// Loop side: queues a message that is not records, waking the sink thread.
    pub fn push(&self, msg: Msg) {
        let mut q = self.lock();
        if !q.closed {
            q.msgs.push_back(msg);
            self.wake_sink(&mut q);
        }
    }

    /// Loop side: no more messages; the sink thread finishes what is queued.
    pub fn close(&self) {
        let mut q = self.lock();
        q.closed = true;
        self.to_sink.notify_one();
        self.to_loop.notify_all();
    }

    /// Sink side: gives back the emptied batches in `spare` (some of them), moves everything
    /// queued into `out`, waiting for something when nothing is queued and `may_wait` (at most
    /// one tick when `one_tick`: the sink holds records it must send soon). Returns false once
    /// closed and empty.
    pub fn take(
        &self,
        out: &mut VecDeque<Msg>,
        spare: &mut Vec<Vec<Record>>,
        may_wait: bool,
        one_tick: bool,
    ) -> bool {
        let mut q = self.lock();
        while q.spare.len() < SPARE {
            match spare.pop() {
                Some(v) => q.spare.push(v),
                None => break,
            }
        }
        spare.clear();
        let mut idle = 0;
        loop {
            if !q.msgs.is_empty() {
                std::mem::swap(&mut q.msgs, out);
                q.records = 0;
                self.to_loop.notify_all();
                return true;
            }
            if q.closed {
                return false;
            }
            if !may_wait || (one_tick && idle > 0) {
                return true;
            }
            if idle >= IDLE_TICKS {
                q.asleep = true;
                q = self.to_sink.wait(q).unwrap_or_else(|p| p.into_inner());
                idle = 0;
            } else {
                q = self
                    .to_sink
                    .wait_timeout(q, TICK)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
                idle += 1;
            }
        }
    }
}
