//! The seed plan: seeds drawn once, before a sharded run, so that every
//! shard of a NEW benchmark or of `update` uses the same seeds.
//!
//! `pybench seeds [PATH...]` writes it (by default next to the baseline
//! file, `.pybench/seed-plan.json`); shards read it (`--seed-plan FILE`, or
//! that default when it exists). A benchmark with a stored baseline is
//! checked on its stored seeds and does not need the plan.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ShardError;
use crate::store::atomic;

/// Why a seed plan cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error("format_version {0} (this pybench reads version {FORMAT_VERSION})")]
    Version(u32),
    #[error("{bench}: n_seeds is {n_seeds} but there are {seeds} seeds")]
    Count {
        bench: String,
        n_seeds: usize,
        seeds: usize,
    },
    #[error("{0}: at least 2 seeds are needed")]
    TooFew(String),
    #[error("{bench}: seed {seed} appears twice")]
    Twice { bench: String, seed: u64 },
}

pub const FORMAT_VERSION: u32 = 1;

/// One benchmark's planned seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Planned {
    pub n_seeds: usize,
    pub seeds: Vec<u64>,
}

/// The whole plan, by benchmark name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SeedPlan {
    pub format_version: u32,
    pub benchmarks: BTreeMap<String, Planned>,
}

impl SeedPlan {
    /// `seed-plan.json` next to the baseline file.
    pub fn default_path(baseline: &Path) -> PathBuf {
        match baseline.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join("seed-plan.json"),
            _ => PathBuf::from("seed-plan.json"),
        }
    }

    pub fn get(&self, bench: &str) -> Option<&[u64]> {
        self.benchmarks.get(bench).map(|p| p.seeds.as_slice())
    }

    /// Read and check a plan: each entry's seeds are distinct, at least 2,
    /// and as many as its `n_seeds`. Anything but a regular file (a device
    /// node, a FIFO) is refused unread.
    pub fn read(path: &Path) -> Result<SeedPlan, ShardError> {
        let bytes = super::file::read_regular(path)?;
        let text = String::from_utf8(bytes).map_err(|e| ShardError::Read {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })?;
        Self::parse(&text).map_err(|reason| ShardError::BadPlan {
            path: path.to_path_buf(),
            reason,
        })
    }

    pub fn parse(text: &str) -> Result<SeedPlan, PlanError> {
        let plan: SeedPlan = serde_json::from_str(text)?;
        if plan.format_version != FORMAT_VERSION {
            return Err(PlanError::Version(plan.format_version));
        }
        for (name, planned) in &plan.benchmarks {
            if planned.seeds.len() != planned.n_seeds {
                return Err(PlanError::Count {
                    bench: name.clone(),
                    n_seeds: planned.n_seeds,
                    seeds: planned.seeds.len(),
                });
            }
            if planned.seeds.len() < 2 {
                return Err(PlanError::TooFew(name.clone()));
            }
            let mut seen = HashSet::with_capacity(planned.seeds.len());
            if let Some(&twice) = planned.seeds.iter().find(|s| !seen.insert(**s)) {
                return Err(PlanError::Twice {
                    bench: name.clone(),
                    seed: twice,
                });
            }
        }
        Ok(plan)
    }

    /// Atomically write the plan (one benchmark per line, readable in a
    /// diff), through a symlink and keeping the file's mode; anything but
    /// a regular file there is refused.
    pub fn write(&self, path: &Path) -> Result<(), ShardError> {
        let write_error = |source: atomic::FileError| ShardError::Write {
            path: path.to_path_buf(),
            source: source.into(),
        };
        let mut text = format!(
            "{{\"format_version\": {}, \"benchmarks\": {{",
            self.format_version
        );
        for (i, (name, planned)) in self.benchmarks.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&format!(
                "\n  {}: {}",
                serde_json::to_string(name).expect("a name serialises"),
                serde_json::to_string(planned).expect("a plan serialises")
            ));
        }
        text.push_str("\n}}\n");
        atomic::replace(path, "seed-plan", text.as_bytes()).map_err(write_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_checks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let mut plan = SeedPlan {
            format_version: FORMAT_VERSION,
            benchmarks: BTreeMap::new(),
        };
        plan.benchmarks.insert(
            "bench_a".into(),
            Planned {
                n_seeds: 3,
                seeds: vec![5, 1, 4294967295],
            },
        );
        plan.benchmarks.insert(
            "bench_b".into(),
            Planned {
                n_seeds: 2,
                seeds: vec![0, 9],
            },
        );
        plan.write(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 4, "{text}");
        assert_eq!(SeedPlan::read(&path).unwrap(), plan);
        assert_eq!(plan.get("bench_a"), Some(&[5, 1, 4294967295][..]));
        let twice = r#"{"format_version":1,"benchmarks":{"bench_a":{"n_seeds":2,"seeds":[3,3]}}}"#;
        assert_eq!(
            SeedPlan::parse(twice).unwrap_err().to_string(),
            "bench_a: seed 3 appears twice"
        );
        let short = r#"{"format_version":1,"benchmarks":{"bench_a":{"n_seeds":3,"seeds":[3,4]}}}"#;
        assert!(
            SeedPlan::parse(short)
                .unwrap_err()
                .to_string()
                .contains("n_seeds is 3")
        );
        assert!(SeedPlan::parse(r#"{"format_version":2,"benchmarks":{}}"#).is_err());
        assert_eq!(
            SeedPlan::default_path(Path::new(".pybench/baselines.jsonl")),
            Path::new(".pybench/seed-plan.json")
        );
    }
}
