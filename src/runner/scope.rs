//! What a directory search may enter and what it may build. Searching
//! `/tmp` must not build every Cargo package that happens to lie there: a
//! search skips build output (`target/`), hidden directories and whatever
//! git ignores, and builds only the packages inside the project pybench
//! started in (its workspace or repository). A package named on the
//! command line is always built.

use std::path::{Path, PathBuf};

/// Whether `path` names a Python file (the Python backend's kind).
pub fn is_python_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "py")
}

use gix::worktree::stack::state::ignore::Source;

use crate::store::git;

/// The rules of one search.
pub struct Scope<'repo> {
    /// The project root, canonical.
    project: Option<PathBuf>,
    /// The ignore rules of the repository being searched, and its work
    /// tree's root (canonical).
    ignores: Option<(PathBuf, gix::AttributeStack<'repo>)>,
}

/// The repository whose ignore rules apply to a search of `dir`.
pub fn repository(dir: &Path) -> Option<gix::Repository> {
    git::discover(dir).ok().flatten()
}

impl<'repo> Scope<'repo> {
    /// The rules for a search inside `repo` (if any) of `project` (its root).
    pub fn new(repo: Option<&'repo gix::Repository>, project: Option<&Path>) -> Scope<'repo> {
        let ignores = repo.and_then(|repo| {
            let workdir = repo.workdir()?.canonicalize().ok()?;
            let index = repo.index_or_empty().ok()?;
            let stack = repo.excludes(&index, None, Source::default()).ok()?;
            Some((workdir, stack))
        });
        Scope {
            project: project.and_then(|p| p.canonicalize().ok()),
            ignores,
        }
    }

    /// Why a search does not enter `dir`, or `None` when it does.
    pub fn skips(&mut self, dir: &Path) -> Option<&'static str> {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "target" {
            // Build output belongs to the package that made it.
            return Some("build output (target/)");
        }
        if name.starts_with('.') {
            return Some("a hidden directory");
        }
        if name == "__pycache__" {
            return Some("Python's bytecode cache");
        }
        if dir.join("pyvenv.cfg").is_file() {
            return Some("a Python virtual environment");
        }
        if self.ignored(dir) {
            return Some("ignored by git");
        }
        None
    }

    fn ignored(&mut self, dir: &Path) -> bool {
        let Some((workdir, stack)) = &mut self.ignores else {
            return false;
        };
        let Ok(canonical) = dir.canonicalize() else {
            return false;
        };
        let Ok(relative) = canonical.strip_prefix(&*workdir) else {
            return false;
        };
        stack
            .at_path(relative, Some(gix::index::entry::Mode::DIR))
            .is_ok_and(|platform| platform.is_excluded())
    }

    /// Whether a search may build the Cargo package at `dir`: only inside
    /// the project.
    pub fn may_build(&self, dir: &Path) -> bool {
        let (Some(project), Ok(dir)) = (&self.project, dir.canonicalize()) else {
            return false;
        };
        dir.starts_with(project)
    }
}
