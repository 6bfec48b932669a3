//! `pybench seeds [PATH...]`: draw `n_seeds` fresh seeds for every selected
//! benchmark (as a first run or `update` would) and write them to the seed
//! plan that sharded runs read, keeping other benchmarks' entries.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::cli::SeedsArgs;
use crate::error::Error;
use crate::exit;
use crate::report::{self, terminal, terminal::shown};
use crate::runner::{self, RunContext, SeedSource};
use crate::scaleout::SeedPlan;
use crate::scaleout::plan::{FORMAT_VERSION, Planned};

pub fn run(args: &SeedsArgs) -> Result<i32, Error> {
    let source = SeedSource::from_env()?;
    let context = RunContext::catching_signals();
    let benchmarks = super::discover(&context, &args.search.search(args.verbose))?;
    let path = args
        .seed_plan
        .clone()
        .unwrap_or_else(|| SeedPlan::default_path(&args.search.store.baseline()));
    // Read and written under the plan's lock: concurrent runs add theirs.
    let _lock = crate::store::lock::lock_file(&path, "seed-plan", true)?;
    let mut plan = if path.exists() {
        SeedPlan::read(&path)?
    } else {
        SeedPlan {
            format_version: FORMAT_VERSION,
            benchmarks: BTreeMap::new(),
        }
    };
    let overrides = args.settings.overrides();
    let mut out = String::new();
    let column = terminal::NameColumn::fitting(benchmarks.iter().map(|b| b.name.as_str()));
    for bench in &benchmarks {
        match bench.resolve_settings(&overrides) {
            Ok(settings) => {
                let seeds = runner::fresh_seeds(settings.n_seeds, source, &bench.name);
                let name = column.pad(&bench.name);
                let _ = writeln!(out, "{name} {} seeds", seeds.len());
                plan.benchmarks.insert(
                    bench.name.clone(),
                    Planned {
                        n_seeds: seeds.len(),
                        seeds,
                    },
                );
            }
            // Its shards report the same error; there is nothing to plan.
            Err(e) => {
                let (name, e) = (column.pad(&bench.name), shown(&e.to_string()));
                let _ = writeln!(out, "{name} skipped: {e}");
            }
        }
    }
    plan.write(&path)?;
    let _ = writeln!(out, "seed plan written to {}", path.display());
    report::print(&out);
    Ok(exit::OK)
}
