//! Input pinning: the SHA-256 of each input a benchmark names, as the
//! baseline records it (the additive `inputs` key of its line).
//!
//! A file is the hash of its bytes. A directory is the hash of its files'
//! sorted relative paths and hashes, skipping hidden and git-ignored paths;
//! a glob is the same over the files it matches (as the glob names them).
//! Both keep each file's hash, so a check can say which file came, went or
//! changed. File hashes come through the library hash cache (path, inode,
//! size, modification and change times): an unchanged dataset is not read
//! again.

use std::collections::BTreeMap;
use std::fs::Metadata;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Project;
use super::hash_cache::{self, HashCache};
use crate::settings::inputs::{glob_matcher, is_glob};

/// Each input (as the settings name it) and its pin.
pub type Pins = BTreeMap<String, Pin>;

/// One input's hash; for a directory or a glob, each file's too.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// `sha256:` and the hex digest.
    pub sha256: String,
    /// A directory's files (paths relative to it) or a glob's matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<BTreeMap<String, String>>,
}

/// Why an input cannot be hashed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("input {input} is missing")]
    Missing { input: String },
    #[error("input {input}: {} is not a regular file, a directory or a symlink to one", .path.display())]
    NotRegular { input: String, path: PathBuf },
    #[error("input {input}: cannot read {}: {reason}", .path.display())]
    Unreadable {
        input: String,
        path: PathBuf,
        reason: String,
    },
}

/// Pin every input of `specs`, each resolved against the project's root.
pub fn pin_all(project: &Project, specs: &[String]) -> Result<Pins, InputError> {
    specs
        .iter()
        .map(|spec| Ok((spec.clone(), pin(project, spec)?)))
        .collect()
}

/// The first input on which two sets of pins disagree, as each side has
/// it: `data/x.csv sha256:81bf9fa8d…`, or `data/x.csv unpinned`.
pub fn first_difference(a: Option<&Pins>, b: Option<&Pins>) -> (String, String) {
    let empty = Pins::new();
    let (a, b) = (a.unwrap_or(&empty), b.unwrap_or(&empty));
    let spec = a
        .keys()
        .chain(b.keys())
        .find(|spec| a.get(*spec) != b.get(*spec))
        .cloned()
        .unwrap_or_default();
    let side = |pins: &Pins| match pins.get(&spec) {
        Some(pin) => format!("{spec} {}…", pin.sha256.get(..19).unwrap_or(&pin.sha256)),
        None => format!("{spec} unpinned"),
    };
    (side(a), side(b))
}

/// Pin one input: a glob (which may match nothing), else a path that must
/// exist as a file or a directory.
pub fn pin(project: &Project, spec: &str) -> Result<Pin, InputError> {
    let (root, hashes) = (project.root(), project.hashes().as_ref());
    if is_glob(spec) {
        return Ok(combined(glob_files(hashes, root, spec)?));
    }
    let path = root.join(spec);
    let meta = std::fs::metadata(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => InputError::Missing {
            input: spec.to_string(),
        },
        _ => unreadable(spec, &path, &e),
    })?;
    if meta.is_dir() {
        let files = walk(hashes, spec, &path)?
            .into_iter()
            .map(|(rel, hash)| (slashed(&rel), hash))
            .collect();
        return Ok(combined(files));
    }
    Ok(Pin {
        sha256: file_hash(hashes, spec, &path, &meta)?,
        files: None,
    })
}

/// The pin of a set of files: the hash of their sorted names and hashes.
pub(crate) fn combined(files: BTreeMap<String, String>) -> Pin {
    let mut hasher = Sha256::new();
    for (name, hash) in &files {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(hash.as_bytes());
        hasher.update(b"\n");
    }
    Pin {
        sha256: format!("sha256:{:x}", hasher.finalize()),
        files: Some(files),
    }
}

/// The files of a glob: those under its literal leading directories that
/// it matches, named as the glob names them.
fn glob_files(
    hashes: &HashCache,
    root: &Path,
    spec: &str,
) -> Result<BTreeMap<String, String>, InputError> {
    let matcher = glob_matcher(spec).expect("inputs are validated before they are pinned");
    let literal: Vec<&str> = spec.split('/').take_while(|part| !is_glob(part)).collect();
    let base = literal.join("/");
    let dir = root.join(if base.is_empty() && !spec.starts_with('/') {
        "."
    } else if base.is_empty() {
        "/"
    } else {
        &base
    });
    if !dir.is_dir() {
        return Ok(BTreeMap::new());
    }
    let mut files = BTreeMap::new();
    for (rel, hash) in walk(hashes, spec, &dir)? {
        let name = match base.as_str() {
            "" => slashed(&rel),
            _ => format!("{}/{}", base, slashed(&rel)),
        };
        if matcher.is_match(&name) {
            files.insert(name, hash);
        }
    }
    Ok(files)
}

/// Every file under `dir` that git would see (hidden and ignored paths
/// left out), with its hash, by path relative to `dir`. Symlinked
/// directories are not followed.
fn walk(hashes: &HashCache, spec: &str, dir: &Path) -> Result<Vec<(PathBuf, String)>, InputError> {
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(true)
        .ignore(false)
        .git_global(false)
        .follow_links(false)
        .sort_by_file_name(std::ffi::OsStr::cmp)
        .build();
    let mut files = Vec::new();
    for entry in walker {
        let entry = entry.map_err(|e| unreadable(spec, dir, &e))?;
        let path = entry.path();
        let Some(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            continue;
        }
        let rel = path.strip_prefix(dir).unwrap_or(path).to_path_buf();
        let hash = if kind.is_symlink() {
            link_hash(hashes, spec, path)?
        } else {
            let meta = entry.metadata().map_err(|e| unreadable(spec, path, &e))?;
            file_hash(hashes, spec, path, &meta)?
        };
        files.push((rel, hash));
    }
    Ok(files)
}

/// A symlink in a directory: its target's bytes when it leads to a file,
/// else the text of the link (a link to a directory is not followed).
fn link_hash(hashes: &HashCache, spec: &str, path: &Path) -> Result<String, InputError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => file_hash(hashes, spec, path, &meta),
        _ => {
            let target = std::fs::read_link(path).map_err(|e| unreadable(spec, path, &e))?;
            let text = format!("symlink:{}", target.display());
            Ok(hash_cache::hash_bytes(text.as_bytes()))
        }
    }
}

/// A regular file's hash, through the cache. A FIFO or a device is never
/// opened: reading one could block or never end.
fn file_hash(
    hashes: &HashCache,
    spec: &str,
    path: &Path,
    meta: &Metadata,
) -> Result<String, InputError> {
    if !meta.is_file() {
        return Err(InputError::NotRegular {
            input: spec.to_string(),
            path: path.to_path_buf(),
        });
    }
    hashes
        .content_hash(path)
        .ok_or_else(|| InputError::Unreadable {
            input: spec.to_string(),
            path: path.to_path_buf(),
            reason: "it could not be read".into(),
        })
}

fn unreadable(spec: &str, path: &Path, error: &dyn std::fmt::Display) -> InputError {
    InputError::Unreadable {
        input: spec.to_string(),
        path: path.to_path_buf(),
        reason: error.to_string(),
    }
}

/// A relative path with `/` between its components, whatever the platform.
fn slashed(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

pub mod at_revision;

#[cfg(test)]
mod tests;
