//! What pybench keeps between runs: the baselines file
//! (`.pybench/baselines.jsonl`), the lock that serialises runs on it, the
//! git state recorded with a baseline, and the environment fingerprint.
//! Every file pybench replaces goes through [`atomic`]; the user's own
//! files (baselines, shard files, seed plans) through [`atomic::replace`].

pub mod atomic;
pub mod baseline_file;
pub mod baselines;
pub mod checkout;
pub mod fingerprint;
pub mod git;
pub mod hash_cache;
pub mod inputs;
pub mod layout;
pub mod lock;
pub mod own_file;
pub mod range;
pub mod sensitivity;

pub use baseline_file::{Store, StoreError, Written};
pub use baselines::Baseline;
pub use lock::{StoreLock, lock};

/// The project a command runs in: the directory that holds `.pybench/`
/// (found once by the command, `runner::workspace::find_project`) and so
/// where its baselines live by default; and the file hashes the command
/// looked up ([`hash_cache::HashCache`], written back once at its end).
/// Made once, handed to what needs it; its clones share the hashes.
#[derive(Clone, Debug)]
pub struct Project {
    root: std::path::PathBuf,
    hashes: std::sync::Arc<hash_cache::HashCache>,
}

impl Project {
    /// The project whose root is `root`, a path from the start directory.
    pub fn at(root: std::path::PathBuf) -> Project {
        Project {
            root,
            hashes: Default::default(),
        }
    }

    /// The file hashes this command looked up.
    pub fn hashes(&self) -> &std::sync::Arc<hash_cache::HashCache> {
        &self.hashes
    }

    /// The root, as a path from the start directory: `.`, `..`, `../..`,
    /// or absolute.
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    /// The default baseline file: `.pybench/baselines.jsonl` at the root.
    pub fn baseline(&self) -> std::path::PathBuf {
        default_path(&self.root)
    }
}

impl Default for Project {
    /// The start directory, until the command finds the real root.
    fn default() -> Project {
        Project::at(".".into())
    }
}

/// Where a project keeps its baselines by default: `.pybench/baselines.jsonl`
/// in its root directory (`root` as a path from the start directory).
pub fn default_path(root: &std::path::Path) -> std::path::PathBuf {
    let file = std::path::Path::new(".pybench").join("baselines.jsonl");
    if root == std::path::Path::new(".") {
        file
    } else {
        root.join(file)
    }
}
