//! `GOOD..BAD` for `pybench bisect`: the first-parent commits from BAD back
//! to (not including) the first one GOOD already contains, read with gix.

use std::collections::HashSet;
use std::path::Path;

use gix::ObjectId;

use super::checkout::{self, Revision};
use super::git::{GitError, discover, object_err, repo_path, short};

/// One commit of the range.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Commit {
    /// The full hex id.
    pub id: String,
    /// Its first 7 hex digits.
    pub short: String,
    /// The first line of its message.
    pub subject: String,
}

/// The commits a bisection chooses among.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRange {
    pub good: Commit,
    pub bad: Commit,
    /// First-parent commits of `GOOD..BAD`, oldest first; the last is BAD.
    pub candidates: Vec<Commit>,
    /// Where the repository lives.
    pub revision: Revision,
}

/// Why there is no range.
#[derive(Debug, thiserror::Error)]
pub enum RangeError {
    #[error("not inside a git repository")]
    NoRepository,
    #[error("{good} is not an ancestor of {bad}")]
    NotAncestor { good: String, bad: String },
    #[error("{good} and {bad} are the same commit")]
    Empty { good: String, bad: String },
    #[error(transparent)]
    Git(#[from] GitError),
}

/// Resolve `good` and `bad` in the repository containing `dir` and list the
/// candidates between them.
pub fn first_parent_range(dir: &Path, good: &str, bad: &str) -> Result<CommitRange, RangeError> {
    let resolve = |rev: &str| checkout::resolve_revision(dir, rev)?.ok_or(RangeError::NoRepository);
    let good_rev = resolve(good)?;
    let bad_rev = resolve(bad)?;
    let repo = discover(dir)?.ok_or(RangeError::NoRepository)?;
    let id = |r: &Revision| ObjectId::from_hex(r.id.as_bytes()).expect("gix wrote this hex id");
    let (good_id, bad_id) = (id(&good_rev), id(&bad_rev));
    let label = |rev: &str, r: &Revision| format!("{rev} ({})", r.short);
    if good_id == bad_id {
        return Err(RangeError::Empty {
            good: label(good, &good_rev),
            bad: label(bad, &bad_rev),
        });
    }
    if !ancestors(&repo, bad_id)?.contains(&good_id) {
        return Err(RangeError::NotAncestor {
            good: label(good, &good_rev),
            bad: label(bad, &bad_rev),
        });
    }
    let known_good = ancestors(&repo, good_id)?;
    let mut candidates = Vec::new();
    let mut next = Some(bad_id);
    while let Some(id) = next.filter(|id| !known_good.contains(id)) {
        let (commit, parent) = read_commit(&repo, id)?;
        candidates.push(commit);
        next = parent;
    }
    candidates.reverse();
    Ok(CommitRange {
        good: read_commit(&repo, good_id)?.0,
        bad: read_commit(&repo, bad_id)?.0,
        candidates,
        revision: bad_rev,
    })
}

/// `tip` and every commit reachable from it.
fn ancestors(repo: &gix::Repository, tip: ObjectId) -> Result<HashSet<ObjectId>, GitError> {
    let history_err = |e: Box<dyn std::error::Error + Send + Sync>| GitError::History {
        repo: repo_path(repo),
        source: e,
    };
    let walk = repo
        .rev_walk([tip])
        .all()
        .map_err(|e| history_err(e.into()))?;
    let mut seen = HashSet::from([tip]);
    for info in walk {
        seen.insert(info.map_err(|e| history_err(e.into()))?.id);
    }
    Ok(seen)
}

/// A commit and its first parent.
fn read_commit(
    repo: &gix::Repository,
    id: ObjectId,
) -> Result<(Commit, Option<ObjectId>), GitError> {
    let commit = repo.find_commit(id).map_err(|e| object_err(repo, id, e))?;
    let subject = commit
        .message()
        .map(|m| m.summary().to_string())
        .unwrap_or_default();
    let parent = commit.parent_ids().next().map(|p| p.detach());
    Ok((
        Commit {
            id: id.to_hex().to_string(),
            short: short(id),
            subject: sanitize(&subject),
        },
        parent,
    ))
}

/// A subject as one printable line: control characters become `?`.
fn sanitize(subject: &str) -> String {
    subject
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}
