//! Scale-out: `pybench --shard K/N --out DIR` runs the K-th of N shares of
//! each benchmark's seeds and writes the raw per-seed outcomes, one file per
//! benchmark and shard ([`file`]); `pybench merge` joins them ([`join`]) and
//! judges the whole run. A seed plan ([`plan`]) fixes the seeds of NEW
//! benchmarks and `update` for every shard.

pub mod file;
pub mod join;
pub mod plan;
pub mod shard;

use std::path::PathBuf;

pub use file::{SeedRecord, SeedsFrom, ShardFile};
pub use join::{Joined, collect};
pub use plan::SeedPlan;
pub use shard::{Shard, ShardParseError, ShardSpec};

#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    #[error("{0}")]
    Engine(String),
    #[error("{}: {cause}", .library.display())]
    LibraryFailed { library: PathBuf, cause: String },
    #[error("{bench} needs fresh seeds, and no seed plan {}", match .plan { Some(p) => format!("entry for it is in {}", p.display()), None => "was given".into() })]
    NoPlan {
        bench: String,
        plan: Option<PathBuf>,
    },
    #[error("the seed plan has {planned} seeds for {bench} but --n-seeds asks for {asked}")]
    PlanCount {
        bench: String,
        planned: usize,
        asked: usize,
    },
    #[error("invalid seed plan {path}: {reason}")]
    BadPlan {
        path: PathBuf,
        reason: plan::PlanError,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid shard file {path}: {reason}")]
    BadFile { path: PathBuf, reason: String },
    #[error("no shard files (*.shard-K-of-N.json) in {0}")]
    NoShards(String),
    #[error("cannot merge {bench}: {detail}")]
    Merge {
        bench: String,
        detail: String,
        hint: &'static str,
    },
    #[error("{0}")]
    Usage(String),
}

impl ShardError {
    pub fn hint(&self) -> &'static str {
        match self {
            ShardError::Engine(_) => {
                "pass --shard K/N, or set PYBENCH_SHARD=K/N; see docs/scale-out.md"
            }
            ShardError::LibraryFailed { .. } => {
                "a shard cannot record a library it could not describe for merge; fix or remove the library"
            }
            ShardError::NoPlan { .. } => {
                "draw the seeds once with `pybench seeds PATH`, then pass --seed-plan FILE to every shard"
            }
            ShardError::PlanCount { .. } => {
                "draw the plan again with `pybench seeds --n-seeds N`, or drop --n-seeds"
            }
            ShardError::BadPlan { .. } => "draw it again with `pybench seeds PATH`",
            ShardError::Read { .. } | ShardError::Write { .. } => {
                "check the path and its permissions"
            }
            ShardError::BadFile { .. } => "run that shard again",
            ShardError::NoShards(_) => "pass the directories the shards' --out wrote to",
            ShardError::Merge { hint, .. } => hint,
            ShardError::Usage(_) => "see docs/scale-out.md",
        }
    }
}
