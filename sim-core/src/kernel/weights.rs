//! Pages by position in an mm's VMA list, for touches uniform over the pages a program maps: a
//! Fenwick tree, so a pick, an unmap and an mmap each cost O(log N), and a split or a compaction
//! (which move positions) a rebuild.

/// Non-negative weights at positions 0.., with prefix sums.
#[derive(Hash, Clone, Debug, Default)]
pub struct Weights {
    /// tree[i - 1] holds the sum over positions (i - lowbit(i), i], 1-based.
    tree: Vec<u64>,
    total: u64,
}

#[inline]
fn lowbit(i: usize) -> usize {
    i & i.wrapping_neg()
}

impl Weights {
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn len(&self) -> usize {
        self.tree.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// Room for `n` more positions.
    pub fn reserve(&mut self, n: usize) {
        self.tree.reserve(n);
    }

    /// Adds a position at the end.
    pub fn push(&mut self, w: u64) {
        let i = self.tree.len() + 1;
        let mut v = w;
        let mut j = i - 1;
        while j > i - lowbit(i) {
            v += self.tree[j - 1];
            j -= lowbit(j);
        }
        self.tree.push(v);
        self.total += w;
    }

    pub fn add(&mut self, pos: usize, w: u64) {
        let mut i = pos + 1;
        while i <= self.tree.len() {
            self.tree[i - 1] += w;
            i += lowbit(i);
        }
        self.total += w;
    }

    pub fn sub(&mut self, pos: usize, w: u64) {
        let mut i = pos + 1;
        while i <= self.tree.len() {
            self.tree[i - 1] -= w;
            i += lowbit(i);
        }
        self.total -= w;
    }

    /// The position holding unit `r` (r < total) and `r`'s offset within it.
    pub fn find(&self, mut r: u64) -> (usize, u64) {
        debug_assert!(r < self.total, "weights: pick past the total");
        let n = self.tree.len();
        let mut pos = 0;
        let mut step = if n == 0 { 0 } else { 1 << n.ilog2() };
        // Branch-free descent: which way each level goes is the pick itself, so a branch on it
        // would be mispredicted half the time.
        while step > 0 {
            let next = pos + step;
            // Ask for both entries the next level may read while this one's is compared, so the
            // descent waits on one cache line at a time instead of one per level.
            let half = step >> 1;
            if half > 0 {
                for x in [self.tree.get(pos + half - 1), self.tree.get(next + half - 1)].into_iter().flatten() {
                    super::prefetch(x);
                }
            }
            let t = if next <= n { self.tree[next - 1] } else { u64::MAX };
            let down = t <= r;
            r -= if down { t } else { 0 };
            pos = if down { next } else { pos };
            step >>= 1;
        }
        (pos, r)
    }

    /// Replaces every weight.
    pub fn rebuild(&mut self, weights: impl Iterator<Item = u64>) {
        self.tree.clear();
        self.total = 0;
        for w in weights {
            self.push(w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A pick lands where a linear scan of the weights puts it, after any pushes and updates.
        #[test]
        fn picks_agree_with_a_scan(ws in proptest::collection::vec(0u64..50, 1..200), edits in proptest::collection::vec((0usize..200, 0u64..50), 0..50)) {
            let mut w = Weights::default();
            let mut plain = ws.clone();
            for &x in &ws {
                w.push(x);
            }
            for (i, x) in edits {
                let i = i % plain.len();
                w.sub(i, plain[i]);
                w.add(i, x);
                plain[i] = x;
            }
            prop_assert_eq!(w.total(), plain.iter().sum::<u64>());
            for r in 0..w.total() {
                let (mut pos, mut off) = (0, r);
                while off >= plain[pos] {
                    off -= plain[pos];
                    pos += 1;
                }
                prop_assert_eq!(w.find(r), (pos, off));
            }
        }
    }
}
