//! [`Positions`]: an increasing list of record positions held compactly — groups of
//! [`GROUP`] positions, each group's first kept whole and the rest as LEB128 varint gaps (one or
//! two bytes each when the records of one event are close together). Positions are `u64`, so no
//! trace is too long for them.

/// Positions per group (a group is decoded as a whole).
const GROUP: usize = 64;

/// Record positions in increasing order (an event's records, the loop iterations).
#[derive(Clone, Debug, Default)]
pub struct Positions {
    /// The first position of each group.
    marks: Vec<u64>,
    /// Where each group's gaps start in `gaps`.
    offsets: Vec<u64>,
    /// The gaps after each group's first position, varint-encoded.
    gaps: Vec<u8>,
    /// The last position pushed.
    last: u64,
    /// How many positions.
    len: usize,
}

impl Positions {
    /// Appends `p`, which must be after the last one (an earlier or equal one is ignored:
    /// positions only grow).
    pub fn push(&mut self, p: u64) {
        if self.len > 0 && p <= self.last {
            return;
        }
        if self.len.is_multiple_of(GROUP) {
            self.marks.push(p);
            self.offsets.push(self.gaps.len() as u64);
        } else {
            let mut gap = p - self.last;
            while gap >= 0x80 {
                self.gaps.push((gap as u8 & 0x7f) | 0x80);
                gap >>= 7;
            }
            self.gaps.push(gap as u8);
        }
        self.last = p;
        self.len += 1;
    }

    /// Group `g`'s positions, in order.
    fn group(&self, g: usize) -> Vec<u64> {
        let mut out = Vec::with_capacity(GROUP);
        let Some(&first) = self.marks.get(g) else {
            return out;
        };
        let n = (self.len - g * GROUP).min(GROUP);
        let mut at = self.offsets[g] as usize;
        let mut p = first;
        out.push(p);
        while out.len() < n {
            let (mut gap, mut shift) = (0u64, 0);
            while let Some(&b) = self.gaps.get(at) {
                at += 1;
                gap |= u64::from(b & 0x7f) << shift;
                shift += 7;
                if b & 0x80 == 0 || shift >= 64 {
                    break;
                }
            }
            p += gap;
            out.push(p);
        }
        out
    }

    /// The last `n` positions before `pos`, in order.
    pub fn last_before(&self, pos: u64, n: usize) -> Vec<u64> {
        let mut g = self.marks.partition_point(|&m| m < pos);
        // Gathered from the last back, then turned round.
        let mut out = Vec::new();
        while out.len() < n && g > 0 {
            g -= 1;
            let group = self.group(g);
            let before = group.iter().rev().filter(|&&p| p < pos);
            out.extend(before.take(n - out.len()));
        }
        out.reverse();
        out
    }

    /// The first position at or after `pos`, if there is one.
    pub fn first_from(&self, pos: u64) -> Option<u64> {
        let g = self.marks.partition_point(|&m| m < pos);
        let earlier = g.checked_sub(1).map(|g| self.group(g));
        earlier
            .and_then(|group| group.into_iter().find(|&p| p >= pos))
            .or_else(|| self.marks.get(g).copied())
    }

    /// Bytes held (the containers' capacities).
    pub fn held_bytes(&self) -> usize {
        self.marks.capacity() * 8 + self.offsets.capacity() * 8 + self.gaps.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_back_across_groups_and_wide_gaps() {
        let mut p = Positions::default();
        let all: Vec<u64> = (0..300u64)
            .map(|i| i * i * 1000 + (i % 7) + u64::from(i > 200) * (u32::MAX as u64 + 9))
            .collect();
        for &x in &all {
            p.push(x);
        }
        p.push(all[10]);
        assert_eq!(p.len, all.len(), "an earlier position is not taken");
        for (i, &x) in all.iter().enumerate() {
            assert_eq!(p.last_before(x, usize::MAX), all[..i].to_vec());
            assert_eq!(p.first_from(x), Some(x));
            if i > 0 {
                assert_eq!(p.first_from(all[i - 1] + 1), Some(x));
            }
            assert_eq!(
                p.last_before(x + 1, 70),
                all[(i + 1).saturating_sub(70)..=i].to_vec()
            );
        }
        assert_eq!(p.first_from(all[299] + 1), None);
        assert_eq!(p.last_before(all[0], 5), Vec::<u64>::new());
        assert_eq!(p.last_before(u64::MAX, 2), all[298..].to_vec());
        assert!(
            p.held_bytes() < all.len() * 8,
            "smaller than the positions as u64"
        );
    }
}
