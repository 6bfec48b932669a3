//! One benchmark, from its settings to its verdict: resolve the settings,
//! choose the seeds, run every seed, and judge the scores against the stored
//! baseline (or call them NEW). Normal runs, `--against` and `merge` all
//! make their verdicts here.

use super::adaptive;
use crate::report::progress::Progress;
use crate::result::{BenchResult, Status};
use crate::runner::{self, Benchmark, Reply, RunContext, SeedResult, SeedSource};
use crate::scaleout::Joined;
use crate::scores::ScoreTable;
use crate::settings::{DEFAULT_ALPHA, Overrides, Settings};
use crate::stats::{self, CompareOptions};
use crate::store::Baseline;
use crate::store::fingerprint::{Environment, StoredSettings};

/// Resolve a benchmark's settings: its blank result and settings, or its
/// ERROR result and no settings.
pub fn start(bench: &Benchmark, overrides: &Overrides) -> (BenchResult, Option<Settings>) {
    let mut result = BenchResult::new(
        &bench.name,
        overrides.alpha.unwrap_or(DEFAULT_ALPHA),
        overrides.min_effect,
    );
    result.source = runner::source_key(&bench.library.source);
    match bench.resolve_settings(overrides) {
        Ok(settings) => {
            result.alpha = settings.alpha;
            result.min_effect = settings.min_effect;
            result.settings = Some(StoredSettings::from(&settings));
            (result, Some(settings))
        }
        Err(e) => {
            result.error = Some(e.to_string());
            (result, None)
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
    let (mut result, settings) = start(bench, overrides);
    let Some(settings) = settings else {
        return result;
    };
    if !super::inputs::pin_into(&mut result, &settings, stored) {
        return result;
    }
    result.seeds = match stored {
        Some(baseline) => baseline.seeds.clone(),
        None => runner::fresh_seeds(settings.n_seeds, seed_source, &bench.name),
    };
    if let Err(e) = stats::check_reachable(settings.alpha, result.seeds.len()) {
        result.error = Some(e.to_string());
        return result;
    }
    fingerprint(
        &mut result,
        Environment::current(&bench.library.path),
        stored,
    );
    if let Some(baseline) = stored
        && settings.adaptive
    {
        let alpha = adaptive::alpha_share(settings.alpha, execution.family_size);
        let reference = adaptive::Reference::Stored(&baseline.scores);
        return adaptive::run(result, &[bench], &settings, reference, alpha, execution);
    }
    let (outcomes, output) = execution.run(&[bench], &result.seeds, &settings);
    result.output = output;
    let outcomes = outcomes.map(|mut sides| sides.remove(0));
    judge(result, stored, outcomes)
}

/// Judge a benchmark joined from shards exactly as an unsharded run judges
/// its outcomes.
pub fn judge_joined(joined: &Joined, stored: Option<&Baseline>) -> BenchResult {
    let mut result = BenchResult::new(
        &joined.name,
        joined.settings.alpha,
        joined.settings.min_effect,
    );
    result.seeds = joined.seeds.clone();
    result.output = joined.output.clone();
    result.settings = Some(joined.settings.clone());
    fingerprint(&mut result, joined.environment.clone(), stored);
    let outcomes = match &joined.error {
        Some(error) => Err(error.clone()),
        None => Ok(joined
            .outcomes
            .iter()
            .cloned()
            .map(SeedResult::Raw)
            .collect()),
    };
    judge(result, stored, outcomes)
}

/// Record where `result` was measured, and how that differs from where its
/// baseline was.
pub fn fingerprint(result: &mut BenchResult, env: Environment, stored: Option<&Baseline>) {
    if let Some(stored_env) = stored.and_then(|b| b.env.as_ref()) {
        result.env_differences = stored_env.differences(&env);
    }
    result.env = Some(env);
}

/// Turn a benchmark's outcomes (in the order of `result.seeds`) into its
/// verdict against `stored`, or NEW without one.
pub fn judge(
    mut result: BenchResult,
    stored: Option<&Baseline>,
    outcomes: Result<Vec<SeedResult>, String>,
) -> BenchResult {
    let current = match outcomes
        .and_then(|o| runner::call::into_table(&result.seeds, &o).map_err(|e| e.to_string()))
    {
        Ok(table) => table,
        Err(e) => {
            result.error = Some(e);
            return result;
        }
    };
    let Some(baseline) = stored else {
        result.status = Status::New;
        result.current = Some(current);
        return result;
    };
    if let Some(difference) = baseline.scores.slot_difference(&current) {
        result.error = Some(format!(
            "slots differ from the baseline ({difference}). Re-run `pybench update` to reset."
        ));
        return result;
    }
    result.nondeterministic_seed = first_unreproduced_seed(baseline, &current, result.env.as_ref());
    compare_tables_and_mirror(&mut result, &baseline.scores, current);
    result
}

/// Judge `current` against `baseline` (same seeds, same slots) with the
/// engine: PASS, FAIL, or ERROR when the engine refuses.
pub fn compare_tables(result: &mut BenchResult, baseline: &ScoreTable, current: ScoreTable) {
    compare_into(result, baseline, current, false);
}

/// [`compare_tables`], and the mirror test on `−d` for a compared
/// benchmark (`result.improvement`: a significant improvement), from the
/// same permutation pass.
pub fn compare_tables_and_mirror(
    result: &mut BenchResult,
    baseline: &ScoreTable,
    current: ScoreTable,
) {
    compare_into(result, baseline, current, true);
}

fn compare_into(
    result: &mut BenchResult,
    baseline: &ScoreTable,
    current: ScoreTable,
    mirrored: bool,
) {
    let options = CompareOptions {
        alpha: result.alpha,
        min_effect: result.min_effect,
    };
    let (name, seeds) = (&result.name, &result.seeds);
    match stats::compare_mirrored(name, seeds, baseline, &current, &options, mirrored) {
        Ok((comparison, mirror)) => {
            result.status = if comparison.passed() {
                Status::Pass
            } else {
                Status::Fail
            };
            result.comparison = Some(comparison);
            result.improvement = mirror;
        }
        Err(e) => result.error = Some(e.to_string()),
    }
    result.current = Some(current);
    result.reference = Some(baseline.clone());
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
