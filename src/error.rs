//! The run-level error: every failure that stops a command. `main` prints
//! it as one line with its [`Error::hint`] and exits with
//! [`Error::exit_code`].

use std::path::PathBuf;

use crate::exit;
use crate::report::ReportError;
use crate::runner::DiscoverError;
use crate::runner::SeedEntropyError;
use crate::runner::revision::RevisionError;
use crate::scaleout::ShardError;
use crate::store::StoreError;
use crate::store::git::GitError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("--against: {0}")]
    Revision(#[from] RevisionError),
    #[error("--against writes no baseline, so it does not go with `update`")]
    UpdateAgainst,
    #[error("refusing to write baselines for {0}: the git working tree is dirty")]
    DirtyTree(String),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    SeedEntropy(#[from] SeedEntropyError),
    #[error("interrupted; the baseline file was left as it was")]
    Interrupted,
    #[error("cannot read an answer from the terminal: {0}")]
    Prompt(std::io::Error),
    #[error("cannot compare {}: {reason}", .path.display())]
    ReadInput { path: PathBuf, reason: InputError },
    #[error(transparent)]
    Shard(#[from] ShardError),
}

/// Why `pybench compare` cannot use one of its inputs.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{0}")]
    Io(std::io::Error),
    #[error("{0}")]
    Store(Box<StoreError>),
    #[error(
        "schema_version {found} is not supported (expected {})",
        crate::report::json::SCHEMA_VERSION
    )]
    Version { found: u64 },
    #[error("a benchmark without a name")]
    NoName,
    #[error("{bench}: {what}")]
    Field { bench: String, what: String },
    #[error("no benchmark is in both A and B")]
    NothingInCommon,
}

impl Error {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            Error::Discover(e) => e.hint(),
            Error::Store(e) => e.hint(),
            Error::Git(_) => "pybench reads git only to record the commit; check the repository",
            Error::Revision(_) => {
                "run inside the repository, name a revision git knows (main, HEAD~1, a tag, a SHA) and PATHs inside the work tree"
            }
            Error::UpdateAgainst => {
                "run `pybench --against REV` to compare, `pybench update` to rewrite baselines"
            }
            Error::DirtyTree(_) => "commit first, or pass --yes to write anyway",
            Error::Report(_) => "check the path and its permissions",
            Error::SeedEntropy(_) => "unset it, or give a whole number",
            Error::Interrupted => "run again; baselines are only written when a run completes",
            Error::Prompt(_) => "pass --yes to write without asking",
            Error::ReadInput { .. } => {
                "pass two `--json` reports or two baseline files (.pybench/baselines.jsonl)"
            }
            Error::Shard(e) => e.hint(),
        })
    }

    /// The process exit code: 130 for Ctrl-C, else 2.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Interrupted => exit::INTERRUPTED,
            _ => exit::ERROR,
        }
    }
}

/// Print `error` as one line on stderr, with its hint.
pub fn print(error: &Error) {
    match error.hint() {
        Some(hint) => eprintln!("error: {error} (hint: {hint})"),
        None => eprintln!("error: {error}"),
    }
}
