//! The kernel's heap sort (lib/sort.c, 2.6.25) with v13's comparator, counting comparisons.
//!
//! v13 compared the *element pointers* for equality, not the values:
//! `if (*a < *b) return -1; else if (a == b) return 0; else return 1;` — so two equal lock
//! addresses at different array slots compare as "greater". Heap sort only asks `< 0` and `>= 0`,
//! so the array still comes out non-decreasing with equal locks adjacent, which is what
//! mm_lock's duplicate skip and its `BUG_ON(last > locks[i])` rely on. The tests check it.

use std::cmp::Ordering;

/// v13's `mm_lock_cmp` on slots `i` and `j` of `v`.
fn v13_cmp(v: &[u64], i: usize, j: usize) -> Ordering {
    if v[i] < v[j] {
        Ordering::Less
    } else if i == j {
        Ordering::Equal
    } else {
        Ordering::Greater
    }
}

/// Sorts `v` as lib/sort.c's `sort()` does with v13's comparator; returns the comparisons made.
pub fn v13_heap_sort(v: &mut [u64]) -> u64 {
    let n = v.len();
    let mut comparisons = 0u64;
    if n < 2 {
        return 0;
    }
    // heapify: for (i = num/2 - 1; i >= 0; i--) sift down within [0, n)
    for i in (0..n / 2).rev() {
        comparisons += sift_down(v, i, n);
    }
    // sort: for (i = n - 1; i > 0; i--) { swap(0, i); sift down within [0, i) }
    for i in (1..n).rev() {
        v.swap(0, i);
        comparisons += sift_down(v, 0, i);
    }
    comparisons
}

/// lib/sort.c's sift-down of slot `r` within `[0, end)`; returns the comparisons made.
///
/// Every comparison here is between two different slots, where v13's comparator is `<` on the
/// values (`Less` or `Greater`, never `Equal`: see [`v13_cmp`]). The pick of the larger child is
/// the data itself, so it is made without a branch (a branch would be mispredicted half the time).
fn sift_down(v: &mut [u64], mut r: usize, end: usize) -> u64 {
    let mut comparisons = 0;
    while r * 2 + 1 < end {
        let c = r * 2 + 1;
        // `if (c < n - size && cmp(base + c, base + c + size) < 0) c += size;`
        let both = c < end - 1;
        let right = c + both as usize;
        comparisons += 1 + both as u64;
        debug_assert!(!both || (v13_cmp(v, c, right) == Ordering::Less) == (v[c] < v[right]));
        let c = c + (v[c] < v[right]) as usize;
        // `if (cmp(base + r, base + c) >= 0) break;`
        if v[r] >= v[c] {
            break;
        }
        v.swap(r, c);
        r = c;
    }
    comparisons
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_comparator_never_returns_equal_for_equal_locks_in_different_slots() {
        let v = [7u64, 7];
        assert_eq!(v13_cmp(&v, 0, 1), Ordering::Greater);
        assert_eq!(v13_cmp(&v, 1, 0), Ordering::Greater);
        assert_eq!(v13_cmp(&v, 0, 0), Ordering::Equal);
    }

    #[test]
    fn small_cases_by_hand() {
        let mut v = vec![3u64, 1, 2];
        // heapify at 0: children 1 < 2 (one comparison), 3 >= 2 (two): stop.
        // i=2: swap -> [2,1,3]; only child 1: 2 >= 1 (three): stop. i=1: swap -> [1,2,3].
        assert_eq!(v13_heap_sort(&mut v), 3);
        assert_eq!(v, vec![1, 2, 3]);
        let mut one = vec![5u64];
        assert_eq!(v13_heap_sort(&mut one), 0);
    }

    /// lib/sort.c's heap sort as written, every comparison through v13's comparator.
    fn reference_sort(v: &mut [u64]) -> u64 {
        let mut comparisons = 0u64;
        let mut cmp = |v: &[u64], i: usize, j: usize| {
            comparisons += 1;
            v13_cmp(v, i, j)
        };
        let n = v.len();
        let sift = |v: &mut [u64], mut r: usize, end: usize, cmp: &mut dyn FnMut(&[u64], usize, usize) -> Ordering| {
            while r * 2 + 1 < end {
                let mut c = r * 2 + 1;
                if c < end - 1 && cmp(v, c, c + 1) == Ordering::Less {
                    c += 1;
                }
                if cmp(v, r, c) != Ordering::Less {
                    break;
                }
                v.swap(r, c);
                r = c;
            }
        };
        if n < 2 {
            return 0;
        }
        for i in (0..n / 2).rev() {
            sift(v, i, n, &mut cmp);
        }
        for i in (1..n).rev() {
            v.swap(0, i);
            sift(v, 0, i, &mut cmp);
        }
        comparisons
    }

    proptest! {
        /// The branch-free sift-down makes lib/sort.c's moves and counts its comparisons.
        #[test]
        fn matches_the_comparator_written_out(v in proptest::collection::vec(0u64..40, 0..400)) {
            let (mut a, mut b) = (v.clone(), v);
            prop_assert_eq!(v13_heap_sort(&mut a), reference_sort(&mut b));
            prop_assert_eq!(a, b);
        }

        /// With duplicates (many VMAs share one anon_vma or file), the result is non-decreasing,
        /// so duplicates are adjacent and mm_lock's skip-and-BUG_ON pass holds.
        #[test]
        fn sorts_with_duplicates_adjacent(mut v in proptest::collection::vec(0u64..20, 0..300)) {
            let mut want = v.clone();
            want.sort_unstable();
            let n = v.len() as u64;
            let c = v13_heap_sort(&mut v);
            prop_assert_eq!(&v, &want);
            // heap sort makes at most about 2 n log2 n comparisons
            let bound = 2 * n * (64 - n.leading_zeros() as u64) + 2;
            prop_assert!(c <= bound, "{} comparisons for {} elements", c, n);
            let mut last = None;
            for &x in &v {
                if Some(x) != last {
                    prop_assert!(last.is_none_or(|l| l < x), "BUG_ON(last > locks[i]) would fire");
                    last = Some(x);
                }
            }
        }
    }
}
