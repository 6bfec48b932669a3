//! The loss-curve sampler shared by the benchmark and the Monte-Carlo study.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `amp·exp(−step/tau) + floor + N(0, noise)`, plus an optional per-seed
/// offset `N(0, seed_sigma)` added to the whole curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Curve {
    pub amp: f64,
    pub tau: f64,
    pub floor: f64,
    pub noise: f64,
}

impl Default for Curve {
    fn default() -> Self {
        Curve {
            amp: 1.0,
            tau: 30.0,
            floor: 0.10,
            noise: 0.05,
        }
    }
}

impl Curve {
    /// The noiseless loss at `step`.
    pub fn mean(&self, step: i64) -> f64 {
        self.amp * (-(step as f64) / self.tau).exp() + self.floor
    }

    /// One seed's curve at `steps`. The same seed always gives the same curve.
    pub fn sample(&self, seed: u64, steps: &[i64], seed_sigma: f64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let offset = seed_sigma * standard_normal(&mut rng);
        steps
            .iter()
            .map(|&step| self.mean(step) + offset + self.noise * standard_normal(&mut rng))
            .collect()
    }
}

/// Box–Muller; one draw per call keeps the stream simple to reason about.
pub fn standard_normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A fixed, different seed for `seed` (splitmix64 finaliser).
pub fn remap_seed(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_is_deterministic_and_centred() {
        let c = Curve::default();
        assert_eq!(c.sample(5, &[1, 30], 0.0), c.sample(5, &[1, 30], 0.0));
        let n = 4000;
        let mean: f64 = (0..n).map(|s| c.sample(s, &[100], 0.0)[0]).sum::<f64>() / n as f64;
        assert!(
            (mean - c.mean(100)).abs() < 4.0 * 0.05 / (n as f64).sqrt(),
            "{mean}"
        );
        assert_ne!(remap_seed(1), 1);
    }
}
