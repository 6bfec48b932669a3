//! `pybench compare A B`'s verdicts: each benchmark of run B against run A.
//!
//! When A and B ran the same seeds in the same order the comparison is the
//! paired one of a normal run (per-slot paired t, sign-flip permutation of
//! the severity, and its mirror for improvements). Otherwise it is
//! *unpaired*: per slot a one-sided Welch t of B's goodness against A's, and
//! a label-permutation test of the same severity statistic (whole seed rows
//! are reassigned between A and B, so the slots' correlation is kept).

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha20Rng;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::result::SlotVerdict;
use crate::result::compare::{BenchDiff, CompareReport, SlotDiff, Verdict};
use crate::runner::Selection;
use crate::scores::ScoreTable;
use crate::settings::Alpha;
use crate::stats::{self, CompareOptions, EFFECT_FLOOR, N_PERMUTATIONS, StatsError, numeric};

/// What `compare` was asked.
#[derive(Clone, Debug)]
pub struct RunsOptions {
    /// How A and B are named in the report (their paths).
    pub a: String,
    pub b: String,
    /// Overrides A's per-benchmark alpha.
    pub alpha: Option<Alpha>,
    pub min_effect: Option<f64>,
    pub selection: Selection,
}

/// Why one benchmark of A and B cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum TwoRunsError {
    #[error(transparent)]
    Stats(#[from] StatsError),
    #[error("{a} and {b} seeds: at least 2 on each side are needed")]
    TooFewSeeds { a: usize, b: usize },
}

/// One benchmark of one side.
#[derive(Debug, Clone)]
pub struct Side {
    pub seeds: Vec<u64>,
    pub table: ScoreTable,
    pub alpha: Option<Alpha>,
    pub min_effect: Option<f64>,
}

/// A whole side: benchmarks by name.
pub type Run = BTreeMap<String, Side>;

/// Compare every benchmark present in both runs.
pub fn compare_runs(a: &Run, b: &Run, options: &RunsOptions) -> CompareReport {
    let selected = |name: &str| options.selection.selects(name);
    let mut benchmarks = Vec::new();
    for (name, side_a) in a.iter().filter(|(n, _)| selected(n)) {
        let Some(side_b) = b.get(name) else { continue };
        let alpha = options
            .alpha
            .or(side_a.alpha)
            .unwrap_or(Alpha::DEFAULT)
            .get();
        let min_effect = options.min_effect.or(side_a.min_effect);
        benchmarks.push(compare_bench(name, side_a, side_b, alpha, min_effect));
    }
    let missing = |x: &Run, y: &Run| {
        x.keys()
            .filter(|n| selected(n) && !y.contains_key(*n))
            .cloned()
            .collect()
    };
    CompareReport {
        schema_version: crate::report::json::SCHEMA_VERSION,
        kind: "compare",
        pybench_version: env!("CARGO_PKG_VERSION"),
        a: options.a.clone(),
        b: options.b.clone(),
        benchmarks,
        only_in_a: missing(a, b),
        only_in_b: missing(b, a),
    }
}

/// Compare one benchmark of B against A.
pub fn compare_bench(
    name: &str,
    a: &Side,
    b: &Side,
    alpha: f64,
    min_effect: Option<f64>,
) -> BenchDiff {
    let paired = a.seeds == b.seeds;
    let unjudged = BenchDiff {
        name: name.to_string(),
        verdict: Verdict::Error,
        paired,
        n_seeds_a: a.seeds.len(),
        n_seeds_b: b.seeds.len(),
        alpha,
        min_effect,
        meta_p: None,
        improvement_meta_p: None,
        severity: None,
        error: None,
        slots: Vec::new(),
    };
    if let Some(difference) = a.table.slot_difference(&b.table) {
        return BenchDiff {
            error: Some(format!("slots differ between A and B ({difference})")),
            ..unjudged
        };
    }
    let outcome = if paired {
        paired_test(name, a, b, alpha, min_effect)
    } else {
        unpaired_test(name, a, b, alpha, min_effect)
    };
    match outcome {
        Ok(t) => BenchDiff {
            verdict: if t.meta_p < alpha {
                Verdict::Regressed
            } else if t.improvement_meta_p < alpha {
                Verdict::Improved
            } else {
                Verdict::Unchanged
            },
            meta_p: Some(t.meta_p),
            improvement_meta_p: Some(t.improvement_meta_p),
            severity: Some(t.severity),
            slots: t.slots,
            ..unjudged
        },
        Err(e) => BenchDiff {
            error: Some(e.to_string()),
            ..unjudged
        },
    }
}

struct TestOutcome {
    meta_p: f64,
    improvement_meta_p: f64,
    severity: f64,
    slots: Vec<SlotDiff>,
}

fn slot_verdict(regressed: bool, improved: bool) -> SlotVerdict {
    if regressed {
        SlotVerdict::Regressed
    } else if improved {
        SlotVerdict::Improved
    } else {
        SlotVerdict::Unchanged
    }
}

fn paired_test(
    name: &str,
    a: &Side,
    b: &Side,
    alpha: f64,
    min_effect: Option<f64>,
) -> Result<TestOutcome, TwoRunsError> {
    let cmp = stats::compare(
        name,
        &a.seeds,
        &a.table,
        &b.table,
        &CompareOptions { alpha, min_effect },
    )?;
    let mirror = stats::mirror(name, &a.seeds, &a.table, &b.table, alpha, min_effect)?;
    let slots = cmp
        .slots
        .iter()
        .zip(&mirror.flagged)
        .map(|(s, &improved)| SlotDiff {
            step: s.slot.step,
            metric: s.slot.metric.clone(),
            a_mean: s.baseline_mean,
            a_std: s.baseline_std,
            b_mean: s.current_mean,
            b_std: s.current_std,
            effect: s.effect,
            p: s.p,
            verdict: slot_verdict(s.flagged, improved),
        })
        .collect();
    Ok(TestOutcome {
        meta_p: cmp.meta_p,
        improvement_meta_p: mirror.meta_p,
        severity: cmp.severity,
        slots,
    })
}

/// Pooled goodness rows (A's seeds, then B's), centred per slot so that
/// the one-pass sums below lose no precision, with their per-slot totals.
struct Pooled {
    rows: Vec<Vec<f64>>,
    total: Vec<f64>,
    total_sq: Vec<f64>,
    n_a: usize,
    n_b: usize,
}

impl Pooled {
    fn new(rows: Vec<Vec<f64>>, n_a: usize) -> Pooled {
        let n_slots = rows[0].len();
        let n = rows.len() as f64;
        let centre: Vec<f64> = (0..n_slots)
            .map(|s| rows.iter().map(|r| r[s]).sum::<f64>() / n)
            .collect();
        let rows: Vec<Vec<f64>> = rows
            .into_iter()
            .map(|r| r.iter().zip(&centre).map(|(x, c)| x - c).collect())
            .collect();
        let mut total = vec![0.0; n_slots];
        let mut total_sq = vec![0.0; n_slots];
        for row in &rows {
            for (s, &x) in row.iter().enumerate() {
                total[s] += x;
                total_sq[s] += x * x;
            }
        }
        let n_b = rows.len() - n_a;
        Pooled {
            rows,
            total,
            total_sq,
            n_a,
            n_b,
        }
    }

    /// Per slot `(mean difference B − A, Welch t, Welch–Satterthwaite df)`
    /// when `b_rows` are B's rows and the others A's.
    fn welch(&self, b_rows: &[usize], sum: &mut [f64], sum_sq: &mut [f64]) -> Vec<(f64, f64, f64)> {
        sum.fill(0.0);
        sum_sq.fill(0.0);
        for &i in b_rows {
            for (s, &x) in self.rows[i].iter().enumerate() {
                sum[s] += x;
                sum_sq[s] += x * x;
            }
        }
        let (na, nb) = (self.n_a as f64, self.n_b as f64);
        (0..sum.len())
            .map(|s| {
                let (sum_b, sq_b) = (sum[s], sum_sq[s]);
                let (sum_a, sq_a) = (self.total[s] - sum_b, self.total_sq[s] - sq_b);
                let (mb, ma) = (sum_b / nb, sum_a / na);
                let var_b = ((sq_b - nb * mb * mb) / (nb - 1.0)).max(0.0);
                let var_a = ((sq_a - na * ma * ma) / (na - 1.0)).max(0.0);
                let (va, vb) = (var_a / na, var_b / nb);
                let se = (va + vb).sqrt();
                let mean = mb - ma;
                // Degenerate relative to the pooled values' spread, as the
                // paired test's rule is relative to the differences' size.
                let rms = (self.total_sq[s] / (na + nb)).sqrt();
                let t = if stats::is_degenerate(se, rms) {
                    if mean < 0.0 {
                        -stats::DEGENERATE_T
                    } else if mean > 0.0 {
                        stats::DEGENERATE_T
                    } else {
                        0.0
                    }
                } else {
                    mean / se
                };
                let df = if va + vb > 0.0 {
                    (va + vb).powi(2) / (va.powi(2) / (na - 1.0) + vb.powi(2) / (nb - 1.0))
                } else {
                    na + nb - 2.0
                };
                (mean, t, df)
            })
            .collect()
    }
}

fn unpaired_test(
    name: &str,
    a: &Side,
    b: &Side,
    alpha: f64,
    min_effect: Option<f64>,
) -> Result<TestOutcome, TwoRunsError> {
    let (na, nb) = (a.table.n_seeds(), b.table.n_seeds());
    if na < 2 || nb < 2 {
        return Err(TwoRunsError::TooFewSeeds { a: na, b: nb });
    }
    let rows = goodness_rows(a, b);
    let n_slots = rows[0].len();
    let denominators: Vec<f64> = (0..n_slots)
        .map(|s| {
            let base: Vec<f64> = rows[..na].iter().map(|r| r[s]).collect();
            numeric::mean(&base).abs().max(EFFECT_FLOOR)
        })
        .collect();
    let rule = Severities {
        // One critical value for every labelling: df = na + nb − 2.
        t_crit: stats::t_critical(alpha, na + nb - 1),
        min_effect,
        denominators,
    };
    let pooled = Pooled::new(rows, na);
    let (mut sum, mut sum_sq) = (vec![0.0; n_slots], vec![0.0; n_slots]);
    let b_rows: Vec<usize> = (na..na + nb).collect();
    let observed = pooled.welch(&b_rows, &mut sum, &mut sum_sq);
    let (obs_worse, obs_better) = rule.of(&observed);
    let mut rng = ChaCha20Rng::seed_from_u64(
        stats::permutation_seed(name, &a.seeds) ^ stats::permutation_seed("unpaired", &b.seeds),
    );
    let mut labels: Vec<usize> = (0..na + nb).collect();
    let (mut ge_worse, mut ge_better) = (0usize, 0usize);
    let tolerance = |x: f64| x * (1.0 - stats::TIE_RTOL);
    for _ in 0..N_PERMUTATIONS {
        labels.shuffle(&mut rng);
        let ts = pooled.welch(&labels[na..], &mut sum, &mut sum_sq);
        let (worse, better) = rule.of(&ts);
        ge_worse += usize::from(worse >= tolerance(obs_worse));
        ge_better += usize::from(better >= tolerance(obs_better));
    }
    let p_of = |count: usize| (count + 1) as f64 / (N_PERMUTATIONS + 1) as f64;
    Ok(TestOutcome {
        meta_p: p_of(ge_worse),
        improvement_meta_p: p_of(ge_better),
        severity: obs_worse,
        slots: unpaired_slots(a, b, &observed, &rule),
    })
}

/// Goodness rows, one per seed: A's seeds first, then B's.
fn goodness_rows(a: &Side, b: &Side) -> Vec<Vec<f64>> {
    let slots = a.table.slots();
    let row = |table: &ScoreTable, i: usize| -> Vec<f64> {
        (0..slots.len())
            .map(|s| slots[s].goodness(table.column(s)[i]))
            .collect()
    };
    (0..a.table.n_seeds())
        .map(|i| row(&a.table, i))
        .chain((0..b.table.n_seeds()).map(|i| row(&b.table, i)))
        .collect()
}

/// The severity rule of the unpaired test, in both directions.
struct Severities {
    t_crit: f64,
    min_effect: Option<f64>,
    denominators: Vec<f64>,
}

impl Severities {
    fn gate(&self, mean: f64, s: usize) -> bool {
        self.min_effect
            .is_none_or(|m| mean / self.denominators[s] < -m)
    }

    fn regressed(&self, mean: f64, t: f64, s: usize) -> bool {
        t < self.t_crit && self.gate(mean, s)
    }

    fn improved(&self, mean: f64, t: f64, s: usize) -> bool {
        -t < self.t_crit && self.gate(-mean, s)
    }

    /// `(worse, better)` severities of per-slot `(mean, t, df)`.
    fn of(&self, ts: &[(f64, f64, f64)]) -> (f64, f64) {
        let mut worse = 0.0;
        let mut better = 0.0;
        for (s, &(mean, t, _)) in ts.iter().enumerate() {
            if self.regressed(mean, t, s) {
                worse += self.t_crit - t;
            }
            if self.improved(mean, t, s) {
                better += self.t_crit + t;
            }
        }
        (worse, better)
    }
}

/// Each slot's means, sds, effect, Welch p and verdict.
fn unpaired_slots(
    a: &Side,
    b: &Side,
    observed: &[(f64, f64, f64)],
    rule: &Severities,
) -> Vec<SlotDiff> {
    let slots = a.table.slots();
    observed
        .iter()
        .enumerate()
        .map(|(s, &(mean, t, df))| {
            let col_a = a.table.column(s);
            let col_b = b.table.column(s);
            let (ma, mb) = (numeric::mean(col_a), numeric::mean(col_b));
            let p = if t.abs() >= stats::DEGENERATE_T {
                if t < 0.0 { 0.0 } else { 1.0 }
            } else {
                StudentsT::new(0.0, 1.0, df.max(1.0))
                    .map(|dist| dist.cdf(t))
                    .unwrap_or(f64::NAN)
            };
            SlotDiff {
                step: slots[s].step,
                metric: slots[s].metric.clone(),
                a_mean: ma,
                a_std: numeric::std_ddof1_around(col_a, ma),
                b_mean: mb,
                b_std: numeric::std_ddof1_around(col_b, mb),
                effect: mean / rule.denominators[s],
                p,
                verdict: slot_verdict(rule.regressed(mean, t, s), rule.improved(mean, t, s)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
