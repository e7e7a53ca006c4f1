//! Pages by position in an mm's VMA list, for touches uniform over the pages a program maps:
//! the weights in blocks of [`BLOCK`] positions, and a Fenwick tree over the blocks' sums, so a
//! pick, an unmap and an mmap each cost O(log N), and a split or a compaction (which move
//! positions) a rebuild. A pick descends the small tree of blocks, then adds up one block's
//! weights in two adjacent cache lines, where a Fenwick tree over the positions themselves would
//! read a scattered line for each of its last levels.

/// Positions per block: sixteen weights, two cache lines.
const BLOCK: usize = 16;

/// Non-negative weights at positions 0.., with prefix sums.
#[derive(Hash, Clone, Debug, Default)]
pub struct Weights {
    /// The weight at each position.
    w: Vec<u64>,
    /// tree[i - 1] holds the sum over blocks (i - lowbit(i), i], 1-based.
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
        self.w.len()
    }

    pub fn is_empty(&self) -> bool {
        self.w.is_empty()
    }

    /// Room for `n` more positions.
    pub fn reserve(&mut self, n: usize) {
        self.w.reserve(n);
        self.tree.reserve(n.div_ceil(BLOCK));
    }

    /// Adds a position at the end.
    pub fn push(&mut self, w: u64) {
        let pos = self.w.len();
        self.w.push(w);
        if pos.is_multiple_of(BLOCK) {
            // A new block, whose node sums the blocks it covers.
            let i = self.tree.len() + 1;
            let mut v = w;
            let mut j = i - 1;
            while j > i - lowbit(i) {
                v += self.tree[j - 1];
                j -= lowbit(j);
            }
            self.tree.push(v);
            self.total += w;
        } else {
            self.update_block(pos / BLOCK, |x| *x += w);
        }
    }

    /// Applies `f` to the total and to every tree node covering block `b`.
    #[inline]
    fn update_block(&mut self, b: usize, f: impl Fn(&mut u64)) {
        let mut i = b + 1;
        while i <= self.tree.len() {
            f(&mut self.tree[i - 1]);
            i += lowbit(i);
        }
        f(&mut self.total);
    }

    pub fn add(&mut self, pos: usize, w: u64) {
        self.w[pos] += w;
        self.update_block(pos / BLOCK, |x| *x += w);
    }

    pub fn sub(&mut self, pos: usize, w: u64) {
        self.w[pos] -= w;
        self.update_block(pos / BLOCK, |x| *x -= w);
    }

    /// The position holding unit `r` (r < total) and `r`'s offset within it.
    pub fn find(&self, r: u64) -> (usize, u64) {
        debug_assert!(r < self.total, "weights: pick past the total");
        let (b, r) = self.find_block(r);
        let start = b * BLOCK;
        let block = &self.w[start..self.w.len().min(start + BLOCK)];
        // The prefix sums within the block that do not pass `r` count the positions before the
        // pick, and the last of them is what lies before it: no branch on the data.
        let (mut sum, mut before, mut count) = (0, 0, 0);
        for &x in block {
            sum += x;
            let within = sum <= r;
            count += within as usize;
            before = if within { sum } else { before };
        }
        (start + count, r - before)
    }

    /// The block holding unit `r` (r < total) and `r`'s offset within it.
    fn find_block(&self, mut r: u64) -> (usize, u64) {
        let n = self.tree.len();
        let mut pos = 0;
        let mut step = if n == 0 { 0 } else { 1 << n.ilog2() };
        // Branch-free descent: which way each level goes is the pick itself, so a branch on it
        // would be mispredicted half the time.
        while step > 0 {
            let next = pos + step;
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
        self.w.clear();
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
        fn picks_agree_with_a_scan(ws in proptest::collection::vec(0u64..20, 1..400), edits in proptest::collection::vec((0usize..400, 0u64..20), 0..80)) {
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
