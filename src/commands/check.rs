//! `pybench [PATH...]`: run every benchmark on its stored seeds and judge it
//! against its baseline; NEW benchmarks get one. `--against`, `--shard` and
//! `--list` hand over to their own commands.

use std::time::Instant;

use crate::cli::{CheckArgs, RunArgs};
use crate::error::Error;
use crate::judge::verdict::{self, Execution};
use crate::report::progress::Progress;
use crate::runner::{RunContext, SeedSource};
use crate::settings::RunMode;
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
    let pipeline = super::pipeline(
        context,
        &args.reports,
        &args.write,
        how.family,
        mode,
        started,
    )?;
    let seed_source = SeedSource::from_env()?;
    let benchmarks = super::discover(&context, &args.search())?;
    if args.shard.shard.is_some() {
        return super::shard::run(&context, args, mode, n_seeds, &benchmarks);
    }
    // Held until the run ends: concurrent runs on one file take turns.
    let _lock = store::lock(&args.search.store.baseline(), !args.write.no_wait)?;
    let mut store = Store::open(&args.search.store.baseline())?;
    if args.list {
        return Ok(super::list::run(args, n_seeds, &benchmarks, &store));
    }
    let mut overrides = super::overrides(&args.settings, n_seeds)?;
    if how.adaptive {
        overrides.adaptive = Some(true);
    }
    let progress = Progress::for_terminal(args.reports.quiet);
    let execution = Execution {
        context,
        in_process: args.in_process,
        progress: &progress,
        family_size: family_size(
            how.family,
            mode,
            benchmarks.iter().map(|b| store.get(&b.name)),
        ),
    };
    let names: Vec<&str> = benchmarks.iter().map(|b| b.name.as_str()).collect();
    pipeline.run(&names, &mut store, |index, stored| {
        verdict::run_benchmark(
            &benchmarks[index],
            &overrides,
            stored,
            seed_source,
            &execution,
        )
    })
}

/// How many benchmarks a corrected check will judge: those with a stored
/// baseline (1 when nothing is corrected).
fn family_size<'a>(
    family: Family,
    mode: RunMode,
    stored: impl Iterator<Item = Option<&'a crate::store::Baseline>>,
) -> usize {
    if mode != RunMode::Check || family == Family::None {
        return 1;
    }
    stored.filter(Option::is_some).count().max(1)
}
