//! The directories a test runs in: a plain temporary directory, or a
//! temporary git repository built with `gix` alone (the tests must not
//! depend on a `git` binary being installed, just as pybench itself does
//! not). Both are named after the test and removed on drop.

use std::fs;
use std::path::{Path, PathBuf};

use gix::ObjectId;
use gix::objs::tree::{Entry, EntryKind};

const USER_NAME: &str = "pybench tests";
const USER_EMAIL: &str = "tests@pybench.invalid";

/// A temporary directory outside any git repository.
pub struct TestDir {
    dir: tempfile::TempDir,
}

impl TestDir {
    /// A fresh directory whose name starts with `pybench-{name}-`.
    pub fn new(name: &str) -> TestDir {
        let dir = tempfile::Builder::new()
            .prefix(&format!("pybench-{name}-"))
            .tempdir()
            .expect("create a temporary directory");
        TestDir { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A git repository with a work tree in a temporary directory.
pub struct TestRepo {
    dir: TestDir,
}

impl TestRepo {
    /// An empty repository (unborn branch) in a fresh [`TestDir`], whose
    /// local config names a committer, so commits work whatever the
    /// machine's global config says.
    pub fn new(name: &str) -> TestRepo {
        let dir = TestDir::new(name);
        gix::init(dir.path()).expect("initialise a git repository");
        let config = dir.path().join(".git").join("config");
        let mut text = fs::read_to_string(&config).expect("read .git/config");
        text.push_str(&format!(
            "[user]\n\tname = {USER_NAME}\n\temail = {USER_EMAIL}\n"
        ));
        fs::write(&config, text).expect("write .git/config");
        TestRepo { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` to `rel` in the work tree, creating directories.
    pub fn write(&self, rel: &str, contents: &[u8]) {
        let path = self.path().join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create parent directories");
        }
        fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// Commits every file in the work tree (skipping `.git` and `target`
    /// directories) on top of `HEAD`, with the current time, and rewrites the
    /// index to match so the tree is clean afterwards. Returns the full hex id.
    pub fn commit_all(&self, message: &str) -> String {
        self.commit(message, None, None)
    }

    /// Like [`commit_all`](Self::commit_all), with a chosen committer and
    /// author time (seconds since the epoch), for tests that depend on commit
    /// order or dates.
    pub fn commit_all_at(&self, message: &str, seconds: i64) -> String {
        self.commit(message, Some(seconds), None)
    }

    /// Like [`commit_all`](Self::commit_all), with the given parents (full hex
    /// ids) instead of `HEAD`, moving the current branch to the new commit:
    /// the way to build side branches and merges.
    pub fn commit_all_with_parents(&self, message: &str, parents: &[&str]) -> String {
        let parents = parents
            .iter()
            .map(|p| ObjectId::from_hex(p.as_bytes()).expect("a full hex commit id"))
            .collect();
        self.commit(message, None, Some(parents))
    }

    fn commit(
        &self,
        message: &str,
        seconds: Option<i64>,
        parents: Option<Vec<ObjectId>>,
    ) -> String {
        // Reopened each time so that the config and refs written since the
        // last call are seen.
        let repo = gix::open(self.path()).expect("open the test repository");
        let tree = write_tree(&repo, self.path()).unwrap_or_else(|| {
            repo.write_object(gix::objs::Tree::empty())
                .expect("write tree")
                .detach()
        });
        let id = match (seconds, parents) {
            (None, Some(parents)) => {
                // `Repository::commit` insists that the first parent is the
                // branch's current tip, so write the commit and move the
                // branch separately.
                let id = repo
                    .new_commit(message, tree, parents)
                    .expect("write a commit")
                    .id;
                let branch = repo
                    .head_name()
                    .expect("read HEAD")
                    .expect("HEAD on a branch");
                repo.reference(
                    branch,
                    id,
                    gix::refs::transaction::PreviousValue::Any,
                    format!("commit: {message}"),
                )
                .expect("move the branch");
                id
            }
            (seconds, _) => {
                let parents: Vec<ObjectId> = repo
                    .head()
                    .expect("read HEAD")
                    .id()
                    .map(|id| id.detach())
                    .into_iter()
                    .collect();
                match seconds {
                    None => repo.commit("HEAD", message, tree, parents),
                    Some(seconds) => {
                        let signature = gix::actor::Signature {
                            name: USER_NAME.into(),
                            email: USER_EMAIL.into(),
                            time: gix::date::Time::new(seconds, 0),
                        };
                        let mut buf = gix::date::parse::TimeBuf::default();
                        let signature = signature.to_ref(&mut buf);
                        repo.commit_as(signature, signature, "HEAD", message, tree, parents)
                    }
                }
                .expect("commit")
                .detach()
            }
        };

        // An index whose entries carry the files' stat data is what `git add`
        // leaves behind; without it every status check would have to hash
        // the whole work tree.
        let mut index = repo
            .index_from_tree(&tree)
            .expect("build the index from the tree");
        let root = self.path().to_path_buf();
        for (entry, path) in index.entries_mut_with_paths() {
            let file = root.join(gix::path::from_bstr(path));
            let metadata = gix::index::fs::Metadata::from_path_no_follow(&file)
                .unwrap_or_else(|e| panic!("stat {}: {e}", file.display()));
            entry.stat = gix::index::entry::Stat::from_fs(&metadata).expect("file times");
        }
        index.write(Default::default()).expect("write the index");
        id.to_string()
    }
}

/// Writes the tree of `dir` (recursively) to the object database; `None` for
/// a directory with nothing to commit, since git stores no empty trees.
fn write_tree(repo: &gix::Repository, dir: &Path) -> Option<ObjectId> {
    let mut entries = Vec::new();
    for item in fs::read_dir(dir).unwrap_or_else(|e| panic!("list {}: {e}", dir.display())) {
        let item = item.expect("read a directory entry");
        let name = item.file_name();
        let path = item.path();
        let file_type = item.file_type().expect("file type");
        let (mode, oid) = if file_type.is_dir() {
            if name == ".git" || name == "target" {
                continue;
            }
            match write_tree(repo, &path) {
                Some(oid) => (EntryKind::Tree, oid),
                None => continue,
            }
        } else if file_type.is_symlink() {
            let target = fs::read_link(&path).expect("read a symlink");
            let bytes = gix::path::into_bstr(target).into_owned();
            (EntryKind::Link, write_blob(repo, bytes.as_slice()))
        } else {
            let bytes = fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            (
                file_kind(&item.metadata().expect("metadata")),
                write_blob(repo, &bytes),
            )
        };
        entries.push(Entry {
            mode: mode.into(),
            filename: gix::path::into_bstr(PathBuf::from(name)).into_owned(),
            oid,
        });
    }
    if entries.is_empty() {
        return None;
    }
    // Trees must be written in git's order, which `Entry`'s `Ord` implements.
    entries.sort();
    Some(
        repo.write_object(gix::objs::Tree { entries })
            .expect("write a tree")
            .detach(),
    )
}

fn write_blob(repo: &gix::Repository, bytes: &[u8]) -> ObjectId {
    repo.write_blob(bytes).expect("write a blob").detach()
}

#[cfg(unix)]
fn file_kind(metadata: &fs::Metadata) -> EntryKind {
    use std::os::unix::fs::PermissionsExt;
    if metadata.permissions().mode() & 0o111 != 0 {
        EntryKind::BlobExecutable
    } else {
        EntryKind::Blob
    }
}

#[cfg(not(unix))]
fn file_kind(_: &fs::Metadata) -> EntryKind {
    EntryKind::Blob
}

/// Copies `from` into `to` recursively, skipping `target` directories (build
/// output is large and never part of a fixture).
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    for item in fs::read_dir(from).unwrap_or_else(|e| panic!("list {}: {e}", from.display())) {
        let item = item.expect("read a directory entry");
        let source = item.path();
        let dest = to.join(item.file_name());
        if item.file_type().expect("file type").is_dir() {
            if item.file_name() == "target" {
                continue;
            }
            copy_dir(&source, &dest);
        } else {
            fs::copy(&source, &dest)
                .unwrap_or_else(|e| panic!("copy {} to {}: {e}", source.display(), dest.display()));
        }
    }
}
