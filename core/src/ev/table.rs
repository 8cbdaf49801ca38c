//! A slot table with generations: the storage behind the typed handles of bufferevents and
//! listeners (events keep their own slots in the base).

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

    pub(crate) fn get(&self, index: u32, generation: u32) -> Option<&T> {
        match self.slots.get(index as usize) {
            Some(Slot {
                generation: g,
                value: Some(v),
            }) if *g == generation => Some(v),
            _ => None,
        }
    }

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
    }
}
