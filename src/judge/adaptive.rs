//! Adaptive seed counts: a check against a stored baseline runs its seeds in
//! looks (by default ⅓, ⅔ and all of them) and stops as soon as the verdict
//! is clear — FAIL when the severity crosses the look's error-spending
//! threshold, PASS early when the evidence points away from a drop
//! (non-binding futility). `stats::sequential` holds the rule; this file
//! runs the seeds look by look.

use crate::result::{BenchResult, Sequential, Status};
use crate::runner::{Benchmark, SeedResult, call};
use crate::scores::ScoreTable;
use crate::settings::Settings;
use crate::stats::family;
use crate::stats::{Differences, SequentialOutcome, SequentialPlan, SequentialTest, Step};

use super::verdict::{Execution, compare_tables_and_mirror};

/// What an adaptive check compares against.
pub enum Reference<'a> {
    /// The stored baseline (all its seeds are known before the run).
    Stored(&'a ScoreTable),
    /// `--against REV`: REV's side runs in the same looks (side 0).
    Revision,
}

/// Run `sides` ([the benchmark] against a stored baseline, or [REV's, the
/// working tree's]) on `result.seeds` in looks, at `alpha` (the
/// benchmark's, or its share of a corrected run's), and judge it.
pub fn run(
    mut result: BenchResult,
    sides: &[&Benchmark],
    settings: &Settings,
    reference: Reference,
    alpha: f64,
    execution: &Execution,
) -> BenchResult {
    let seeds = result.seeds.clone();
    let mut plan = match &settings.looks {
        Some(looks) => SequentialPlan::with_looks(looks.clone(), alpha),
        None => SequentialPlan::new(seeds.len(), alpha),
    };
    plan.min_effect = settings.min_effect;
    let looks = plan.looks.clone();
    let mut test = match SequentialTest::new(&result.name, &seeds, plan) {
        Ok(test) => test,
        Err(e) => {
            let share = family::bonferroni_share(alpha, settings.alpha, execution.family_size);
            result.error = Some(match share {
                Some(share) if alpha != settings.alpha => format!("adaptive: {e}; {share}"),
                _ => format!("adaptive: {e}"),
            });
            return result;
        }
    };
    let mut outcomes: Vec<Vec<SeedResult>> = vec![Vec::new(); sides.len()];
    let mut tables = None;
    while let Some(n) = test.next_seeds() {
        let look = looks.iter().position(|&l| l == n).map_or(0, |k| k + 1);
        let label = format!("{} look {look}/{}", result.name, looks.len());
        let done = outcomes[0].len();
        let (ran, output) = execution.run_labeled(&label, sides, &seeds[done..n], settings);
        result.output.push_str(&output);
        match ran {
            Ok(batch) => {
                for (side, new) in outcomes.iter_mut().zip(batch) {
                    side.extend(new);
                }
            }
            Err(e) => {
                result.error = Some(e);
                return result;
            }
        }
        let judged =
            look_tables(&seeds[..n], &outcomes, &reference).and_then(|(base, current, diffs)| {
                match test.next_look(&diffs) {
                    Ok(step) => Ok((base, current, step)),
                    Err(e) => Err(format!("adaptive: {e}")),
                }
            });
        match judged {
            Ok((base, current, Step::Continue { .. })) => tables = Some((base, current)),
            Ok((base, current, Step::Stop(_))) => {
                tables = Some((base, current));
                break;
            }
            Err(e) => {
                result.error = Some(e);
                return result;
            }
        }
    }
    let (Some((base, current)), Some(outcome)) = (tables, test.outcome().cloned()) else {
        result.error = Some("adaptive: the check made no look".into());
        return result;
    };
    conclude(result, base, current, outcome, looks)
}

/// The verdict of a check that stopped: the per-slot tests on the seeds
/// that ran, with the stopping look's stage-wise p and verdict.
fn conclude(
    mut result: BenchResult,
    base: ScoreTable,
    current: ScoreTable,
    outcome: SequentialOutcome,
    looks: Vec<usize>,
) -> BenchResult {
    let planned_seeds = result.seeds.len();
    result.seeds.truncate(outcome.seeds_run);
    compare_tables_and_mirror(&mut result, &base, current);
    if let Some(cmp) = result.comparison.as_mut() {
        cmp.meta_p = outcome.meta_p;
        cmp.exact = outcome.exact;
        cmp.n_permutations = outcome.n_permutations;
        result.status = if outcome.passed() {
            Status::Pass
        } else {
            Status::Fail
        };
    }
    result.sequential = Some(Sequential {
        planned_seeds,
        outcome,
        looks,
    });
    result
}

/// The reference and current tables of the first `seeds`, and their
/// differences as the sequential test reads them.
fn look_tables(
    seeds: &[u64],
    outcomes: &[Vec<SeedResult>],
    reference: &Reference,
) -> Result<(ScoreTable, ScoreTable, Differences), String> {
    let table = |side: &[SeedResult]| call::into_table(seeds, side).map_err(|e| e.to_string());
    match reference {
        Reference::Stored(stored) => {
            let current = table(&outcomes[0])?;
            let diffs = Differences::from_prefix(stored, &current).map_err(|e| e.to_string())?;
            Ok((stored.prefix(seeds.len()), current, diffs))
        }
        Reference::Revision => {
            let old = table(&outcomes[0])?;
            let new = table(&outcomes[1])?;
            let diffs = Differences::from_tables(&old, &new).map_err(|e| e.to_string())?;
            Ok((old, new, diffs))
        }
    }
}

/// The alpha an adaptive check spends: its own, or its Bonferroni share
/// `alpha/m` of a run corrected over `m` benchmarks.
pub fn alpha_share(alpha: f64, m: usize) -> f64 {
    alpha / m.max(1) as f64
}
