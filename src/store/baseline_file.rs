//! The baseline store: `.pybench/baselines.jsonl`.
//!
//! One JSON object per line, one line per benchmark, sorted by name, in the
//! Python pybench's schema ([`super::baselines`]). A write re-reads the file
//! under the run's lock and changes only the lines of the benchmarks it was
//! given, so every other line stays byte for byte as it is *now* — an edit
//! made during a long run (a `git pull`, a hand edit) survives. The file is
//! replaced through [`atomic::replace`]: a temporary file in the directory
//! of the file written and a rename, through a symlink, keeping the mode.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::atomic::{self, FileError};
use super::baselines::{Baseline, LineError};
use super::layout::Layout;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot read baseline file {path}: {source}")]
    Read { path: PathBuf, source: FileError },
    #[error("malformed baseline at {path}:{line}: {reason}")]
    Malformed {
        path: PathBuf,
        line: usize,
        reason: LineError,
    },
    #[error("cannot write baseline file {path}: {source}")]
    Write { path: PathBuf, source: FileError },
    #[error("another pybench run is using {path}")]
    Locked { path: PathBuf },
    #[error("cannot lock {path}: {source}")]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A write failed after the run had shown its benchmarks as saved.
    #[error("{source}; the baselines of {} were not saved", .benches.join(", "))]
    NotSaved {
        source: Box<StoreError>,
        benches: Vec<String>,
    },
    #[error(
        "the lines of {} in {path} changed during the run; they were kept, and this run's baselines of them were not saved",
        .benches.join(", ")
    )]
    Changed { path: PathBuf, benches: Vec<String> },
}

impl StoreError {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            StoreError::Locked { .. } => {
                "wait for the other run to finish, or drop --no-wait to wait for it"
            }
            StoreError::Malformed { .. } => {
                "fix or delete that line (git diff shows what changed), then re-run"
            }
            StoreError::Read {
                source: FileError::NotRegular(_),
                ..
            }
            | StoreError::Write {
                source: FileError::NotRegular(_),
                ..
            } => "pass --baseline FILE naming a regular file (or a symlink to one)",
            StoreError::Write {
                source: FileError::ReadOnly { .. },
                ..
            } => "make it writable (chmod u+w), or pass --baseline FILE",
            StoreError::NotSaved { source, .. } => source.hint(),
            StoreError::Changed { .. } => {
                "look at the file (git diff), then run again to save those baselines"
            }
            _ => "check the path and its permissions, or pass --baseline FILE",
        }
    }
}

/// What a write left out.
#[derive(Debug, Default, PartialEq)]
pub struct Written {
    /// Benchmarks whose line changed in the file since it was read: the
    /// file's line was kept and theirs was not written.
    pub kept: Vec<String>,
}

/// The parsed file, keeping its exact bytes for rewriting.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    layout: Layout,
    baselines: BTreeMap<String, Baseline>,
}

impl Store {
    /// Read the store; a missing file is an empty store. Anything but a
    /// regular file (or a symlink to one) is an error.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let bytes = atomic::read_regular(path)
            .map_err(|source| StoreError::Read {
                path: path.to_path_buf(),
                source,
            })?
            .unwrap_or_default();
        let text = String::from_utf8(bytes).map_err(|e| StoreError::Malformed {
            path: path.to_path_buf(),
            line: 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
            reason: LineError::NotUtf8,
        })?;
        Self::parse(path, &text)
    }

    /// Parse a store's text, naming `path` in errors. A leading byte-order
    /// mark is accepted (and kept on rewrite).
    pub fn parse(path: &Path, text: &str) -> Result<Store, StoreError> {
        let mut layout = Layout::split(text);
        let mut baselines = BTreeMap::new();
        let mut first_line_of: BTreeMap<String, usize> = BTreeMap::new();
        for (index, line) in layout.lines.iter_mut().enumerate() {
            let malformed = |reason: LineError| StoreError::Malformed {
                path: path.to_path_buf(),
                line: index + 1,
                reason,
            };
            if line.text.trim().is_empty() {
                continue;
            }
            let baseline = Baseline::from_line(&line.text).map_err(malformed)?;
            if let Some(first) = first_line_of.insert(baseline.bench.clone(), index + 1) {
                return Err(malformed(LineError::Duplicate {
                    bench: baseline.bench,
                    first,
                }));
            }
            line.bench = Some(baseline.bench.clone());
            baselines.insert(baseline.bench.clone(), baseline);
        }
        Ok(Store {
            path: path.to_path_buf(),
            layout,
            baselines,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, bench: &str) -> Option<&Baseline> {
        self.baselines.get(bench)
    }

    /// Every baseline, sorted by benchmark name.
    pub fn baselines(&self) -> impl Iterator<Item = &Baseline> {
        self.baselines.values()
    }

    pub fn is_empty(&self) -> bool {
        self.baselines.is_empty()
    }

    /// Check, touching nothing, that [`Store::write`] could replace the
    /// file: before a run, so that a file that cannot be written stops it
    /// at once rather than after every benchmark ran.
    pub fn probe_write(&self) -> Result<(), StoreError> {
        atomic::probe(&self.path).map_err(|source| StoreError::Write {
            path: self.path.clone(),
            source,
        })
    }

    /// Write `updates` into the file as it is now. Call it under the lock.
    ///
    /// The file is read again: a benchmark's line is written only if it is
    /// still as this store read it (absent stays absent, the same text
    /// stays the same), else the file's line wins and the benchmark is in
    /// [`Written::kept`]; every other line stays byte for byte. A re-read
    /// file that is malformed is an error, and nothing is written.
    pub fn write(&mut self, updates: Vec<Baseline>) -> Result<Written, StoreError> {
        let mut written = Written::default();
        if updates.is_empty() {
            return Ok(written);
        }
        let mut now = Store::open(&self.path)?;
        let mut changed = false;
        for baseline in updates {
            if self.layout.text_of(&baseline.bench) != now.layout.text_of(&baseline.bench) {
                written.kept.push(baseline.bench);
                continue;
            }
            now.layout.put(&baseline.bench, baseline.to_line());
            now.baselines.insert(baseline.bench.clone(), baseline);
            changed = true;
        }
        if changed {
            atomic::replace(&self.path, "baselines", &now.layout.to_bytes()).map_err(|source| {
                StoreError::Write {
                    path: self.path.clone(),
                    source,
                }
            })?;
        }
        *self = now;
        Ok(written)
    }

    /// Remove the lines of `benches` from the file as it is now (read
    /// again; call it under the lock). Every other line stays byte for byte.
    pub fn forget(&mut self, benches: &[String]) -> Result<(), StoreError> {
        let mut now = Store::open(&self.path)?;
        for bench in benches {
            now.layout.remove(bench);
            now.baselines.remove(bench);
        }
        atomic::replace(&self.path, "baselines", &now.layout.to_bytes()).map_err(|source| {
            StoreError::Write {
                path: self.path.clone(),
                source,
            }
        })?;
        *self = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
