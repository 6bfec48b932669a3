//! From PATH arguments to per-seed outcomes: find and build benchmark
//! libraries ([`discover`], [`build`]), list their benchmarks ([`library`])
//! and read their settings in describe workers ([`describe`]), draw seeds
//! ([`seeds`]), and call them ([`call`]) in a worker process ([`isolate`]).
//! Only `--in-process` loads a library, and runs its code, here.

pub mod build;
pub mod call;
pub mod context;
pub mod describe;
pub mod discover;
pub mod isolate;
pub mod library;
mod protocol;
pub mod revision;
pub mod scope;
pub mod seeds;
pub mod worker;
pub mod workspace;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use call::{Reply, RunError, SeedOutcome, SeedResult};
pub use context::{RunContext, Stopped};
pub use discover::{DiscoverError, LibraryFile};
pub use library::{Benchmark, LibraryError};
pub use seeds::{SeedEntropyError, SeedSource, fresh_seeds};

use crate::settings::{Settings, SettingsError};
use library::Library;

/// `--bench x` and `--bench bench_x` both name `bench_x`.
pub fn bench_name_matches(wanted: &str, name: &str) -> bool {
    wanted == name || name.strip_prefix("bench_") == Some(wanted)
}

/// The `--bench` names of a run; all benchmarks when empty.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub names: Vec<String>,
}

impl Selection {
    /// Whether `name` is selected.
    pub fn selects(&self, name: &str) -> bool {
        self.names.is_empty() || self.names.iter().any(|b| bench_name_matches(b, name))
    }

    /// The first `--bench` name that matches none of `available`.
    pub fn unknown<'a>(&self, available: impl Iterator<Item = &'a str> + Clone) -> Option<&str> {
        self.names
            .iter()
            .find(|wanted| {
                !available
                    .clone()
                    .any(|name| bench_name_matches(wanted, name))
            })
            .map(String::as_str)
    }
}

/// Where to look for benchmarks and which to keep.
#[derive(Clone, Debug)]
pub struct Search {
    pub paths: Vec<PathBuf>,
    pub no_build: bool,
    /// Print the exports skipped for want of a companion.
    pub verbose: bool,
    /// `-q`: no word about what is searched and built.
    pub quiet: bool,
    pub selection: Selection,
    /// Load the libraries in this process rather than in describe workers.
    pub in_process: bool,
    /// `--timeout`: also the limit on describing one library.
    pub timeout: Option<f64>,
    /// The project's root, as a path from the start directory: sources are
    /// recorded relative to it, and a search does not leave it.
    pub project: PathBuf,
}

/// `source` (a package directory or library file) as a baseline records
/// it: a `/`-separated path from the project root; None outside it.
pub fn source_key(project: &Path, source: &Path) -> Option<String> {
    let root = project.canonicalize().ok()?;
    let source = source.canonicalize().ok()?;
    let relative = source.strip_prefix(&root).ok()?;
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_str().map(str::to_string))
        .collect::<Option<_>>()?;
    Some(if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    })
}

/// Whether a benchmark recorded at `key` ([`source_key`]) lies within
/// one of the `searched` paths, so that a search there should find it.
pub fn in_scope(project: &Path, key: &str, searched: &[PathBuf]) -> bool {
    let Ok(root) = project.canonicalize() else {
        return false;
    };
    let source = if key == "." { root } else { root.join(key) };
    searched
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .any(|p| source.starts_with(p))
}

/// Every selected benchmark of every PATH, sorted by name. A library that
/// could not be described comes as one benchmark named after the library
/// whose settings hold the cause ([`Benchmark::library_failed`]); it is
/// kept whatever `--bench` selects, since it may hold the benchmark asked
/// for.
pub fn benchmarks(context: &RunContext, search: &Search) -> Result<Vec<Benchmark>, DiscoverError> {
    let files = discover::library_files(search)?;
    let mut benchmarks = load_libraries(context, &files, search)?;
    benchmarks.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(pair) = benchmarks.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(DiscoverError::Duplicate {
            name: pair[0].name.clone(),
            first: pair[0].library.named.clone(),
            second: pair[1].library.named.clone(),
        });
    }
    if benchmarks.is_empty() {
        let shown: Vec<String> = search
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        return Err(DiscoverError::NoBenchmarks(shown.join(", ")));
    }
    let names = benchmarks.iter().map(|b| b.name.as_str());
    if !benchmarks.iter().any(Benchmark::library_failed)
        && let Some(unknown) = search.selection.unknown(names)
    {
        return Err(DiscoverError::UnknownBench(unknown.to_string()));
    }
    benchmarks.retain(|b| b.library_failed() || search.selection.selects(&b.name));
    Ok(benchmarks)
}

/// The benchmarks of `files`: loaded here with `--in-process`, else read
/// by describe workers (all libraries at once), so that no code of theirs
/// runs in this process.
pub fn load_libraries(
    context: &RunContext,
    files: &[LibraryFile],
    search: &Search,
) -> Result<Vec<Benchmark>, DiscoverError> {
    let mut benchmarks = Vec::new();
    let mut requests = Vec::new();
    for file in files {
        let mut skipped = Vec::new();
        let found = if search.in_process {
            let source = canonical_source(file);
            let key = source_key(&search.project, &source);
            let found = library::load_benchmarks(&file.path, &source, key, &mut skipped)?;
            let empty = found.is_empty();
            benchmarks.extend(found);
            !empty
        } else {
            let path = library::canonical(&file.path)?;
            let symbols = library::exported_symbols(&path)?;
            let companions = library::benchmark_symbols(&symbols, &mut skipped);
            let found = !companions.is_empty();
            if found {
                requests.push(Undescribed {
                    named: file.path.clone(),
                    source: canonical_source(file),
                    path,
                    pairs: companions,
                });
            }
            found
        };
        for name in skipped {
            eprintln!("{}", no_companion_warning(&name, &file.path));
        }
        if !found && file.named {
            return Err(DiscoverError::LibraryWithoutBenchmarks(file.path.clone()));
        }
        if !found && search.verbose {
            eprintln!("note: skipped {}: no benchmarks", file.path.display());
        }
    }
    benchmarks.extend(described(context, requests, search));
    Ok(benchmarks)
}

/// Where `file` comes from, made absolute now: an `--in-process`
/// benchmark may change the current directory before it is recorded.
fn canonical_source(file: &LibraryFile) -> PathBuf {
    file.source
        .canonicalize()
        .unwrap_or_else(|_| file.source.clone())
}

/// The warning for an exported `bench_x` without its `pybench_meta_x`:
/// it is not a benchmark, and would otherwise be skipped without a word.
fn no_companion_warning(export: &str, library: &Path) -> String {
    // Both come from the library: shown inert (`escape_debug`), as the
    // report layer above shows every benchmark's text.
    let short = export
        .strip_prefix("bench_")
        .unwrap_or(export)
        .escape_debug();
    format!(
        "warning: {} in {} has no companion pybench_meta_{short}, so it is not a \
         benchmark and does not run (hint: add PYBENCH_META({short}, ...) beside it in C, \
         or define it inside pybench::bench! in Rust)",
        export.escape_debug(),
        library.display().to_string().escape_debug()
    )
}

/// A library with benchmarks whose settings are still to be read.
struct Undescribed {
    /// As discovered (the name of its ERROR if it fails).
    named: PathBuf,
    /// Its package's directory, or the file.
    source: PathBuf,
    /// Canonical: what the worker loads and the fingerprint hashes.
    path: PathBuf,
    /// Its `(benchmark, companion)` exports.
    pairs: Vec<(String, String)>,
}

/// The benchmarks of `requests`, each library described by a worker.
fn described(context: &RunContext, requests: Vec<Undescribed>, search: &Search) -> Vec<Benchmark> {
    let jobs: Vec<describe::Request> = requests
        .iter()
        .map(|u| describe::Request {
            library: u.path.clone(),
            companions: u.pairs.iter().map(|(_, c)| c.clone()).collect(),
        })
        .collect();
    let descriptions = describe::describe_all(context, &jobs, describe::limit(search.timeout));
    let mut benchmarks = Vec::new();
    for (request, description) in requests.into_iter().zip(descriptions) {
        let Undescribed {
            named,
            source,
            path,
            pairs,
        } = request;
        let key = source_key(&search.project, &source);
        let library = Arc::new(Library::unloaded(path, named.clone(), source, key));
        match description {
            Ok(settings) => benchmarks.extend(pairs.into_iter().zip(settings).map(
                |((name, _), settings)| Benchmark {
                    name,
                    library: Arc::clone(&library),
                    entry: None,
                    settings,
                },
            )),
            Err(cause) => benchmarks.push(Benchmark {
                name: named.display().to_string(),
                library,
                entry: None,
                settings: Err(SettingsError::LibraryFailed(cause)),
            }),
        }
    }
    benchmarks
}

/// What running one or more sides of a benchmark gave: results
/// `[side][seed index]`, and what the benchmark printed.
pub struct Outcomes {
    pub outcomes: Result<Vec<Vec<SeedResult>>, RunError>,
    pub output: String,
}

/// Run `benches` (one side, or two for `--against`) on `seeds`, in a worker
/// process unless `in_process`, each seed coming back as `reply` asks;
/// `seed_done` is called once per seed, when every side of it has run.
pub fn run_sides(
    context: &RunContext,
    benches: &[&Benchmark],
    seeds: &[u64],
    settings: &Settings,
    in_process: bool,
    reply: Reply,
    seed_done: impl Fn() + Sync,
) -> Outcomes {
    // More workers than seeds would only be idle threads.
    let workers = settings.workers.min(seeds.len()).max(1);
    if in_process {
        let Some(entries) = benches.iter().map(|b| b.entry).collect::<Option<Vec<_>>>() else {
            return Outcomes {
                outcomes: Err(RunError::Worker(
                    "the library is not loaded in this process".into(),
                )),
                output: String::new(),
            };
        };
        let last_side = |index| call::side_order(index, entries.len())[entries.len() - 1];
        let outcomes = call::call_all(
            &entries,
            seeds,
            workers,
            reply,
            &crate::scores::SlotSets::default(),
            |_| {},
            |index, side, _| {
                if side == last_side(index) {
                    seed_done();
                }
            },
        );
        return Outcomes {
            outcomes,
            output: String::new(),
        };
    }
    let exe = match isolate::own_executable() {
        Ok(exe) => exe,
        Err(e) => {
            return Outcomes {
                outcomes: Err(e),
                output: String::new(),
            };
        }
    };
    let sides: Vec<isolate::Side> = benches
        .iter()
        .map(|b| isolate::Side {
            library: b.library.path.clone(),
            bench: b.name.clone(),
        })
        .collect();
    let worker = isolate::run_in_worker(
        context,
        &exe,
        &sides,
        seeds,
        workers,
        reply,
        settings.timeout.map(Duration::from_secs_f64),
        seed_done,
    );
    Outcomes {
        outcomes: worker.outcomes,
        output: worker.output,
    }
}
