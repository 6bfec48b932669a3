//! One benchmark, from its settings to its verdict: resolve the settings,
//! choose the seeds, run every seed, and judge the scores against the stored
//! baseline (or call them NEW). Normal runs, `--against` and `merge` all
//! make their verdicts here.

use super::adaptive;
use crate::report::progress::Progress;
use crate::result::{BenchResult, Evidence, Outcome, Plan};
use crate::runner::{self, Benchmark, Reply, RunContext, SeedResult, SeedSource};
use crate::scaleout::Joined;
use crate::scores::ScoreTable;
use crate::settings::{DEFAULT_ALPHA, Overrides, Settings};
use crate::stats::{self, CompareOptions};
use crate::store::Baseline;
use crate::store::fingerprint::{Environment, StoredSettings};

/// Resolve a benchmark's settings: its plan, and its settings or why they
/// are invalid (the plan then holds the flags' alpha and min_effect).
pub fn start(bench: &Benchmark, overrides: &Overrides) -> (Plan, Result<Settings, String>) {
    match bench.resolve_settings(overrides) {
        Ok(settings) => {
            let plan = Plan {
                settings: Some(StoredSettings::from(&settings)),
                ..Plan::new(&bench.name, settings.alpha, settings.min_effect)
            };
            (plan, Ok(settings))
        }
        Err(e) => {
            let alpha = overrides.alpha.unwrap_or(DEFAULT_ALPHA);
            let plan = Plan::new(&bench.name, alpha, overrides.min_effect);
            (plan, Err(e.to_string()))
        }
    }
}

/// How a benchmark's seeds run: in a worker process or here, and with
/// which progress display.
pub struct Execution<'a> {
    pub context: RunContext,
    pub in_process: bool,
    pub progress: &'a Progress,
    /// The number of benchmarks a corrected run judges (1 without a
    /// correction): an adaptive check spends its alpha divided by this.
    pub family_size: usize,
}

impl Execution<'_> {
    /// Run `benches` (one side, or two for `--against`) on `seeds`:
    /// outcomes `[side][seed]`, and what they printed.
    pub fn run(
        &self,
        benches: &[&Benchmark],
        seeds: &[u64],
        settings: &Settings,
    ) -> (Result<Vec<Vec<SeedResult>>, String>, String) {
        let run = self.run_raw(benches, seeds, settings, Reply::Scores);
        (run.outcomes.map_err(|e| e.to_string()), run.output)
    }

    /// [`Execution::run`] with its progress bar labelled `label`.
    pub fn run_labeled(
        &self,
        label: &str,
        benches: &[&Benchmark],
        seeds: &[u64],
        settings: &Settings,
    ) -> (Result<Vec<Vec<SeedResult>>, String>, String) {
        let run = self.run_bar(label, benches, seeds, settings, Reply::Scores);
        (run.outcomes.map_err(|e| e.to_string()), run.output)
    }

    /// [`Execution::run`] with the runner's own error, for callers that
    /// need to know which seed failed, and each seed as `reply` asks.
    pub fn run_raw(
        &self,
        benches: &[&Benchmark],
        seeds: &[u64],
        settings: &Settings,
        reply: Reply,
    ) -> runner::Outcomes {
        self.run_bar(&benches[0].name, benches, seeds, settings, reply)
    }

    fn run_bar(
        &self,
        label: &str,
        benches: &[&Benchmark],
        seeds: &[u64],
        settings: &Settings,
        reply: Reply,
    ) -> runner::Outcomes {
        let bar = self.progress.bench_started(label, seeds.len());
        let run = runner::run_sides(
            &self.context,
            benches,
            seeds,
            settings,
            self.in_process,
            reply,
            || bar.seed_done(),
        );
        self.progress.finish(bar);
        run
    }
}

/// Run one benchmark and judge it against its stored baseline, if any.
pub fn run_benchmark(
    bench: &Benchmark,
    overrides: &Overrides,
    stored: Option<&Baseline>,
    seed_source: SeedSource,
    execution: &Execution,
) -> BenchResult {
    let (plan, settings) = start(bench, overrides);
    let settings = match settings {
        Ok(settings) => settings,
        Err(e) => return plan.error(e),
    };
    let seeds = match stored {
        Some(baseline) => baseline.seeds.clone(),
        None => runner::fresh_seeds(settings.n_seeds, seed_source, &bench.name),
    };
    if let Err(e) = stats::check_reachable(settings.alpha, seeds.len()) {
        return Plan { seeds, ..plan }.error(e.to_string());
    }
    let plan = fingerprinted(
        Plan { seeds, ..plan },
        Environment::current(&bench.library.path),
        stored,
    );
    if let Some(baseline) = stored
        && settings.adaptive
    {
        let alpha = adaptive::alpha_share(settings.alpha, execution.family_size);
        let reference = adaptive::Reference::Stored(&baseline.scores);
        return adaptive::run(plan, &[bench], &settings, reference, alpha, execution);
    }
    let (outcomes, output) = execution.run(&[bench], &plan.seeds, &settings);
    let outcomes = outcomes.map(|mut sides| sides.remove(0));
    judge(plan, stored, outcomes, output)
}

/// Judge a benchmark joined from shards exactly as an unsharded run judges
/// its outcomes.
pub fn judge_joined(joined: &Joined, stored: Option<&Baseline>) -> BenchResult {
    let plan = Plan {
        seeds: joined.seeds.clone(),
        settings: Some(joined.settings.clone()),
        ..Plan::new(
            &joined.name,
            joined.settings.alpha,
            joined.settings.min_effect,
        )
    };
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

/// `plan` measured in `env`, with how that differs from where its baseline
/// was.
pub fn fingerprinted(plan: Plan, env: Environment, stored: Option<&Baseline>) -> Plan {
    let env_differences = match stored.and_then(|b| b.env.as_ref()) {
        Some(stored_env) => stored_env.differences(&env),
        None => Vec::new(),
    };
    Plan {
        env: Some(env),
        env_differences,
        ..plan
    }
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

/// Judge `current` against `reference` (same seeds, same slots) with the
/// engine, and with the mirror test on `−d` (a significant improvement)
/// from the same permutation pass when `mirrored`: the evidence, or an
/// ERROR when the engine refuses.
pub fn compare(plan: &Plan, reference: ScoreTable, current: ScoreTable, mirrored: bool) -> Outcome {
    let options = CompareOptions {
        alpha: plan.alpha,
        min_effect: plan.min_effect,
    };
    let (name, seeds) = (&plan.name, &plan.seeds);
    match stats::compare_mirrored(name, seeds, &reference, &current, &options, mirrored) {
        Ok((comparison, improvement)) => Outcome::Judged(Box::new(Evidence {
            reference,
            current,
            comparison,
            improvement,
            sequential: None,
        })),
        Err(e) => Outcome::Error {
            message: e.to_string(),
            current: Some(current),
        },
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
