//! `pybench --against REV`: the same benchmarks at another revision, built
//! from a checkout of it (`runner::revision`) and run on the same seeds, in
//! the same run, on the same machine — the strongest pairing there is.
//! Nothing is written to the baseline file.

use std::time::Instant;

use crate::cli::CheckArgs;
use crate::error::Error;
use crate::judge::adaptive;
use crate::judge::verdict::{self, Execution};
use crate::report::progress::Progress;
use crate::report::terminal;
use crate::result::{BenchResult, Revision, Status};
use crate::runner::revision::{self, RevisionBuild};
use crate::runner::{self, Benchmark, LibraryFile, RunContext, Search, SeedSource};
use crate::settings::{Overrides, RunMode};
use crate::stats;
use crate::store::Store;
use crate::store::fingerprint::Environment;
use crate::store::git;

/// The whole `--against REV` run; the result is the exit code.
pub fn run(check: &CheckArgs, rev: &str) -> Result<i32, Error> {
    let started = Instant::now();
    // Read now: an --in-process benchmark may change the current directory.
    let cwd = std::env::current_dir().unwrap_or_default();
    let args = &check.run;
    let context = RunContext::catching_signals();
    let pipeline = super::pipeline(
        context,
        &args.reports,
        &args.write,
        check.family,
        RunMode::Check,
        started,
    )?;
    let seed_source = SeedSource::from_env()?;
    let search = resolved_search(args)?;
    let build = revision::prepare(rev, &search.paths, search.quiet)?;
    if build.reused && !search.quiet {
        eprintln!("using the cached build of {}", build.label);
    }
    let current = super::discover(&context, &search)?;
    let previous = revision_benchmarks(&context, &search, &build)?;
    let store = Store::open(&args.search.store.baseline())?;
    let pair = Pair {
        overrides: Overrides {
            adaptive: check.adaptive.then_some(true),
            ..args.settings.overrides(None)
        },
        seed_source,
        revision: Revision {
            label: build.label.clone(),
            short: build.short.clone(),
        },
    };
    let progress = Progress::for_terminal(args.reports.quiet);
    let in_both = current
        .iter()
        .filter(|c| previous.iter().any(|p| p.name == c.name))
        .count();
    let execution = Execution {
        context,
        in_process: args.in_process,
        progress: &progress,
        family_size: if check.family == crate::stats::Family::None {
            1
        } else {
            in_both.max(1)
        },
    };
    terminal::align_names(current.iter().chain(&previous).map(|b| b.name.as_str()));
    pipeline.print(&format!(
        "pybench — {} discovered, against {}\n\n",
        terminal::count(current.len(), "benchmark"),
        build.label
    ));
    let mut results = Vec::with_capacity(current.len());
    for bench in &current {
        let result = match previous.iter().find(|b| b.name == bench.name) {
            Some(old) => {
                let stored_seeds = check
                    .stored_seeds
                    .then(|| store.get(&bench.name).map(|b| b.seeds.clone()))
                    .flatten();
                pair.run(old, bench, stored_seeds, &execution)
            }
            None => pair.only_here(bench),
        };
        context.check()?;
        pipeline.take(result, &mut results);
    }
    for bench in previous.iter().filter(|p| p.library_failed()) {
        pipeline.take(pair.failed_there(bench), &mut results);
    }
    let gone = gone_lines(&previous, &current, &build.label);
    let repo = git::repo_state(&cwd)?;
    pipeline.conclude(results, &gone, repo.as_ref(), true)
}

/// The run's search with its paths resolved: both sides search the same.
fn resolved_search(args: &crate::cli::RunArgs) -> Result<runner::Search, Error> {
    let mut search = args.search();
    search.paths = runner::discover::resolve_paths(&search.paths, search.verbose, search.quiet)?;
    Ok(search)
}

/// One line per benchmark of REV that the working tree no longer has.
fn gone_lines(previous: &[Benchmark], current: &[Benchmark], label: &str) -> String {
    previous
        .iter()
        .filter(|p| !p.library_failed() && !current.iter().any(|c| c.name == p.name))
        .map(|bench| {
            format!(
                "{:<18} only in {label}, not in the working tree\n",
                terminal::bench_name(&bench.name),
            )
        })
        .collect()
}

/// REV's selected benchmarks, sorted by name, read as the working tree's
/// are (in describe workers unless `--in-process`).
pub(crate) fn revision_benchmarks(
    context: &RunContext,
    search: &Search,
    build: &RevisionBuild,
) -> Result<Vec<Benchmark>, Error> {
    let files: Vec<LibraryFile> = build
        .libraries
        .iter()
        .map(|path| LibraryFile {
            path: path.clone(),
            named: false,
            source: path.clone(),
        })
        .collect();
    let mut previous = runner::load_libraries(context, &files, search)?;
    context.check()?;
    previous.retain(|b| b.library_failed() || search.selection.selects(&b.name));
    previous.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(previous)
}

/// What every pair of the run shares.
struct Pair {
    overrides: Overrides,
    seed_source: SeedSource,
    revision: Revision,
}

impl Pair {
    /// A benchmark REV does not have.
    fn only_here(&self, bench: &Benchmark) -> BenchResult {
        let (mut result, _) = verdict::start(bench, &self.overrides);
        result.status = Status::New;
        result.error = None;
        result.against = Some(self.revision.clone());
        result
    }

    /// A library of REV that could not be described: an ERROR.
    fn failed_there(&self, bench: &Benchmark) -> BenchResult {
        let (mut result, _) = verdict::start(bench, &self.overrides);
        let label = &self.revision.label;
        result.error = result.error.map(|e| format!("at {label}: {e}"));
        result.against = Some(self.revision.clone());
        result
    }

    /// Run REV's and the working tree's benchmark on the same seeds, each
    /// seed on both sides back to back, and judge the working tree against
    /// REV.
    fn run(
        &self,
        old: &Benchmark,
        new: &Benchmark,
        stored_seeds: Option<Vec<u64>>,
        execution: &Execution,
    ) -> BenchResult {
        let (mut result, settings) = verdict::start(new, &self.overrides);
        result.against = Some(self.revision.clone());
        let Some(settings) = settings else {
            return result;
        };
        result.seeds = stored_seeds
            .unwrap_or_else(|| runner::fresh_seeds(settings.n_seeds, self.seed_source, &new.name));
        if let Err(e) = stats::check_reachable(settings.alpha, result.seeds.len()) {
            result.error = Some(e.to_string());
            return result;
        }
        verdict::fingerprint(&mut result, Environment::current(&new.library.path), None);
        if settings.adaptive {
            let alpha = adaptive::alpha_share(settings.alpha, execution.family_size);
            let reference = adaptive::Reference::Revision;
            return adaptive::run(result, &[old, new], &settings, reference, alpha, execution);
        }
        let (outcomes, output) = execution.run(&[old, new], &result.seeds, &settings);
        result.output = output;
        let label = &self.revision.label;
        let tables = outcomes.and_then(|sides| {
            let old_table = runner::call::into_table(&result.seeds, &sides[0])
                .map_err(|e| format!("at {label}: {e}"))?;
            let new_table =
                runner::call::into_table(&result.seeds, &sides[1]).map_err(|e| e.to_string())?;
            Ok((old_table, new_table))
        });
        match tables {
            Err(e) => result.error = Some(e),
            Ok((old_table, new_table)) => match old_table.slot_difference(&new_table) {
                Some(difference) => {
                    result.error = Some(format!("slots differ from {label}'s ({difference})"));
                }
                None => verdict::compare_tables(&mut result, &old_table, new_table),
            },
        }
        result
    }
}
