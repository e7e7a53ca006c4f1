//! Random streams: one ChaCha8 stream per (point seed, entity), raw `u64`s, our own transforms.
//!
//! Only the raw ChaCha8 stream from a 32-byte seed is stable across platforms and crate releases,
//! so the seed expansion, the integer ranges and the exponential (a ziggurat whose tables come
//! from the pure-Rust `libm`) are all written here.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use std::sync::OnceLock;

/// What a stream belongs to. Streams of different entities never share draws, so adding a
/// process does not shift another's numbers, and two strategies at one point see the same draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entity {
    pub domain: u64,
    pub a: u64,
    pub b: u64,
}

impl Entity {
    pub const fn new(domain: u64, a: u64, b: u64) -> Entity {
        Entity { domain, a, b }
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The 32-byte ChaCha seed of an entity's stream at a point seed: a fixed mixer, never changed.
pub fn derive_seed(point_seed: u64, entity: Entity) -> [u8; 32] {
    let mut state = point_seed;
    for word in [entity.domain, entity.a, entity.b] {
        state = splitmix64(&mut state) ^ word;
    }
    let mut seed = [0u8; 32];
    for chunk in seed.chunks_exact_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    seed
}

pub struct Stream {
    rng: ChaCha8Rng,
}

/// A stream's state is its seed and how far it has been read.
impl std::hash::Hash for Stream {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.rng.get_seed().hash(h);
        self.rng.get_stream().hash(h);
        self.rng.get_word_pos().hash(h);
    }
}

impl Stream {
    pub fn new(point_seed: u64, entity: Entity) -> Stream {
        Stream { rng: ChaCha8Rng::from_seed(derive_seed(point_seed, entity)) }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// Uniform in `0..n` (n > 0), without bias: Lemire's multiply-and-reject.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0) has no value");
        let mut m = (self.next_u64() as u128) * (n as u128);
        if (m as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = (self.next_u64() as u128) * (n as u128);
            }
        }
        (m >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        match (hi - lo).checked_add(1) {
            Some(span) => lo + self.below(span),
            None => self.next_u64(),
        }
    }

    /// A float in `[0, 1)` with 53 random bits.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Exponential with mean 1 (Marsaglia–Tsang ziggurat, 256 layers).
    #[inline]
    pub fn exp1(&mut self) -> f64 {
        let z = ziggurat();
        let u = self.next_u64();
        let iz = (u >> 56) as usize;
        let jz = u as u32;
        if jz < z.k[iz] {
            return jz as f64 * z.w[iz];
        }
        self.exp1_tail(iz, jz)
    }

    #[cold]
    fn exp1_tail(&mut self, mut iz: usize, mut jz: u32) -> f64 {
        let z = ziggurat();
        loop {
            if iz == 0 {
                return ZIG_R - libm::log(1.0 - self.unit());
            }
            let x = jz as f64 * z.w[iz];
            if z.f[iz] + self.unit() * (z.f[iz - 1] - z.f[iz]) < libm::exp(-x) {
                return x;
            }
            let u = self.next_u64();
            iz = (u >> 56) as usize;
            jz = u as u32;
            if jz < z.k[iz] {
                return jz as f64 * z.w[iz];
            }
        }
    }

    /// Exponential with the given mean, rounded to the nearest integer (nanoseconds, counts).
    #[inline]
    pub fn exp(&mut self, mean: u64) -> u64 {
        let x = self.exp1() * mean as f64 + 0.5;
        if x >= u64::MAX as f64 {
            u64::MAX
        } else {
            x as u64
        }
    }
}

const ZIG_R: f64 = 7.697_117_470_131_05;

struct Ziggurat {
    k: [u32; 256],
    w: [f64; 256],
    f: [f64; 256],
}

fn ziggurat() -> &'static Ziggurat {
    static TABLES: OnceLock<Ziggurat> = OnceLock::new();
    TABLES.get_or_init(|| {
        let m = 4_294_967_296.0f64;
        let v = 3.949_659_822_581_572e-3;
        let mut de = ZIG_R;
        let mut te = de;
        let q = v / libm::exp(-de);
        let mut z = Ziggurat { k: [0; 256], w: [0.0; 256], f: [0.0; 256] };
        z.k[0] = ((de / q) * m) as u32;
        z.k[1] = 0;
        z.w[0] = q / m;
        z.w[255] = de / m;
        z.f[0] = 1.0;
        z.f[255] = libm::exp(-de);
        for i in (1..=254).rev() {
            de = -libm::log(v / de + libm::exp(-de));
            z.k[i + 1] = ((de / te) * m) as u32;
            te = de;
            z.f[i] = libm::exp(-de);
            z.w[i] = de / m;
        }
        z
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chacha8_raw_stream_is_the_published_one() {
        let mut rng = ChaCha8Rng::from_seed([7; 32]);
        assert_eq!(rng.next_u64(), 0x391e_bc3f_59cb_d0e4);
        assert_eq!(rng.next_u64(), 0xd4f5_378b_da81_43e6);
    }

    #[test]
    fn derived_streams_are_pinned() {
        let mut s = Stream::new(1, Entity::new(2, 3, 4));
        let first = s.next_u64();
        let mut again = Stream::new(1, Entity::new(2, 3, 4));
        assert_eq!(first, again.next_u64());
        let mut other = Stream::new(1, Entity::new(2, 3, 5));
        assert_ne!(first, other.next_u64());
    }

    #[test]
    fn exponential_has_mean_one() {
        let mut s = Stream::new(9, Entity::new(0, 0, 0));
        let n = 400_000;
        let sum: f64 = (0..n).map(|_| s.exp1()).sum();
        let mean = sum / n as f64;
        assert!((mean - 1.0).abs() < 0.01, "mean {mean}");
        let tail = (0..n).filter(|_| s.exp1() > 3.0).count() as f64 / n as f64;
        assert!((tail - libm::exp(-3.0)).abs() < 0.003, "P(X>3) = {tail}");
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut s = Stream::new(5, Entity::new(1, 1, 1));
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            seen[s.below(7) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800), "{seen:?}");
        assert_eq!(s.between(3, 3), 3);
    }
}
