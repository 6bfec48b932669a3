//! What pybench keeps between runs: the baselines file
//! (`.pybench/baselines.jsonl`), the lock that serialises runs on it, the
//! git state recorded with a baseline, and the environment fingerprint.
//! Every file pybench replaces goes through [`atomic::write`].

pub mod atomic;
pub mod baselines;
pub mod checkout;
pub mod fingerprint;
pub mod git;
pub mod lock;
pub mod sensitivity;

pub use baselines::{Baseline, Store, StoreError};
pub use lock::{StoreLock, lock};
