//! A slot table with generations: the storage behind the typed handles of events,
//! bufferevents, listeners and rate-limit groups.

struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

/// Values addressed by (index, generation); a removed value's key goes stale.
pub(crate) struct Table<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Table<T> {
    /// Stores `value`; returns its (index, generation).
    pub(crate) fn insert(&mut self, value: T) -> (u32, u32) {
        match self.free.pop() {
            Some(i) => {
                let slot = &mut self.slots[i as usize];
                slot.value = Some(value);
                (i, slot.generation)
            }
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    value: Some(value),
                });
                ((self.slots.len() - 1) as u32, 0)
            }
        }
    }

    /// The value under (index, generation), if that key is still live.
    #[inline]
    pub(crate) fn get(&self, index: u32, generation: u32) -> Option<&T> {
        match self.slots.get(index as usize) {
            Some(Slot {
                generation: g,
                value: Some(v),
            }) if *g == generation => Some(v),
            _ => None,
        }
    }

    /// The value under (index, generation), if that key is still live.
    #[inline]
    pub(crate) fn get_mut(&mut self, index: u32, generation: u32) -> Option<&mut T> {
        match self.slots.get_mut(index as usize) {
            Some(Slot {
                generation: g,
                value: Some(v),
            }) if *g == generation => Some(v),
            _ => None,
        }
    }

    /// Takes the value out; its key goes stale and the slot is reused later.
    pub(crate) fn remove(&mut self, index: u32, generation: u32) -> Option<T> {
        let slot = self.slots.get_mut(index as usize)?;
        if slot.generation != generation || slot.value.is_none() {
            return None;
        }
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(index);
        slot.value.take()
    }

    /// The slot's current generation: the key of the value it holds, or of the next one.
    /// Panics on an index the table never gave out.
    #[inline]
    pub(crate) fn generation(&self, index: u32) -> u32 {
        self.slots[index as usize].generation
    }

    /// The value in slot `index`, whatever its generation (for callers that hold an index the
    /// table gave out, such as an active-queue entry; the value may be gone).
    #[inline]
    pub(crate) fn at(&self, index: u32) -> Option<&T> {
        self.slots.get(index as usize)?.value.as_ref()
    }

    /// [`Table::at`], mutably.
    #[inline]
    pub(crate) fn at_mut(&mut self, index: u32) -> Option<&mut T> {
        self.slots.get_mut(index as usize)?.value.as_mut()
    }

    /// Every live value with its (index, generation), in slot order (the order libevent's
    /// `event_base_foreach_event` and `event_base_dump_events` walk).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, u32, &T)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.value.as_ref().map(|v| (i as u32, s.generation, v)))
    }

    /// Every live value, mutably, in slot order.
    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.slots.iter_mut().filter_map(|s| s.value.as_mut())
    }

    /// Every live (index, generation), in slot order.
    pub(crate) fn keys(&self) -> Vec<(u32, u32)> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.value.is_some())
            .map(|(i, s)| (i as u32, s.generation))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_keys_go_stale_and_slots_are_reused() {
        let mut t = Table::default();
        let a = t.insert("a");
        assert_eq!(t.get(a.0, a.1), Some(&"a"));
        assert_eq!(t.remove(a.0, a.1), Some("a"));
        assert_eq!(t.get(a.0, a.1), None);
        let b = t.insert("b");
        assert_eq!(b.0, a.0);
        assert_ne!(b.1, a.1);
        assert_eq!(t.remove(a.0, a.1), None);
        assert_eq!(t.keys(), vec![b]);
        assert_eq!(t.generation(b.0), b.1);
        assert_eq!(t.at(b.0), Some(&"b"));
        let c = t.insert("c");
        assert_eq!(
            t.iter().map(|(i, g, v)| (i, g, *v)).collect::<Vec<_>>(),
            vec![(b.0, b.1, "b"), (c.0, c.1, "c")]
        );
        t.remove(c.0, c.1);
        assert_eq!(t.at(c.0), None);
    }
}
