//! The `pybench` and `pybench update` commands: discover, run, judge,
//! store, report.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::cli::{RunArgs, bench_name_matches};
use crate::discover;
use crate::error::Error;
use crate::fingerprint::{Environment, StoredSettings};
use crate::git;
use crate::isolate;
use crate::library::{self, Benchmark};
use crate::report::{self, BenchResult, Status};
use crate::run;
use crate::settings::{Overrides, Settings};
use crate::stats::{self, CompareOptions};
use crate::store::{self, Baseline, Store};

/// What a run does with baselines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Compare with stored baselines; NEW benchmarks get one.
    Check,
    /// Fresh seeds, and every selected baseline rewritten.
    Update { n_seeds: Option<usize> },
}

/// Run the command; the result is the process exit code.
pub fn run(args: &RunArgs, mode: Mode) -> Result<i32, Error> {
    if let Some(rev) = &args.against {
        if mode != Mode::Check {
            return Err(Error::Against(
                "--against writes no baseline, so it does not go with `update`".into(),
            ));
        }
        return crate::against::run(args, rev);
    }
    let started = Instant::now();
    let seed_source = run::SeedSource::from_env().map_err(Error::Environment)?;
    let benchmarks = discover_benchmarks(args)?;
    if args.shard.is_some() {
        return crate::shard::run(args, mode, &benchmarks);
    }
    // Held until the run ends: concurrent runs on one file take turns.
    let _lock = store::lock(&args.store.baseline, !args.no_wait)?;
    let mut store = Store::open(&args.store.baseline)?;
    // Ctrl-C stops the workers; nothing is written (the handler can only be
    // installed once per process, which is all a run needs).
    let _ = ctrlc::set_handler(|| isolate::INTERRUPTED.store(true, Ordering::SeqCst));
    if args.list {
        return Ok(crate::outputs::list(args, &benchmarks, &store));
    }
    let overrides = args.overrides(match mode {
        Mode::Update { n_seeds } => n_seeds,
        Mode::Check => None,
    });
    let progress = crate::progress::Progress::for_terminal(args.quiet);
    let names: Vec<&str> = benchmarks.iter().map(|b| b.name.as_str()).collect();
    judge_and_report(args, mode, started, &names, &mut store, |index, stored| {
        execute(
            &benchmarks[index],
            &overrides,
            stored,
            seed_source,
            args.in_process,
            &progress,
        )
    })
}

/// Everything after running: judge each benchmark (`produce` runs or merges
/// it), report, write baselines and reports, exit code. A normal run and
/// `pybench merge` share it, so a merged run reads exactly as an unsharded one.
pub(crate) fn judge_and_report(
    args: &RunArgs,
    mode: Mode,
    started: Instant,
    benchmarks: &[&str],
    store: &mut Store,
    mut produce: impl FnMut(usize, Option<&Baseline>) -> BenchResult,
) -> Result<i32, Error> {
    let writes = mode == Mode::Check && benchmarks.iter().any(|b| store.get(b).is_none())
        || matches!(mode, Mode::Update { .. });
    let repo = git::repo_state(&existing_dir(&args.store.baseline))?;
    let may_write = !writes || confirm_write(args, mode, benchmarks, store, repo.as_ref())?;

    let mut out = crate::outputs::stdout(args.quiet);
    match mode {
        Mode::Check => print(&mut out, &format!("{}\n", report::header(benchmarks.len()))),
        Mode::Update { .. } => print(
            &mut out,
            &format!(
                "pybench update — {} benchmark(s) rewritten\n\n",
                benchmarks.len()
            ),
        ),
    }

    let mut results = Vec::with_capacity(benchmarks.len());
    let mut updates = Vec::new();
    for (index, bench) in benchmarks.iter().enumerate() {
        let stored = match mode {
            Mode::Check => store.get(bench),
            Mode::Update { .. } => None,
        };
        let mut result = produce(index, stored);
        if isolate::INTERRUPTED.load(Ordering::SeqCst) {
            return Err(Error::Interrupted);
        }
        result.improvement = crate::outputs::improvement(&result, stored);
        if result.status == Status::New {
            result.saved = may_write;
            if may_write && let Some(table) = &result.current {
                updates.push(Baseline {
                    bench: result.name.clone(),
                    timestamp: now_utc(),
                    git_commit: repo.as_ref().and_then(|r| r.short_commit.clone()),
                    git_dirty: repo.as_ref().is_some_and(|r| r.dirty),
                    seeds: result.seeds.clone(),
                    scores: table.clone(),
                    env: result.env.clone(),
                    settings: result.settings.clone(),
                });
            }
        }
        match mode {
            Mode::Check => print(&mut out, &report::bench_lines(&result, args.verbose)),
            Mode::Update { .. } => print(&mut out, &format!("{}\n", report::updated_line(&result))),
        }
        for warning in report::warnings(&result) {
            eprintln!("{warning}");
        }
        results.push(result);
    }
    store.write(updates)?;

    finish(
        &mut out,
        args,
        &results,
        started,
        repo.as_ref(),
        mode == Mode::Check,
    )
}

/// The rule and summary (when `summary`), the report files, the exit code.
pub(crate) fn finish(
    out: &mut impl Write,
    args: &RunArgs,
    results: &[BenchResult],
    started: Instant,
    repo: Option<&git::RepoState>,
    summary: bool,
) -> Result<i32, Error> {
    let seconds = started.elapsed().as_secs_f64();
    if summary {
        let text = format!(
            "{}\n{}\n",
            report::rule(),
            report::summary(results, seconds)
        );
        print(out, &text);
    }
    crate::outputs::write_all(args, results, repo, seconds)?;
    Ok(exit_code(results))
}

/// 1 when anything regressed, else 2 when anything errored, else 0.
pub fn exit_code(results: &[BenchResult]) -> i32 {
    if results.iter().any(|r| r.status == Status::Fail) {
        1
    } else if results.iter().any(|r| r.status == Status::Error) {
        2
    } else {
        0
    }
}

pub(crate) fn print(out: &mut impl Write, text: &str) {
    // A closed stdout (`pybench | head`) must not abort the run or its writes.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Every selected benchmark of every PATH, sorted by name.
pub(crate) fn discover_benchmarks(args: &RunArgs) -> Result<Vec<Benchmark>, Error> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("benchmarks")]
    } else {
        args.paths.clone()
    };
    let files = discover::library_files(&paths, args.no_build)?;
    let mut benchmarks: Vec<Benchmark> = Vec::new();
    for file in &files {
        let mut skipped = Vec::new();
        let found = library::load_benchmarks(&file.path, &mut skipped)?;
        if args.verbose {
            for name in skipped {
                eprintln!(
                    "note: {name} in {} has no pybench_meta companion; skipped",
                    file.path.display()
                );
            }
        }
        if found.is_empty() && file.named {
            return Err(Error::LibraryWithoutBenchmarks(file.path.clone()));
        }
        benchmarks.extend(found);
    }
    benchmarks.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(pair) = benchmarks.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(Error::Duplicate {
            name: pair[0].name.clone(),
            first: pair[0].library.path.clone(),
            second: pair[1].library.path.clone(),
        });
    }
    if benchmarks.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::NoBenchmarks(shown.join(", ")));
    }
    if let Some(unknown) = args.store.benches.iter().find(|wanted| {
        !benchmarks
            .iter()
            .any(|b| bench_name_matches(wanted, &b.name))
    }) {
        return Err(Error::UnknownBench(unknown.clone()));
    }
    benchmarks.retain(|b| args.store.selects(&b.name));
    Ok(benchmarks)
}

/// Run one benchmark and judge it against its stored baseline, if any.
fn execute(
    bench: &Benchmark,
    overrides: &Overrides,
    stored: Option<&Baseline>,
    seed_source: run::SeedSource,
    in_process: bool,
    progress: &crate::progress::Progress,
) -> BenchResult {
    let (mut result, settings) = start(bench, overrides);
    let Some(settings) = settings else {
        return result;
    };
    result.seeds = match stored {
        Some(baseline) => baseline.seeds.clone(),
        None => run::fresh_seeds(settings.n_seeds, seed_source, &bench.name),
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
    let (outcomes, output) = run_sides(&[bench], &result.seeds, &settings, in_process, progress);
    result.output = output;
    let outcomes = outcomes.map(|mut sides| sides.remove(0));
    judge(result, stored, outcomes.map_err(|e| e.to_string()))
}

/// Record where `result` was measured, and how that differs from where its
/// baseline was.
pub(crate) fn fingerprint(result: &mut BenchResult, env: Environment, stored: Option<&Baseline>) {
    if let Some(stored_env) = stored.and_then(|b| b.env.as_ref()) {
        result.env_differences = stored_env.differences(&env);
    }
    result.env = Some(env);
}

/// A result for `name` that is an ERROR until judged.
pub(crate) fn blank_result(name: &str, alpha: f64, min_effect: Option<f64>) -> BenchResult {
    BenchResult {
        name: name.to_string(),
        status: Status::Error,
        alpha,
        min_effect,
        seeds: Vec::new(),
        current: None,
        comparison: None,
        error: None,
        saved: false,
        output: String::new(),
        improvement: None,
        env: None,
        settings: None,
        env_differences: Vec::new(),
        nondeterministic_seed: None,
        against: None,
    }
}

/// Resolve a benchmark's settings: its blank result and settings, or its
/// ERROR result and no settings.
pub(crate) fn start(bench: &Benchmark, overrides: &Overrides) -> (BenchResult, Option<Settings>) {
    let mut result = blank_result(
        &bench.name,
        overrides.alpha.unwrap_or(crate::settings::DEFAULT_ALPHA),
        overrides.min_effect,
    );
    match bench.resolve_settings(overrides) {
        Ok(settings) => {
            result.alpha = settings.alpha;
            result.min_effect = settings.min_effect;
            result.settings = Some(StoredSettings::from(&settings));
            (result, Some(settings))
        }
        Err(message) => {
            result.error = Some(message);
            (result, None)
        }
    }
}

/// Run `benches` (one side, or two for `--against`) on `seeds`, in a worker
/// process unless `in_process`; `[side][seed index]`, and what they printed.
pub(crate) fn run_sides(
    benches: &[&Benchmark],
    seeds: &[u64],
    settings: &Settings,
    in_process: bool,
    progress: &crate::progress::Progress,
) -> (Result<Vec<Vec<run::SeedOutcome>>, run::RunError>, String) {
    let bar = progress.bench_started(&benches[0].name, seeds.len());
    let outcome = if in_process {
        let entries: Vec<_> = benches.iter().map(|b| b.entry).collect();
        let outcomes = run::call_all(
            &entries,
            seeds,
            settings.workers,
            |_| {},
            |index, side, _| {
                if side == run::side_order(index, entries.len())[entries.len() - 1] {
                    bar.seed_done();
                }
            },
        );
        (outcomes, String::new())
    } else {
        match isolate::own_executable() {
            Err(e) => (Err(e), String::new()),
            Ok(exe) => {
                let sides: Vec<isolate::Side> = benches
                    .iter()
                    .map(|b| isolate::Side {
                        library: b.library.path.clone(),
                        bench: b.name.clone(),
                    })
                    .collect();
                let worker = isolate::run_in_worker(
                    &exe,
                    &sides,
                    seeds,
                    settings.workers,
                    settings.timeout.map(Duration::from_secs_f64),
                    || bar.seed_done(),
                );
                (worker.outcomes, worker.output)
            }
        }
    };
    progress.finish(bar);
    outcome
}

/// Turn a benchmark's outcomes (in the order of `result.seeds`) into its
/// verdict against `stored`, or NEW without one.
pub(crate) fn judge(
    mut result: BenchResult,
    stored: Option<&Baseline>,
    outcomes: Result<Vec<run::SeedOutcome>, String>,
) -> BenchResult {
    let current = match outcomes
        .and_then(|o| run::into_table(&result.seeds, &o).map_err(|e| e.to_string()))
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
    compare_tables(&mut result, &baseline.scores, current);
    result
}

/// Judge `current` against `baseline` (same seeds, same slots) with the
/// engine: PASS, FAIL, or ERROR when the engine refuses.
pub(crate) fn compare_tables(
    result: &mut BenchResult,
    baseline: &crate::scores::ScoreTable,
    current: crate::scores::ScoreTable,
) {
    let options = CompareOptions {
        alpha: result.alpha,
        min_effect: result.min_effect,
    };
    match stats::compare(&result.name, &result.seeds, baseline, &current, &options) {
        Ok(comparison) => {
            result.status = if comparison.passed() {
                Status::Pass
            } else {
                Status::Fail
            };
            result.comparison = Some(comparison);
        }
        Err(e) => result.error = Some(e.to_string()),
    }
    result.current = Some(current);
}

/// With the library unchanged, the same seeds must give the same scores;
/// the first seed (in seed order) that does not, if any.
fn first_unreproduced_seed(
    baseline: &Baseline,
    current: &crate::scores::ScoreTable,
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

/// On a dirty tree, ask before writing; without a terminal, refuse unless
/// `--yes`.
fn confirm_write(
    args: &RunArgs,
    mode: Mode,
    benchmarks: &[&str],
    store: &Store,
    repo: Option<&git::RepoState>,
) -> Result<bool, Error> {
    if args.yes || !repo.is_some_and(|r| r.dirty) {
        return Ok(true);
    }
    let names: Vec<&str> = benchmarks
        .iter()
        .filter(|b| matches!(mode, Mode::Update { .. }) || store.get(b).is_none())
        .copied()
        .collect();
    let names = names.join(", ");
    if !std::io::stdin().is_terminal() {
        return Err(Error::DirtyTree(names));
    }
    eprint!("The git working tree is dirty. Write baselines for {names} anyway? [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(Error::Prompt)?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(true)
    } else {
        Err(Error::DirtyTree(names))
    }
}

/// The nearest existing directory at or above the baseline file, for git.
fn existing_dir(baseline: &Path) -> PathBuf {
    let mut dir = baseline.parent().map(Path::to_path_buf).unwrap_or_default();
    while !dir.as_os_str().is_empty() && !dir.is_dir() {
        dir = dir.parent().map(Path::to_path_buf).unwrap_or_default();
    }
    if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    }
}

fn now_utc() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
