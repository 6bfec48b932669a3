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
pub mod layout;
pub mod lock;
pub mod own_file;
pub mod range;
pub mod sensitivity;

pub use baseline_file::{Store, StoreError, Written};
pub use baselines::Baseline;
pub use lock::{StoreLock, lock};

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
