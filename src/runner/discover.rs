//! Paths → benchmark library files.
//!
//! A shared library file is taken as it is; a directory with a `Cargo.toml`
//! is built (or, with `--no-build`, its last build is used); any other
//! directory is searched for both.

use std::path::{Path, PathBuf};

use super::build::{self, BuildError};
use super::library::LibraryError;

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("path does not exist: {0}")]
    Missing(PathBuf),
    #[error("not a shared library or a directory: {0}")]
    NotALibrary(PathBuf),
    #[error("cannot read directory {path}: {source}")]
    ReadDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error(transparent)]
    Library(#[from] LibraryError),
    #[error("benchmark `{name}` is defined twice: in {first} and in {second}")]
    Duplicate {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("no benchmark matches --bench {0}")]
    UnknownBench(String),
    #[error("no benchmarks found in {0}")]
    NoBenchmarks(String),
    #[error("{0} exports no benchmarks")]
    LibraryWithoutBenchmarks(PathBuf),
}

impl DiscoverError {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            DiscoverError::Missing(_) => {
                "pass a benchmark library, a Cargo package or a directory; the default is ./benchmarks"
            }
            DiscoverError::NotALibrary(_) => {
                "pybench loads .so, .dylib and .dll files and builds Cargo packages"
            }
            DiscoverError::Build(_) => {
                "fix the build errors above, or pass --no-build to use the last build"
            }
            DiscoverError::ReadDir { .. } => "check the directory's permissions",
            DiscoverError::Library(_) => "is it a shared library built for this machine?",
            DiscoverError::Duplicate { .. } => "rename one of them, or pass only one of the paths",
            DiscoverError::UnknownBench(_) => {
                "run without --bench to see every benchmark discovered"
            }
            DiscoverError::NoBenchmarks(_) | DiscoverError::LibraryWithoutBenchmarks(_) => {
                "a benchmark is an exported `bench_NAME` with its `pybench_meta_NAME` companion; -v lists skipped exports"
            }
        }
    }
}

/// A library file to inspect, and the PATH argument it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibraryFile {
    pub path: PathBuf,
    /// True when the user named this file itself (so having no benchmarks
    /// is an error, not something to skip).
    pub named: bool,
}

/// Resolve every PATH into library files, building Cargo packages unless
/// `no_build`. The result is sorted and free of duplicates.
pub fn library_files(paths: &[PathBuf], no_build: bool) -> Result<Vec<LibraryFile>, DiscoverError> {
    library_files_in(paths, no_build, None)
}

/// [`library_files`], building Cargo packages into `target_dir` when given.
pub fn library_files_in(
    paths: &[PathBuf],
    no_build: bool,
    target_dir: Option<&Path>,
) -> Result<Vec<LibraryFile>, DiscoverError> {
    let mut files = Vec::new();
    for path in paths {
        if !path.exists() {
            return Err(DiscoverError::Missing(path.clone()));
        }
        if path.is_file() {
            if !build::is_shared_library(path) {
                return Err(DiscoverError::NotALibrary(path.clone()));
            }
            files.push(LibraryFile {
                path: path.clone(),
                named: true,
            });
        } else {
            search(path, no_build, target_dir, &mut files)?;
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| {
        let same = a.path == b.path;
        b.named |= same && a.named;
        same
    });
    Ok(files)
}

fn search(
    dir: &Path,
    no_build: bool,
    target_dir: Option<&Path>,
    out: &mut Vec<LibraryFile>,
) -> Result<(), DiscoverError> {
    if dir.join("Cargo.toml").is_file() {
        let libraries = if no_build {
            build::built_libraries(dir)?
        } else {
            build::build_package(dir, target_dir)?
        };
        out.extend(
            libraries
                .into_iter()
                .map(|path| LibraryFile { path, named: false }),
        );
        return Ok(());
    }
    let read_dir = |path: &Path| {
        std::fs::read_dir(path).map_err(|source| DiscoverError::ReadDir {
            path: path.to_path_buf(),
            source,
        })
    };
    let mut entries: Vec<PathBuf> = read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for entry in entries {
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if entry.is_dir() {
            // Build output belongs to the package that made it.
            if !name.starts_with('.') && name != "target" {
                search(&entry, no_build, target_dir, out)?;
            }
        } else if build::is_shared_library(&entry) {
            out.push(LibraryFile {
                path: entry,
                named: false,
            });
        }
    }
    Ok(())
}
