//! The baseline file's lock: runs on one file take turns.

use std::path::Path;

use super::StoreError;
use super::atomic::{self, parent_dir};

/// Held for a whole run, so that runs on one baseline file take turns:
/// without it, two runs could each write a NEW baseline and the second
/// rename would drop the first one's line.
#[derive(Debug)]
pub struct StoreLock {
    _file: std::fs::File,
}

/// Lock the directory holding the file `baseline` names (created if
/// missing), waiting for another run to finish unless `wait` is false. A
/// directory lock leaves no lock file behind in the user's repository.
/// Once locked, the temporary files a killed run left there
/// (`.baselines.*.tmp`) are removed: every writer of them holds this lock,
/// so none is in use.
pub fn lock(baseline: &Path, wait: bool) -> Result<StoreLock, StoreError> {
    lock_file(baseline, "baselines", wait)
}

/// [`lock`] for any file pybench rewrites in place of the user's (a seed
/// plan: `prefix` "seed-plan"). The lock, the clean-up and the write
/// ([`atomic::replace`]) all act on the file a symlink at `path` resolves
/// to: every name of one file takes the same lock.
pub fn lock_file(path: &Path, prefix: &str, wait: bool) -> Result<StoreLock, StoreError> {
    let target = atomic::resolve(path).map_err(|source| StoreError::Lock {
        path: path.to_path_buf(),
        source,
    })?;
    let dir = parent_dir(&target);
    let lock = acquire(dir, path, wait)?;
    atomic::clean_stale(dir, prefix);
    Ok(lock)
}

/// Lock `dir`, where the file named `path` lives.
fn acquire(dir: &Path, path: &Path, wait: bool) -> Result<StoreLock, StoreError> {
    let lock_error = |source| StoreError::Lock {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(lock_error)?;
    let file = std::fs::File::open(dir).map_err(lock_error)?;
    match file.try_lock() {
        Ok(()) => return Ok(StoreLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) if !wait => {
            return Err(StoreError::Locked {
                path: path.to_path_buf(),
            });
        }
        Err(std::fs::TryLockError::WouldBlock) => {}
        Err(std::fs::TryLockError::Error(e)) => return Err(lock_error(e)),
    }
    eprintln!(
        "waiting for another pybench run to finish with {}...",
        path.display()
    );
    file.lock().map_err(lock_error)?;
    Ok(StoreLock { _file: file })
}
