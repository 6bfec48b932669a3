//! `pybench [update] --shard K/N --out DIR`: run this shard's seeds of every
//! selected benchmark and write one shard file per benchmark, for `pybench
//! merge` to judge. Shards never draw seeds: they come from the stored
//! baseline or from the seed plan.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::cli::RunArgs;
use crate::error::Error;
use crate::exit;
use crate::judge::{Execution, verdict};
use crate::report::terminal::{self, shown};
use crate::report::{self, progress::Progress};
use crate::runner::{self, Benchmark, Reply, RunContext, RunError, SeedResult};
use crate::scaleout::file::FORMAT_VERSION;
use crate::scaleout::{SeedPlan, SeedRecord, SeedsFrom, Shard, ShardError, ShardFile, ShardSpec};
use crate::settings::{Alpha, Overrides, RunMode};
use crate::stats;
use crate::store::fingerprint::StoredSettings;
use crate::store::{Baseline, Store};

/// Exit code 0 once every file is written, even for a benchmark that
/// errored: the error is in its file, and `pybench merge` reports it.
pub fn run(
    context: &RunContext,
    args: &RunArgs,
    mode: RunMode,
    spec: ShardSpec,
    out_dir: &Path,
    benchmarks: &[Benchmark],
) -> Result<i32, Error> {
    let shard = spec.resolve(args.shard.shard_count.map(|n| n as usize), |name| {
        std::env::var(name).ok()
    })?;
    // Its ERROR is named after the library's path: no shard file name.
    if let Some(failed) = benchmarks.iter().find(|b| b.library_failed()) {
        return Err(ShardError::LibraryFailed {
            library: failed.source.named.clone(),
            cause: failed.failure().unwrap_or_default(),
        }
        .into());
    }
    let overrides = super::overrides(&args.settings, args.search.store.project.root())?;
    // Seeds first, for every benchmark: a missing plan entry is found before
    // anything runs.
    let seeds_of = seeds_of(args, mode, &overrides, benchmarks)?;
    for bench in benchmarks {
        ShardFile::probe(out_dir, &bench.name, shard)?;
    }
    let mut out = format!(
        "pybench — shard {shard} of {}\n\n",
        terminal::count(benchmarks.len(), "benchmark")
    );
    let column = terminal::NameColumn::fitting(benchmarks.iter().map(|b| b.name.as_str()));
    for (bench, (seeds_from, seeds, stored)) in benchmarks.iter().zip(seeds_of) {
        let file = run_one(
            context,
            bench,
            &overrides,
            shard,
            mode,
            (seeds_from, seeds),
            stored.as_ref(),
            args,
        );
        context.check()?;
        let path = file.write(out_dir)?;
        let detail = match &file.error {
            Some(error) => format!("ERROR (recorded for merge): {}", shown(error)),
            None => format!("{}/{} seeds", file.indices.len(), file.seeds.len()),
        };
        let name = column.pad(&file.bench);
        let _ = writeln!(out, "{name} {detail}   → {}", path.display());
    }
    if !args.reports.quiet {
        report::print(&out);
    }
    Ok(exit::OK)
}

/// A benchmark's seeds, where they came from, and its stored baseline.
type Planned = (SeedsFrom, Vec<u64>, Option<Baseline>);

/// Each benchmark's seeds: its stored baseline's in a check, else the seed
/// plan's.
fn seeds_of(
    args: &RunArgs,
    mode: RunMode,
    overrides: &Overrides,
    benchmarks: &[Benchmark],
) -> Result<Vec<Planned>, Error> {
    // Read-only: a shard never writes baselines, so it takes no lock.
    let store = Store::open(&args.search.store.baseline())?;
    let plan_path: Option<PathBuf> = args.shard.seed_plan.clone().or_else(|| {
        let default = SeedPlan::default_path(&args.search.store.baseline());
        default.exists().then_some(default)
    });
    let plan = match &plan_path {
        Some(path) => Some(SeedPlan::read(path)?),
        None => None,
    };
    let mut seeds_of = Vec::with_capacity(benchmarks.len());
    for bench in benchmarks {
        if mode == RunMode::Check
            && let Some(baseline) = store.get(&bench.name)
        {
            seeds_of.push((
                SeedsFrom::Baseline,
                baseline.seeds.clone(),
                Some(baseline.clone()),
            ));
            continue;
        }
        let planned = plan
            .as_ref()
            .and_then(|p| p.get(&bench.name))
            .ok_or_else(|| ShardError::NoPlan {
                bench: bench.name.clone(),
                plan: plan_path.clone(),
            })?;
        if let Some(asked) = overrides.n_seeds
            && asked != planned.len()
        {
            return Err(ShardError::PlanCount {
                bench: bench.name.clone(),
                planned: planned.len(),
                asked,
            }
            .into());
        }
        seeds_of.push((SeedsFrom::Plan, planned.to_vec(), None));
    }
    Ok(seeds_of)
}

/// Run one benchmark's share of `seeds`.
#[allow(clippy::too_many_arguments)]
fn run_one(
    context: &RunContext,
    bench: &Benchmark,
    overrides: &Overrides,
    shard: Shard,
    mode: RunMode,
    (seeds_from, seeds): (SeedsFrom, Vec<u64>),
    stored: Option<&Baseline>,
    args: &RunArgs,
) -> ShardFile {
    let environment = bench.source.environment();
    let mut file = ShardFile {
        format_version: FORMAT_VERSION,
        pybench_version: env!("CARGO_PKG_VERSION").into(),
        bench: bench.name.clone(),
        shard,
        mode,
        seeds_from,
        indices: shard.indices(seeds.len()),
        settings: StoredSettings {
            n_seeds: seeds.len(),
            alpha: overrides.alpha.unwrap_or(Alpha::DEFAULT),
            min_effect: overrides.min_effect,
        },
        seeds,
        library: bench.source.path.clone(),
        library_hash: environment.library_hash.clone(),
        environment,
        error: None,
        error_index: None,
        results: Vec::new(),
        output: String::new(),
        inputs: None,
        source: bench.source.source_key.clone(),
    };
    let (plan, settings) = verdict::start(bench, overrides);
    file.settings.alpha = plan.alpha;
    file.settings.min_effect = plan.min_effect;
    let settings = match settings {
        Ok(settings) => settings,
        Err(e) => {
            // As an unsharded run: the error comes before any seed is chosen.
            file.seeds.clear();
            file.indices.clear();
            file.settings.n_seeds = 0;
            file.error = Some(e);
            return file;
        }
    };
    // As an unsharded run: changed inputs are an error before any seed runs.
    let project = &args.search.store.project;
    match crate::judge::inputs::pin(project, &settings, stored) {
        Ok(inputs) => file.inputs = inputs,
        Err(changed) => {
            // What this shard read, so that merge can say the shards disagree.
            file.inputs = crate::store::inputs::pin_all(project, &settings.inputs).ok();
            file.error = Some(changed);
            return file;
        }
    }
    if let Err(e) = stats::check_reachable(settings.alpha.get(), file.seeds.len()) {
        file.error = Some(e.to_string());
        return file;
    }
    let mine: Vec<u64> = file.indices.iter().map(|&i| file.seeds[i]).collect();
    if mine.is_empty() {
        // More shards than seeds: nothing to run, but the file says so.
        return file;
    }
    let quiet = Progress::new(false);
    let execution = Execution {
        context: *context,
        in_process: args.in_process,
        progress: &quiet,
        family_size: 1,
        project,
    };
    let run = execution.run_raw(&[bench], &mine, &settings, Reply::Text);
    // Read again after the run: a Python benchmark's code identity is what
    // it imported.
    file.environment = bench.source.environment();
    file.library_hash = file.environment.library_hash.clone();
    record(&mut file, run);
    file
}

/// Put a run's outcomes (or the earliest seed its error names) in `file`.
fn record(file: &mut ShardFile, run: runner::Outcomes) {
    file.output = run.output;
    let outcomes = run.outcomes.and_then(|mut sides| {
        sides
            .remove(0)
            .into_iter()
            .map(SeedResult::into_raw)
            .collect::<Result<Vec<_>, _>>()
    });
    match outcomes {
        Ok(outcomes) => {
            file.results = file
                .indices
                .iter()
                .zip(outcomes)
                .map(|(&index, outcome)| SeedRecord {
                    index,
                    seed: file.seeds[index],
                    outcome,
                })
                .collect();
        }
        Err(e) => {
            let index_of = |seed: &u64| file.seeds.iter().position(|s| s == seed);
            file.error_index = match &e {
                RunError::Crashed { seeds, .. } => seeds.iter().filter_map(index_of).min(),
                RunError::TimedOut { seed, .. } | RunError::Seed { seed, .. } => index_of(seed),
                _ => None,
            };
            file.error = Some(e.to_string());
        }
    }
}
