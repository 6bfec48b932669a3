//! The one way pybench replaces a file: write a temporary file in the same
//! directory, sync it to disk, rename it over the target. A reader sees the
//! old bytes or the new ones, never half a file, even after a crash.
//!
//! [`write`] is the plain form (reports, the build cache). The files pybench
//! keeps for the user — the baselines, shard files, seed plans — go through
//! [`replace`] and [`read_regular`], which treat the path as the user's
//! file: a symlink is written through (the link stays), the mode and owner
//! stay, a read-only file is refused, and anything that is not a regular
//! file (a device node, a FIFO, a directory) is refused before it is read
//! or replaced.

use std::ffi::CString;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Why a user's file cannot be read or replaced.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("it is {0}, not a regular file")]
    NotRegular(&'static str),
    #[error("it is read-only (mode {mode:04o})")]
    ReadOnly { mode: u32 },
    #[error("it is {size} bytes, more than the {limit} bytes pybench reads")]
    TooLarge { size: u64, limit: u64 },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<FileError> for std::io::Error {
    fn from(error: FileError) -> std::io::Error {
        match error {
            FileError::Io(e) => e,
            FileError::NotRegular(_) | FileError::TooLarge { .. } => {
                std::io::Error::new(ErrorKind::InvalidInput, error)
            }
            FileError::ReadOnly { .. } => std::io::Error::new(ErrorKind::PermissionDenied, error),
        }
    }
}

/// A file pybench was asked to write (a report, a plot, a compare
/// report) that cannot be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", .path.display())]
pub struct WriteError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

impl WriteError {
    pub fn new(path: &Path, source: std::io::Error) -> WriteError {
        WriteError {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The directory that holds `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Atomically replace `path` with `bytes`, creating its directory. The
/// temporary file is named `.{prefix}.XXXXXX.tmp`. A new file's mode
/// follows the umask, as any program's would; a regular file there keeps
/// its mode (a report another user's CI step reads stays readable).
pub fn write(path: &Path, prefix: &str, bytes: &[u8]) -> std::io::Result<()> {
    let dir = parent_dir(path);
    std::fs::create_dir_all(dir)?;
    let mode = match std::fs::symlink_metadata(path) {
        // Not set-id or sticky bits: those are not a report's to keep.
        Ok(meta) if meta.is_file() => meta.permissions().mode() & 0o777,
        _ => 0o666,
    };
    let mut file = tempfile::Builder::new()
        .prefix(&format!(".{prefix}."))
        .suffix(".tmp")
        // Less the umask, as open(2) applies it.
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    if mode != 0o666 {
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The file a chain of symlinks at `path` ends in (it may not exist yet);
/// `path` itself when it is no symlink. Writing there, not over the link,
/// keeps a symlinked baseline file a symlink.
pub fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    // The kernel's own limit on a chain of links (ELOOP).
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = parent_dir(&current).join(link);
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// What a file that is not a regular one is, in words.
fn kind(meta: &Metadata) -> Option<&'static str> {
    let kind = meta.file_type();
    Some(if kind.is_file() {
        return None;
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    })
}

/// `path`'s metadata (through symlinks), `None` when it does not exist;
/// an error when it is not a regular file.
fn regular_metadata(path: &Path) -> Result<Option<Metadata>, FileError> {
    match std::fs::metadata(path) {
        Ok(meta) => match kind(&meta) {
            Some(what) => Err(FileError::NotRegular(what)),
            None => Ok(Some(meta)),
        },
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The most bytes pybench reads of a user's file (a baseline, shard file,
/// seed plan or report): far above any real one, and a bound on memory.
pub const USER_FILE_LIMIT: u64 = 1 << 30;

/// Read a regular file (through symlinks); `None` when it does not exist.
/// A device node or FIFO is refused before it is opened for reading, so
/// `/dev/zero` cannot read forever and a FIFO cannot block; a file over
/// [`USER_FILE_LIMIT`] is refused unread.
pub fn read_regular(path: &Path) -> Result<Option<Vec<u8>>, FileError> {
    if regular_metadata(path)?.is_none() {
        return Ok(None);
    }
    Ok(read_open(path, 0, USER_FILE_LIMIT)?.map(|(_, bytes)| bytes))
}

/// Open `path` without blocking (`flags` adds to the open flags), check on
/// the open file that it is regular and at most `limit` bytes, and read at
/// most that many: the open file's metadata and bytes, `None` when it does
/// not exist.
pub(super) fn read_open(
    path: &Path,
    flags: libc::c_int,
    limit: u64,
) -> Result<Option<(Metadata, Vec<u8>)>, FileError> {
    // Non-blocking, and checked on the open file: the path may have been
    // swapped for a FIFO since any check made before.
    let mut file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | flags)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let meta = file.metadata()?;
    if let Some(what) = kind(&meta) {
        return Err(FileError::NotRegular(what));
    }
    if meta.len() > limit {
        return Err(FileError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    let mut bytes = Vec::new();
    // The bound holds even for a file that grows while it is read.
    (&mut file).take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(Some((meta, bytes)))
}

/// Open `path` for reading without blocking, and only if it is a regular
/// file: a FIFO named like a library cannot hang a run, nor a device
/// read forever.
pub fn open_regular(path: &Path) -> Result<File, FileError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    match kind(&file.metadata()?) {
        Some(what) => Err(FileError::NotRegular(what)),
        None => Ok(file),
    }
}

/// Whether the calling process may access `path` as `mode` (`libc::W_OK`…).
fn accessible(path: &Path, mode: libc::c_int) -> std::io::Result<()> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::new(ErrorKind::InvalidInput, "a NUL byte in the path"))?;
    // SAFETY: `c_path` is a valid NUL-terminated string that outlives the
    // call; `access` only reads it.
    let status = unsafe { libc::access(c_path.as_ptr(), mode) };
    if status == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Refuse to replace an existing file whose mode grants no write bit: the
/// user made it read-only, and root's rename would ignore that.
fn check_writable(meta: &Metadata) -> Result<(), FileError> {
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o222 == 0 {
        return Err(FileError::ReadOnly { mode });
    }
    Ok(())
}

/// Check, touching nothing, that [`replace`] could write `path`: it is a
/// writable regular file or missing, and the nearest existing directory
/// above it is a directory this process can write to.
pub fn probe(path: &Path) -> Result<(), FileError> {
    let target = resolve(path)?;
    if let Some(meta) = regular_metadata(&target)? {
        check_writable(&meta)?;
        accessible(&target, libc::W_OK)?;
    }
    let mut dir = parent_dir(&target).to_path_buf();
    loop {
        match std::fs::metadata(&dir) {
            Ok(meta) if meta.is_dir() => break,
            Ok(meta) => {
                let what = kind(&meta).unwrap_or("a regular file");
                return Err(std::io::Error::other(format!(
                    "{} is {what}, not a directory",
                    dir.display()
                ))
                .into());
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                dir = parent_dir(&dir).to_path_buf();
            }
            Err(e) => return Err(e.into()),
        }
    }
    accessible(&dir, libc::W_OK | libc::X_OK)?;
    Ok(())
}

/// Atomically replace the user's file at `path` with `bytes` (see the
/// module's documentation): through symlinks, keeping mode and owner,
/// refusing a read-only or non-regular file. The temporary file is
/// `.{prefix}.XXXXXX.tmp` next to the file written.
pub fn replace(path: &Path, prefix: &str, bytes: &[u8]) -> Result<(), FileError> {
    let target = resolve(path)?;
    let existing = regular_metadata(&target)?;
    if let Some(meta) = &existing {
        check_writable(meta)?;
    }
    let dir = parent_dir(&target);
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::Builder::new()
        .prefix(&format!(".{prefix}."))
        .suffix(".tmp")
        // A new file gets the usual 0666 less the umask, not tempfile's 0600.
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    if let Some(meta) = &existing {
        file.as_file().set_permissions(meta.permissions())?;
        // Only root can give the file back to its owner; anyone else
        // writes a file they own anyway.
        if meta.uid() != file.as_file().metadata()?.uid() {
            let _ = std::os::unix::fs::fchown(file.as_file(), Some(meta.uid()), Some(meta.gid()));
        }
    }
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(&target).map_err(|e| e.error)?;
    // The rename is durable once the directory is synced; the data already
    // is, so a failure here loses nothing that was promised.
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Remove `.{prefix}.*.tmp` files in `dir`: what a killed writer left. Only
/// call it while holding the lock that every writer with `prefix` holds.
pub fn clean_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let start = format!(".{prefix}.");
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&start)
            && name.ends_with(".tmp")
            && entry.file_type().is_ok_and(|t| t.is_file())
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests;
