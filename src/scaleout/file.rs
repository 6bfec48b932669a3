//! The shard file: what one shard of one benchmark ran, seed by seed,
//! exactly as the benchmark handed it back, with the fingerprint and
//! settings that `merge` checks all shards agree on.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Shard, ShardError};
use crate::runner::SeedOutcome;
use crate::settings::RunMode;
use crate::store::atomic;

/// The shard file's format; bumped when a field changes meaning.
pub const FORMAT_VERSION: u32 = 1;

/// Where a shard's seeds came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeedsFrom {
    /// The stored baseline's seeds (a check).
    Baseline,
    /// The seed plan's (a NEW benchmark, or `update`).
    Plan,
}

/// The settings that decide a verdict; every shard must agree on them.
pub use crate::store::fingerprint::StoredSettings as ShardSettings;

/// Where the machine that ran a shard stood, and the library's hash: the
/// same fingerprint a baseline line carries.
pub use crate::store::fingerprint::Environment;

/// One seed's raw outcome, exactly as the benchmark handed it back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedRecord {
    pub index: usize,
    pub seed: u64,
    pub outcome: SeedOutcome,
}

/// What one shard of one benchmark wrote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    pub format_version: u32,
    pub pybench_version: String,
    pub bench: String,
    pub shard: Shard,
    pub mode: RunMode,
    pub seeds_from: SeedsFrom,
    /// Every seed of the run, in order; this shard ran `indices` of them.
    pub seeds: Vec<u64>,
    pub indices: Vec<usize>,
    pub settings: ShardSettings,
    pub library: PathBuf,
    pub library_hash: String,
    pub environment: Environment,
    /// The benchmark's error when it could not run (bad settings, a crash,
    /// a timeout); `results` is then empty.
    pub error: Option<String>,
    /// The index of the (first) seed the error names, when it names one:
    /// merge reports the error of the earliest seed, as one machine would.
    #[serde(default)]
    pub error_index: Option<usize>,
    pub results: Vec<SeedRecord>,
    /// What the benchmark printed.
    pub output: String,
    /// The hash of each input it names, as this shard found them: every
    /// shard of a benchmark must have read the same data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<crate::store::inputs::Pins>,
    /// Where the benchmark was found, from the project root: the `source`
    /// its baseline records, so that a merged baseline can be MISSING.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The bytes of the file at `path`, which must be a regular file (or a
/// symlink to one): a device node or FIFO is refused unread, so it can
/// neither block nor read forever.
pub(super) fn read_regular(path: &Path) -> Result<Vec<u8>, ShardError> {
    let read_error = |source: std::io::Error| ShardError::Read {
        path: path.to_path_buf(),
        source,
    };
    atomic::read_regular(path)
        .map_err(|e| read_error(e.into()))?
        .ok_or_else(|| read_error(std::io::Error::from_raw_os_error(libc::ENOENT)))
}

impl ShardFile {
    /// `bench_x.shard-2-of-3.json`.
    pub fn file_name(bench: &str, shard: Shard) -> String {
        format!("{bench}.shard-{}-of-{}.json", shard.k, shard.n)
    }

    /// Check, touching nothing, that [`ShardFile::write`] could write this
    /// benchmark's file into `dir`: before the shard runs anything.
    pub fn probe(dir: &Path, bench: &str, shard: Shard) -> Result<(), ShardError> {
        let path = dir.join(Self::file_name(bench, shard));
        atomic::probe(&path).map_err(|source| ShardError::Write {
            path,
            source: source.into(),
        })
    }

    /// Atomically write into `dir` (created if missing); returns the path.
    /// A file there that is not a regular one (a device node, a FIFO) is
    /// an error, never replaced.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, ShardError> {
        let path = dir.join(Self::file_name(&self.bench, self.shard));
        let mut text = serde_json::to_string(self).expect("a shard file always serialises");
        text.push('\n');
        atomic::replace(&path, "shard", text.as_bytes()).map_err(|source| ShardError::Write {
            path: path.clone(),
            source: source.into(),
        })?;
        Ok(path)
    }

    /// Read a shard file; anything but a regular file is refused unread.
    pub fn read(path: &Path) -> Result<ShardFile, ShardError> {
        let bytes = read_regular(path)?;
        let bad = |reason: String| ShardError::BadFile {
            path: path.to_path_buf(),
            reason,
        };
        let text = String::from_utf8(bytes).map_err(|_| bad("not UTF-8".into()))?;
        #[derive(Deserialize)]
        struct Version {
            format_version: Option<u64>,
        }
        // The version first, so a newer format is named as such.
        let version = serde_json::from_str::<Version>(&text).map(|v| v.format_version);
        match version {
            Ok(Some(v)) if v == u64::from(FORMAT_VERSION) => {}
            Ok(Some(v)) => {
                return Err(bad(format!(
                    "format_version {v} (this pybench reads version {FORMAT_VERSION})"
                )));
            }
            Ok(None) => return Err(bad("no format_version".into())),
            Err(e) => return Err(bad(e.to_string())),
        }
        serde_json::from_str(&text).map_err(|e| bad(e.to_string()))
    }
}
