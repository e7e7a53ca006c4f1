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

/// A stable 64-bit hasher for whole model states: the same state hashes the same on every host
/// and with every Rust release (std's hasher promises neither).
#[derive(Clone, Copy, Debug)]
pub struct StateHasher(u64);

impl Default for StateHasher {
    fn default() -> Self {
        StateHasher(0xbb67_ae85_84ca_a73b)
    }
}

impl std::hash::Hasher for StateHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.write_u64(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.0 = fmix64(self.0.rotate_left(29) ^ x).wrapping_add(0x9e37_79b9_7f4a_7c15);
    }

    #[inline]
    fn write_u32(&mut self, x: u32) {
        self.write_u64(x as u64 | 1 << 40);
    }

    #[inline]
    fn write_u8(&mut self, x: u8) {
        self.write_u64(x as u64 | 1 << 48);
    }

    #[inline]
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64 | 1 << 56);
    }

    fn finish(&self) -> u64 {
        fmix64(self.0)
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
