//! When a slot counts against the current run: the critical t, the
//! `min_effect` gate, and the two benchmark-level statistics built on them.

use super::slot::{Differences, SlotTest, t_critical};

/// Which benchmark-level statistic a permutation test evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Statistic {
    /// `Σ_s max(0, t_crit − t_s)` over gated slots (pybench's verdict).
    Severity,
    /// Number of flagged slots (discards magnitude; for comparison studies).
    Count,
}

/// The per-slot decision rule shared by the observed data and every
/// permutation.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Criterion {
    /// Lower-tail critical t at `alpha` (negative for `alpha < 0.5`).
    pub t_crit: f64,
    /// Minimum relative goodness drop for a slot to count, if any.
    pub min_effect: Option<f64>,
}

impl Criterion {
    /// The rule for `n` seeds at level `alpha`.
    pub fn new(alpha: f64, n_seeds: usize, min_effect: Option<f64>) -> Self {
        Criterion {
            t_crit: t_critical(alpha, n_seeds),
            min_effect,
        }
    }

    /// Whether a slot with this mean difference passes the `min_effect` gate
    /// (`mean / denominator < −min_effect`; always true without a gate).
    pub fn gate(&self, mean: f64, denominator: f64) -> bool {
        self.min_effect.is_none_or(|m| mean / denominator < -m)
    }

    /// A slot's contribution to the severity: `max(0, t_crit − t)` if gated.
    pub fn contribution(&self, mean: f64, t: f64, denominator: f64) -> f64 {
        if t < self.t_crit && self.gate(mean, denominator) {
            self.t_crit - t
        } else {
            0.0
        }
    }

    /// Whether a slot is flagged: `t < t_crit` and it passes the gate.
    pub fn flagged(&self, mean: f64, t: f64, denominator: f64) -> bool {
        t < self.t_crit && self.gate(mean, denominator)
    }

    /// A slot's term in `statistic` (its contribution, or 1 if flagged).
    pub fn term(&self, statistic: Statistic, mean: f64, t: f64, denominator: f64) -> f64 {
        match statistic {
            Statistic::Severity => self.contribution(mean, t, denominator),
            Statistic::Count => {
                if self.flagged(mean, t, denominator) {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }

    /// `statistic` of the observed data from its per-slot tests.
    pub fn evaluate(&self, statistic: Statistic, diffs: &Differences, tests: &[SlotTest]) -> f64 {
        tests
            .iter()
            .enumerate()
            .map(|(s, test)| self.term(statistic, test.mean, test.t, diffs.effect_denominator(s)))
            .fold(0.0, |acc, x| acc + x)
    }
}

/// The severity `T = Σ_s max(0, t_crit − t_s)` of the observed data.
pub fn severity(criterion: &Criterion, diffs: &Differences, tests: &[SlotTest]) -> f64 {
    criterion.evaluate(Statistic::Severity, diffs, tests)
}
