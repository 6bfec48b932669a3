//! pybench's own state files — the library hash cache, the sensitivity
//! record, the `--against` build record — are advice, read only when they
//! can be trusted: a regular file (no device node, no FIFO, no symlink),
//! owned by this user (or root), at most a bound in size. Anything else is
//! ignored, as a missing file is, and replaced by the next write. A file
//! planted by another user in a shared directory is never believed.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use super::atomic;

/// The bytes of the state file at `path`, or `None` when it is missing or
/// not to be trusted (see the module's documentation).
pub fn read(path: &Path, limit: u64) -> Option<Vec<u8>> {
    // O_NOFOLLOW: a symlink there is refused, not followed.
    let (meta, bytes) = atomic::read_open(path, libc::O_NOFOLLOW, limit).ok()??;
    trusted_owner(meta.uid()).then_some(bytes)
}

/// Whether a file owned by `uid` may be believed: this user's or root's.
fn trusted_owner(uid: u32) -> bool {
    // SAFETY: geteuid cannot fail and touches no memory.
    let me = unsafe { libc::geteuid() };
    uid == me || uid == 0
}

/// Whether `dir` is shared: someone other than its owner may create files
/// in it (group- or world-writable, like /tmp). pybench keeps no state
/// file there.
pub fn shared_dir(dir: &Path) -> bool {
    std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o022 != 0)
}
