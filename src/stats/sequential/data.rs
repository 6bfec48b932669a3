//! The data of a look: the first `n_k` seeds' differences.

use super::super::{Differences, StatsError, numeric};
use crate::scores::ScoreTable;

/// Whether `new` starts with `old`'s seeds (bit for bit) and has its slots.
pub(super) fn extends(new: &Differences, old: &Differences) -> bool {
    new.n_slots() == old.n_slots()
        && (0..old.n_slots()).all(|s| {
            new.baseline_mean(s).to_bits() == old.baseline_mean(s).to_bits()
                && new.column(s)[..old.n_seeds()]
                    .iter()
                    .zip(old.column(s))
                    .all(|(a, b)| a.to_bits() == b.to_bits())
        })
}

/// The first `n` seeds of `diffs`, keeping its baseline means.
pub fn prefix(diffs: &Differences, n: usize) -> Result<Differences, StatsError> {
    if n > diffs.n_seeds() {
        return Err(StatsError::SeedCountMismatch {
            baseline: diffs.n_seeds(),
            current: n,
        });
    }
    Differences::new(
        n,
        (0..diffs.n_slots())
            .map(|s| diffs.column(s)[..n].to_vec())
            .collect(),
        (0..diffs.n_slots())
            .map(|s| diffs.baseline_mean(s))
            .collect(),
    )
}

/// The differences of a look: `current` holds the first `n_k` seeds
/// (stored order), `baseline` all stored seeds. The `min_effect` gate's
/// denominator is the *whole* baseline's mean at every look: the baseline
/// is complete, only the current run grows (so the last look is exactly
/// the fixed design's comparison).
pub fn look_differences(
    baseline: &ScoreTable,
    current: &ScoreTable,
) -> Result<Differences, StatsError> {
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
    let mut means = Vec::with_capacity(baseline.slots().len());
    for (s, slot) in baseline.slots().iter().enumerate() {
        let base: Vec<f64> = baseline
            .column(s)
            .iter()
            .map(|&v| slot.goodness(v))
            .collect();
        columns.push(
            current
                .column(s)
                .iter()
                .zip(&base)
                .map(|(&c, &b)| slot.goodness(c) - b)
                .collect(),
        );
        means.push(numeric::mean(&base));
    }
    Differences::new(n, columns, means)
}
