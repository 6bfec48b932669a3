//! `pybench --list`: each benchmark with its settings and stored baseline;
//! runs nothing, exit 0.

use std::fmt::Write as _;

use crate::cli::RunArgs;
use crate::exit;
use crate::report::{self, terminal};
use crate::runner::Benchmark;
use crate::settings::compact;
use crate::store::Store;

/// `n_seeds` is `--n-seeds`, shown as the run would use it.
pub fn run(args: &RunArgs, benchmarks: &[Benchmark], store: &Store) -> i32 {
    let overrides = args.settings.overrides();
    let mut text = String::new();
    for bench in benchmarks {
        let detail = match bench.resolve_settings(&overrides) {
            Ok(s) => format!(
                "n_seeds={}  alpha={}  min_effect={}  workers={}",
                s.n_seeds,
                compact(s.alpha.get()),
                s.min_effect.map_or("none".to_string(), compact),
                s.workers
            ),
            Err(e) => format!("invalid settings: {}", terminal::shown(&e.to_string())),
        };
        let baseline = match store.get(&bench.name) {
            Some(b) => format!(
                "baseline: {} seeds @ {}",
                b.seeds.len(),
                b.git_commit.as_deref().unwrap_or("-------")
            ),
            None => "no baseline".to_string(),
        };
        let _ = writeln!(
            text,
            "{}  {detail}  {baseline}  {}",
            terminal::bench_name(&bench.name),
            bench.source.named.display()
        );
    }
    report::print(&text);
    exit::OK
}
