//! `pybench [PATH...]` and `pybench update`: run every benchmark on its
//! stored seeds and judge it against its baseline (NEW benchmarks get one),
//! or rewrite the baselines; the other modes (`--against`, `--shard`,
//! `--list`) hand over to their own commands.

use std::time::Instant;

use crate::cli::{Mode, RunArgs};
use crate::error::Error;
use crate::judge::{Execution, References, verdict};
use crate::report::progress::Progress;
use crate::report::terminal;
use crate::result::BenchResult;
use crate::runner::{self, Benchmark, RunContext, Search, SeedSource};
use crate::settings::{Alpha, Overrides, RunMode};
use crate::stats::Family;
use crate::store::{self, Store};

/// A run of the benchmarks in the mode its flags resolved to.
pub fn run(mode: Mode) -> Result<i32, Error> {
    let started = Instant::now();
    match mode {
        Mode::Against(args, rev) => super::against::run(args, rev),
        Mode::Check(args) => {
            let how = How {
                family: args.family,
                adaptive: args.adaptive,
            };
            judged(&args.run, how, RunMode::Check, started)
        }
        // An update judges nothing, so no run-level correction applies.
        Mode::Update(args) => judged(&args.run, How::NONE, RunMode::Update, started),
        Mode::List(args) => {
            let context = RunContext::catching_signals();
            SeedSource::from_env()?;
            let Discovered { benchmarks, .. } = discovered(&context, args)?;
            let _lock = store::lock(&args.search.store.baseline(), !args.write.no_wait)?;
            let store = Store::open(&args.search.store.baseline())?;
            Ok(super::list::run(args, &benchmarks, &store))
        }
        Mode::Shard {
            run,
            mode,
            shard,
            out,
        } => {
            let context = RunContext::catching_signals();
            SeedSource::from_env()?;
            let found = discovered(&context, run)?;
            let code = super::shard::run(&context, run, mode, shard, out, &found.benchmarks)?;
            let store = Store::open(&run.search.store.baseline())?;
            Ok(shard_missing(&found, &store, mode, code))
        }
    }
}

/// How a check judges: its run-level correction, and whether it stops
/// seeds early (`--adaptive`; a benchmark may also ask for it).
#[derive(Clone, Copy, Debug)]
pub(super) struct How {
    pub family: Family,
    pub adaptive: bool,
}

impl How {
    /// Neither.
    const NONE: How = How {
        family: Family::None,
        adaptive: false,
    };
}

/// A run's search with its paths resolved once, what those paths answer
/// for, and the benchmarks it selects.
struct Discovered {
    search: Search,
    /// A baseline whose source lies here but whose benchmark was not
    /// discovered is MISSING.
    scope: runner::Scope,
    benchmarks: Vec<Benchmark>,
}

fn discovered(context: &RunContext, args: &RunArgs) -> Result<Discovered, Error> {
    let mut search = args.search();
    let resolved = runner::discover::resolve_scoped(&search.paths, search.verbose, search.quiet)?;
    search.paths = resolved.paths;
    let benchmarks = super::discover(context, &search)?;
    Ok(Discovered {
        search,
        scope: resolved.scope,
        benchmarks,
    })
}

/// A check or an update, from discovery to exit code.
fn judged(args: &RunArgs, how: How, mode: RunMode, started: Instant) -> Result<i32, Error> {
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
    let found = discovered(&context, args)?;
    let benchmarks = &found.benchmarks;
    // Held until the run ends: concurrent runs on one file take turns.
    let _lock = store::lock(&args.search.store.baseline(), !args.write.no_wait)?;
    let mut store = Store::open(&args.search.store.baseline())?;
    let mut overrides = super::overrides(&args.settings, args.search.store.project.root())?;
    if how.adaptive {
        overrides.adaptive = Some(true);
    }
    if mode == RunMode::Check {
        note_kept_seeds(benchmarks, &overrides, &store);
        pipeline.missing = missing(&found, &store);
    }
    let names: Vec<&str> = benchmarks.iter().map(|b| b.name.as_str()).collect();
    let references = References::Stored(&mut store);
    let progress = Progress::for_terminal(args.reports.quiet);
    let execution = Execution {
        context,
        in_process: args.in_process,
        progress: &progress,
        project: &args.search.store.project,
        family_size: pipeline.family_size(&names, &references),
    };
    // No correction applies when at most one benchmark is judged: its line
    // is then shown as soon as it is judged, not at the end of the run.
    if execution.family_size <= 1 {
        pipeline.family = Family::None;
    }
    let sources = runner::source_keys(benchmarks);
    pipeline.run(&names, &sources, references, |index, reference| {
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
/// (`source`); it is in scope when that lies within the search's
/// [`runner::Scope`] and `--bench` selects it. A line without `source` (older, or the Python
/// tool's) cannot be placed, and is never MISSING.
fn missing(found: &Discovered, store: &Store) -> Vec<BenchResult> {
    let Discovered {
        search,
        scope,
        benchmarks,
    } = found;
    store
        .baselines()
        .filter(|b| search.selection.selects(&b.bench))
        .filter(|b| {
            b.source
                .as_deref()
                .is_some_and(|key| scope.holds(&search.project, key))
        })
        // A library that failed to load has its own ERROR line.
        .filter(|b| {
            !benchmarks
                .iter()
                .any(|found| found.library_failed() && found.source.source_key == b.source)
        })
        .filter(|b| !benchmarks.iter().any(|found| found.name == b.bench))
        .map(|b| {
            let (alpha, min_effect) = b
                .settings
                .as_ref()
                .map_or((Alpha::DEFAULT, None), |s| (s.alpha, s.min_effect));
            BenchResult::missing(&b.bench, alpha, min_effect)
        })
        .collect()
}

/// A check's shard decides MISSING as the check would, after writing its
/// files: `merge` sees only what the shards ran. Each MISSING line is
/// printed, and the shard exits 2.
fn shard_missing(found: &Discovered, store: &Store, mode: RunMode, code: i32) -> i32 {
    if mode != RunMode::Check {
        return code;
    }
    let missing = missing(found, store);
    // Aligned with the shard's own lines above.
    let column = terminal::NameColumn::fitting(found.benchmarks.iter().map(|b| b.name.as_str()));
    for result in &missing {
        crate::report::print(&terminal::bench_lines(result, false, column));
    }
    if missing.is_empty() {
        code
    } else {
        crate::exit::ERROR
    }
}

/// One note for the benchmarks whose n_seeds — `--n-seeds`, else what
/// they declare — is not their stored baseline's seed count: a check runs
/// the baseline's seeds, which it keeps until `pybench update`.
fn note_kept_seeds(benchmarks: &[Benchmark], overrides: &Overrides, store: &Store) {
    let kept: Vec<String> = benchmarks
        .iter()
        .filter_map(|bench| {
            let stored = store.get(&bench.name)?.seeds.len();
            let name = terminal::bench_name(&bench.name);
            match overrides.n_seeds {
                Some(asked) => (asked != stored).then(|| format!("{name} ({stored})")),
                None => {
                    let declared = bench.settings.as_ref().ok()?.n_seeds?;
                    (declared != stored)
                        .then(|| format!("{name} ({declared} declared, {stored} stored)"))
                }
            }
        })
        .collect();
    if kept.is_empty() {
        return;
    }
    let asked = overrides.n_seeds.map_or_else(
        || "a declared n_seeds".to_string(),
        |n| format!("--n-seeds {n}"),
    );
    eprintln!(
        "note: {asked} does not change the seeds of a stored baseline: {} keep theirs until `pybench update`",
        kept.join(", ")
    );
}
