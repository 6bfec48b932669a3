//! One benchmark, from its settings to its verdict: resolve the settings,
//! choose the seeds, run every seed, and judge the scores against the stored
//! baseline (or call them NEW). Normal runs, `--against` and `merge` all
//! make their verdicts here.

use super::evidence::{compare, fingerprinted};
use super::{Execution, Reference, adaptive};
use crate::result::{BenchResult, Outcome, Plan};
use crate::runner::{self, Benchmark, SeedResult, SeedSource};
use crate::scaleout::Joined;
use crate::scores::ScoreTable;
use crate::settings::{Alpha, Overrides, Settings};
use crate::stats;
use crate::store::Baseline;
use crate::store::fingerprint::Environment;

/// Resolve a benchmark's settings: its plan, and its settings or why they
/// are invalid (the plan then holds the flags' alpha and min_effect).
pub fn start(bench: &Benchmark, overrides: &Overrides) -> (Plan, Result<Settings, String>) {
    let source = bench.source.source_key.clone();
    match bench.resolve_settings(overrides) {
        Ok(settings) => {
            let plan = Plan {
                source,
                ..Plan::new(&bench.name, settings.alpha, settings.min_effect)
            };
            (plan, Ok(settings))
        }
        Err(e) => {
            let alpha = overrides.alpha.unwrap_or(Alpha::DEFAULT);
            let plan = Plan {
                source,
                ..Plan::new(&bench.name, alpha, overrides.min_effect)
            };
            (plan, Err(e.to_string()))
        }
    }
}

/// Run one benchmark and judge it against `reference`: its stored
/// baseline (on the baseline's seeds), a revision's build of it (on fresh
/// seeds, or the ones the reference names), or nothing (NEW).
pub fn run_benchmark(
    bench: &Benchmark,
    overrides: &Overrides,
    reference: Reference,
    seed_source: SeedSource,
    execution: &Execution,
) -> BenchResult {
    let (plan, settings) = start(bench, overrides);
    let plan = Plan {
        against: reference.revision().cloned(),
        ..plan
    };
    let settings = match settings {
        Ok(settings) => settings,
        Err(e) => return plan.error(e),
    };
    let plan = match super::inputs::pin(execution.project, &settings, reference.stored()) {
        Ok(inputs) => Plan { inputs, ..plan },
        Err(changed) => return plan.error(changed),
    };
    let seeds = match reference {
        Reference::Stored(baseline) => baseline.seeds.clone(),
        Reference::Revision {
            seeds: Some(seeds), ..
        } => seeds.to_vec(),
        _ => runner::fresh_seeds(settings.n_seeds, seed_source, &bench.name),
    };
    if let Err(e) = stats::check_reachable(settings.alpha.get(), seeds.len()) {
        return Plan { seeds, ..plan }.error(e.to_string());
    }
    let stored = reference.stored();
    let plan = Plan { seeds, ..plan };
    let sides = match reference {
        Reference::Revision { bench: old, .. } => vec![old, bench],
        _ => vec![bench],
    };
    if settings.adaptive && reference.judges() {
        let alpha = adaptive::alpha_share(settings.alpha.get(), execution.family_size);
        return adaptive::run(plan, &sides, &settings, reference, alpha, execution);
    }
    let (outcomes, output) = execution.run(&sides, &plan.seeds, &settings);
    // Read after the run: a Python benchmark's code identity is what it imported.
    let plan = fingerprinted(plan, bench.source.environment(), stored);
    match reference.revision() {
        Some(revision) => judge_pair(plan, &revision.label, outcomes, output),
        None => judge(plan, stored, outcomes.map(|mut s| s.remove(0)), output),
    }
}

/// Judge the working tree's side (1) of `outcomes` against the revision's
/// (0), named `label`.
fn judge_pair(
    plan: Plan,
    label: &str,
    outcomes: Result<Vec<Vec<SeedResult>>, String>,
    output: String,
) -> BenchResult {
    let tables = outcomes.and_then(|sides| {
        let old_table = runner::call::into_table(&plan.seeds, &sides[0])
            .map_err(|e| format!("at {label}: {e}"))?;
        let new_table =
            runner::call::into_table(&plan.seeds, &sides[1]).map_err(|e| e.to_string())?;
        Ok((old_table, new_table))
    });
    let outcome = match tables {
        Err(e) => Outcome::error(e),
        Ok((old_table, new_table)) => match old_table.slot_difference(&new_table) {
            Some(difference) => {
                Outcome::error(format!("slots differ from {label}'s ({difference})"))
            }
            None => compare(&plan, old_table, new_table, false),
        },
    };
    plan.result(outcome, output)
}

/// Judge a benchmark joined from shards exactly as an unsharded run judges
/// its outcomes.
pub fn judge_joined(joined: &Joined, stored: Option<&Baseline>) -> BenchResult {
    let plan = Plan {
        seeds: joined.seeds.clone(),
        inputs: joined.inputs.clone(),
        source: joined.source.clone(),
        ..Plan::new(
            &joined.name,
            joined.settings.alpha,
            joined.settings.min_effect,
        )
    };
    if let Some(baseline) = stored
        && joined.error.is_none()
        && let Err(changed) = super::inputs::recorded_against(baseline, joined.inputs.as_ref())
    {
        return plan.error(changed);
    }
    let plan = fingerprinted(plan, joined.environment.clone(), stored);
    let outcomes = match &joined.error {
        Some(error) => Err(error.clone()),
        None => Ok(joined
            .outcomes
            .iter()
            .cloned()
            .map(SeedResult::Raw)
            .collect()),
    };
    judge(plan, stored, outcomes, joined.output.clone())
}

/// Turn a benchmark's outcomes (in the order of `plan.seeds`) into its
/// verdict against `stored`, or NEW without one.
pub fn judge(
    plan: Plan,
    stored: Option<&Baseline>,
    outcomes: Result<Vec<SeedResult>, String>,
    output: String,
) -> BenchResult {
    let current = match outcomes
        .and_then(|o| runner::call::into_table(&plan.seeds, &o).map_err(|e| e.to_string()))
    {
        Ok(table) => table,
        Err(e) => return plan.result(Outcome::error(e), output),
    };
    let Some(baseline) = stored else {
        return plan.result(Outcome::New(Some(current)), output);
    };
    if let Some(difference) = baseline.scores.slot_difference(&current) {
        let message = format!(
            "slots differ from the baseline ({difference}). Re-run `pybench update` to reset."
        );
        return plan.result(Outcome::error(message), output);
    }
    let nondeterministic_seed = first_unreproduced_seed(baseline, &current, plan.env.as_ref());
    let outcome = compare(&plan, baseline.scores.clone(), current, true);
    BenchResult {
        nondeterministic_seed,
        ..plan.result(outcome, output)
    }
}

/// With the library unchanged, the same seeds must give the same scores;
/// the first seed (in seed order) that does not, if any.
fn first_unreproduced_seed(
    baseline: &Baseline,
    current: &ScoreTable,
    env: Option<&Environment>,
) -> Option<u64> {
    let same_library = baseline
        .env
        .as_ref()
        .zip(env)
        .is_some_and(|(was, now)| was.library_hash == now.library_hash);
    if !same_library {
        return None;
    }
    (0..baseline.seeds.len())
        .find(|&i| {
            baseline
                .scores
                .columns()
                .iter()
                .zip(current.columns())
                .any(|(was, now)| was[i].to_bits() != now[i].to_bits())
        })
        .map(|i| baseline.seeds[i])
}
