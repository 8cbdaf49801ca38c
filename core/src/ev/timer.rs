//! An indexed 4-ary min-heap of timers keyed by `(deadline, insertion seq)`: equal deadlines pop
//! in the order they were armed, so runs and replays are deterministic; removal and re-arm of any
//! timer are O(log n) through a key → position index.

const ABSENT: u32 = u32::MAX;

/// Children per node: a 4-ary heap is half as deep as a binary one, and a node's children sit
/// side by side in memory.
const ARITY: usize = 4;

#[derive(Clone, Copy)]
struct Entry<T> {
    deadline: T,
    seq: u64,
    key: u32,
}

impl<T: Ord> Entry<T> {
    fn before(&self, other: &Entry<T>) -> bool {
        (&self.deadline, self.seq) < (&other.deadline, other.seq)
    }
}

/// Timers by deadline. Keys are small integers (the base uses event slot numbers); each key is in
/// the heap at most once.
pub struct TimerHeap<T> {
    heap: Vec<Entry<T>>,
    /// key → index in `heap`, or `ABSENT`.
    pos: Vec<u32>,
    next_seq: u64,
}

impl<T: Ord + Copy> Default for TimerHeap<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Ord + Copy> TimerHeap<T> {
    /// An empty heap.
    pub fn new() -> Self {
        TimerHeap {
            heap: Vec::new(),
            pos: Vec::new(),
            next_seq: 0,
        }
    }

    /// Number of armed timers.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when no timer is armed.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Arms `key` for `deadline`; re-arms it (as the newest among equal deadlines) if armed.
    pub fn insert(&mut self, key: u32, deadline: T) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let k = key as usize;
        if k >= self.pos.len() {
            self.pos.resize(k + 1, ABSENT);
        }
        let entry = Entry { deadline, seq, key };
        match self.pos[k] {
            ABSENT => {
                let at = self.heap.len();
                self.heap.push(entry);
                self.pos[k] = at as u32;
                self.sift_up(at);
            }
            at => {
                let at = at as usize;
                let later = self.heap[at].before(&entry);
                self.heap[at] = entry;
                if later {
                    self.sift_down(at);
                } else {
                    self.sift_up(at);
                }
            }
        }
    }

    /// Disarms `key`, returning its deadline if it was armed.
    pub fn remove(&mut self, key: u32) -> Option<T> {
        let at = *self.pos.get(key as usize)?;
        if at == ABSENT {
            return None;
        }
        let at = at as usize;
        let removed = self.heap.swap_remove(at);
        self.pos[key as usize] = ABSENT;
        if at < self.heap.len() {
            self.pos[self.heap[at].key as usize] = at as u32;
            if at > 0 && self.heap[at].before(&self.heap[(at - 1) / ARITY]) {
                self.sift_up(at);
            } else {
                self.sift_down(at);
            }
        }
        Some(removed.deadline)
    }

    /// The deadline `key` is armed for.
    pub fn deadline(&self, key: u32) -> Option<T> {
        match self.pos.get(key as usize) {
            Some(&at) if at != ABSENT => Some(self.heap[at as usize].deadline),
            _ => None,
        }
    }

    /// The earliest timer, without removing it.
    pub fn peek(&self) -> Option<(T, u32)> {
        self.heap.first().map(|e| (e.deadline, e.key))
    }

    /// Removes and returns the earliest timer.
    pub fn pop(&mut self) -> Option<(T, u32)> {
        let (deadline, key) = self.peek()?;
        self.remove(key);
        Some((deadline, key))
    }

    /// Removes and returns the earliest timer if its deadline is at or before `now`.
    pub fn pop_expired(&mut self, now: T) -> Option<u32> {
        match self.peek() {
            Some((deadline, key)) if deadline <= now => {
                self.remove(key);
                Some(key)
            }
            _ => None,
        }
    }

    /// Puts `entry` at `at` and records where it is.
    fn place(&mut self, at: usize, entry: Entry<T>) {
        self.pos[entry.key as usize] = at as u32;
        self.heap[at] = entry;
    }

    /// Moves the entry at `at` up past every later parent: parents move down into the hole,
    /// and the entry is written once, where it stops.
    fn sift_up(&mut self, mut at: usize) {
        let entry = self.heap[at];
        while at > 0 {
            let parent = (at - 1) / ARITY;
            if !entry.before(&self.heap[parent]) {
                break;
            }
            let moved = self.heap[parent];
            self.place(at, moved);
            at = parent;
        }
        self.place(at, entry);
    }

    /// Moves the entry at `at` down past every earlier child, the same way.
    fn sift_down(&mut self, mut at: usize) {
        let entry = self.heap[at];
        let len = self.heap.len();
        loop {
            let first = ARITY * at + 1;
            if first >= len {
                break;
            }
            let mut child = first;
            for c in first + 1..(first + ARITY).min(len) {
                if self.heap[c].before(&self.heap[child]) {
                    child = c;
                }
            }
            if !self.heap[child].before(&entry) {
                break;
            }
            let moved = self.heap[child];
            self.place(at, moved);
            at = child;
        }
        self.place(at, entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, HashMap};

    #[test]
    fn equal_deadlines_pop_in_insertion_order() {
        let mut h = TimerHeap::new();
        for key in [5, 1, 9, 3] {
            h.insert(key, 10u64);
        }
        h.insert(7, 5);
        let order: Vec<u32> = std::iter::from_fn(|| h.pop().map(|(_, k)| k)).collect();
        assert_eq!(order, vec![7, 5, 1, 9, 3]);
    }

    #[test]
    fn rearm_moves_a_timer_both_ways() {
        let mut h = TimerHeap::new();
        h.insert(1, 10u64);
        h.insert(2, 20);
        h.insert(1, 30);
        assert_eq!(h.peek(), Some((20, 2)));
        h.insert(1, 5);
        assert_eq!(h.peek(), Some((5, 1)));
        assert_eq!(h.len(), 2);
        assert_eq!(h.pop_expired(4), None);
        assert_eq!(h.pop_expired(5), Some(1));
        assert_eq!(h.remove(1), None);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u32, u64),
        Remove(u32),
        Pop,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u32..64, 0u64..50).prop_map(|(k, d)| Op::Insert(k, d)),
            2 => (0u32..64).prop_map(Op::Remove),
            2 => Just(Op::Pop),
        ]
    }

    proptest! {
        /// The heap behaves exactly like an ordered map keyed by (deadline, insertion seq).
        #[test]
        fn matches_a_btreemap_model(ops in proptest::collection::vec(op(), 0..400)) {
            let mut heap = TimerHeap::new();
            let mut model: BTreeMap<(u64, u64), u32> = BTreeMap::new();
            let mut where_: HashMap<u32, (u64, u64)> = HashMap::new();
            let mut seq = 0u64;
            for op in ops {
                match op {
                    Op::Insert(k, d) => {
                        if let Some(old) = where_.remove(&k) {
                            model.remove(&old);
                        }
                        model.insert((d, seq), k);
                        where_.insert(k, (d, seq));
                        seq += 1;
                        heap.insert(k, d);
                    }
                    Op::Remove(k) => {
                        let expected = where_.remove(&k).map(|key| {
                            model.remove(&key);
                            key.0
                        });
                        prop_assert_eq!(heap.remove(k), expected);
                    }
                    Op::Pop => {
                        let expected = model.pop_first().map(|((d, _), k)| {
                            where_.remove(&k);
                            (d, k)
                        });
                        prop_assert_eq!(heap.pop(), expected);
                    }
                }
                prop_assert_eq!(heap.len(), model.len());
                prop_assert_eq!(heap.peek(), model.first_key_value().map(|((d, _), k)| (*d, *k)));
            }
        }
    }
}
