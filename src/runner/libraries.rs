//! The shared-library backend: lists a library's exports and reads their
//! companions in describe workers (`describe.rs`), and runs seeds in a
//! worker process (`isolate.rs`), or here with `--in-process`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::backend::Benchmark;
use super::backend::{Backend, Outcomes, RunPlan, Source};
use super::call::{self, RunError};
use super::discover::{DiscoverError, LibraryFile};
use super::library;
use super::{RunContext, Search, describe, isolate, source_key};
use crate::settings::SettingsError;
use crate::store::fingerprint::Environment;
use crate::store::hash_cache::HashCache;

/// Shared libraries with `bench_*` exports and their companions, hashed
/// through the command's `hashes`.
pub struct Libraries {
    hashes: Arc<HashCache>,
}

impl Libraries {
    pub fn shared(hashes: &Arc<HashCache>) -> Arc<dyn Backend> {
        Arc::new(Libraries {
            hashes: Arc::clone(hashes),
        })
    }
}

impl Backend for Libraries {
    fn kind(&self) -> &'static str {
        "shared library"
    }

    /// The machine, and the library's hash from the command's cache.
    fn environment(&self, source: &Source) -> Environment {
        Environment::current(&self.hashes, &source.path)
    }

    /// Loaded here with `--in-process`, else read by describe workers (all
    /// libraries at once), so that no code of theirs runs in this process.
    fn list(
        &self,
        context: &RunContext,
        files: &[LibraryFile],
        search: &Search,
    ) -> Result<Vec<Benchmark>, DiscoverError> {
        let backend = Libraries::shared(&self.hashes);
        let mut benchmarks = Vec::new();
        let mut requests = Vec::new();
        for file in files {
            let mut skipped = Vec::new();
            let found = if search.in_process {
                let source = canonical_source(file);
                let key = source_key(&search.project, &source);
                let found =
                    library::load_benchmarks(&file.path, key, &mut skipped, Arc::clone(&backend))?;
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
        benchmarks.extend(described(
            context,
            &search.project,
            requests,
            search.timeout,
            &backend,
        ));
        Ok(benchmarks)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn run(&self, benches: &[&Benchmark], seeds: &[u64], plan: &RunPlan) -> Outcomes {
        // More workers than seeds would only be idle threads.
        let workers = plan.settings.workers.min(seeds.len()).max(1);
        if plan.in_process {
            return in_process(benches, seeds, workers, plan);
        }
        let exe = match isolate::own_executable() {
            Ok(exe) => exe,
            Err(e) => return Outcomes::failed(e),
        };
        let sides: Vec<isolate::Side> = benches
            .iter()
            .map(|b| isolate::Side {
                library: b.source.path.clone(),
                bench: b.name.clone(),
            })
            .collect();
        let worker = isolate::run_in_worker(
            plan.context,
            &exe,
            &sides,
            seeds,
            workers,
            plan.reply,
            plan.settings.timeout.map(Duration::from_secs_f64),
            plan.seed_done,
        );
        Outcomes {
            outcomes: worker.outcomes,
            output: worker.output,
        }
    }
}

fn in_process(benches: &[&Benchmark], seeds: &[u64], workers: usize, plan: &RunPlan) -> Outcomes {
    let Some(entries) = benches.iter().map(|b| b.entry).collect::<Option<Vec<_>>>() else {
        return Outcomes::failed(RunError::Worker(
            "the library is not loaded in this process".into(),
        ));
    };
    let last_side = |index| call::side_order(index, entries.len())[entries.len() - 1];
    let outcomes = call::call_all(
        &entries,
        seeds,
        workers,
        plan.reply,
        &crate::scores::SlotSets::default(),
        |_| {},
        |index, side, _| {
            if side == last_side(index) {
                (plan.seed_done)();
            }
        },
    );
    Outcomes {
        outcomes,
        output: String::new(),
    }
}

/// Where `file` comes from, made absolute now: an `--in-process`
/// benchmark may change the current directory before it is recorded.
fn canonical_source(file: &LibraryFile) -> PathBuf {
    file.source
        .canonicalize()
        .unwrap_or_else(|_| file.source.clone())
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
fn described(
    context: &RunContext,
    project: &std::path::Path,
    requests: Vec<Undescribed>,
    timeout: Option<f64>,
    backend: &Arc<dyn Backend>,
) -> Vec<Benchmark> {
    let jobs: Vec<describe::Request> = requests
        .iter()
        .map(|u| describe::Request {
            library: u.path.clone(),
            companions: u.pairs.iter().map(|(_, c)| c.clone()).collect(),
        })
        .collect();
    let descriptions = describe::describe_all(context, &jobs, describe::limit(timeout));
    let mut benchmarks = Vec::new();
    for (request, description) in requests.into_iter().zip(descriptions) {
        let Undescribed {
            named,
            source: origin,
            path,
            pairs,
        } = request;
        let key = source_key(project, &origin);
        let source = Arc::new(Source::new(path, named.clone(), key, Arc::clone(backend)));
        match description {
            Ok(settings) => benchmarks.extend(pairs.into_iter().zip(settings).map(
                |((name, _), settings)| Benchmark {
                    name,
                    source: Arc::clone(&source),
                    entry: None,
                    settings,
                },
            )),
            Err(cause) => benchmarks.push(Benchmark {
                name: named.display().to_string(),
                source,
                entry: None,
                settings: Err(SettingsError::LibraryFailed(cause)),
            }),
        }
    }
    benchmarks
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
