//! The run-level error: every failure that stops a command. `main` prints
//! it as one line with its [`Error::hint`] and exits with
//! [`Error::exit_code`].

use std::path::PathBuf;

use crate::exit;
use crate::runner::DiscoverError;
use crate::runner::SeedEntropyError;
use crate::runner::Stopped;
use crate::runner::revision::RevisionError;
use crate::scaleout::ShardError;
use crate::store::StoreError;
use crate::store::atomic::WriteError;
use crate::store::git::GitError;
use crate::store::range::RangeError;

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
    Report(#[from] WriteError),
    #[error(transparent)]
    SeedEntropy(#[from] SeedEntropyError),
    #[error("{}; the baseline file was left as it was", stopped_by(.0))]
    Interrupted(Stopped),
    #[error("cannot read an answer from the terminal: {0}")]
    Prompt(std::io::Error),
    #[error("cannot compare {}: {reason}", .path.display())]
    ReadInput { path: PathBuf, reason: InputError },
    #[error(transparent)]
    NothingToCompare(#[from] NothingToCompare),
    #[error(transparent)]
    Shard(#[from] ShardError),
    #[error("bisect: {0}")]
    Bisect(#[from] BisectError),
    #[error("{0} both name stdout (-), which holds one document")]
    StdoutTwice(String),
    #[error("no baseline of {name} in {}", .path.display())]
    NotStored { name: String, path: PathBuf },
}

/// Why `pybench bisect` names no commit.
#[derive(Debug, thiserror::Error)]
pub enum BisectError {
    #[error(transparent)]
    Range(#[from] RangeError),
    #[error("no GOOD given, and no stored baseline records the commit it was measured at")]
    NoGood,
    #[error("no GOOD given, and the stored baselines were measured at different commits ({0})")]
    GoodsDiffer(String),
    #[error("{0:?} is neither an existing PATH nor a third revision")]
    TooManyRevisions(String),
    #[error("GOOD {commit} cannot be run: {reason}")]
    GoodUnusable { commit: String, reason: String },
    #[error("nothing could be judged at BAD {commit}: {reason}")]
    BadUnusable { commit: String, reason: String },
    #[error("no regression between GOOD {good} and BAD {bad}")]
    NoRegression { good: String, bad: String },
}

impl BisectError {
    fn hint(&self) -> &'static str {
        match self {
            BisectError::Range(RangeError::NotAncestor { .. }) => {
                "GOOD must be an ancestor of BAD: swap them, or pick an older GOOD"
            }
            BisectError::Range(RangeError::Empty { .. }) => "pick a GOOD older than BAD",
            BisectError::Range(RangeError::NoRepository) => {
                "run inside the git repository that holds the benchmarks"
            }
            BisectError::Range(RangeError::Git(GitError::Revision { .. })) => {
                "name a revision git knows: a branch, a tag, HEAD~3 or a SHA"
            }
            BisectError::Range(RangeError::Git(_)) => {
                "check the repository with `git status` and `git fsck`"
            }
            BisectError::NoGood | BisectError::GoodsDiffer(_) => {
                "name GOOD: `pybench bisect GOOD [BAD]`"
            }
            BisectError::TooManyRevisions(_) => {
                "pass at most GOOD and BAD before the PATHs, and PATHs that exist"
            }
            BisectError::GoodUnusable { .. } | BisectError::BadUnusable { .. } => {
                "the lines above say why; bisect needs GOOD and BAD to build and run"
            }
            BisectError::NoRegression { .. } => {
                "nothing to bisect: BAD does not FAIL against GOOD at the level stated above"
            }
        }
    }
}

/// Why `pybench compare` cannot use one of its inputs.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{0}")]
    Io(std::io::Error),
    #[error("{0}")]
    Store(Box<StoreError>),
    #[error("schema_version {found} is not supported (expected {expected})")]
    Version { found: u64, expected: u32 },
    #[error("{0}")]
    Json(String),
    #[error("a benchmark without a name")]
    NoName,
    #[error("{bench}: {what}")]
    Field { bench: String, what: String },
}

/// Why `pybench compare` found no benchmark to judge.
#[derive(Debug, thiserror::Error)]
pub enum NothingToCompare {
    #[error("{} holds no benchmark with scores", .0.display())]
    Empty(PathBuf),
    #[error(
        "no benchmark is in both A ({}) and B ({}): {only_a} only in A, {only_b} only in B",
        .a.display(),
        .b.display()
    )]
    NoneInCommon {
        a: PathBuf,
        b: PathBuf,
        only_a: usize,
        only_b: usize,
    },
}

impl Error {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            Error::Discover(e) => e.hint(),
            Error::Store(e) => e.hint(),
            Error::Git(_) => "pybench reads git only to record the commit; check the repository",
            Error::Revision(e) => revision_hint(e),
            Error::UpdateAgainst => {
                "run `pybench --against REV` to compare, `pybench update` to rewrite baselines"
            }
            Error::DirtyTree(_) => "commit first, or pass --yes to write anyway",
            Error::Report(_) => "check the path and its permissions",
            Error::SeedEntropy(_) => "unset it, or give a whole number",
            Error::Interrupted(_) => "run again; baselines are only written when a run completes",
            Error::Prompt(_) => "pass --yes to write without asking",
            Error::ReadInput { .. } => {
                "pass two `--json` reports or two baseline files (.pybench/baselines.jsonl)"
            }
            Error::NothingToCompare(NothingToCompare::Empty(_)) => {
                "pass a report or baseline file of a run whose benchmarks produced scores"
            }
            Error::NothingToCompare(NothingToCompare::NoneInCommon { .. }) => {
                "compare two runs of the same benchmarks; the notes above name each side's"
            }
            Error::Shard(e) => e.hint(),
            Error::Bisect(e) => e.hint(),
            Error::StdoutTwice(_) => "send one report to stdout and write the others to files",
            Error::NotStored { .. } => "`pybench show` lists the stored benchmarks",
        })
    }

    /// The process exit code: 128 + the signal for a run stopped by one
    /// (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP), else 2.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Interrupted(stopped) => stopped.exit_code(),
            _ => exit::ERROR,
        }
    }
}

/// "interrupted" for Ctrl-C, "stopped by SIGTERM" for the others.
fn stopped_by(stopped: &Stopped) -> String {
    #[cfg(unix)]
    if stopped.signal != libc::SIGINT {
        let name = match stopped.signal {
            libc::SIGTERM => "SIGTERM".to_string(),
            libc::SIGHUP => "SIGHUP".to_string(),
            other => format!("signal {other}"),
        };
        return format!("stopped by {name}");
    }
    let _ = stopped;
    "interrupted".to_string()
}

impl From<Stopped> for Error {
    fn from(stopped: Stopped) -> Error {
        Error::Interrupted(stopped)
    }
}

/// What to do about an `--against` failure, by its cause.
fn revision_hint(error: &RevisionError) -> &'static str {
    match error {
        RevisionError::NoRepository => "run inside the git repository that holds the benchmarks",
        RevisionError::Outside(_) => "pass PATHs inside the repository's work tree",
        RevisionError::Io { .. } => "check the permissions of the repository's .git directory",
        RevisionError::Git(GitError::Revision { .. }) => {
            "name a revision git knows: a branch, a tag, HEAD~1 or a SHA"
        }
        RevisionError::Git(GitError::OutsideWorkTree { .. } | GitError::NoWorkTree { .. }) => {
            "pass PATHs inside the repository's work tree"
        }
        RevisionError::Git(_) => "check the repository with `git status` and `git fsck`",
        // `--no-build` does not reach REV's checkout, which is always built.
        RevisionError::Discover(DiscoverError::Build(_)) => {
            "fix the revision's build errors above: pybench builds REV from a checkout of it"
        }
        RevisionError::Discover(e) => e.hint(),
    }
}

impl Error {
    /// The one line `error` is printed as, with its hint. Names and paths
    /// in it may come from a benchmark: the reporter escapes it.
    pub fn line(&self) -> String {
        match self.hint() {
            Some(hint) => format!("error: {self} (hint: {hint})"),
            None => format!("error: {self}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each cause of an `--against` failure reads as one line naming the
    /// flag once, with a hint about that cause.
    #[test]
    fn against_errors_name_the_flag_once() {
        let causes = [
            RevisionError::NoRepository,
            RevisionError::Outside("../elsewhere".into()),
            RevisionError::Io {
                what: "cannot clear the old checkout",
                source: std::io::Error::other("busy"),
            },
            RevisionError::Git(GitError::Revision {
                repo: "repo".into(),
                rev: "nope".into(),
                source: "not found".into(),
            }),
            RevisionError::Git(GitError::OutsideWorkTree {
                repo: "repo".into(),
                path: "/elsewhere".into(),
            }),
            RevisionError::Discover(DiscoverError::Missing("benchmarks".into())),
        ];
        let mut hints = Vec::new();
        for cause in causes {
            let error = Error::from(cause);
            let line = format!("{error} (hint: {})", error.hint().unwrap());
            assert!(line.starts_with("--against: "), "{line}");
            assert_eq!(line.matches("--against").count(), 1, "{line}");
            assert!(!line.contains('\n'), "{line}");
            hints.push(error.hint().unwrap());
        }
        hints.dedup();
        assert_eq!(hints.len(), 6, "a hint per cause: {hints:?}");
    }

    #[test]
    fn update_against_hints_at_both_commands_not_at_git() {
        let hint = Error::UpdateAgainst.hint().unwrap();
        assert!(hint.contains("pybench --against REV") && hint.contains("pybench update"));
        assert!(!hint.contains("repository"), "{hint}");
    }
}
