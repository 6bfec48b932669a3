//! The four regression tests compared by the study. The two sign-flip tests
//! are pybench's own engine ([`meta_p`] with [`Statistic::Count`] or
//! [`Statistic::Severity`]); the two classical tests use its per-slot t-test.

use pybench_cli::stats::{
    Criterion, Differences, PermutationOptions, Statistic, meta_p, slot_test,
};
use statrs::distribution::{Binomial, DiscreteCDF};

/// The tests, in table order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Test {
    /// Every (seed, step) difference pooled as independent, one-sided t.
    GlobalT,
    /// Per-slot one-sided t, then a binomial test of the significant count.
    Binomial,
    /// Sign-flip permutation of the number of flagged slots.
    SignFlipCount,
    /// Sign-flip permutation of the severity: pybench's verdict.
    SignFlipSeverity,
}

/// All four, in table order.
pub const TESTS: [Test; 4] = [
    Test::GlobalT,
    Test::Binomial,
    Test::SignFlipCount,
    Test::SignFlipSeverity,
];

impl Test {
    /// The row label of the Markdown table.
    pub fn label(self) -> &'static str {
        match self {
            Test::GlobalT => "global t-test (seed×step)",
            Test::Binomial => "per-step t + binomial",
            Test::SignFlipCount => "sign-flip on count",
            Test::SignFlipSeverity => "sign-flip on severity (pybench)",
        }
    }

    /// The key in JSON.
    pub fn key(self) -> &'static str {
        match self {
            Test::GlobalT => "global_t",
            Test::Binomial => "per_step_binomial",
            Test::SignFlipCount => "sign_flip_count",
            Test::SignFlipSeverity => "sign_flip_severity",
        }
    }
}

/// How the tests are run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TestSettings {
    /// Level of every test, and of each slot's t-test.
    pub alpha: f64,
    /// Sign patterns: enumerated if `2^n` is at most this, else drawn.
    pub n_permutations: usize,
}

/// Whether each test, in [`TESTS`] order, reports a regression.
pub fn verdicts(diffs: &Differences, settings: &TestSettings, rng_seed: u64) -> [bool; 4] {
    let alpha = settings.alpha;
    let n = diffs.n_seeds();
    let pooled: Vec<f64> = (0..diffs.n_slots())
        .flat_map(|s| diffs.column(s).iter().copied())
        .collect();
    let global = slot_test(&pooled).p < alpha;
    let significant = (0..diffs.n_slots())
        .filter(|&s| slot_test(diffs.column(s)).p < alpha)
        .count();
    let binomial = binomial_upper_tail(significant, diffs.n_slots(), alpha) < alpha;
    let criterion = Criterion::new(alpha, n, None);
    let sign_flip = |statistic| {
        let options = PermutationOptions {
            statistic,
            n_permutations: settings.n_permutations,
            rng_seed,
        };
        meta_p(diffs, &criterion, &options).p < alpha
    };
    [
        global,
        binomial,
        sign_flip(Statistic::Count),
        sign_flip(Statistic::Severity),
    ]
}

/// `P(X ≥ k)` for `X ~ Binomial(n, p)`: the one-sided binomial test's p.
pub fn binomial_upper_tail(k: usize, n: usize, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    let binomial = Binomial::new(p, n as u64).expect("p in [0, 1]");
    // sf(k − 1) = P(X > k − 1) = P(X ≥ k).
    binomial.sf(k as u64 - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_tail_matches_scipy() {
        // scipy.stats.binom.sf(k - 1, n, p)
        assert_eq!(binomial_upper_tail(0, 100, 0.05), 1.0);
        assert!((binomial_upper_tail(1, 100, 0.05) - (1.0 - 0.95f64.powi(100))).abs() < 1e-12);
        // binom.sf(9, 100, 0.05) = 0.028188294163416...
        assert!((binomial_upper_tail(10, 100, 0.05) - 0.028188294163416).abs() < 1e-9);
    }
}
