//! A revision of the repository, resolved and written out as files with
//! gix (no git binary): the other side of `pybench --against REV`.

use std::path::{Path, PathBuf};

use gix::ObjectId;

use super::git::{GitError, commit_tree, discover, object_err, repo_path, short};

/// A revision resolved in the repository containing some directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The full hex id of the commit.
    pub id: String,
    /// Its first 7 hex digits.
    pub short: String,
    /// The repository's work tree.
    pub workdir: PathBuf,
    /// The repository's git directory (per work tree for linked ones).
    pub git_dir: PathBuf,
}

/// Resolve `rev` (a branch, tag, `HEAD~1`, a SHA…) to a commit in the
/// repository containing `dir`; `None` outside any repository.
pub fn resolve_revision(dir: &Path, rev: &str) -> Result<Option<Revision>, GitError> {
    let Some(repo) = discover(dir)? else {
        return Ok(None);
    };
    let workdir = repo
        .workdir()
        .ok_or_else(|| GitError::NoWorkTree {
            repo: repo_path(&repo),
            path: dir.to_path_buf(),
        })?
        .to_path_buf();
    let id = repo
        .rev_parse_single(rev)
        .map_err(|e| GitError::Revision {
            repo: repo_path(&repo),
            rev: rev.to_string(),
            source: e.into(),
        })?
        .detach();
    let commit = repo
        .find_object(id)
        .map_err(|e| object_err(&repo, id, e))?
        .peel_to_commit()
        .map_err(|e| GitError::Revision {
            repo: repo_path(&repo),
            rev: rev.to_string(),
            source: e.into(),
        })?;
    let id = commit.id;
    Ok(Some(Revision {
        id: id.to_hex().to_string(),
        short: short(id),
        workdir,
        git_dir: repo.git_dir().to_path_buf(),
    }))
}

/// Write the files of commit `id` (as resolved by [`resolve_revision`]) of
/// the repository containing `dir` into `dest`, which must not exist yet.
/// Submodules are left out; symbolic links are recreated on Unix.
pub fn checkout(dir: &Path, id: &str, dest: &Path) -> Result<(), GitError> {
    let repo = discover(dir)?.ok_or_else(|| GitError::Path {
        path: dir.to_path_buf(),
        source: std::io::Error::other("not inside a git repository"),
    })?;
    let tree = commit_tree(&repo, id)?;
    write_tree(&repo, tree.id, dest)
}

fn write_tree(repo: &gix::Repository, tree: ObjectId, dest: &Path) -> Result<(), GitError> {
    use gix::objs::tree::EntryKind;
    let io_err = |path: &Path, source: std::io::Error| GitError::Path {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dest).map_err(|e| io_err(dest, e))?;
    let data = repo
        .find_object(tree)
        .map_err(|e| object_err(repo, tree, e))?
        .detach();
    let parsed =
        gix::objs::TreeRef::from_bytes(&data.data).map_err(|e| object_err(repo, tree, e))?;
    for entry in parsed.entries {
        let name = std::str::from_utf8(entry.filename.as_ref()).map_err(|e| {
            io_err(
                dest,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            )
        })?;
        let path = dest.join(name);
        let oid = entry.oid.to_owned();
        match entry.mode.kind() {
            EntryKind::Tree => write_tree(repo, oid, &path)?,
            EntryKind::Commit => {}
            kind => {
                let blob = repo
                    .find_object(oid)
                    .map_err(|e| object_err(repo, oid, e))?
                    .detach()
                    .data;
                write_entry(&path, &blob, kind).map_err(|e| io_err(&path, e))?;
            }
        }
    }
    Ok(())
}

fn write_entry(path: &Path, blob: &[u8], kind: gix::objs::tree::EntryKind) -> std::io::Result<()> {
    use gix::objs::tree::EntryKind;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if kind == EntryKind::Link {
            let target = std::ffi::OsStr::new(std::str::from_utf8(blob).unwrap_or_default());
            return std::os::unix::fs::symlink(target, path);
        }
        std::fs::write(path, blob)?;
        if kind == EntryKind::BlobExecutable {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        let _ = kind == EntryKind::Link;
        std::fs::write(path, blob)
    }
}
