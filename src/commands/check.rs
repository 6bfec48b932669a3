//! `pybench [PATH...]`: run every benchmark on its stored seeds and judge it
//! against its baseline; NEW benchmarks get one. `--against`, `--shard` and
//! `--list` hand over to their own commands.

use std::time::Instant;

use crate::cli::{CheckArgs, RunArgs};
use crate::error::Error;
use crate::judge::verdict::{self, Execution};
use crate::report::progress::Progress;
use crate::runner::{self, SeedSource};
use crate::settings::RunMode;
use crate::stats::Family;
use crate::store::{self, Store};

pub fn run(args: &CheckArgs) -> Result<i32, Error> {
    if let Some(rev) = &args.against {
        return super::against::run(args, rev);
    }
    run_mode(&args.run, args.family, RunMode::Check, None)
}

/// A check or an update, from discovery to exit code.
pub(super) fn run_mode(
    args: &RunArgs,
    family: Family,
    mode: RunMode,
    n_seeds: Option<usize>,
) -> Result<i32, Error> {
    let started = Instant::now();
    let pipeline = super::pipeline(&args.reports, &args.write, family, mode, started)?;
    let seed_source = SeedSource::from_env()?;
    let benchmarks = runner::benchmarks(&args.search())?;
    if args.shard.shard.is_some() {
        return super::shard::run(args, mode, n_seeds, &benchmarks);
    }
    // Held until the run ends: concurrent runs on one file take turns.
    let _lock = store::lock(&args.search.store.baseline, !args.write.no_wait)?;
    let mut store = Store::open(&args.search.store.baseline)?;
    super::catch_interrupts();
    if args.list {
        return Ok(super::list::run(args, n_seeds, &benchmarks, &store));
    }
    let overrides = args.settings.overrides(n_seeds);
    let progress = Progress::for_terminal(args.reports.quiet);
    let execution = Execution {
        in_process: args.in_process,
        progress: &progress,
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
