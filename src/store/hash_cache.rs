//! The library's identity (its SHA-256 and the rustc that built it) without
//! reading it again: a cache keyed by the file's path, device, inode, size,
//! modification and change times. Any write to the file changes its change
//! time (which no one can set back), so a changed library is always read
//! and hashed anew; the stored hash is the same SHA-256 of the file's bytes.
//!
//! The cache is `pybench/library-hashes.json` in the git directory of the
//! repository holding the library (out of the working tree, so `git status`
//! stays clean), or `.pybench-library-hashes.json` beside the library
//! outside a repository. It is only a cache: a missing, unreadable or
//! corrupt file is ignored, and one that cannot be written costs a hash.

use std::fs::File;
use std::io::{Read, Seek};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::atomic;

/// What identifies a library build: its hash and the rustc that built it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `sha256:` and the hex digest of the file.
    pub hash: String,
    pub rustc: Option<String>,
}

/// Where and as what a file stood when it was hashed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Key {
    path: PathBuf,
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

impl Key {
    fn of(path: &Path, meta: &std::fs::Metadata) -> Key {
        let ns = |s: i64, ns: i64| i128::from(s) * 1_000_000_000 + i128::from(ns);
        Key {
            path: path.to_path_buf(),
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// Whether a write could still leave these times as they are: file
    /// times tick coarsely (and in whole seconds on some file systems), so a
    /// file changed within a few seconds is hashed, not cached.
    fn settled(&self) -> bool {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        let margin = SETTLE.as_nanos() as i128;
        self.mtime_ns.max(self.ctime_ns) + margin < now
    }
}

/// How long after its last change a file's times are trusted.
const SETTLE: Duration = Duration::from_secs(3);

/// The most libraries the cache file remembers (the latest ones).
const KEPT: usize = 32;

#[derive(Default, Serialize, Deserialize)]
struct CacheFile {
    entries: Vec<(Key, Identity)>,
}

/// Identities found in this process, so a library with many benchmarks is
/// looked up once per run.
static SEEN: Mutex<Vec<(Key, Identity)>> = Mutex::new(Vec::new());

/// The identity of the library at `path` (`None` when it cannot be read),
/// from the cache when the file is unchanged, else read, hashed and cached.
/// `rustc_of` finds the compiler in the file.
pub fn identity(path: &Path, rustc_of: fn(&File) -> Option<String>) -> Option<Identity> {
    let path = std::path::absolute(path).ok()?;
    let mut file = File::open(&path).ok()?;
    let key = Key::of(&path, &file.metadata().ok()?);
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, identity)) = seen.iter().find(|(k, _)| *k == key) {
        return Some(identity.clone());
    }
    let cache_path = cache_file(&path);
    let mut cache = read_cache(&cache_path);
    let found = cache.entries.iter().find(|(k, _)| *k == key);
    let identity = match found {
        Some((_, identity)) => identity.clone(),
        None => {
            let identity = Identity {
                hash: hash_file(&mut file)?,
                rustc: rustc_of(&file),
            };
            // Changed while it was read: its key no longer says what was hashed.
            let unchanged = file.metadata().is_ok_and(|m| Key::of(&path, &m) == key);
            if unchanged && key.settled() {
                cache.entries.retain(|(k, _)| k.path != key.path);
                cache.entries.push((key.clone(), identity.clone()));
                let excess = cache.entries.len().saturating_sub(KEPT);
                cache.entries.drain(..excess);
                if let Ok(text) = serde_json::to_vec(&cache) {
                    let _ = atomic::write(&cache_path, "library-hashes", &text);
                }
            }
            identity
        }
    };
    seen.push((key, identity.clone()));
    Some(identity)
}

/// The `sha256:` hash of the file at `path`, through the same cache as a
/// library's identity: an input file is not read again while unchanged.
pub fn content_hash(path: &Path) -> Option<String> {
    fn no_rustc(_: &File) -> Option<String> {
        None
    }
    identity(path, no_rustc).map(|identity| identity.hash)
}

/// `sha256:<hex>` of `bytes`.
pub fn hash_bytes(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// [`hash_bytes`] of the whole file, read in pieces (a library with debug
/// info is megabytes, and need not be held).
fn hash_file(file: &mut File) -> Option<String> {
    file.rewind().ok()?;
    let mut hasher = Sha256::new();
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => hasher.update(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(format!("sha256:{:x}", hasher.finalize()))
}

fn read_cache(path: &Path) -> CacheFile {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// The cache file for the library at `library` (an absolute path).
pub fn cache_file(library: &Path) -> PathBuf {
    let lib_dir = atomic::parent_dir(library);
    for dir in lib_dir.ancestors() {
        let dot_git = dir.join(".git");
        let Ok(meta) = std::fs::metadata(&dot_git) else {
            continue;
        };
        let git_dir = if meta.is_dir() {
            Some(dot_git)
        } else {
            // A linked worktree or a submodule: `.git` names the directory.
            std::fs::read_to_string(&dot_git).ok().and_then(|text| {
                let named = text.trim().strip_prefix("gitdir:")?.trim();
                Some(dir.join(named))
            })
        };
        if let Some(git_dir) = git_dir {
            return git_dir.join("pybench").join("library-hashes.json");
        }
    }
    lib_dir.join(".pybench-library-hashes.json")
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, SeekFrom, Write};

    use super::*;

    fn no_rustc(_: &File) -> Option<String> {
        None
    }

    /// A library in a fresh directory outside any repository, and a cache
    /// that says its hash is `sha256:feed`.
    fn cached_library(dir: &Path) -> PathBuf {
        let library = dir.join("libx.so");
        std::fs::write(&library, b"library bytes A").unwrap();
        let path = std::path::absolute(&library).unwrap();
        let key = Key::of(&path, &std::fs::metadata(&path).unwrap());
        let fake = Identity {
            hash: "sha256:feed".into(),
            rustc: None,
        };
        let cache = CacheFile {
            entries: vec![(key, fake)],
        };
        std::fs::write(cache_file(&path), serde_json::to_vec(&cache).unwrap()).unwrap();
        library
    }

    #[test]
    fn an_unchanged_library_is_not_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let library = cached_library(dir.path());
        assert_eq!(identity(&library, no_rustc).unwrap().hash, "sha256:feed");
    }

    #[test]
    fn a_library_rewritten_with_its_size_and_mtime_kept_is_hashed_again() {
        let dir = tempfile::tempdir().unwrap();
        let library = cached_library(dir.path());
        let before = std::fs::metadata(&library).unwrap();
        // File times tick coarsely: let the change time move on.
        std::thread::sleep(Duration::from_millis(50));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(&library)
            .unwrap();
        file.seek(SeekFrom::Start(14)).unwrap();
        file.write_all(b"B").unwrap();
        file.set_modified(before.modified().unwrap()).unwrap();
        drop(file);
        let after = std::fs::metadata(&library).unwrap();
        assert_eq!(
            (after.len(), after.modified().unwrap(), after.ino()),
            (before.len(), before.modified().unwrap(), before.ino())
        );
        assert_eq!(
            identity(&library, no_rustc).unwrap().hash,
            hash_bytes(b"library bytes B")
        );
    }

    #[test]
    fn a_corrupt_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let library = dir.path().join("libx.so");
        std::fs::write(&library, b"bytes").unwrap();
        let cache = cache_file(&std::path::absolute(&library).unwrap());
        std::fs::write(&cache, b"{\"entries\": [[").unwrap();
        assert_eq!(
            identity(&library, no_rustc).unwrap().hash,
            hash_bytes(b"bytes")
        );
    }

    #[test]
    fn a_library_changed_seconds_ago_is_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        let library = dir.path().join("libx.so");
        std::fs::write(&library, b"fresh").unwrap();
        assert_eq!(
            identity(&library, no_rustc).unwrap().hash,
            hash_bytes(b"fresh")
        );
        assert!(!cache_file(&std::path::absolute(&library).unwrap()).exists());
    }

    #[test]
    fn the_cache_lives_in_the_git_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::create_dir_all(dir.path().join("target/release")).unwrap();
        let library = dir.path().join("target/release/libx.so");
        assert_eq!(
            cache_file(&library),
            dir.path().join(".git/pybench/library-hashes.json")
        );
        let worktree = dir.path().join("wt");
        std::fs::create_dir_all(&worktree).unwrap();
        std::fs::write(worktree.join(".git"), "gitdir: /repo/.git/worktrees/wt\n").unwrap();
        assert_eq!(
            cache_file(&worktree.join("libx.so")),
            Path::new("/repo/.git/worktrees/wt/pybench/library-hashes.json")
        );
    }
}
