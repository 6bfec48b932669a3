//! The paired differences and each slot's one-sided paired t-test.

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::StatsError;
use super::numeric;
use crate::scores::ScoreTable;

/// A slot's differences count as constant (the slot is *degenerate*) when
/// their standard deviation is at most this fraction of their root mean
/// square: `sd(d) ≤ 1e-12 · sqrt(Σd²/n)`, i.e. the differences agree to about
/// 12 significant digits (`|t| ≳ 1e12·√n`), or are all zero. A ratio of two
/// quantities in the units of `d`, so the rule does not depend on the
/// metric's scale; see [`is_degenerate`].
pub const DEGENERATE_RTOL: f64 = 1e-12;

/// The t value a degenerate slot with a negative (positive) mean difference
/// contributes to the severity: far past any critical value.
pub const DEGENERATE_T: f64 = 1e9;

/// Floor of the effect's denominator, and the threshold below which the
/// baseline mean is too close to zero for the effect to be reliable.
pub const EFFECT_FLOOR: f64 = 1e-9;

/// Goodness differences `d[s][i] = g_cur − g_base`, one contiguous column per
/// slot (seed order), plus each slot's baseline goodness mean.
#[derive(Debug, Clone, PartialEq)]
pub struct Differences {
    n_seeds: usize,
    columns: Vec<Vec<f64>>,
    baseline_means: Vec<f64>,
}

impl Differences {
    /// Goodness differences of two tables with the same slots and seeds.
    pub fn from_tables(baseline: &ScoreTable, current: &ScoreTable) -> Result<Self, StatsError> {
        if baseline.n_seeds() != current.n_seeds() {
            return Err(StatsError::SeedCountMismatch {
                baseline: baseline.n_seeds(),
                current: current.n_seeds(),
            });
        }
        Self::from_prefix(baseline, current)
    }

    /// Goodness differences of `current`'s seeds against the first as many
    /// of `baseline`'s (same slots); each slot's baseline mean is over all of
    /// `baseline`'s seeds, so an adaptive look's last look is exactly the
    /// fixed design's comparison.
    pub fn from_prefix(baseline: &ScoreTable, current: &ScoreTable) -> Result<Self, StatsError> {
        let n = current.n_seeds();
        if n > baseline.n_seeds() {
            return Err(StatsError::SeedCountMismatch {
                baseline: baseline.n_seeds(),
                current: n,
            });
        }
        if let Some(detail) = baseline.slot_difference(current) {
            return Err(StatsError::SlotsDiffer(detail));
        }
        let mut columns = Vec::with_capacity(baseline.slots().len());
        let mut baseline_means = Vec::with_capacity(baseline.slots().len());
        for (s, slot) in baseline.slots().iter().enumerate() {
            let base: Vec<f64> = baseline
                .column(s)
                .iter()
                .map(|&v| slot.goodness(v))
                .collect();
            let column = current
                .column(s)
                .iter()
                .zip(&base)
                .map(|(&c, &b)| slot.goodness(c) - b)
                .collect();
            baseline_means.push(numeric::mean(&base));
            columns.push(column);
        }
        Self::new(n, columns, baseline_means)
    }

    /// Differences given directly: `columns[s][i]`, and each slot's baseline
    /// goodness mean (the effect's denominator).
    pub fn new(
        n_seeds: usize,
        columns: Vec<Vec<f64>>,
        baseline_means: Vec<f64>,
    ) -> Result<Self, StatsError> {
        if n_seeds < 2 {
            return Err(StatsError::TooFewSeeds { n: n_seeds });
        }
        if columns.is_empty() {
            return Err(StatsError::SlotsDiffer(
                "there are no slots to compare".into(),
            ));
        }
        if columns.len() != baseline_means.len() {
            return Err(StatsError::SlotsDiffer(format!(
                "{} difference columns but {} baseline means",
                columns.len(),
                baseline_means.len()
            )));
        }
        if let Some(c) = columns.iter().find(|c| c.len() != n_seeds) {
            return Err(StatsError::SeedCountMismatch {
                baseline: n_seeds,
                current: c.len(),
            });
        }
        Ok(Differences {
            n_seeds,
            columns,
            baseline_means,
        })
    }

    /// Number of seeds (rows).
    pub fn n_seeds(&self) -> usize {
        self.n_seeds
    }

    /// Number of slots (columns).
    pub fn n_slots(&self) -> usize {
        self.columns.len()
    }

    /// Slot `s`'s differences, one per seed.
    pub fn column(&self, s: usize) -> &[f64] {
        &self.columns[s]
    }

    /// Slot `s`'s baseline goodness mean.
    pub fn baseline_mean(&self, s: usize) -> f64 {
        self.baseline_means[s]
    }

    /// Slot `s`'s effect denominator, `max(|mean(g_base)|, 1e-9)`.
    pub fn effect_denominator(&self, s: usize) -> f64 {
        self.baseline_means[s].abs().max(EFFECT_FLOOR)
    }
}

/// One slot's paired t-test on its differences.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SlotTest {
    /// Mean difference (goodness).
    pub mean: f64,
    /// Standard deviation of the differences, ddof = 1.
    pub sd: f64,
    /// `mean / (sd/√n)`, or ±1e9 / 0 by the mean's sign when degenerate.
    pub t: f64,
    /// One-sided lower-tail p; 0 or 1 by the mean's sign when degenerate.
    pub p: f64,
    /// `sd ≤ 1e-12 · rms(d)`: the differences are constant.
    pub degenerate: bool,
}

/// The degenerate rule: `sd ≤ DEGENERATE_RTOL · rms`, with the sd and the
/// root mean square `sqrt(Σd²/n)` of the same differences in the same
/// (power-of-two) scale. All-zero differences (`0 ≤ 0`) are degenerate.
pub fn is_degenerate(sd: f64, rms: f64) -> bool {
    sd <= DEGENERATE_RTOL * rms
}

/// The t value a slot uses given its mean, sd and rms (all in one scale),
/// degenerate rule included.
pub fn t_value(mean: f64, sd: f64, rms: f64, n: usize) -> f64 {
    if is_degenerate(sd, rms) {
        degenerate_t(mean)
    } else {
        mean / (sd / (n as f64).sqrt())
    }
}

/// ±1e9 or 0 by the sign of a degenerate slot's mean.
pub fn degenerate_t(mean: f64) -> f64 {
    if mean < 0.0 {
        -DEGENERATE_T
    } else if mean > 0.0 {
        DEGENERATE_T
    } else {
        0.0
    }
}

/// The Student-t distribution with `n − 1` degrees of freedom.
pub fn students_t(n: usize) -> StudentsT {
    StudentsT::new(0.0, 1.0, n as f64 - 1.0).expect("n >= 2 gives a valid Student-t")
}

/// One-sided paired t-test (`H1: mean < 0`) of one slot's differences.
///
/// The differences are first divided by their [`numeric::pow2_scale`]
/// (exact), so that neither `Σd²` nor the sd over- or underflows at any
/// scale; t, p and the degenerate rule are computed on the scaled values
/// (the same digits as unscaled ones wherever those do not overflow), and
/// the mean and sd are scaled back.
pub fn slot_test(d: &[f64]) -> SlotTest {
    let n = d.len();
    let (sum_sq, scale) = numeric::scaled_sum_of_squares(d);
    let scaled: Vec<f64> = d.iter().map(|x| x / scale).collect();
    let mean = numeric::mean(&scaled);
    let sd = numeric::std_ddof1_around(&scaled, mean);
    let rms = (sum_sq / n as f64).sqrt();
    let degenerate = is_degenerate(sd, rms);
    let t = t_value(mean, sd, rms, n);
    let p = if degenerate {
        if mean < 0.0 { 0.0 } else { 1.0 }
    } else {
        students_t(n).cdf(t)
    };
    SlotTest {
        mean: mean * scale,
        sd: sd * scale,
        t,
        p,
        degenerate,
    }
}

/// The lower-tail critical t at level `alpha` with `n − 1` degrees of freedom.
pub fn t_critical(alpha: f64, n: usize) -> f64 {
    students_t(n).inverse_cdf(alpha)
}
