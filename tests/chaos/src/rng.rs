//! The schedules' randomness: SplitMix64, written out here so a seed means the same schedule in
//! every version of every dependency (a replay command stays valid as long as this file and the
//! generator do). Decisions taken while a schedule runs draw from a stream keyed by what they
//! are about, not from a shared one, so removing a fault while shrinking does not shift every
//! later draw.

/// A deterministic random stream.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// The stream of `seed`.
    pub fn new(seed: u64) -> Self {
        Rng {
            state: seed ^ 0x5851_f42d_4c95_7f2d,
        }
    }

    /// A stream for one decision of a schedule: its seed and what the decision is about.
    pub fn keyed(seed: u64, key: &str) -> Self {
        let mut rng = Rng::new(seed);
        for byte in key.bytes() {
            rng.state ^= u64::from(byte);
            rng.next_u64();
        }
        rng
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Multiply-shift: no modulo bias worth caring about for the small ranges used here.
        u64::try_from((u128::from(self.next_u64()) * u128::from(n)) >> 64).unwrap_or(0)
    }

    /// An index into a collection of `len` items.
    pub fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(u64::try_from(len).unwrap_or(u64::MAX))).unwrap_or(0)
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high.saturating_sub(low) + 1)
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items` (None when empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.index(items.len()))
        }
    }

    /// `count` distinct indices below `len`, in increasing order.
    pub fn subset(&mut self, len: usize, count: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..len).collect();
        for i in (1..all.len()).rev() {
            all.swap(i, self.index(i + 1));
        }
        all.truncate(count.min(len));
        all.sort_unstable();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_stream_every_time() {
        let first: Vec<u64> = (0..5)
            .map(|_| 0)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let again: Vec<u64> = (0..5)
            .map(|_| 0)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(first, again);
        assert_ne!(Rng::new(8).next_u64(), first[0]);
    }

    #[test]
    fn draws_stay_in_their_ranges() {
        let mut rng = Rng::new(1);
        for _ in 0..1000 {
            assert!(rng.below(3) < 3);
            let n = rng.between(5, 9);
            assert!((5..=9).contains(&n));
            let subset = rng.subset(9, 4);
            assert_eq!(subset.len(), 4);
            assert!(subset.windows(2).all(|w| w[0] < w[1]));
        }
        assert_eq!(rng.below(0), 0);
    }

    #[test]
    fn keyed_streams_differ_by_key_and_repeat_by_key() {
        let a = Rng::keyed(3, "event 12").next_u64();
        assert_eq!(a, Rng::keyed(3, "event 12").next_u64());
        assert_ne!(a, Rng::keyed(3, "event 13").next_u64());
    }
}
