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
        self.sample_with(&mut rng, steps, seed_sigma, Noise::Normal, 0.0)
    }

    /// One curve drawn from `rng`: a per-curve offset `seed_sigma·ε₀` plus
    /// `noise·e_t` per step, where `e_t = φ·e_{t−1} + √(1−φ²)·ε_t` (AR(1)
    /// across the listed steps, unit variance) and every `ε` is a standard
    /// draw of `shape`. With `Normal` and `φ = 0` this is [`Curve::sample`].
    pub fn sample_with(
        &self,
        rng: &mut impl Rng,
        steps: &[i64],
        seed_sigma: f64,
        shape: Noise,
        phi: f64,
    ) -> Vec<f64> {
        let offset = seed_sigma * shape.draw(rng);
        let innovation = (1.0 - phi * phi).sqrt();
        let mut e = 0.0;
        steps
            .iter()
            .enumerate()
            .map(|(k, &step)| {
                let eps = shape.draw(rng);
                e = if k == 0 {
                    eps
                } else {
                    phi * e + innovation * eps
                };
                self.mean(step) + offset + self.noise * e
            })
            .collect()
    }
}

/// The shape of a noise draw; every shape has mean 0 and variance 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Noise {
    /// Standard normal.
    Normal,
    /// Student-t with 3 degrees of freedom, scaled by `1/√3` (infinite
    /// fourth moment: rare, very large values).
    StudentT3,
    /// `Exp(1) − 1`: right-skewed (skewness 2), like a loss whose bad runs
    /// are much worse than its good runs are better.
    Skewed,
}

impl Noise {
    /// One draw with mean 0 and variance 1.
    pub fn draw(self, rng: &mut impl Rng) -> f64 {
        match self {
            Noise::Normal => standard_normal(rng),
            Noise::StudentT3 => {
                let z = standard_normal(rng);
                let chi2: f64 = (0..3).map(|_| standard_normal(rng).powi(2)).sum();
                z / (chi2 / 3.0).sqrt() / 3f64.sqrt()
            }
            Noise::Skewed => -(1.0 - rng.random::<f64>()).ln() - 1.0,
        }
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

    #[test]
    fn noise_shapes_are_standardised() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let n = 200_000;
        for shape in [Noise::Normal, Noise::StudentT3, Noise::Skewed] {
            let x: Vec<f64> = (0..n).map(|_| shape.draw(&mut rng)).collect();
            let mean = x.iter().sum::<f64>() / n as f64;
            let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
            assert!(mean.abs() < 0.02, "{shape:?} mean {mean}");
            // The t(3) variance estimate converges slowly (infinite kurtosis).
            assert!((var - 1.0).abs() < 0.15, "{shape:?} var {var}");
        }
    }

    #[test]
    fn ar1_with_phi_zero_is_the_plain_sampler() {
        let c = Curve::default();
        let steps: Vec<i64> = (1..=20).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let a = c.sample_with(&mut rng, &steps, 0.05, Noise::Normal, 0.0);
        assert_eq!(a, c.sample(3, &steps, 0.05));
    }
}
