//! `pybench [PATH...]`: run every benchmark on its stored seeds and judge it
//! against its baseline; NEW benchmarks get one. `--against`, `--shard` and
//! `--list` hand over to their own commands.

use std::time::Instant;

use crate::cli::{CheckArgs, RunArgs};
use crate::error::Error;
use crate::judge::{Execution, References, verdict};
use crate::report::progress::Progress;
use crate::result::BenchResult;
use crate::runner::{self, Benchmark, RunContext, Search, SeedSource};
use crate::settings::{DEFAULT_ALPHA, RunMode};
use crate::stats::Family;
use crate::store::{self, Store};

pub fn run(args: &CheckArgs) -> Result<i32, Error> {
    if let Some(rev) = &args.against {
        return super::against::run(args, rev);
    }
    let how = How {
        family: args.family,
        adaptive: args.adaptive,
    };
    run_mode(&args.run, how, RunMode::Check, None)
}

/// How a check judges: its run-level correction, and whether it stops
/// seeds early (`--adaptive`; a benchmark may also ask for it).
#[derive(Clone, Copy, Debug)]
pub(super) struct How {
    pub family: Family,
    pub adaptive: bool,
}

/// A check or an update, from discovery to exit code.
pub(super) fn run_mode(
    args: &RunArgs,
    how: How,
    mode: RunMode,
    n_seeds: Option<usize>,
) -> Result<i32, Error> {
    let started = Instant::now();
    let context = RunContext::catching_signals();
    let mut pipeline = super::pipeline(
        context,
        &args.reports,
        &args.write,
        how.family,
        mode,
        started,
    )?;
    let seed_source = SeedSource::from_env()?;
    // Resolved once: MISSING is decided against the paths searched.
    let mut search = args.search();
    search.paths = runner::discover::resolve_paths(&search.paths, search.verbose, search.quiet)?;
    let benchmarks = super::discover(&context, &search)?;
    if args.shard.shard.is_some() {
        let code = super::shard::run(&context, args, mode, n_seeds, &benchmarks)?;
        let store = Store::open(&args.search.store.baseline())?;
        return Ok(shard_missing(&search, &benchmarks, &store, mode, code));
    }
    // Held until the run ends: concurrent runs on one file take turns.
    let _lock = store::lock(&args.search.store.baseline(), !args.write.no_wait)?;
    let mut store = Store::open(&args.search.store.baseline())?;
    if args.list {
        return Ok(super::list::run(args, n_seeds, &benchmarks, &store));
    }
    let mut overrides = args.settings.overrides(n_seeds);
    if how.adaptive {
        overrides.adaptive = Some(true);
    }
    if mode == RunMode::Check {
        pipeline.missing = missing(&search, &benchmarks, &store);
    }
    let names: Vec<&str> = benchmarks.iter().map(|b| b.name.as_str()).collect();
    let references = References::Stored(&mut store);
    let progress = Progress::for_terminal(args.reports.quiet);
    let execution = Execution {
        context,
        in_process: args.in_process,
        progress: &progress,
        family_size: pipeline.family_size(&names, &references),
    };
    // No correction applies when at most one benchmark is judged: its line
    // is then shown as soon as it is judged, not at the end of the run.
    if execution.family_size <= 1 {
        pipeline.family = Family::None;
    }
    pipeline.run(&names, references, |index, reference| {
        verdict::run_benchmark(
            &benchmarks[index],
            &overrides,
            reference,
            seed_source,
            &execution,
        )
    })
}

/// The benchmarks of the baseline file that a check searched for but did
/// not discover: MISSING. A baseline records where its benchmark was found
/// (`source`); it is in scope when that lies within a searched path (the
/// PATHs, or the project's default ones) and `--bench` selects it. A line
/// without `source` (older, or the Python tool's) cannot be placed, and is
/// never MISSING.
pub(super) fn missing(
    search: &Search,
    benchmarks: &[Benchmark],
    store: &Store,
) -> Vec<BenchResult> {
    store
        .baselines()
        .filter(|b| search.selection.selects(&b.bench))
        .filter(|b| {
            b.source
                .as_deref()
                .is_some_and(|key| runner::in_scope(key, &search.paths))
        })
        // A library that failed to load has its own ERROR line.
        .filter(|b| {
            !benchmarks.iter().any(|found| {
                found.library_failed() && runner::source_key(&found.library.source) == b.source
            })
        })
        .filter(|b| !benchmarks.iter().any(|found| found.name == b.bench))
        .map(|b| {
            let (alpha, min_effect) = b
                .settings
                .as_ref()
                .map_or((DEFAULT_ALPHA, None), |s| (s.alpha, s.min_effect));
            BenchResult::missing(&b.bench, alpha, min_effect)
        })
        .collect()
}

/// A check's shard decides MISSING as the check would, after writing its
/// files: `merge` sees only what the shards ran. Each MISSING line is
/// printed, and the shard exits 2.
fn shard_missing(
    search: &Search,
    benchmarks: &[Benchmark],
    store: &Store,
    mode: RunMode,
    code: i32,
) -> i32 {
    if mode != RunMode::Check {
        return code;
    }
    let missing = missing(search, benchmarks, store);
    for result in &missing {
        crate::report::print(&crate::report::terminal::bench_lines(result, false));
    }
    if missing.is_empty() {
        code
    } else {
        crate::exit::ERROR
    }
}
