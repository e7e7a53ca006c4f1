//! Pages by position in an mm's VMA list, for touches uniform over the pages a program maps:
//! the weights in blocks of [`BLOCK`] positions, and a Fenwick tree over the blocks' sums, so a
//! pick, an unmap and an mmap each cost O(log N), and a split or a compaction (which move
//! positions) a rebuild. A pick descends the small tree of blocks, then adds up one block's
//! weights in two adjacent cache lines, where a Fenwick tree over the positions themselves would
//! read a scattered line for each of its last levels.
//!
//! Picks far outnumber changes in a touch phase, where the descent's dependent loads are most of
//! a pick's cost. So once an unchanged set of weights has served enough picks to pay for it
//! ([`Guide`]), a pick goes through a guide table instead: the prefix sums, and for each of
//! twice as many equal slices of `0..total` the first position reaching it. A pick reads the
//! slice's entry and steps forward to the position holding it: the same position and offset the
//! tree gives, in one or two loads. Any change drops the guide.

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
    guide: Guide,
}

/// An inverse-CDF guide table over the weights as they stand (Chen and Asau's method): empty
/// until the weights have gone unchanged for enough picks, dropped at any change. It is derived
/// from the weights, so it is left out of their hash.
#[derive(Clone, Debug, Default)]
struct Guide {
    /// Picks the tree served since the last change.
    picks: usize,
    /// `cum[i]` is the sum of the weights before position `i`, `cum[len]` the total.
    cum: Vec<u64>,
    /// `first[b]` is the first position whose units reach slice `b`, where unit `r` lies in
    /// slice `(r * scale) >> 64`.
    first: Vec<u32>,
    scale: u128,
}

impl std::hash::Hash for Guide {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl Guide {
    /// Slices per position.
    const SLICES: usize = 2;

    fn built(&self) -> bool {
        !self.first.is_empty()
    }

    fn drop_table(&mut self) {
        self.picks = 0;
        self.cum.clear();
        self.first.clear();
    }

    /// Whether the tree picks since the last change have cost more than a build over `len`
    /// positions would: a build is a few tens of instructions a position, a tree pick a few
    /// hundred, so a quarter as many picks as positions cost about twice a build.
    fn worth_building(&self, len: usize) -> bool {
        self.picks >= 8 && self.picks * 4 >= len
    }

    #[inline]
    fn slice(&self, r: u64) -> usize {
        ((r as u128 * self.scale) >> 64) as usize
    }

    fn build(&mut self, w: &[u64], total: u64) {
        debug_assert!(total > 0 && w.len() < u32::MAX as usize);
        self.cum.clear();
        self.cum.reserve(w.len() + 1);
        let mut sum = 0;
        self.cum.push(0);
        for &x in w {
            sum += x;
            self.cum.push(sum);
        }
        // Slices: twice the positions, but never more than the units, so each holds one.
        let slices = (w.len() * Self::SLICES).min(total as usize).max(1);
        self.scale = ((slices as u128) << 64) / total as u128;
        self.first.clear();
        self.first.reserve(slices);
        for (pos, &x) in w.iter().enumerate() {
            if x == 0 {
                continue;
            }
            let last = self.slice(self.cum[pos + 1] - 1);
            while self.first.len() <= last {
                self.first.push(pos as u32);
            }
        }
    }

    /// The position holding unit `r` and `r`'s offset within it.
    #[inline]
    fn find(&self, r: u64) -> (usize, u64) {
        let mut pos = self.first[self.slice(r)] as usize;
        while self.cum[pos + 1] <= r {
            pos += 1;
        }
        (pos, r - self.cum[pos])
    }
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
        self.guide.drop_table();
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
        self.guide.drop_table();
        self.w[pos] += w;
        self.update_block(pos / BLOCK, |x| *x += w);
    }

    pub fn sub(&mut self, pos: usize, w: u64) {
        self.guide.drop_table();
        self.w[pos] -= w;
        self.update_block(pos / BLOCK, |x| *x -= w);
    }

    /// The position holding unit `r` (r < total) and `r`'s offset within it: through the
    /// guide once one is worth building, down the tree until then.
    pub fn find(&mut self, r: u64) -> (usize, u64) {
        debug_assert!(r < self.total, "weights: pick past the total");
        if !self.guide.built() {
            self.guide.picks += 1;
            if !self.guide.worth_building(self.w.len()) {
                return self.find_in_tree(r);
            }
            self.guide.build(&self.w, self.total);
        }
        self.guide.find(r)
    }

    /// [`Weights::find`] down the tree of blocks.
    fn find_in_tree(&self, r: u64) -> (usize, u64) {
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

    /// Every unit's pick against a linear scan of `plain`.
    fn check_every_pick(w: &mut Weights, plain: &[u64]) -> Result<(), TestCaseError> {
        prop_assert_eq!(w.total(), plain.iter().sum::<u64>());
        for r in 0..w.total() {
            let (mut pos, mut off) = (0, r);
            while off >= plain[pos] {
                off -= plain[pos];
                pos += 1;
            }
            prop_assert_eq!(w.find(r), (pos, off));
        }
        Ok(())
    }

    proptest! {
        /// A pick lands where a linear scan of the weights puts it, after any pushes and updates,
        /// down the tree and through the guide (built after the first picks, dropped by an edit).
        #[test]
        fn picks_agree_with_a_scan(ws in proptest::collection::vec(0u64..20, 1..400), edits in proptest::collection::vec((0usize..400, 0u64..20), 0..80)) {
            let mut w = Weights::default();
            let mut plain = ws.clone();
            for &x in &ws {
                w.push(x);
            }
            for (n, (i, x)) in edits.into_iter().enumerate() {
                let i = i % plain.len();
                w.sub(i, plain[i]);
                w.add(i, x);
                plain[i] = x;
                if n % 16 == 15 {
                    check_every_pick(&mut w, &plain)?;
                    let need = 8.max(plain.len().div_ceil(4));
                    prop_assert!((w.total() as usize) < need || w.guide.built(), "enough picks build the guide");
                }
            }
            check_every_pick(&mut w, &plain)?;
            w.push(3);
            plain.push(3);
            prop_assert!(!w.guide.built(), "a change drops the guide");
            check_every_pick(&mut w, &plain)?;
        }
    }
}
