//! Run-level errors: each becomes one line on stderr, with a hint, and exit 2.

use std::path::PathBuf;

use crate::discover::DiscoverError;
use crate::git::GitError;
use crate::library::LibraryError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    #[error(transparent)]
    Library(#[from] LibraryError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Git(#[from] GitError),
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
    #[error("refusing to write baselines for {0}: the git working tree is dirty")]
    DirtyTree(String),
    #[error("cannot write {path}: {source}")]
    WriteReport {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Environment(String),
    #[error("--against: {0}")]
    Against(String),
    #[error("interrupted; the baseline file was left as it was")]
    Interrupted,
    #[error("cannot read an answer from the terminal: {0}")]
    Prompt(std::io::Error),
    #[error("cannot compare {path}: {reason}")]
    ReadInput { path: PathBuf, reason: String },
    #[error(transparent)]
    Shard(#[from] crate::shard::ShardError),
}

impl Error {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            Error::Discover(DiscoverError::Missing(_)) => {
                "pass a benchmark library, a Cargo package or a directory; the default is ./benchmarks"
            }
            Error::Discover(DiscoverError::NotALibrary(_)) => {
                "pybench loads .so, .dylib and .dll files and builds Cargo packages"
            }
            Error::Discover(DiscoverError::Build(_)) => {
                "fix the build errors above, or pass --no-build to use the last build"
            }
            Error::Discover(DiscoverError::ReadDir { .. }) => "check the directory's permissions",
            Error::Library(_) => "is it a shared library built for this machine?",
            Error::Store(StoreError::Locked { .. }) => {
                "wait for the other run to finish, or drop --no-wait to wait for it"
            }
            Error::Store(StoreError::Malformed { .. }) => {
                "fix or delete that line (git diff shows what changed), then re-run"
            }
            Error::Store(_) => "check the path and its permissions, or pass --baseline FILE",
            Error::Git(_) => "pybench reads git only to record the commit; check the repository",
            Error::Duplicate { .. } => "rename one of them, or pass only one of the paths",
            Error::UnknownBench(_) => "run without --bench to see every benchmark discovered",
            Error::NoBenchmarks(_) | Error::LibraryWithoutBenchmarks(_) => {
                "a benchmark is an exported `bench_NAME` with its `pybench_meta_NAME` companion; -v lists skipped exports"
            }
            Error::DirtyTree(_) => "commit first, or pass --yes to write anyway",
            Error::WriteReport { .. } => "check the path and its permissions",
            Error::Environment(_) => "unset it, or give a whole number",
            Error::Against(_) => {
                "run inside the repository, name a revision git knows (main, HEAD~1, a tag, a SHA) and PATHs inside the work tree"
            }
            Error::Interrupted => "run again; baselines are only written when a run completes",
            Error::Prompt(_) => "pass --yes to write without asking",
            Error::ReadInput { .. } => {
                "pass two `--json` reports or two baseline files (.pybench/baselines.jsonl)"
            }
            Error::Shard(e) => e.hint(),
        })
    }
}
