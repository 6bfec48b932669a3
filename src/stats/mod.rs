//! Comparing a run against its baseline: per-slot one-sided paired t-tests
//! and a sign-flip permutation verdict on their severity.
//!
//! [`compare`] is the whole procedure. Its pieces are public too, so that
//! studies of the method (e.g. Monte-Carlo error rates) run the engine's own
//! code: [`Differences`], [`slot_test`], [`Criterion`], [`severity`],
//! [`meta_p`] with a chosen [`Statistic`].

pub mod binomial;
mod criterion;
pub mod family;
pub mod mde;
mod mirror;
mod nct;
pub mod numeric;
mod permute;
pub mod refine;
pub mod sequential;
pub mod signs;
mod slot;

pub use criterion::{Criterion, Statistic, severity};
pub use family::{Decision, Family, FamilyDecisions, FamilyError, Reachability, adjust};
pub use mde::Mde;
pub use mirror::{Mirror, mirror, mirror_of};
pub use permute::{MetaP, N_PERMUTATIONS, PermutationOptions, TIE_RTOL, meta_p, statistics};
pub use sequential::{
    LookDecision, LookResult, SequentialError, SequentialOutcome, SequentialPlan, SequentialTest,
    SequentialVerdict, Spending, Step, judge_sequential,
};
pub use signs::{enumerate as enumerate_patterns, permutation_seed, sample as sample_patterns};
pub use slot::{
    DEGENERATE_RTOL, DEGENERATE_T, Differences, EFFECT_FLOOR, SlotTest, is_degenerate, slot_test,
    t_critical,
};

use crate::scores::{ScoreTable, SlotKey};
use crate::settings::compact;

/// Settings of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CompareOptions {
    /// Significance level, per slot and for the verdict, in (0, 1).
    pub alpha: f64,
    /// Minimum relative goodness drop for a slot to count, if any (≥ 0).
    pub min_effect: Option<f64>,
}

/// One slot's comparison. Means and sds are of the raw values.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SlotResult {
    /// The slot (step, metric).
    pub slot: SlotKey,
    /// Mean of the baseline's raw values.
    pub baseline_mean: f64,
    /// Standard deviation (ddof = 1) of the baseline's raw values.
    pub baseline_std: f64,
    /// Mean of the current raw values.
    pub current_mean: f64,
    /// Standard deviation (ddof = 1) of the current raw values.
    pub current_std: f64,
    /// Relative goodness change `mean(d) / max(|mean(g_base)|, 1e-9)`.
    pub effect: f64,
    /// `|mean(g_base)| < 1e-9`: the effect's denominator is the floor.
    pub effect_unreliable: bool,
    /// The paired t (±1e9 or 0 for a degenerate slot, as in the severity).
    pub t: f64,
    /// One-sided lower-tail p of the paired t-test.
    pub p: f64,
    /// `t < t_crit` and, with `min_effect`, `effect < −min_effect`.
    pub flagged: bool,
}

/// A benchmark's comparison and verdict.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Comparison {
    /// Per-slot results, sorted by (step, metric).
    pub slots: Vec<SlotResult>,
    /// Observed severity `Σ max(0, t_crit − t_s)` over gated slots.
    pub severity: f64,
    /// Sign-flip permutation p of the severity.
    pub meta_p: f64,
    /// Whether every sign pattern was enumerated (meta_p is then exact).
    pub exact: bool,
    /// Sign patterns evaluated.
    pub n_permutations: usize,
    /// Significance level used.
    pub alpha: f64,
    /// `min_effect` used.
    pub min_effect: Option<f64>,
    /// Seeds per run.
    pub n_seeds: usize,
}

impl Comparison {
    /// PASS: `meta_p ≥ alpha`.
    pub fn passed(&self) -> bool {
        self.meta_p >= self.alpha
    }

    /// Number of flagged slots.
    pub fn n_flagged(&self) -> usize {
        self.slots.iter().filter(|s| s.flagged).count()
    }
}

/// Why two runs cannot be compared.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// The two runs have different numbers of seeds.
    #[error("the baseline has {baseline} seeds but the current run has {current}")]
    SeedCountMismatch { baseline: usize, current: usize },
    /// The two runs have different (step, metric) slots, or none.
    #[error("slots differ from the baseline's: {0}")]
    SlotsDiffer(String),
    /// Fewer than 2 seeds: no standard deviation.
    #[error("n_seeds={n} is too few to compare: at least 2 are needed")]
    TooFewSeeds { n: usize },
    /// `2^n ≤ 1/alpha`: even the most extreme data could not FAIL.
    #[error(
        "alpha={} can never flag a regression with n_seeds={n}: the smallest n_seeds that can is {}",
        compact(*.alpha),
        family::seeds_for_threshold(*.alpha)
    )]
    UnreachableAlpha { alpha: f64, n: usize },
    /// `alpha` outside (0, 1).
    #[error("alpha={} is not a probability in (0, 1)", compact(*.0))]
    InvalidAlpha(f64),
    /// `min_effect` negative or not finite.
    #[error("min_effect={} must be a finite number ≥ 0", compact(*.0))]
    InvalidMinEffect(f64),
}

/// Refuse an `alpha` that `n` seeds can never reach: the smallest
/// attainable meta-p is `1/2^n`, so `2^n ≤ 1/alpha` could never FAIL.
pub fn check_reachable(alpha: f64, n: usize) -> Result<(), StatsError> {
    // `alpha · 2^n` is exact in floating point.
    if n < 1024 && alpha * (n as f64).exp2() <= 1.0 {
        return Err(StatsError::UnreachableAlpha { alpha, n });
    }
    Ok(())
}

/// Compare `current` against `baseline` (same seeds, in the same order).
///
/// `bench` and `seeds` only seed the permutation RNG, so that the same
/// inputs always give the same meta-p.
pub fn compare(
    bench: &str,
    seeds: &[u64],
    baseline: &ScoreTable,
    current: &ScoreTable,
    opts: &CompareOptions,
) -> Result<Comparison, StatsError> {
    compare_mirrored(bench, seeds, baseline, current, opts, false).map(|(comparison, _)| comparison)
}

/// [`compare`], and with `mirrored` the [`mirror`] test of the same tables,
/// their permutations run in one pass (the same patterns serve both): the
/// same numbers as the two calls, in about the time of one.
pub fn compare_mirrored(
    bench: &str,
    seeds: &[u64],
    baseline: &ScoreTable,
    current: &ScoreTable,
    opts: &CompareOptions,
    mirrored: bool,
) -> Result<(Comparison, Option<Mirror>), StatsError> {
    let alpha = opts.alpha;
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(StatsError::InvalidAlpha(alpha));
    }
    if let Some(m) = opts.min_effect
        && !(m.is_finite() && m >= 0.0)
    {
        return Err(StatsError::InvalidMinEffect(m));
    }
    let diffs = Differences::from_tables(baseline, current)?;
    let n = diffs.n_seeds();
    check_reachable(alpha, n)?;
    let criterion = Criterion::new(alpha, n, opts.min_effect);
    let tests: Vec<SlotTest> = (0..diffs.n_slots())
        .map(|s| slot_test(diffs.column(s)))
        .collect();
    let options = PermutationOptions {
        statistic: Statistic::Severity,
        n_permutations: N_PERMUTATIONS,
        rng_seed: permutation_seed(bench, seeds),
    };
    let (meta, mirror) = if mirrored {
        let (meta, mirror_meta) = permute::meta_p_mirrored(&diffs, &criterion, &options);
        let negated = mirror::negate(&diffs)?;
        let mirror = mirror::mirror_with(&negated, &criterion, mirror_meta.p);
        (meta, Some(mirror))
    } else {
        (meta_p(&diffs, &criterion, &options), None)
    };
    let slots = baseline
        .slots()
        .iter()
        .zip(&tests)
        .enumerate()
        .map(|(s, (slot, test))| {
            let base = baseline.column(s);
            let cur = current.column(s);
            let baseline_mean = numeric::mean(base);
            let current_mean = numeric::mean(cur);
            let denominator = diffs.effect_denominator(s);
            SlotResult {
                slot: slot.clone(),
                baseline_mean,
                baseline_std: numeric::std_ddof1_around(base, baseline_mean),
                current_mean,
                current_std: numeric::std_ddof1_around(cur, current_mean),
                effect: test.mean / denominator,
                effect_unreliable: diffs.baseline_mean(s).abs() < EFFECT_FLOOR,
                t: test.t,
                p: test.p,
                flagged: criterion.flagged(test.mean, test.t, denominator),
            }
        })
        .collect();
    let comparison = Comparison {
        slots,
        severity: severity(&criterion, &diffs, &tests),
        meta_p: meta.p,
        exact: meta.exact,
        n_permutations: meta.n_permutations,
        alpha,
        min_effect: opts.min_effect,
        n_seeds: n,
    };
    Ok((comparison, mirror))
}
