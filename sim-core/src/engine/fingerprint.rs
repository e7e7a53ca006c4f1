//! A running hash of every event a point processes: equal fingerprints mean identical runs.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint(0x6a09_e667_f3bc_c908)
    }
}

#[inline]
fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

impl Fingerprint {
    /// Folds one event in: its time, its kind and the entity it concerns.
    #[inline]
    pub fn mix(&mut self, time_ns: u64, kind: u8, entity: u32) {
        let word = ((kind as u64) << 32) | entity as u64;
        self.0 = fmix64(self.0.rotate_left(23) ^ time_ns).wrapping_add(word.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    }

    pub fn value(self) -> u64 {
        self.0
    }

    pub fn hex(self) -> String {
        format!("{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_content_both_matter() {
        let mut a = Fingerprint::default();
        a.mix(1, 1, 1);
        a.mix(2, 1, 1);
        let mut b = Fingerprint::default();
        b.mix(2, 1, 1);
        b.mix(1, 1, 1);
        assert_ne!(a, b);
        let mut c = Fingerprint::default();
        c.mix(1, 1, 1);
        c.mix(2, 1, 2);
        assert_ne!(a, c);
    }
}
