//! `pybench --against REV`: the same benchmarks at another revision, built
//! from a checkout of it and run on the same seeds, in the same run, on the
//! same machine — the strongest pairing there is. Nothing is written to the
//! baseline file.
//!
//! REV's libraries are cached by commit under the git directory
//! (`pybench/against/<commit>/`), so a second run against the same commit
//! builds nothing there.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::app;
use crate::cli::RunArgs;
use crate::discover;
use crate::error::Error;
use crate::fingerprint::Environment;
use crate::git;
use crate::isolate;
use crate::library::{self, Benchmark};
use crate::report::{self, BenchResult, Status};
use crate::run;
use crate::stats;
use crate::store::Store;

/// What the cache knows about one commit's build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheRecord {
    pub commit: String,
    /// The PATH arguments (relative to the work tree) it was built for.
    pub paths: Vec<PathBuf>,
    /// The built libraries, copied into the cache.
    pub libraries: Vec<PathBuf>,
    /// How many times it was built (1 unless the cache was invalidated).
    pub builds: u32,
    /// How many runs used it.
    pub uses: u32,
}

pub const RECORD_FILE: &str = "record.json";

/// REV's libraries, ready to load, and how to name REV in the report.
pub struct RevisionBuild {
    pub label: String,
    pub short: String,
    pub libraries: Vec<PathBuf>,
    pub reused: bool,
}

/// The cache directory of `commit`.
pub fn cache_dir(git_dir: &Path, commit: &str) -> PathBuf {
    git_dir.join("pybench").join("against").join(commit)
}

/// Materialise REV and build the benchmark packages of `paths` in it,
/// unless the cache already holds that build.
pub fn prepare(rev: &str, paths: &[PathBuf]) -> Result<RevisionBuild, Error> {
    let cwd = std::env::current_dir()
        .map_err(|e| Error::Against(format!("no working directory: {e}")))?;
    let revision = git::resolve_revision(&cwd, rev)?
        .ok_or_else(|| Error::Against("--against needs a git repository".into()))?;
    let label = format!("{rev} ({})", revision.short);
    let relative: Vec<PathBuf> = paths
        .iter()
        .map(|p| {
            let absolute = std::path::absolute(p).unwrap_or_else(|_| p.clone());
            absolute
                .strip_prefix(&revision.workdir)
                .map(Path::to_path_buf)
                .map_err(|_| Error::Against(format!("{} is outside the repository", p.display())))
        })
        .collect::<Result<_, _>>()?;
    let dir = cache_dir(&revision.git_dir, &revision.id);
    let record_path = dir.join(RECORD_FILE);
    let io = |what: &str, e: std::io::Error| Error::Against(format!("{what}: {e}"));

    if let Some(mut record) = read_record(&record_path)
        && record.paths == relative
        && record.libraries.iter().all(|l| l.is_file())
    {
        record.uses += 1;
        write_record(&record_path, &record).map_err(|e| io("cannot update the build cache", e))?;
        return Ok(RevisionBuild {
            label,
            short: revision.short,
            libraries: record.libraries,
            reused: true,
        });
    }

    // Every revision is checked out at the same place and built into one
    // target directory of its own: cargo's fingerprints name source paths
    // (and a package's hash does not), so a per-commit path or the working
    // tree's target directory could pass off one side's stale build as the
    // other's. The built libraries are copied into the commit's cache.
    let root = revision.git_dir.join("pybench").join("against");
    let tree = root.join("checkout");
    if tree.exists() {
        std::fs::remove_dir_all(&tree).map_err(|e| io("cannot clear the old checkout", e))?;
    }
    git::checkout(&cwd, &revision.id, &tree)?;
    let target = root.join("target");
    let present: Vec<PathBuf> = relative
        .iter()
        .map(|r| tree.join(r))
        .filter(|p| p.exists())
        .collect();
    let files = discover::library_files_in(&present, false, Some(&target))?;
    let libs_dir = dir.join("libs");
    std::fs::create_dir_all(&libs_dir).map_err(|e| io("cannot create the build cache", e))?;
    let mut libraries = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let name = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let copy = libs_dir.join(format!("{index}-{name}"));
        std::fs::copy(&file.path, &copy).map_err(|e| io("cannot cache a library", e))?;
        libraries.push(copy);
    }
    let builds = read_record(&record_path).map_or(0, |r| r.builds) + 1;
    let record = CacheRecord {
        commit: revision.id.clone(),
        paths: relative,
        libraries: libraries.clone(),
        builds,
        uses: 1,
    };
    write_record(&record_path, &record).map_err(|e| io("cannot write the build cache", e))?;
    Ok(RevisionBuild {
        label,
        short: revision.short,
        libraries,
        reused: false,
    })
}

pub fn read_record(path: &Path) -> Option<CacheRecord> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn write_record(path: &Path, record: &CacheRecord) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(record).map_err(std::io::Error::other)?;
    std::fs::write(path, text + "\n")
}

/// The whole `--against REV` run; the result is the exit code.
pub fn run(args: &RunArgs, rev: &str) -> Result<i32, Error> {
    let started = Instant::now();
    let seed_source = run::SeedSource::from_env().map_err(Error::Environment)?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("benchmarks")]
    } else {
        args.paths.clone()
    };
    let build = prepare(rev, &paths)?;
    if build.reused {
        eprintln!("using the cached build of {}", build.label);
    }
    let current = app::discover_benchmarks(args)?;
    let mut previous: Vec<Benchmark> = Vec::new();
    for library in &build.libraries {
        previous.extend(library::load_benchmarks(library, &mut Vec::new())?);
    }
    previous.retain(|b| args.store.selects(&b.name));
    previous.sort_by(|a, b| a.name.cmp(&b.name));
    let store = Store::open(&args.store.baseline)?;
    let _ = ctrlc::set_handler(|| isolate::INTERRUPTED.store(true, Ordering::SeqCst));
    let overrides = args.overrides(None);
    let progress = crate::progress::Progress::for_terminal(args.quiet);

    let mut out = crate::outputs::stdout(args.quiet);
    app::print(
        &mut out,
        &format!(
            "pybench — {} benchmarks discovered, against {}\n\n",
            current.len(),
            build.label
        ),
    );
    let mut results = Vec::with_capacity(current.len());
    for bench in &current {
        let result = match previous.iter().find(|b| b.name == bench.name) {
            Some(old) => {
                let stored_seeds = args
                    .stored_seeds
                    .then(|| store.get(&bench.name).map(|b| b.seeds.clone()))
                    .flatten();
                run_pair(
                    old,
                    bench,
                    &overrides,
                    stored_seeds,
                    seed_source,
                    args,
                    &progress,
                    (&build.label, &build.short),
                )
            }
            None => {
                let (mut result, _) = app::start(bench, &overrides);
                result.status = Status::New;
                result.error = None;
                result.against = Some((build.label.clone(), build.short.clone()));
                result
            }
        };
        if isolate::INTERRUPTED.load(Ordering::SeqCst) {
            return Err(Error::Interrupted);
        }
        app::print(&mut out, &report::bench_lines(&result, args.verbose));
        for warning in report::warnings(&result) {
            eprintln!("{warning}");
        }
        results.push(result);
    }
    for gone in previous
        .iter()
        .filter(|p| !current.iter().any(|c| c.name == p.name))
    {
        app::print(
            &mut out,
            &format!(
                "{:<18} only in {}, not in the working tree\n",
                gone.name, build.label
            ),
        );
    }
    let repo = git::repo_state(&std::env::current_dir().unwrap_or_default())?;
    app::finish(&mut out, args, &results, started, repo.as_ref(), true)
}

/// Run REV's and the working tree's benchmark on the same seeds, each seed
/// on both sides back to back, and judge the working tree against REV.
#[allow(clippy::too_many_arguments)]
fn run_pair(
    old: &Benchmark,
    new: &Benchmark,
    overrides: &crate::settings::Overrides,
    stored_seeds: Option<Vec<u64>>,
    seed_source: run::SeedSource,
    args: &RunArgs,
    progress: &crate::progress::Progress,
    (label, short): (&str, &str),
) -> BenchResult {
    let (mut result, settings) = app::start(new, overrides);
    result.against = Some((label.to_string(), short.to_string()));
    let Some(settings) = settings else {
        return result;
    };
    result.seeds =
        stored_seeds.unwrap_or_else(|| run::fresh_seeds(settings.n_seeds, seed_source, &new.name));
    if let Err(e) = stats::check_reachable(settings.alpha, result.seeds.len()) {
        result.error = Some(e.to_string());
        return result;
    }
    app::fingerprint(&mut result, Environment::current(&new.library.path), None);
    let (outcomes, output) = app::run_sides(
        &[old, new],
        &result.seeds,
        &settings,
        args.in_process,
        progress,
    );
    result.output = output;
    let tables = outcomes.map_err(|e| e.to_string()).and_then(|sides| {
        let old_table =
            run::into_table(&result.seeds, &sides[0]).map_err(|e| format!("at {label}: {e}"))?;
        let new_table = run::into_table(&result.seeds, &sides[1]).map_err(|e| e.to_string())?;
        Ok((old_table, new_table))
    });
    match tables {
        Err(e) => result.error = Some(e),
        Ok((old_table, new_table)) => match old_table.slot_difference(&new_table) {
            Some(difference) => {
                result.error = Some(format!("slots differ from {label}'s ({difference})"));
            }
            None => app::compare_tables(&mut result, &old_table, new_table),
        },
    }
    result
}
