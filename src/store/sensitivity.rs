//! The paired-difference sd of each slot, as the last judged run measured
//! it, for `pybench show --sensitivity`.
//!
//! Kept in the git directory (`pybench/sensitivity.json`), not in the
//! baseline file: a check run must leave the tracked baseline byte for byte
//! as it was, or every CI run would dirty the tree. A record only counts
//! for the seeds it was measured on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{atomic, own_file};

/// One benchmark's paired sds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairedSd {
    /// The seeds the run was paired on (the baseline's stored seeds).
    pub seeds: Vec<u64>,
    /// `step/metric` (as `SlotKey` displays) → the sd of the paired
    /// goodness differences.
    pub sd: BTreeMap<String, f64>,
}

/// Every benchmark's record.
pub type Records = BTreeMap<String, PairedSd>;

/// Where the records live in the repository with git directory `git_dir`.
pub fn path(git_dir: &Path) -> PathBuf {
    git_dir.join("pybench").join("sensitivity.json")
}

/// The most bytes of the record that are read.
const LIMIT: u64 = 64 << 20;

/// The records, or none when the file is missing, unreadable or not to be
/// trusted (a FIFO, a device, a symlink, another user's file: see
/// [`own_file`]); they are advice, and `show --sensitivity` falls back to
/// a bound.
pub fn read(git_dir: &Path) -> Records {
    own_file::read(&path(git_dir), LIMIT)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Replace the records of `updates`, keeping the others.
pub fn write(git_dir: &Path, updates: Records) -> std::io::Result<()> {
    if updates.is_empty() {
        return Ok(());
    }
    let mut records = read(git_dir);
    records.extend(updates);
    let text = serde_json::to_string_pretty(&records).map_err(std::io::Error::other)?;
    atomic::write(&path(git_dir), "sensitivity", text.as_bytes())
}
