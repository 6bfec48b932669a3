//! Listing Python benchmark files: one worker reads every file with `ast`
//! (nothing is imported), and only a file whose setting defaults are not
//! literals or module constants is imported — in a worker of its own,
//! under the time limit — to read them from the live functions. Real
//! benchmark files load datasets and grab GPUs at import time; importing
//! every file at once just to list it would pay all of that up front.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::process::ask_once;
use super::{Python, settings_keys};
use crate::runner::RunContext;
use crate::runner::backend::Benchmark;
use crate::runner::backend::{Backend, Source};
use crate::runner::discover::{DiscoverError, LibraryFile};
use crate::runner::library;
use crate::settings::{DeclaredSettings, SettingsError};

#[derive(Deserialize)]
struct Listed {
    files: Vec<ListedFile>,
    /// The interpreter's version, `3.11.2`.
    python: String,
}

#[derive(Deserialize)]
struct ListedFile {
    #[serde(default)]
    benches: Vec<ListedBench>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct ListedBench {
    name: String,
    settings: Map<String, Value>,
    needs_import: bool,
}

/// What the import worker says about a file's functions.
#[derive(Deserialize)]
struct Imported {
    import_error: Option<String>,
    #[serde(default)]
    benches: BTreeMap<String, Map<String, Value>>,
}

/// The benchmarks of `files`, each with its declared settings; a file that
/// cannot be read or imported is one benchmark named after it.
pub(super) fn list(
    context: &RunContext,
    python: &Python,
    backend: &Arc<dyn Backend>,
    files: &[LibraryFile],
    limit: Duration,
) -> Result<Vec<Benchmark>, DiscoverError> {
    let canonical: Vec<_> = files
        .iter()
        .map(|f| library::canonical(&f.path))
        .collect::<Result<_, _>>()?;
    let request = serde_json::json!({
        "op": "list",
        "files": canonical,
        "paths": python.paths,
        "settings": settings_keys(),
    });
    let listed: Listed = ask_once(context, python, &request, limit)
        .and_then(|v| serde_json::from_value(v).map_err(|e| e.to_string()))
        .map_err(DiscoverError::PythonListing)?;
    let _ = python.version.set(listed.python);
    let mut benchmarks = Vec::new();
    for ((file, path), listed) in files.iter().zip(canonical).zip(listed.files) {
        let key = super::super::source_key(&python.project, &path);
        let source = Arc::new(Source::new(
            path,
            file.path.clone(),
            key,
            Arc::clone(backend),
        ));
        if let Some(error) = listed.error {
            benchmarks.push(failed_file(&source, error));
            continue;
        }
        if listed.benches.is_empty() {
            if file.named {
                return Err(DiscoverError::PythonWithoutBenchmarks(file.path.clone()));
            }
            if python.verbose {
                eprintln!("note: skipped {}: no bench_* function", file.path.display());
            }
            continue;
        }
        benchmarks.extend(file_benchmarks(
            context,
            python,
            &source,
            listed.benches,
            limit,
        ));
    }
    Ok(benchmarks)
}

/// A file's benchmarks: from the `ast` listing, or from an import when a
/// default needs one.
fn file_benchmarks(
    context: &RunContext,
    python: &Python,
    source: &Arc<Source>,
    benches: Vec<ListedBench>,
    limit: Duration,
) -> Vec<Benchmark> {
    let needs_import = benches.iter().any(|b| b.needs_import);
    let mut declared: Vec<(String, Map<String, Value>)> =
        benches.into_iter().map(|b| (b.name, b.settings)).collect();
    if needs_import {
        match import_settings(context, python, source, limit) {
            Ok(mut live) => {
                for (name, settings) in &mut declared {
                    if let Some(read) = live.remove(name) {
                        *settings = read;
                    }
                }
            }
            Err(cause) => return vec![failed_file(source, cause)],
        }
    }
    declared
        .into_iter()
        .map(|(name, settings)| Benchmark {
            name,
            source: Arc::clone(source),
            entry: None,
            settings: declared_settings(settings),
        })
        .collect()
}

/// Import the file in a worker and read its functions' setting defaults.
fn import_settings(
    context: &RunContext,
    python: &Python,
    source: &Source,
    limit: Duration,
) -> Result<BTreeMap<String, Map<String, Value>>, String> {
    let request = serde_json::json!({
        "op": "import",
        "file": source.path,
        "paths": python.paths,
        "settings": settings_keys(),
    });
    let reply: Imported = ask_once(context, python, &request, limit)
        .and_then(|v| serde_json::from_value(v).map_err(|e| e.to_string()))?;
    match reply.import_error {
        Some(error) => Err(error),
        None => Ok(reply.benches),
    }
}

/// A file that could not be listed: one benchmark named after it.
fn failed_file(source: &Arc<Source>, cause: String) -> Benchmark {
    Benchmark {
        name: source.named.display().to_string(),
        source: Arc::clone(source),
        entry: None,
        settings: Err(SettingsError::LibraryFailed(cause)),
    }
}

/// A function's setting defaults, read through the validators a library's
/// companion JSON goes through. A Python benchmark's `workers` defaults
/// to 1, as in the Python tool.
fn declared_settings(mut settings: Map<String, Value>) -> Result<DeclaredSettings, SettingsError> {
    settings.insert("abi".into(), Value::from(library::ABI_VERSION));
    settings.entry("workers").or_insert(Value::from(1));
    library::parse_settings(&Value::Object(settings).to_string())
}
