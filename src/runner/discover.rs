//! Paths → benchmark library files.
//!
//! A shared library file is taken as it is; a directory with a `Cargo.toml`
//! is built (or, with `--no-build`, its last build is used); any other
//! directory is searched for both, within the limits of [`super::scope`].
//! No PATH means the project's default ([`super::workspace`]).
//!
//! A directory is entered once, however many symlinks lead to it (so a
//! link to a parent cannot loop), and a library once, however many paths
//! name it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::Search;
use super::build::{self, BuildError};
use super::scope::{self, Scope, is_python_file};
use super::workspace::{self, WorkspaceError};

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
    #[error("no benchmarks found in {}", if .0.is_empty() { "the project's default paths" } else { .0 })]
    NoBenchmarks(String),
    #[error("{0} exports no benchmarks")]
    LibraryWithoutBenchmarks(PathBuf),
    #[error("{} builds no cdylib, so it has no library for pybench to load", .0.display())]
    NoCdylib(PathBuf),
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error("cannot list the Python benchmark files: {0}")]
    PythonListing(String),
    #[error("{0} defines no bench_* function")]
    PythonWithoutBenchmarks(PathBuf),
    /// A backend's own reason it cannot list its files (the Python
    /// backend's interpreter), with its hint.
    #[error("{message}")]
    Backend { message: String, hint: &'static str },
}

/// Why a library cannot be listed or loaded.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot parse {path} as a shared library: {reason}")]
    Parse { path: PathBuf, reason: String },
    #[error("cannot load {path}: {reason}")]
    Load { path: PathBuf, reason: String },
}

impl DiscoverError {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            DiscoverError::Missing(_) => {
                "pass a benchmark library, a Cargo package or a directory; the default is ./benchmarks"
            }
            DiscoverError::NotALibrary(_) => {
                "pybench loads .so, .dylib and .dll files, runs .py files and builds Cargo packages"
            }
            DiscoverError::Build(BuildError::Failed {
                last_build: Some(_),
                ..
            }) => {
                "fix the build errors above; --no-build would run that last build, not this source"
            }
            DiscoverError::Build(_) => "fix the build errors above",
            DiscoverError::ReadDir { .. } => "check the directory's permissions",
            DiscoverError::Library(_) => "is it a shared library built for this machine?",
            DiscoverError::Duplicate { .. } => "rename one of them, or pass only one of the paths",
            DiscoverError::UnknownBench(_) => {
                "run without --bench to see every benchmark discovered"
            }
            DiscoverError::NoBenchmarks(_) => {
                "a benchmark is an exported `bench_NAME` with its `pybench_meta_NAME` companion; -v lists every library and crate searched and why each was skipped"
            }
            DiscoverError::LibraryWithoutBenchmarks(_) => {
                "a benchmark is an exported `bench_NAME` with its `pybench_meta_NAME` companion; -v lists skipped exports"
            }
            DiscoverError::NoCdylib(_) => {
                "add `crate-type = [\"cdylib\"]` under [lib] in its Cargo.toml"
            }
            DiscoverError::Workspace(e) => e.hint(),
            DiscoverError::PythonListing(_) => {
                "run the interpreter named by -v by hand: is it Python 3.9 or newer?"
            }
            DiscoverError::PythonWithoutBenchmarks(_) => {
                "a Python benchmark is a function `def bench_NAME(seed)` defined at the top level of the file"
            }
            DiscoverError::Backend { hint, .. } => hint,
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
    /// The Cargo package directory it was built from, or the file itself.
    pub source: PathBuf,
}

/// How a search goes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options<'a> {
    /// Take Cargo packages' last build instead of building them.
    pub no_build: bool,
    /// Build Cargo packages into this target directory.
    pub target_dir: Option<&'a Path>,
    /// Say on stderr what was searched and why anything was skipped.
    pub verbose: bool,
    /// `-q`: no word about what is searched and built.
    pub quiet: bool,
    /// The project root: only packages inside it are built.
    pub project: Option<&'a Path>,
}

/// The library files of a search's PATHs (or of the project's default).
pub fn library_files(search: &Search) -> Result<Vec<LibraryFile>, DiscoverError> {
    let paths = resolve_paths(&search.paths, search.verbose, search.quiet)?;
    let options = Options {
        no_build: search.no_build,
        target_dir: None,
        verbose: search.verbose,
        quiet: search.quiet,
        project: Some(&search.project),
    };
    library_files_in(&paths, &options)
}

/// The PATH arguments, or the project's default paths when there are none.
pub fn resolve_paths(
    paths: &[PathBuf],
    verbose: bool,
    quiet: bool,
) -> Result<Vec<PathBuf>, DiscoverError> {
    resolve_scoped(paths, verbose, quiet).map(|defaults| defaults.paths)
}

/// The PATH arguments, which answer for themselves, or the project's
/// defaults and their scope ([`workspace::Defaults`]).
pub fn resolve_scoped(
    paths: &[PathBuf],
    verbose: bool,
    quiet: bool,
) -> Result<workspace::Defaults, DiscoverError> {
    if paths.is_empty() {
        Ok(workspace::defaults(verbose, quiet)?)
    } else {
        Ok(workspace::Defaults::named(paths.to_vec()))
    }
}

/// Resolve every PATH into library files, building Cargo packages unless
/// `no_build`. The result is sorted and free of duplicates.
pub fn library_files_in(
    paths: &[PathBuf],
    options: &Options,
) -> Result<Vec<LibraryFile>, DiscoverError> {
    let mut walk = Walk {
        options,
        visited: HashSet::new(),
        files: Vec::new(),
        packages: Vec::new(),
    };
    for path in paths {
        if !path.exists() {
            return Err(DiscoverError::Missing(path.clone()));
        }
        if !path.is_file() && !path.is_dir() {
            // A FIFO or a device: nothing pybench could load or search.
            return Err(DiscoverError::NotALibrary(path.clone()));
        }
        if path.is_file() {
            if !build::is_shared_library(path) && !is_python_file(path) {
                return Err(DiscoverError::NotALibrary(path.clone()));
            }
            // Loaders take `library::canonical(path)`, so a bare file name
            // never reaches `dlopen`'s search of LD_LIBRARY_PATH.
            walk.files.push(LibraryFile {
                path: path.clone(),
                named: true,
                source: path.clone(),
            });
        } else {
            let repo = scope::repository(path);
            let mut scope = Scope::new(repo.as_ref(), options.project);
            walk.directory(path, true, &mut scope)?;
        }
    }
    walk.build()?;
    Ok(distinct(walk.files))
}

/// One file per library, however many paths name it (a symlink, `a/../a`):
/// the first path found stands for it, named if any of them was.
fn distinct(mut files: Vec<LibraryFile>) -> Vec<LibraryFile> {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut seen: Vec<(PathBuf, LibraryFile)> = Vec::with_capacity(files.len());
    for file in files {
        let key = file
            .path
            .canonicalize()
            .unwrap_or_else(|_| file.path.clone());
        match seen.iter_mut().find(|(k, _)| *k == key) {
            Some((_, first)) => first.named |= file.named,
            None => seen.push((key, file)),
        }
    }
    seen.into_iter().map(|(_, file)| file).collect()
}

/// A directory's identity, whatever path leads to it.
#[cfg(unix)]
fn dir_id(dir: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(dir).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn dir_id(dir: &Path) -> Option<PathBuf> {
    dir.canonicalize().ok()
}

struct Walk<'a> {
    options: &'a Options<'a>,
    visited: HashSet<DirId>,
    files: Vec<LibraryFile>,
    /// Cargo packages found, and whether the user named each: built
    /// together once the walk is done.
    packages: Vec<(PathBuf, bool)>,
}

#[cfg(unix)]
type DirId = (u64, u64);
#[cfg(not(unix))]
type DirId = PathBuf;

impl Walk<'_> {
    fn note(&self, text: std::fmt::Arguments) {
        if self.options.verbose {
            eprintln!("note: {text}");
        }
    }

    /// Search `dir`, which the user named when `named`.
    fn directory(
        &mut self,
        dir: &Path,
        named: bool,
        scope: &mut Scope,
    ) -> Result<(), DiscoverError> {
        if let Some(id) = dir_id(dir)
            && !self.visited.insert(id)
        {
            self.note(format_args!(
                "skipped {}: already searched by another path",
                dir.display()
            ));
            return Ok(());
        }
        if dir.join("Cargo.toml").is_file() {
            return self.package(dir, named, scope);
        }
        let entries = std::fs::read_dir(dir).map_err(|source| DiscoverError::ReadDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut entries: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        entries.sort();
        for entry in entries {
            if entry.is_dir() {
                match scope.skips(&entry) {
                    Some(reason) => {
                        self.note(format_args!("skipped {}: {reason}", entry.display()))
                    }
                    None => self.directory(&entry, false, scope)?,
                }
            } else if (is_python_file(&entry) || build::is_shared_library(&entry))
                && !entry.is_file()
            {
                self.note(format_args!(
                    "skipped {}: not a regular file",
                    entry.display()
                ));
            } else if is_python_file(&entry) || build::is_shared_library(&entry) {
                if !is_python_file(&entry) {
                    self.note(format_args!("found library {}", entry.display()));
                }
                self.files.push(LibraryFile {
                    source: entry.clone(),
                    path: entry,
                    named: false,
                });
            }
        }
        Ok(())
    }

    /// Take the Cargo package at `dir`, to build once the walk is done.
    fn package(&mut self, dir: &Path, named: bool, scope: &Scope) -> Result<(), DiscoverError> {
        if !named && !scope.may_build(dir) {
            self.note(format_args!(
                "skipped the Cargo package {}: outside the current workspace and repository (name it to build it)",
                dir.display()
            ));
            return Ok(());
        }
        self.packages.push((dir.to_path_buf(), named));
        Ok(())
    }

    /// Build (or find the last build of) every package taken, in as few
    /// cargo runs as their workspaces allow.
    fn build(&mut self) -> Result<(), DiscoverError> {
        let dirs: Vec<PathBuf> = self.packages.iter().map(|(dir, _)| dir.clone()).collect();
        let built = if self.options.no_build {
            dirs.iter()
                .map(|dir| build::built_libraries(dir))
                .collect::<Result<Vec<_>, _>>()?
        } else {
            build::build_packages(&dirs, self.options.target_dir, self.options.quiet)?
        };
        let packages = std::mem::take(&mut self.packages);
        for ((dir, named), libraries) in packages.into_iter().zip(built) {
            self.built(&dir, named, libraries)?;
        }
        Ok(())
    }

    /// The libraries built from the package at `dir`.
    fn built(
        &mut self,
        dir: &Path,
        named: bool,
        libraries: Vec<PathBuf>,
    ) -> Result<(), DiscoverError> {
        if libraries.is_empty() {
            let rlibs = workspace::packages_without_cdylib(dir);
            if named && !rlibs.is_empty() {
                return Err(DiscoverError::NoCdylib(dir.to_path_buf()));
            }
            for package in rlibs {
                eprintln!("{}", workspace::no_cdylib_warning(&package));
            }
            self.note(format_args!(
                "skipped the Cargo package {}: no cdylib {}",
                dir.display(),
                if self.options.no_build {
                    "built yet"
                } else {
                    "target"
                }
            ));
        }
        for path in libraries {
            self.note(format_args!(
                "built library {} from {}",
                path.display(),
                dir.display()
            ));
            self.files.push(LibraryFile {
                path,
                named: false,
                source: dir.to_path_buf(),
            });
        }
        Ok(())
    }
}
