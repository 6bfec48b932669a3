//! A loaded benchmark library and the benchmarks it exports.
//!
//! Exports are listed from the file itself (ELF, Mach-O, PE) before anything
//! is loaded, so a library without benchmarks never runs its constructors.
//! Loading one and calling its companions happens in a describe worker
//! (`describe.rs`), or here only with `--in-process`. `libraries.rs` is
//! the backend that lists and runs them.

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use object::{Object, ObjectSymbol};

use pybench::abi::{BenchFn, MetaFn};

use super::backend::{Backend, Benchmark, Source};
use super::discover::LibraryError;
use crate::settings::{DeclaredSettings, SettingsError};

/// The ABI version this host speaks: a companion's `"abi"` must equal it.
pub const ABI_VERSION: u32 = 1;

/// The names of the symbols `path` exports (Mach-O's leading `_` removed).
/// Only the headers and symbol tables are read, not the whole file (a
/// library with debug info is megabytes).
pub fn exported_symbols(path: &Path) -> Result<Vec<String>, LibraryError> {
    let file = crate::store::atomic::open_regular(path).map_err(|source| LibraryError::Read {
        path: path.to_path_buf(),
        source: source.into(),
    })?;
    let data = object::read::ReadCache::new(file);
    let file = object::File::parse(&data).map_err(|e| LibraryError::Parse {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let strip_underscore = file.format() == object::BinaryFormat::MachO;
    let mut names: Vec<String> = match file.exports() {
        Ok(exports) if !exports.is_empty() => exports
            .iter()
            .filter_map(|e| std::str::from_utf8(e.name()).ok().map(str::to_string))
            .collect(),
        _ => file
            .dynamic_symbols()
            .filter(|s| s.is_definition() && s.is_global())
            .filter_map(|s| s.name().ok().map(str::to_string))
            .collect(),
    };
    if strip_underscore {
        for name in &mut names {
            if let Some(stripped) = name.strip_prefix('_') {
                *name = stripped.to_string();
            }
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}

/// `bench_*` exports paired with their companion; `skipped` gets the names
/// of `bench_*` exports without one.
pub fn benchmark_symbols(symbols: &[String], skipped: &mut Vec<String>) -> Vec<(String, String)> {
    let exported: std::collections::HashSet<&str> = symbols.iter().map(String::as_str).collect();
    let has = |name: &str| exported.contains(name);
    let mut found = Vec::new();
    for name in symbols.iter().filter(|s| s.starts_with("bench_")) {
        let suffix = &name["bench_".len()..];
        // `pybench_meta_NAME` is the C spelling; the Rust macro exports
        // `pybench_meta_bench_NAME`.
        let companion = [
            format!("pybench_meta_{suffix}"),
            format!("pybench_meta_{name}"),
        ]
        .into_iter()
        .find(|c| has(c));
        match companion {
            Some(companion) => found.push((name.clone(), companion)),
            None => skipped.push(name.clone()),
        }
    }
    found
}

/// `path` made absolute with every link resolved: `dlopen` then loads the
/// very file that was named and hashed, never a namesake found on
/// `LD_LIBRARY_PATH` or the system's search path.
pub fn canonical(path: &Path) -> Result<PathBuf, LibraryError> {
    std::fs::canonicalize(path).map_err(|source| LibraryError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Load the library at `path` (canonical), running its initialisers.
pub fn open(path: &Path) -> Result<libloading::Library, LibraryError> {
    // SAFETY: loading runs the library's initialisers; a benchmark library
    // is code the user asked pybench to run.
    unsafe { libloading::Library::new(path) }.map_err(|e| LibraryError::Load {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// The benchmark entry point `name` (a `bench_*` export) of a loaded
/// library, with its ABI v1 type.
pub fn bench_fn(
    handle: &libloading::Library,
    path: &Path,
    name: &str,
) -> Result<BenchFn, LibraryError> {
    // SAFETY: ABI v1 gives every `bench_*` export the type `BenchFn`.
    unsafe { symbol(handle, path, name) }
}

/// The settings companion `name` (a `pybench_meta_*` export) of a loaded
/// library, with its ABI v1 type.
pub fn meta_fn(
    handle: &libloading::Library,
    path: &Path,
    name: &str,
) -> Result<MetaFn, LibraryError> {
    // SAFETY: ABI v1 gives every `pybench_meta_*` export the type `MetaFn`.
    unsafe { symbol(handle, path, name) }
}

/// The function `name` of a loaded library, as a `T`.
///
/// # Safety
///
/// `T` must be the type the library gives `name`: a wrong one is called
/// with the wrong arguments.
unsafe fn symbol<T: Copy>(
    handle: &libloading::Library,
    path: &Path,
    name: &str,
) -> Result<T, LibraryError> {
    // SAFETY: the caller vouches for `T` (see above).
    unsafe { handle.get::<T>(name.as_bytes()) }
        .map(|symbol| *symbol)
        .map_err(|e| LibraryError::Load {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
}

/// Load `path` in this process (`--in-process`), call its companions, and
/// return its benchmarks (empty if it exports none); `source_key` says
/// where it comes from.
pub fn load_benchmarks(
    path: &Path,
    source_key: Option<String>,
    skipped: &mut Vec<String>,
    backend: Arc<dyn Backend>,
) -> Result<Vec<Benchmark>, LibraryError> {
    let named = path.to_path_buf();
    let path = canonical(path)?;
    let pairs = benchmark_symbols(&exported_symbols(&path)?, skipped);
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let handle = open(&path)?;
    let mut benchmarks = Vec::new();
    for (name, companion) in pairs {
        let entry = bench_fn(&handle, &path, &name)?;
        let meta = meta_fn(&handle, &path, &companion)?;
        benchmarks.push((name, entry, read_settings(meta)));
    }
    // Never unloaded: a thread the benchmark left running may still be in
    // its code after the run (a late `emit`); the process's exit unloads it.
    let library = Arc::new(
        Source::new(path, named, source_key, backend)
            .holding(Box::new(std::mem::ManuallyDrop::new(handle))),
    );
    Ok(benchmarks
        .into_iter()
        .map(|(name, entry, settings)| Benchmark {
            name,
            source: Arc::clone(&library),
            entry: Some(entry),
            settings,
        })
        .collect())
}

/// What a companion returned: its text, or why there is none.
pub fn companion_text(meta: MetaFn) -> Result<String, SettingsError> {
    // SAFETY: the companion returns a static NUL-terminated string (ABI v1).
    let ptr = unsafe { meta() };
    if ptr.is_null() {
        return Err(SettingsError::NullCompanion);
    }
    // SAFETY: non-null, NUL-terminated per the ABI.
    unsafe { CStr::from_ptr(ptr) }
        .to_str()
        .map(str::to_string)
        .map_err(|_| SettingsError::NotUtf8)
}

fn read_settings(meta: MetaFn) -> Result<DeclaredSettings, SettingsError> {
    parse_settings(&companion_text(meta)?)
}

/// Parse a companion's JSON and check its ABI version.
pub fn parse_settings(text: &str) -> Result<DeclaredSettings, SettingsError> {
    let settings: DeclaredSettings =
        serde_json::from_str(text).map_err(|e| SettingsError::Json {
            text: text.to_string(),
            reason: e.to_string(),
        })?;
    match settings.abi {
        Some(ABI_VERSION) => Ok(settings),
        Some(found) => Err(SettingsError::UnknownAbi {
            found,
            supported: ABI_VERSION,
        }),
        None => Err(SettingsError::NoAbi(text.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn companions_in_both_spellings() {
        let symbols: Vec<String> = [
            "bench_a",
            "bench_b",
            "bench_c",
            "pybench_meta_a",
            "pybench_meta_bench_b",
            "other",
        ]
        .map(String::from)
        .to_vec();
        let mut skipped = Vec::new();
        let found = benchmark_symbols(&symbols, &mut skipped);
        assert_eq!(
            found,
            [
                ("bench_a".to_string(), "pybench_meta_a".to_string()),
                ("bench_b".to_string(), "pybench_meta_bench_b".to_string())
            ]
        );
        assert_eq!(skipped, ["bench_c"]);
    }

    /// The `bench!` macro writes `"abi":1` into every companion by hand; it
    /// must be the version this host reads.
    #[test]
    fn the_authoring_crate_speaks_the_hosts_abi() {
        assert_eq!(pybench::ABI_VERSION, ABI_VERSION);
        pybench::bench! {
            fn bench_probe(_seed: u64) -> f64 { 0.0 }
        }
        assert_eq!(bench_probe(1), 0.0);
        unsafe extern "C" {
            fn pybench_meta_bench_probe() -> *const std::ffi::c_char;
        }
        // SAFETY: the macro's companion returns a static NUL-terminated string.
        let meta = unsafe { pybench_meta_bench_probe() };
        let settings = read_settings(pybench_meta_bench_probe).unwrap();
        assert_eq!(settings.abi, Some(ABI_VERSION), "{meta:?}");
    }

    #[test]
    fn settings_check_abi_and_keys() {
        let s =
            parse_settings(r#"{"abi":1,"n_seeds":50,"alpha":0.01,"min_effect":0.02,"workers":4}"#)
                .unwrap();
        assert_eq!(
            (s.n_seeds, s.alpha, s.min_effect, s.workers),
            (Some(50), Some(0.01), Some(0.02), Some(4))
        );
        assert_eq!(
            parse_settings(r#"{"abi":2}"#).unwrap_err().to_string(),
            "unknown ABI version 2 (this pybench speaks version 1)"
        );
        assert!(
            parse_settings(r#"{"abi":1,"n_seed":5}"#)
                .unwrap_err()
                .to_string()
                .contains("unknown field `n_seed`")
        );
        assert!(
            parse_settings(r#"{}"#)
                .unwrap_err()
                .to_string()
                .contains("lack the \"abi\" version")
        );
    }
}
