//! The mirror test: the same severity permutation test on `−d`, to report a
//! significant *improvement* with the same criterion that flags regressions.
//!
//! It never changes a verdict or the exit code; it only lets a PASS say
//! `(improved)` and a slot say `improved`.

use super::{
    Criterion, Differences, N_PERMUTATIONS, PermutationOptions, Statistic, StatsError, meta_p,
    permutation_seed, slot_test,
};
use crate::scores::ScoreTable;

/// The mirror test's outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Mirror {
    /// Sign-flip permutation p of the severity of `−d`.
    pub meta_p: f64,
    /// Observed severity of `−d`.
    pub severity: f64,
    /// Per slot (sorted like the comparison): flagged on `−d`, i.e. a
    /// significant improvement (passing the `min_effect` gate on `−d`).
    pub flagged: Vec<bool>,
}

impl Mirror {
    /// A significant improvement: `meta_p < alpha`.
    pub fn improved(&self, alpha: f64) -> bool {
        self.meta_p < alpha
    }
}

/// The mirror of [`super::compare`]: the same slot tests, criterion and
/// permutation stream, applied to the negated differences.
pub fn mirror(
    bench: &str,
    seeds: &[u64],
    baseline: &ScoreTable,
    current: &ScoreTable,
    alpha: f64,
    min_effect: Option<f64>,
) -> Result<Mirror, StatsError> {
    let diffs = Differences::from_tables(baseline, current)?;
    mirror_of(&diffs, alpha, min_effect, permutation_seed(bench, seeds))
}

/// The mirror test of given differences (`diffs` is `g_cur − g_base`).
pub fn mirror_of(
    diffs: &Differences,
    alpha: f64,
    min_effect: Option<f64>,
    rng_seed: u64,
) -> Result<Mirror, StatsError> {
    let negated = negate(diffs)?;
    let criterion = Criterion::new(alpha, negated.n_seeds(), min_effect);
    let meta = meta_p(
        &negated,
        &criterion,
        &PermutationOptions {
            statistic: Statistic::Severity,
            n_permutations: N_PERMUTATIONS,
            rng_seed,
        },
    );
    Ok(mirror_with(&negated, &criterion, meta.p))
}

/// `−diffs`, with the same baseline means.
pub(super) fn negate(diffs: &Differences) -> Result<Differences, StatsError> {
    Differences::new(
        diffs.n_seeds(),
        (0..diffs.n_slots())
            .map(|s| diffs.column(s).iter().map(|d| -d).collect())
            .collect(),
        (0..diffs.n_slots())
            .map(|s| diffs.baseline_mean(s))
            .collect(),
    )
}

/// The mirror test's outcome on `negated` given its meta-p.
pub(super) fn mirror_with(negated: &Differences, criterion: &Criterion, meta_p: f64) -> Mirror {
    let tests: Vec<_> = (0..negated.n_slots())
        .map(|s| slot_test(negated.column(s)))
        .collect();
    let flagged = tests
        .iter()
        .enumerate()
        .map(|(s, t)| criterion.flagged(t.mean, t.t, negated.effect_denominator(s)))
        .collect();
    Mirror {
        meta_p,
        severity: super::severity(criterion, negated, &tests),
        flagged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scores::SlotKey;

    fn table(values: Vec<f64>) -> ScoreTable {
        ScoreTable::new(vec![SlotKey::new(0, "score")], vec![values]).unwrap()
    }

    #[test]
    fn a_uniform_gain_is_an_improvement_and_a_loss_is_not() {
        let base: Vec<f64> = (0..12).map(|i| 0.5 + 0.01 * (i % 5) as f64).collect();
        let better: Vec<f64> = base
            .iter()
            .enumerate()
            .map(|(i, v)| v + 0.1 + 0.001 * i as f64)
            .collect();
        let worse: Vec<f64> = base
            .iter()
            .enumerate()
            .map(|(i, v)| v - 0.1 - 0.001 * i as f64)
            .collect();
        let seeds: Vec<u64> = (0..12).collect();
        let up = mirror(
            "b",
            &seeds,
            &table(base.clone()),
            &table(better),
            0.05,
            None,
        )
        .unwrap();
        assert!(up.improved(0.05) && up.flagged == [true], "{up:?}");
        let down = mirror("b", &seeds, &table(base.clone()), &table(worse), 0.05, None).unwrap();
        assert!(!down.improved(0.05) && down.flagged == [false], "{down:?}");
        let same = mirror("b", &seeds, &table(base.clone()), &table(base), 0.05, None).unwrap();
        assert!(!same.improved(0.05), "{same:?}");
    }

    /// The one-pass compare + mirror gives, bit for bit, what the two
    /// calls give: sampled and enumerated patterns, gains, losses, zero and
    /// constant differences (the degenerate and cancellation paths), with
    /// and without a `min_effect` gate.
    #[test]
    fn one_pass_compare_and_mirror_match_the_two_calls() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for (n, slots) in [(6, 3), (12, 40), (30, 50), (100, 200)] {
            for shift in [-0.05, 0.0, 0.05] {
                let keys: Vec<SlotKey> = (0..slots as i64).map(|s| SlotKey::new(s, "m")).collect();
                let mut base = Vec::new();
                let mut cur = Vec::new();
                for s in 0..slots {
                    let b: Vec<f64> = (0..n).map(|_| 0.5 + 0.1 * rng.random::<f64>()).collect();
                    let c: Vec<f64> = match s % 5 {
                        0 => b.clone(),
                        1 => b.iter().map(|v| v + shift).collect(),
                        2 => b.iter().map(|v| v + shift * 1e-15).collect(),
                        _ => b
                            .iter()
                            .map(|v| v + shift + 0.02 * rng.random::<f64>())
                            .collect(),
                    };
                    base.push(b);
                    cur.push(c);
                }
                let base = ScoreTable::new(keys.clone(), base).unwrap();
                let cur = ScoreTable::new(keys, cur).unwrap();
                let seeds: Vec<u64> = (0..n as u64).collect();
                for min_effect in [None, Some(0.01)] {
                    let opts = super::super::CompareOptions {
                        alpha: 0.05,
                        min_effect,
                    };
                    let alone = super::super::compare("b", &seeds, &base, &cur, &opts).unwrap();
                    let mirror_alone = mirror("b", &seeds, &base, &cur, 0.05, min_effect).unwrap();
                    let (both, mirror_both) =
                        super::super::compare_mirrored("b", &seeds, &base, &cur, &opts, true)
                            .unwrap();
                    assert_eq!(format!("{alone:?}"), format!("{both:?}"));
                    let mirror_both = mirror_both.unwrap();
                    assert_eq!(mirror_alone.meta_p.to_bits(), mirror_both.meta_p.to_bits());
                    assert_eq!(mirror_alone, mirror_both);
                }
            }
        }
    }
}
