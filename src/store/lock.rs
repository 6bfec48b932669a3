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

/// Lock the directory holding `baseline` (created if missing), waiting for
/// another run to finish unless `wait` is false. A directory lock leaves no
/// lock file behind in the user's repository. Once locked, the temporary
/// files a killed run left there (`.baselines.*.tmp`) are removed: every
/// writer of them holds this lock, so none is in use.
pub fn lock(baseline: &Path, wait: bool) -> Result<StoreLock, StoreError> {
    let lock = acquire(baseline, wait)?;
    atomic::clean_stale(parent_dir(baseline), "baselines");
    Ok(lock)
}

fn acquire(baseline: &Path, wait: bool) -> Result<StoreLock, StoreError> {
    let dir = parent_dir(baseline);
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
                path: baseline.to_path_buf(),
            });
        }
        Err(std::fs::TryLockError::WouldBlock) => {}
        Err(std::fs::TryLockError::Error(e)) => return Err(lock_error(e)),
    }
    eprintln!(
        "waiting for another pybench run to finish with {}...",
        baseline.display()
    );
    file.lock().map_err(lock_error)?;
    Ok(StoreLock { _file: file })
}
