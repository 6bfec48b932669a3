//! From PATH arguments to per-seed outcomes: find and build benchmark
//! sources ([`discover`], [`build`]), then hand each to the backend of its
//! kind ([`backend`]): shared libraries (listed in [`library`], described
//! in describe workers by [`describe`], called through [`call`] in a worker
//! process by [`isolate`]). Seeds are drawn by [`seeds`]. Only
//! `--in-process` loads a library, and runs its code, here.

pub mod backend;
pub mod build;
pub mod call;
mod cargo;
pub mod context;
pub mod describe;
pub mod discover;
pub mod isolate;
pub mod libraries;
pub mod library;
mod protocol;
pub mod python;
pub mod revision;
pub mod scope;
pub mod seeds;
pub mod worker;
pub mod workspace;

use std::path::{Path, PathBuf};

pub use backend::Benchmark;
pub use call::{Reply, RunError, SeedOutcome, SeedResult};
pub use context::{RunContext, Stopped};
pub use discover::LibraryError;
pub use discover::{DiscoverError, LibraryFile};
pub use seeds::{SeedEntropyError, SeedSource, fresh_seeds};

pub use backend::{Backend, Outcomes, RunPlan, Source, run_sides};
pub use libraries::Libraries;

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
    /// `--python`: the interpreter of Python benchmark files.
    pub python: Option<PathBuf>,
    /// REV's side of an `--against` run or a bisect probe: its Python
    /// benchmark files run from REV's checkout.
    pub python_revision: Option<python::PythonRevision>,
    /// The project's root, as a path from the start directory: sources are
    /// recorded relative to it, and a search does not leave it.
    pub project: PathBuf,
    /// The command's file hashes (its `Project`'s): a library is hashed
    /// once per command, and not again while unchanged.
    pub hashes: std::sync::Arc<crate::store::hash_cache::HashCache>,
}

/// Where each of `benchmarks` was found, as a baseline records it.
pub fn source_keys(benchmarks: &[Benchmark]) -> Vec<Option<String>> {
    benchmarks
        .iter()
        .map(|b| b.source.source_key.clone())
        .collect()
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

/// What a search answers for: a baseline whose benchmark was recorded
/// ([`source_key`]) within it, but that the search did not discover, is
/// MISSING.
#[derive(Clone, Debug)]
pub enum Scope {
    /// Named paths (PATH arguments, `./benchmarks`, a `metadata.pybench`
    /// list): whatever lies within one of them.
    Paths(Vec<PathBuf>),
    /// The workspace at this root, whose benchmark crates were found by
    /// looking: every Cargo package in it, so that a crate that drops out
    /// of discovery (no longer a `cdylib`, no longer a member, deleted) is
    /// missed, while a library or Python file run by name elsewhere is not.
    Packages(PathBuf),
}

impl Scope {
    /// Whether a benchmark recorded at `key` lies within this scope, so
    /// that the search should have found it.
    pub fn holds(&self, project: &Path, key: &str) -> bool {
        let Ok(root) = project.canonicalize() else {
            return false;
        };
        let source = if key == "." { root } else { root.join(key) };
        let within = |dir: &PathBuf| dir.canonicalize().is_ok_and(|d| source.starts_with(d));
        match self {
            Scope::Paths(searched) => searched.iter().any(within),
            Scope::Packages(workspace) => within(workspace) && names_a_package(key),
        }
    }
}

/// Whether a source key names a Cargo package (a directory), not a file
/// that pybench loads itself.
fn names_a_package(key: &str) -> bool {
    let extension = Path::new(key).extension().and_then(|e| e.to_str());
    !matches!(extension, Some("so" | "dylib" | "dll" | "py"))
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
            first: pair[0].source.named.clone(),
            second: pair[1].source.named.clone(),
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

/// The benchmarks of `files`, each file listed by the backend of its kind.
/// An interpreter is chosen only when there are Python files.
pub fn load_libraries(
    context: &RunContext,
    files: &[LibraryFile],
    search: &Search,
) -> Result<Vec<Benchmark>, DiscoverError> {
    let (python_files, libraries): (Vec<LibraryFile>, Vec<LibraryFile>) = files
        .iter()
        .cloned()
        .partition(|f| scope::is_python_file(&f.path));
    let mut benchmarks = Libraries::shared(&search.hashes).list(context, &libraries, search)?;
    if !python_files.is_empty() {
        let python = python::Python::for_search(search).map_err(|e| DiscoverError::Backend {
            hint: e.hint(),
            message: e.to_string(),
        })?;
        benchmarks.extend(python.list(context, &python_files, search)?);
    }
    Ok(benchmarks)
}
