//! The runner's backend seam. A benchmark comes from a source file of some
//! kind — a shared library, a Python file — and each kind has a backend
//! that does two things: list the benchmarks of its files with their
//! declared settings, and run seeds of one benchmark (one side, or two for
//! `--against`), streaming each seed's outcome as it ends. Everything above
//! the runner holds a [`Benchmark`] and calls [`run_sides`]; it never learns
//! which backend it talks to.

use std::any::Any;
use std::path::PathBuf;
use std::sync::Arc;

use pybench::abi::BenchFn;

use super::call::{Reply, RunError, SeedResult};
use super::discover::{DiscoverError, LibraryFile};
use super::{RunContext, Search};
use crate::settings::{DeclaredSettings, Overrides, Settings, SettingsError};
use crate::store::fingerprint::Environment;

/// One kind of benchmark source.
pub trait Backend: Send + Sync {
    /// What its files are, for messages ("shared library", "Python file").
    fn kind(&self) -> &'static str;

    /// The benchmarks of `files` (all of this kind), with their declared
    /// settings. A file that cannot be listed comes as one benchmark named
    /// after it whose settings hold the cause
    /// ([`Benchmark::library_failed`]).
    fn list(
        &self,
        context: &RunContext,
        files: &[LibraryFile],
        search: &Search,
    ) -> Result<Vec<Benchmark>, DiscoverError>;

    /// Run `sides` (benchmarks of this kind) on `seeds`, as `plan` says.
    fn run(&self, sides: &[&Benchmark], seeds: &[u64], plan: &RunPlan) -> Outcomes;

    /// The machine and code identity `source` runs with (a library's
    /// hash, a Python file's code).
    fn environment(&self, source: &Source) -> Environment;

    /// This backend as itself, for a backend that needs its own
    /// settings back from a side's [`Source`].
    fn as_any(&self) -> &dyn Any;
}

/// A benchmark found in a source file (a shared library, a Python file):
/// its declared settings, or why they are unusable (reported as that
/// benchmark's ERROR); with `--in-process`, a library's entry point too.
#[derive(Clone)]
pub struct Benchmark {
    pub name: String,
    pub source: Arc<Source>,
    /// Set only when the library is loaded in this process.
    pub entry: Option<BenchFn>,
    pub settings: Result<DeclaredSettings, SettingsError>,
}

impl Benchmark {
    /// Why its settings are unusable, if they are.
    pub fn failure(&self) -> Option<String> {
        self.settings.as_ref().err().map(ToString::to_string)
    }

    /// Whether this stands for a library that could not be described
    /// (named after the library; its settings hold the cause).
    pub fn library_failed(&self) -> bool {
        matches!(self.settings, Err(SettingsError::LibraryFailed(_)))
    }

    /// Its effective settings: `overrides` over what it declares over the
    /// defaults; `Err` says why they are unusable.
    pub fn resolve_settings(&self, overrides: &Overrides) -> Result<Settings, SettingsError> {
        let declared = self.settings.as_ref().map_err(Clone::clone)?;
        Settings::resolve(declared, overrides)
    }
}

/// How a run's seeds go: its settings, where they run, what each seed
/// hands back, and whom to tell as each seed ends.
pub struct RunPlan<'a> {
    /// Stops the run on a signal.
    pub context: &'a RunContext,
    pub settings: &'a Settings,
    /// Run in this process (`--in-process`) where the backend can.
    pub in_process: bool,
    pub reply: Reply,
    /// Called once per seed, when every side of it has run.
    pub seed_done: &'a (dyn Fn() + Sync),
    /// Prints a line on stderr without breaking a progress bar.
    pub say: &'a (dyn Fn(&str) + Sync),
}

/// What running one or more sides of a benchmark gave: results
/// `[side][seed index]`, and what the benchmark printed.
pub struct Outcomes {
    pub outcomes: Result<Vec<Vec<SeedResult>>, RunError>,
    pub output: String,
}

impl Outcomes {
    /// A run that failed before any seed ran.
    pub fn failed(error: RunError) -> Outcomes {
        Outcomes {
            outcomes: Err(error),
            output: String::new(),
        }
    }
}

/// The file a benchmark comes from, and the backend that runs it.
pub struct Source {
    /// Canonical: the file loaded and hashed.
    pub path: PathBuf,
    /// As discovered, for display.
    pub named: PathBuf,
    /// Where it comes from (its Cargo package's directory, or the file
    /// itself) as a baseline records it, to tell MISSING from out of scope
    /// (`runner::source_key`): a path from the project root; None outside
    /// it.
    pub source_key: Option<String>,
    pub backend: Arc<dyn Backend>,
    /// Whatever must outlive the benchmarks' entry points (a library
    /// loaded in this process).
    _keep_alive: Option<Box<dyn Any + Send + Sync>>,
}

impl Source {
    pub fn new(
        path: PathBuf,
        named: PathBuf,
        source_key: Option<String>,
        backend: Arc<dyn Backend>,
    ) -> Source {
        Source {
            path,
            named,
            source_key,
            backend,
            _keep_alive: None,
        }
    }

    /// The machine and code identity this source runs with (its
    /// backend's notion: a library's hash, a Python file's code).
    pub fn environment(&self) -> Environment {
        self.backend.environment(self)
    }

    /// A source whose `loaded` state must live as long as it does.
    pub fn holding(mut self, loaded: Box<dyn Any + Send + Sync>) -> Source {
        self._keep_alive = Some(loaded);
        self
    }
}

/// Run `benches` (one side, or two for `--against`) on `seeds` through
/// their backend. Every side must be of one kind.
pub fn run_sides(benches: &[&Benchmark], seeds: &[u64], plan: &RunPlan) -> Outcomes {
    let Some(first) = benches.first() else {
        return Outcomes::failed(RunError::Worker("no side to run".into()));
    };
    let backend = &first.source.backend;
    if let Some(other) = benches
        .iter()
        .find(|b| b.source.backend.kind() != backend.kind())
    {
        return Outcomes::failed(RunError::Worker(format!(
            "{} is a {} on one side and a {} on the other",
            first.name,
            backend.kind(),
            other.source.backend.kind()
        )));
    }
    backend.run(benches, seeds, plan)
}
