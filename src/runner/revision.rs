//! `--against REV`'s other side: REV checked out (with gix, no git binary)
//! and its benchmark packages built, with the built libraries cached by
//! commit under the git directory (`pybench/against/<commit>/`), so that a
//! second run against the same commit builds nothing.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::discover::{self, DiscoverError};
use crate::store::git::{self, GitError};

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
pub fn prepare(rev: &str, paths: &[PathBuf]) -> Result<RevisionBuild, RevisionError> {
    let cwd = std::env::current_dir().map_err(|e| RevisionError::Io {
        what: "no working directory",
        source: e,
    })?;
    let revision = git::resolve_revision(&cwd, rev)?.ok_or(RevisionError::NoRepository)?;
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
    let dir = cache_dir(&revision.git_dir, &revision.id);
    let record_path = dir.join(RECORD_FILE);
    let io = |what: &'static str, source: std::io::Error| RevisionError::Io { what, source };

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
    crate::store::atomic::write(path, "record", (text + "\n").as_bytes())
}
