//! The data of a look: the first `n_k` seeds' differences.

use super::super::{Differences, StatsError};

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
