//! Adaptive seed counts: a check against a stored baseline runs its seeds in
//! looks (by default ⅓, ⅔ and all of them) and stops as soon as the verdict
//! is clear — FAIL when the severity crosses the look's error-spending
//! threshold, PASS early when the evidence points away from a drop
//! (non-binding futility). `stats::sequential` holds the rule; this file
//! runs the seeds look by look.

use crate::result::{BenchResult, Evidence, Outcome, Plan, Sequential};
use crate::runner::{Benchmark, SeedResult, call};
use crate::scores::ScoreTable;
use crate::settings::Settings;
use crate::stats::family;
use crate::stats::{Differences, SequentialOutcome, SequentialPlan, SequentialTest, Step};

use super::evidence::compare;
use super::{Execution, Reference};

/// Run `sides` ([the benchmark] against its stored baseline, or [REV's,
/// the working tree's] against a revision, REV's side in the same looks) on `plan.seeds` in looks, at `alpha` (the
/// benchmark's, or its share of a corrected run's), and judge it.
pub fn run(
    plan: Plan,
    sides: &[&Benchmark],
    settings: &Settings,
    reference: Reference,
    alpha: f64,
    execution: &Execution,
) -> BenchResult {
    let mut sequential = match &settings.looks {
        Some(looks) => SequentialPlan::with_looks(looks.clone(), alpha),
        None => SequentialPlan::new(plan.seeds.len(), alpha),
    };
    sequential.min_effect = settings.min_effect;
    let looks = sequential.looks.clone();
    let test = match SequentialTest::new(&plan.name, &plan.seeds, sequential) {
        Ok(test) => test,
        Err(e) => {
            let share =
                family::bonferroni_share(alpha, settings.alpha.get(), execution.family_size);
            return plan.error(match share {
                Some(share) if alpha != settings.alpha.get() => format!("adaptive: {e}; {share}"),
                _ => format!("adaptive: {e}"),
            });
        }
    };
    let mut output = String::new();
    let stopped = Looks {
        plan: &plan,
        sides,
        settings,
        reference: &reference,
        execution,
        looks: &looks,
    }
    .run(test, &mut output);
    // Read after the run: a Python benchmark's code identity is what it imported.
    let current = sides.last().map(|bench| bench.source.environment());
    let plan = match current {
        Some(env) => super::evidence::fingerprinted(plan, env, reference.stored()),
        None => plan,
    };
    match stopped {
        Ok((base, current, outcome)) => conclude(plan, base, current, outcome, looks, output),
        Err(e) => plan.result(Outcome::error(e), output),
    }
}

/// One adaptive check's looks.
struct Looks<'a> {
    plan: &'a Plan,
    sides: &'a [&'a Benchmark],
    settings: &'a Settings,
    reference: &'a Reference<'a>,
    execution: &'a Execution<'a>,
    looks: &'a [usize],
}

impl Looks<'_> {
    /// Run the seeds look by look until the test stops: the tables of the
    /// seeds that ran and the test's outcome, or why it could not go on.
    /// What the benchmark printed is added to `output`.
    fn run(
        &self,
        mut test: SequentialTest,
        output: &mut String,
    ) -> Result<(ScoreTable, ScoreTable, SequentialOutcome), String> {
        let seeds = &self.plan.seeds;
        let mut outcomes: Vec<Vec<SeedResult>> = vec![Vec::new(); self.sides.len()];
        let mut tables = None;
        while let Some(n) = test.next_seeds() {
            let look = self.looks.iter().position(|&l| l == n).map_or(0, |k| k + 1);
            let label = format!("{} look {look}/{}", self.plan.name, self.looks.len());
            let done = outcomes[0].len();
            let (ran, printed) =
                self.execution
                    .run_labeled(&label, self.sides, &seeds[done..n], self.settings);
            output.push_str(&printed);
            for (side, new) in outcomes.iter_mut().zip(ran?) {
                side.extend(new);
            }
            let (base, current, diffs) = look_tables(&seeds[..n], &outcomes, self.reference)?;
            let step = test
                .next_look(&diffs)
                .map_err(|e| format!("adaptive: {e}"))?;
            tables = Some((base, current));
            if let Step::Stop(_) = step {
                break;
            }
        }
        match (tables, test.outcome().cloned()) {
            (Some((base, current)), Some(outcome)) => Ok((base, current, outcome)),
            _ => Err("adaptive: the check made no look".into()),
        }
    }
}

/// The verdict of a check that stopped: the per-slot tests on the seeds
/// that ran, with the stopping look's stage-wise p and verdict.
fn conclude(
    plan: Plan,
    base: ScoreTable,
    current: ScoreTable,
    outcome: SequentialOutcome,
    looks: Vec<usize>,
    output: String,
) -> BenchResult {
    let planned_seeds = plan.seeds.len();
    let mut seeds = plan.seeds.clone();
    seeds.truncate(outcome.seeds_run);
    let plan = Plan { seeds, ..plan };
    let judged = match compare(&plan, base, current, true) {
        Outcome::Judged(evidence) => Outcome::Judged(Box::new(Evidence {
            sequential: Some(Sequential {
                planned_seeds,
                outcome,
                looks,
            }),
            ..*evidence
        })),
        refused => refused,
    };
    plan.result(judged, output)
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
        Reference::Stored(baseline) => {
            let stored = &baseline.scores;
            let current = table(&outcomes[0])?;
            let diffs = Differences::from_prefix(stored, &current).map_err(|e| e.to_string())?;
            Ok((stored.prefix(seeds.len()), current, diffs))
        }
        Reference::Revision { .. } => {
            let old = table(&outcomes[0])?;
            let new = table(&outcomes[1])?;
            let diffs = Differences::from_tables(&old, &new).map_err(|e| e.to_string())?;
            Ok((old, new, diffs))
        }
        Reference::None => Err("adaptive: nothing to compare with".into()),
    }
}

/// The alpha an adaptive check spends: its own, or its Bonferroni share
/// `alpha/m` of a run corrected over `m` benchmarks.
pub fn alpha_share(alpha: f64, m: usize) -> f64 {
    alpha / m.max(1) as f64
}
