//! `pybench --against REV`: the same benchmarks at another revision, built
//! from a checkout of it (`runner::revision`) and run on the same seeds, in
//! the same run, on the same machine — the strongest pairing there is.
//! Nothing is written to the baseline file.

use std::time::Instant;

use crate::cli::CheckArgs;
use crate::error::Error;
use crate::judge::{Against, Execution, Reference, References, verdict};
use crate::report::progress::Progress;
use crate::report::terminal;
use crate::result::{BenchResult, Outcome, Plan, Revision};
use crate::runner::revision::{self, RevisionBuild};
use crate::runner::{self, Benchmark, LibraryFile, RunContext, Search, SeedSource};
use crate::settings::{Overrides, RunMode};
use crate::store::inputs::at_revision;
use crate::store::{Project, Store};

/// The whole `--against REV` run; the result is the exit code. It is the
/// ordinary pipeline with REV as the reference: nothing is written.
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
    let build = revision::prepare(rev, &search.paths, search.quiet, &search.project)?;
    if build.reused && !search.quiet {
        eprintln!("using the cached build of {}", build.label);
    }
    let current = super::discover(&context, &search)?;
    let previous = revision_benchmarks(&context, &search, &build)?;
    let store = Store::open(&args.search.store.baseline())?;
    let overrides = Overrides {
        adaptive: check.adaptive.then_some(true),
        ..super::overrides(&args.settings, args.search.store.project.root())?
    };
    if let Some(note) = inputs_note(
        &current,
        &overrides,
        (rev, &build.label),
        &args.search.store.project,
    ) && !search.quiet
    {
        eprintln!("{note}");
    }
    // The working tree's benchmarks, then each library of REV that could
    // not be described (an ERROR each).
    let failed: Vec<&Benchmark> = previous.iter().filter(|p| p.library_failed()).collect();
    let names: Vec<&str> = current
        .iter()
        .chain(failed.iter().copied())
        .map(|b| b.name.as_str())
        .collect();
    let revision = Revision {
        label: build.label.clone(),
        short: build.short.clone(),
    };
    let references = References::Revision(Against {
        revision: revision.clone(),
        benchmarks: &previous,
        discovered: current.len(),
        repo_dir: cwd,
        stored_seeds: check.stored_seeds.then_some(&store),
        trailer: gone_lines(&previous, &current, &build.label),
    });
    let progress = Progress::for_terminal(args.reports.quiet);
    let execution = Execution {
        context,
        in_process: args.in_process,
        progress: &progress,
        family_size: pipeline.family_size(&names, &references),
        project: &args.search.store.project,
    };
    let sources = runner::source_keys(&current);
    pipeline.run(&names, &sources, references, |index, reference| {
        match (current.get(index), reference) {
            (Some(bench), Reference::Revision { .. }) => {
                verdict::run_benchmark(bench, &overrides, reference, seed_source, &execution)
            }
            (Some(bench), _) => only_here(bench, &overrides, &revision),
            (None, _) => failed_there(failed[index - current.len()], &overrides, &revision),
        }
    })
}

/// A benchmark REV does not have: NEW, and not run.
fn only_here(bench: &Benchmark, overrides: &Overrides, revision: &Revision) -> BenchResult {
    let (plan, _) = verdict::start(bench, overrides);
    let plan = Plan {
        against: Some(revision.clone()),
        ..plan
    };
    plan.result(Outcome::New(None), String::new())
}

/// A library of REV that could not be described: an ERROR.
fn failed_there(bench: &Benchmark, overrides: &Overrides, revision: &Revision) -> BenchResult {
    let (plan, settings) = verdict::start(bench, overrides);
    let plan = Plan {
        against: Some(revision.clone()),
        ..plan
    };
    let cause = settings.err().unwrap_or_default();
    plan.error(format!("at {}: {cause}", revision.label))
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
    let search = Search {
        python_revision: build.python_revision(),
        ..search.clone()
    };
    let mut previous = runner::load_libraries(context, &files, &search)?;
    context.check()?;
    previous.retain(|b| b.library_failed() || search.selection.selects(&b.name));
    previous.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(previous)
}

/// One line when REV tracks an input with other contents than the working
/// tree has. Both sides read the working tree's inputs (REV's build runs
/// here, not in its checkout), so the comparison is of code alone; the line
/// says that data changed too. Inputs REV does not track are not compared.
fn inputs_note(
    current: &[Benchmark],
    overrides: &Overrides,
    (rev, label): (&str, &str),
    project: &Project,
) -> Option<String> {
    let cwd = std::env::current_dir().ok()?;
    let revision = crate::store::checkout::resolve_revision(&cwd, rev).ok()??;
    let root = project.root().canonicalize().ok()?;
    let workdir = revision.workdir.canonicalize().ok()?;
    let prefix = root.strip_prefix(&workdir).ok()?.to_str()?.to_string();
    let mut differ = std::collections::BTreeSet::new();
    for bench in current {
        let Ok(settings) = bench.resolve_settings(overrides) else {
            continue;
        };
        let Ok(there) = at_revision::pins_at(&cwd, &revision.id, &prefix, &settings.inputs) else {
            continue;
        };
        for (spec, pin) in there {
            let here = crate::store::inputs::pin(project, &spec).ok();
            if pin.is_some() && here != pin {
                differ.insert(spec);
            }
        }
    }
    let differ: Vec<String> = differ.into_iter().collect();
    (!differ.is_empty()).then(|| {
        format!(
            "note: inputs differ between {label} and the working tree ({}); both sides read the working tree's",
            differ.join(", ")
        )
    })
}
