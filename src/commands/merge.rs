//! `pybench merge DIR...`: join the shard files that `--shard K/N --out DIR`
//! wrote, then judge, print, write baselines and reports, and exit exactly
//! as the unsharded run would have.

use std::time::Instant;

use crate::cli::MergeArgs;
use crate::error::Error;
use crate::judge::{References, verdict};
use crate::runner::{DiscoverError, RunContext};
use crate::scaleout::{self, Joined, ShardError};
use crate::settings::RunMode;
use crate::store::{self, Store};

pub fn run(args: &MergeArgs) -> Result<i32, Error> {
    let started = Instant::now();
    if args.dirs.is_empty() {
        return Err(ShardError::Usage("merge needs the shards' --out directories".into()).into());
    }
    let mut joined = scaleout::collect(&args.dirs)?;
    let selection = args.store.selection();
    if let Some(unknown) = selection.unknown(joined.iter().map(|j| j.name.as_str())) {
        return Err(DiscoverError::UnknownBench(unknown.to_string()).into());
    }
    joined.retain(|j| selection.selects(&j.name));
    let mode = joined[0].mode;
    // A signal stops the merge before any baseline is written, as a run.
    let context = RunContext::catching_signals();
    let pipeline = super::pipeline(
        context,
        &args.reports,
        &args.write,
        args.family,
        mode,
        started,
    )?;
    let _lock = store::lock(&args.store.baseline(), !args.write.no_wait)?;
    let mut store = Store::open(&args.store.baseline())?;
    if mode == RunMode::Check {
        check_baselines(args, &joined, &store)?;
    }
    let names: Vec<&str> = joined.iter().map(|j| j.name.as_str()).collect();
    let sources: Vec<Option<String>> = joined.iter().map(|j| j.source.clone()).collect();
    pipeline.run(
        &names,
        &sources,
        References::Stored(&mut store),
        |index, reference| verdict::judge_joined(&joined[index], reference.stored()),
    )
}

/// The baselines the shards ran against are still the ones in the file.
fn check_baselines(args: &MergeArgs, joined: &[Joined], store: &Store) -> Result<(), Error> {
    for bench in joined {
        match store.get(&bench.name) {
            Some(baseline) if baseline.seeds != bench.seeds && bench.error.is_none() => {
                return Err(ShardError::Merge {
                    bench: bench.name.clone(),
                    detail: format!(
                        "its baseline in {} has other seeds than its shards ran; it changed since they ran",
                        args.store.baseline().display()
                    ),
                    hint: "run the shards again on the current baseline file",
                }
                .into());
            }
            None if bench.on_baseline => {
                return Err(ShardError::Merge {
                    bench: bench.name.clone(),
                    detail: format!(
                        "its shards ran against a baseline, but {} has none",
                        args.store.baseline().display()
                    ),
                    hint: "merge with the --baseline file the shards read",
                }
                .into());
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::Status;
    use crate::scaleout::join::join;
    use crate::scaleout::join::tests::{file, timed_out_shards};

    #[test]
    fn a_joined_run_is_judged_as_an_unsharded_one() {
        let joined = join("bench_x".into(), vec![file(2, 2), file(1, 2)]).unwrap();
        let result = verdict::judge_joined(&joined, None);
        assert_eq!(result.status(), Status::New);
        assert_eq!(
            result.current().unwrap().column(0),
            [0.5, 0.1, 0.4, 0.2, 0.3]
        );
        assert_eq!(
            result.source.as_deref(),
            Some("bench"),
            "the shards' source"
        );
    }

    #[test]
    fn the_earliest_seeds_error_is_the_benchmarks() {
        let joined = join("bench_x".into(), timed_out_shards()).unwrap();
        let result = verdict::judge_joined(&joined, None);
        assert_eq!(result.status(), Status::Error);
        assert_eq!(result.error(), Some("timed out after 2 s on seed 10"));
    }
}
