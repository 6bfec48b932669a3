//! `--against REV`'s other side: REV checked out (with gix, no git binary)
//! and its benchmark packages built, with the built libraries cached by
//! commit under the git directory (`pybench/against/<commit>/`), so that a
//! second run against the same commit builds nothing.
//!
//! Runs at once in one repository take turns on the checkout and the build
//! (a lock on `pybench/against/`); a library enters the cache by copy and
//! rename, so a run that has the old file loaded keeps it intact; and a
//! cached library is reused only while its SHA-256 is the one recorded.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::discover::{self, DiscoverError};
use super::python::PythonRevision;
use super::scope::is_python_file;
use crate::store::checkout;
use crate::store::fingerprint::hash_bytes;
use crate::store::git::GitError;
use crate::store::{atomic, own_file};

/// Why REV's side cannot be prepared.
#[derive(Debug, thiserror::Error)]
pub enum RevisionError {
    #[error("not inside a git repository")]
    NoRepository,
    #[error("{} is outside the repository", .0.display())]
    Outside(PathBuf),
    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        source: std::io::Error,
    },
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Discover(#[from] DiscoverError),
}

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
    /// `sha256:HEX` of each cached library, checked before reuse.
    #[serde(default)]
    pub hashes: Vec<String>,
}

pub const RECORD_FILE: &str = "record.json";

/// Where a commit's checkout is kept when its Python files run from it.
const TREE_DIR: &str = "tree";

/// REV's libraries, ready to load, and how to name REV in the report.
pub struct RevisionBuild {
    pub label: String,
    pub short: String,
    /// Built libraries (copied into the cache) and Python files (in REV's
    /// kept checkout).
    pub libraries: Vec<PathBuf>,
    pub reused: bool,
    /// The project's directory in REV's checkout, kept when REV has
    /// Python benchmark files: they run from it, and their workers put it
    /// first on `sys.path`.
    pub tree: Option<PathBuf>,
}

impl RevisionBuild {
    /// REV's side for its Python benchmark files.
    pub fn python_revision(&self) -> Option<PythonRevision> {
        self.tree.as_ref().map(|tree| PythonRevision {
            tree: tree.clone(),
            label: self.label.clone(),
        })
    }
}

/// The files that pin a Python project's dependencies.
fn dependency_files(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| {
            name == "pyproject.toml"
                || name == "uv.lock"
                || (name.starts_with("requirements") && name.ends_with(".txt"))
        })
        .collect();
    names.sort();
    names
}

/// The dependency files that differ between two checkouts (present on
/// one side only, or with other bytes).
pub fn dependency_differences(old: &Path, new: &Path) -> Vec<String> {
    let mut names = dependency_files(old);
    names.extend(dependency_files(new));
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|name| std::fs::read(old.join(name)).ok() != std::fs::read(new.join(name)).ok())
        .collect()
}

/// The cache directory of `commit`.
pub fn cache_dir(git_dir: &Path, commit: &str) -> PathBuf {
    git_dir.join("pybench").join("against").join(commit)
}

/// Materialise REV and build the benchmark packages of `paths` in it,
/// unless the cache already holds that build.
/// `quiet` (`-q`) builds REV without a word; packages are built only
/// inside the checkout of `project` (the project root).
pub fn prepare(
    rev: &str,
    paths: &[PathBuf],
    quiet: bool,
    project: &Path,
) -> Result<RevisionBuild, RevisionError> {
    let cwd = std::env::current_dir().map_err(|e| io("no working directory", e))?;
    let revision = checkout::resolve_revision(&cwd, rev)?.ok_or(RevisionError::NoRepository)?;
    let label = format!("{rev} ({})", revision.short);
    let relative: Vec<PathBuf> = paths
        .iter()
        .map(|p| {
            let absolute = std::path::absolute(p).unwrap_or_else(|_| p.clone());
            absolute
                .strip_prefix(&revision.workdir)
                .map(Path::to_path_buf)
                .map_err(|_| RevisionError::Outside(p.clone()))
        })
        .collect::<Result<_, _>>()?;
    let root = revision.git_dir.join("pybench").join("against");
    let _turn = lock(&root)?;
    let record_path = cache_dir(&revision.git_dir, &revision.id).join(RECORD_FILE);
    let (libraries, reused) = match reusable(&record_path, &relative) {
        Some(mut record) => {
            record.uses += 1;
            write_record(&record_path, &record)
                .map_err(|e| io("cannot update the build cache", e))?;
            (record.libraries, true)
        }
        None => (
            build(&cwd, &revision, relative, &root, quiet, project)?,
            false,
        ),
    };
    let kept = cache_dir(&revision.git_dir, &revision.id).join(TREE_DIR);
    let tree = libraries
        .iter()
        .any(|l| is_python_file(l))
        .then(|| kept.join(project_in(&revision.workdir, project)));
    if let Some(tree) = &tree {
        let differ = dependency_differences(tree, project);
        if !differ.is_empty() {
            eprintln!(
                "warning: {} differ between {label} and the working tree, but both sides run in one Python environment",
                differ.join(", ")
            );
        }
    }
    Ok(RevisionBuild {
        label,
        short: revision.short,
        libraries,
        reused,
        tree,
    })
}

/// Where `project` lies in a checkout of `workdir`.
fn project_in(workdir: &Path, project: &Path) -> PathBuf {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    canonical(project)
        .strip_prefix(canonical(workdir))
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn io(what: &'static str, source: std::io::Error) -> RevisionError {
    RevisionError::Io { what, source }
}

/// Wait for any other `--against` run of this repository to finish its
/// checkout and build.
fn lock(root: &Path) -> Result<std::fs::File, RevisionError> {
    std::fs::create_dir_all(root).map_err(|e| io("cannot create the build cache", e))?;
    let file = std::fs::File::open(root).map_err(|e| io("cannot open the build cache", e))?;
    file.lock()
        .map_err(|e| io("cannot lock the build cache", e))?;
    Ok(file)
}

/// The cached build for `relative`, if every library is still the file
/// that was cached.
fn reusable(record_path: &Path, relative: &[PathBuf]) -> Option<CacheRecord> {
    let record = read_record(record_path)?;
    let intact = record.paths == relative
        && record.hashes.len() == record.libraries.len()
        && record
            .libraries
            .iter()
            .zip(&record.hashes)
            .all(|(library, hash)| {
                own_file::read(library, atomic::USER_FILE_LIMIT)
                    .is_some_and(|bytes| hash_bytes(&bytes) == *hash)
            });
    intact.then_some(record)
}

/// Check REV out, build its packages, and copy the libraries into the
/// commit's cache.
fn build(
    cwd: &Path,
    revision: &checkout::Revision,
    relative: Vec<PathBuf>,
    root: &Path,
    quiet: bool,
    project: &Path,
) -> Result<Vec<PathBuf>, RevisionError> {
    // Every revision is checked out at the same place and built into one
    // target directory of its own: cargo's fingerprints name source paths
    // (and a package's hash does not), so a per-commit path or the working
    // tree's target directory could pass off one side's stale build as the
    // other's. The lock above keeps other runs out of both.
    let tree = root.join("checkout");
    if tree.exists() {
        std::fs::remove_dir_all(&tree).map_err(|e| io("cannot clear the old checkout", e))?;
    }
    checkout::checkout(cwd, &revision.id, &tree)?;
    let present: Vec<PathBuf> = relative
        .iter()
        .map(|r| tree.join(r))
        .filter(|p| p.exists())
        .collect();
    let options = discover::Options {
        target_dir: Some(&root.join("target")),
        quiet,
        project: Some(project),
        ..discover::Options::default()
    };
    let (python, files): (Vec<_>, Vec<_>) = discover::library_files_in(&present, &options)?
        .into_iter()
        .partition(|f| is_python_file(&f.path));
    let dir = cache_dir(&revision.git_dir, &revision.id);
    let libs_dir = dir.join("libs");
    let mut libraries = Vec::new();
    let mut hashes = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let name = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = std::fs::read(&file.path).map_err(|e| io("cannot read a built library", e))?;
        let copy = libs_dir.join(format!("{index}-{name}"));
        // A rename, not an overwrite: a run that loaded the old copy keeps it.
        atomic::write(&copy, "library", &bytes).map_err(|e| io("cannot cache a library", e))?;
        hashes.push(hash_bytes(&bytes));
        libraries.push(copy);
    }
    if !python.is_empty() {
        // Python files run where they are, beside the code they import:
        // the checkout is kept, by commit.
        let kept = dir.join(TREE_DIR);
        if kept.exists() {
            std::fs::remove_dir_all(&kept).map_err(|e| io("cannot clear a kept checkout", e))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| io("cannot create the build cache", e))?;
        std::fs::rename(&tree, &kept).map_err(|e| io("cannot keep the checkout", e))?;
        for file in python {
            let path = file
                .path
                .strip_prefix(&tree)
                .map(|relative| kept.join(relative))
                .unwrap_or(file.path);
            let bytes = std::fs::read(&path).map_err(|e| io("cannot read a Python file", e))?;
            hashes.push(hash_bytes(&bytes));
            libraries.push(path);
        }
    }
    let record_path = dir.join(RECORD_FILE);
    let record = CacheRecord {
        commit: revision.id.clone(),
        paths: relative,
        libraries: libraries.clone(),
        builds: read_record(&record_path).map_or(0, |r| r.builds) + 1,
        uses: 1,
        hashes,
    };
    write_record(&record_path, &record).map_err(|e| io("cannot write the build cache", e))?;
    Ok(libraries)
}

pub fn read_record(path: &Path) -> Option<CacheRecord> {
    serde_json::from_slice(&own_file::read(path, 1 << 20)?).ok()
}

fn write_record(path: &Path, record: &CacheRecord) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(record).map_err(std::io::Error::other)?;
    atomic::write(path, "record", (text + "\n").as_bytes())
}
