//! What pybench needs from git: the commit and dirty state to stamp on a
//! baseline, and the versions of the baseline file across history for
//! `show --history`.
//!
//! Everything goes through `gix`; pybench never runs the `git` binary, so it
//! works where git is not installed and its behaviour does not depend on the
//! user's git version or aliases.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use gix::ObjectId;

/// Length of the abbreviated commit ids pybench prints and stores; fixed
/// (rather than git's shortest-unique length) so that baselines written in
/// different clones compare equal.
const SHORT_LEN: usize = 7;

/// The git state a baseline is stamped with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoState {
    /// The first 7 hex digits of `HEAD`'s commit, or `None` on an unborn
    /// branch (a repository without commits).
    pub short_commit: Option<String>,
    /// Whether tracked content differs from `HEAD`, in the index or in the
    /// work tree.
    ///
    /// Untracked files do not count: a scratch file or a build directory
    /// next to the code does not make the baseline any less reproducible from
    /// the recorded commit. On an unborn branch, anything staged counts.
    pub dirty: bool,
    /// The repository's git directory, where pybench keeps local state that
    /// must not be committed.
    pub git_dir: PathBuf,
}

/// The file's contents as of one commit that changed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileVersion {
    /// The first 7 hex digits of the commit.
    pub short_commit: String,
    /// Committer time, seconds since the Unix epoch.
    pub commit_time: i64,
    /// The file's bytes at that commit.
    pub contents: Vec<u8>,
}

/// Anything that went wrong while reading a repository. Each message names
/// the repository (or the path being looked up) and carries the underlying
/// cause in its text, so a single line is enough to act on.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot open the git repository containing {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: Box<gix::discover::Error>,
    },
    #[error("cannot resolve HEAD in the git repository at {}: {source}", repo.display())]
    Head { repo: PathBuf, source: BoxError },
    #[error("cannot compute the status of the git repository at {}: {source}", repo.display())]
    Status { repo: PathBuf, source: BoxError },
    #[error("cannot walk the history of the git repository at {}: {source}", repo.display())]
    History { repo: PathBuf, source: BoxError },
    #[error("cannot read object {id} in the git repository at {}: {source}", repo.display())]
    Object {
        repo: PathBuf,
        id: String,
        source: BoxError,
    },
    #[error("the git repository at {} has no work tree, so {} cannot be in it", repo.display(), path.display())]
    NoWorkTree { repo: PathBuf, path: PathBuf },
    #[error("{} is not inside the work tree of the git repository at {}", path.display(), repo.display())]
    OutsideWorkTree { repo: PathBuf, path: PathBuf },
    #[error("cannot resolve revision {rev:?} in the git repository at {}: {source}", repo.display())]
    Revision {
        repo: PathBuf,
        rev: String,
        source: BoxError,
    },
    #[error("cannot resolve the path {}: {source}", path.display())]
    Path {
        path: PathBuf,
        source: std::io::Error,
    },
}

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Run a gix call that might panic on a repository layout it mishandles,
/// turning the panic into an error: pybench reports, it never crashes.
pub(super) fn without_panics<T, E>(call: impl FnOnce() -> Result<T, E>) -> Result<T, BoxError>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(call));
    std::panic::set_hook(previous);
    match outcome {
        Ok(result) => result.map_err(Into::into),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(format!("gix failed internally: {message}").into())
        }
    }
}

/// State of the repository containing `dir` (searching upwards), or `None`
/// outside any repository.
pub fn repo_state(dir: &Path) -> Result<Option<RepoState>, GitError> {
    let Some(repo) = discover(dir)? else {
        return Ok(None);
    };
    let head = head_commit(&repo)?;
    let dirty = match head {
        Some(_) if repo.workdir().is_some() => without_panics(|| repo.is_dirty().map_err(Box::new))
            .map_err(|e| GitError::Status {
                repo: repo_path(&repo),
                source: e,
            })?,
        // `is_dirty` needs a HEAD tree to compare against; with no commit yet,
        // every staged entry is a change.
        None if repo.workdir().is_some() => {
            let index = repo.index_or_empty().map_err(|e| GitError::Status {
                repo: repo_path(&repo),
                source: e.into(),
            })?;
            !index.entries().is_empty()
        }
        // A bare repository has no work tree to be dirty.
        _ => false,
    };
    Ok(Some(RepoState {
        short_commit: head.map(short),
        dirty,
        git_dir: repo.git_dir().to_path_buf(),
    }))
}

/// The root of the git work tree containing `dir`, or `None` outside any
/// work tree (or when the repository cannot be opened: the caller then
/// falls back to `dir` itself).
pub fn work_tree_root(dir: &Path) -> Option<PathBuf> {
    let repo = discover(dir).ok().flatten()?;
    repo.workdir().map(Path::to_path_buf)
}

/// The nearest existing directory at or above the baseline file, for git.
pub fn existing_dir(baseline: &Path) -> PathBuf {
    let mut dir = baseline.parent().map(Path::to_path_buf).unwrap_or_default();
    while !dir.as_os_str().is_empty() && !dir.is_dir() {
        dir = dir.parent().map(Path::to_path_buf).unwrap_or_default();
    }
    if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    }
}

/// Every commit reachable from `HEAD` that changed `file` (a path, absolute or
/// relative to `base`, inside the work tree), oldest first,
/// with the file's bytes at that commit. `None` outside a repository.
///
/// A commit changed the file when the blob at that path differs from the one
/// in each of its parents (so a merge that took one side's version unchanged
/// does not count); a root commit counts when the file exists in it. Commits
/// that delete the file are skipped, having no contents to show. All parents
/// are followed, not only the first. The order is by committer time, with
/// ties broken topologically (parents first), which keeps commits made within
/// the same second in the order they were made.
pub fn file_history(base: &Path, file: &Path) -> Result<Option<Vec<FileVersion>>, GitError> {
    let absolute = base.join(file);
    // The file may be gone from the work tree (deleted, or never checked out
    // here) and still have history, so discovery starts from the nearest
    // ancestor that exists.
    let (existing, tail) = split_existing(&absolute);
    let Some(repo) = discover(&existing)? else {
        return Ok(None);
    };
    let rel = path_in_worktree(&repo, &absolute, &existing, &tail)?;

    let Some(head) = head_commit(&repo)? else {
        return Ok(Some(Vec::new()));
    };

    let nodes = walk_file(&repo, head, &rel)?;
    let mut order = topological(head, |id| {
        nodes.get(id).map(|n| n.parents.as_slice()).unwrap_or(&[])
    });
    order.sort_by_key(|id| nodes.get(id).map_or(0, |n| n.time));

    let mut versions = Vec::new();
    for id in order {
        let Some(node) = nodes.get(&id) else { continue };
        let Some(blob) = node.blob else { continue };
        // A parent outside the walk (beyond a shallow clone's boundary) is
        // unknown; treating it as lacking the file shows the version rather
        // than silently dropping it.
        let changed = node
            .parents
            .iter()
            .all(|p| nodes.get(p).and_then(|n| n.blob) != Some(blob));
        if !changed {
            continue;
        }
        let contents = repo
            .find_object(blob)
            .map_err(|e| object_err(&repo, blob, e))?
            .detach()
            .data;
        versions.push(FileVersion {
            short_commit: short(id),
            commit_time: node.time,
            contents,
        });
    }
    Ok(Some(versions))
}

/// One commit of the history walk: its parents, time, and the file's blob.
struct Node {
    parents: Vec<ObjectId>,
    time: i64,
    blob: Option<ObjectId>,
}

/// Every commit reachable from `head`, with the blob `rel` has in it.
fn walk_file(
    repo: &gix::Repository,
    head: ObjectId,
    rel: &Path,
) -> Result<HashMap<ObjectId, Node>, GitError> {
    let history_err = |e: BoxError| GitError::History {
        repo: repo_path(repo),
        source: e,
    };
    let walk = repo
        .rev_walk([head])
        .all()
        .map_err(|e| history_err(e.into()))?;
    let mut nodes: HashMap<ObjectId, Node> = HashMap::new();
    for info in walk {
        let info = info.map_err(|e| history_err(e.into()))?;
        let commit = info.object().map_err(|e| object_err(repo, info.id, e))?;
        let time = commit
            .time()
            .map_err(|e| object_err(repo, info.id, e))?
            .seconds;
        let tree = commit.tree().map_err(|e| object_err(repo, info.id, e))?;
        let blob = tree
            .lookup_entry_by_path(rel)
            .map_err(|e| object_err(repo, info.id, e))?
            .filter(|entry| entry.mode().is_blob())
            .map(|entry| entry.object_id());
        nodes.insert(
            info.id,
            Node {
                parents: info.parent_ids.iter().copied().collect(),
                time,
                blob,
            },
        );
    }
    Ok(nodes)
}

/// The tree of commit `id` (full hex) in `repo`.
pub fn commit_tree<'r>(repo: &'r gix::Repository, id: &str) -> Result<gix::Tree<'r>, GitError> {
    let oid = ObjectId::from_hex(id.as_bytes()).map_err(|e| GitError::Revision {
        repo: repo_path(repo),
        rev: id.to_string(),
        source: e.into(),
    })?;
    repo.find_object(oid)
        .map_err(|e| object_err(repo, oid, e))?
        .peel_to_tree()
        .map_err(|e| object_err(repo, oid, e))
}

/// Opens the repository containing `dir`, telling "no repository here"
/// (`None`) apart from a repository that exists but cannot be opened.
pub fn discover(dir: &Path) -> Result<Option<gix::Repository>, GitError> {
    use gix::discover::upwards::Error as Upwards;
    // From a relative directory gix derives an empty work-tree path, which
    // its status machinery then rejects (in linked work trees it panicked).
    let dir = std::path::absolute(dir).map_err(|source| GitError::Path {
        path: dir.to_path_buf(),
        source,
    })?;
    match gix::discover(&dir) {
        Ok(repo) => Ok(Some(repo)),
        Err(gix::discover::Error::Discover(
            Upwards::NoGitRepository { .. }
            | Upwards::NoGitRepositoryWithinCeiling { .. }
            | Upwards::NoGitRepositoryWithinFs { .. },
        )) => Ok(None),
        Err(e) => Err(GitError::Open {
            path: dir.to_path_buf(),
            source: Box::new(e),
        }),
    }
}

/// `HEAD`'s commit id, or `None` on an unborn branch.
pub(super) fn head_commit(repo: &gix::Repository) -> Result<Option<ObjectId>, GitError> {
    let head_err = |e: BoxError| GitError::Head {
        repo: repo_path(repo),
        source: e,
    };
    let head = repo.head().map_err(|e| head_err(e.into()))?;
    let id = head.try_into_peeled_id().map_err(|e| head_err(e.into()))?;
    Ok(id.map(|id| id.detach()))
}

/// The path users know the repository by: its work tree, or the git
/// directory of a bare repository.
pub(super) fn repo_path(repo: &gix::Repository) -> PathBuf {
    repo.workdir()
        .unwrap_or_else(|| repo.git_dir())
        .to_path_buf()
}

pub(super) fn short(id: ObjectId) -> String {
    id.to_hex_with_len(SHORT_LEN).to_string()
}

pub(super) fn object_err(
    repo: &gix::Repository,
    id: ObjectId,
    e: impl std::error::Error + Send + Sync + 'static,
) -> GitError {
    GitError::Object {
        repo: repo_path(repo),
        id: id.to_string(),
        source: e.into(),
    }
}

/// Splits `path` into its deepest existing ancestor directory and the
/// components below it that do not exist (the file name included).
fn split_existing(path: &Path) -> (PathBuf, Vec<PathBuf>) {
    let mut tail = Vec::new();
    let mut current = path.to_path_buf();
    loop {
        let is_dir = current != path && current.is_dir();
        if is_dir {
            break;
        }
        match (current.parent(), current.file_name()) {
            (Some(parent), Some(name)) => {
                tail.push(PathBuf::from(name));
                current = parent.to_path_buf();
            }
            // `..` or a root: keep it as part of the base, which `canonicalize`
            // resolves.
            _ => break,
        }
    }
    tail.reverse();
    (current, tail)
}

/// `absolute` as a path relative to the work tree's root. Both the work tree
/// and the existing part of the path are canonicalized, so symlinked
/// directories (such as macOS's `/tmp`) compare equal.
fn path_in_worktree(
    repo: &gix::Repository,
    absolute: &Path,
    existing: &Path,
    tail: &[PathBuf],
) -> Result<PathBuf, GitError> {
    let Some(workdir) = repo.workdir() else {
        return Err(GitError::NoWorkTree {
            repo: repo_path(repo),
            path: absolute.to_path_buf(),
        });
    };
    let canonical = |p: &Path| {
        p.canonicalize().map_err(|source| GitError::Path {
            path: p.to_path_buf(),
            source,
        })
    };
    let workdir = canonical(workdir)?;
    let base = canonical(existing)?;
    let outside = || GitError::OutsideWorkTree {
        repo: workdir.clone(),
        path: absolute.to_path_buf(),
    };
    let mut rel: Vec<PathBuf> = base
        .strip_prefix(&workdir)
        .map_err(|_| outside())?
        .components()
        .map(|c| PathBuf::from(c.as_os_str()))
        .collect();
    for part in tail {
        for component in part.components() {
            match component {
                Component::Normal(name) => rel.push(PathBuf::from(name)),
                Component::CurDir => {}
                Component::ParentDir => {
                    rel.pop().ok_or_else(outside)?;
                }
                Component::RootDir | Component::Prefix(_) => return Err(outside()),
            }
        }
    }
    if rel.is_empty() {
        return Err(outside());
    }
    Ok(rel.iter().collect())
}

/// Commits reachable from `tip`, every parent before its children.
///
/// Iterative depth-first search, so that long histories cannot overflow the
/// stack.
fn topological<'a>(tip: ObjectId, parents: impl Fn(&ObjectId) -> &'a [ObjectId]) -> Vec<ObjectId> {
    let mut order = Vec::new();
    let mut seen = HashSet::from([tip]);
    // (commit, index of the next parent to visit)
    let mut stack = vec![(tip, 0usize)];
    while let Some((id, next)) = stack.pop() {
        match parents(&id).get(next) {
            Some(&parent) => {
                stack.push((id, next + 1));
                if seen.insert(parent) {
                    stack.push((parent, 0));
                }
            }
            None => order.push(id),
        }
    }
    order
}
