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
//! A run reads each cache file once and writes it at most once, at its end
//! ([`HashCache::save`]), keeping an entry for every library it used: what
//! it looked up is a [`HashCache`] the command owns (in its `Project`) and
//! hands to what hashes, not process-wide state.

use std::fs::File;
use std::io::{Read, Seek};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{atomic, own_file};

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

/// The most libraries a cache file remembers besides those of the run that
/// writes it (which it always keeps, however many).
const KEPT: usize = 32;

/// The most bytes of a cache file that are read: thousands of entries.
const CACHE_LIMIT: u64 = 4 << 20;

#[derive(Default, Serialize, Deserialize)]
struct CacheFile {
    entries: Vec<(Key, Identity)>,
}

/// A library this run looked up: its identity, the cache file it belongs
/// in, and whether that file may keep it (its times are settled).
struct Used {
    key: Key,
    identity: Identity,
    cache: Option<PathBuf>,
    keep: bool,
}

/// What this run looked up: each library once, and each cache file read
/// once; [`HashCache::save`] writes the cache files that gained an entry, once.
#[derive(Default)]
struct RunCache {
    used: Vec<Used>,
    files: Vec<(PathBuf, CacheFile)>,
    dirty: Vec<PathBuf>,
}

/// The hashes one command looked up, shared by every thread of its run.
#[derive(Default)]
pub struct HashCache {
    run: Mutex<RunCache>,
}

impl std::fmt::Debug for HashCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashCache")
    }
}

impl HashCache {
    /// The identity of the library at `path` (`None` when it cannot be
    /// read), from the cache when the file is unchanged, else read and
    /// hashed. `rustc_of` finds the compiler in the file. A library named
    /// two ways (a symlink, `..`) is one file, with one entry.
    pub fn identity(&self, path: &Path, rustc_of: fn(&File) -> Option<String>) -> Option<Identity> {
        let path = std::fs::canonicalize(path).ok()?;
        let mut file = atomic::open_regular(&path).ok()?;
        let key = Key::of(&path, &file.metadata().ok()?);
        let mut run = self.run.lock().unwrap_or_else(|e| e.into_inner());
        run.identity(&path, &mut file, key, rustc_of)
    }

    /// The `sha256:` hash of the file at `path`, through the same cache as a
    /// library's identity: an input file is not read again while unchanged.
    pub fn content_hash(&self, path: &Path) -> Option<String> {
        fn no_rustc(_: &File) -> Option<String> {
            None
        }
        self.identity(path, no_rustc).map(|identity| identity.hash)
    }

    /// Write every cache file this run added an identity to, once each: the
    /// entries of every library the run used, then the latest [`KEPT`]
    /// others (as the file is now: another run may have written it
    /// meanwhile).
    pub fn save(&self) {
        let mut run = self.run.lock().unwrap_or_else(|e| e.into_inner());
        run.save();
    }
}

impl RunCache {
    /// [`HashCache::identity`] of the open `file` at `path`, whose key is `key`.
    fn identity(
        &mut self,
        path: &Path,
        file: &mut File,
        key: Key,
        rustc_of: fn(&File) -> Option<String>,
    ) -> Option<Identity> {
        if let Some(used) = self.used.iter().find(|u| u.key == key) {
            return Some(used.identity.clone());
        }
        let cache = cache_file(path);
        let cached = cache
            .as_ref()
            .and_then(|c| self.file(c).entries.iter().find(|(k, _)| *k == key))
            .map(|(_, identity)| identity.clone());
        let (identity, keep) = match cached {
            Some(identity) => (identity, true),
            None => {
                let identity = Identity {
                    hash: hash_file(file)?,
                    rustc: rustc_of(file),
                };
                // Changed while it was read: its key no longer says what was hashed.
                let unchanged = file.metadata().is_ok_and(|m| Key::of(path, &m) == key);
                let keep = unchanged && key.settled();
                if let Some(cache) = cache.as_ref().filter(|c| keep && !self.dirty.contains(c)) {
                    self.dirty.push(cache.clone());
                }
                (identity, keep)
            }
        };
        self.used.push(Used {
            key,
            identity: identity.clone(),
            cache,
            keep,
        });
        Some(identity)
    }

    /// The cache file at `path`, read on first use.
    fn file(&mut self, path: &Path) -> &CacheFile {
        let index = match self.files.iter().position(|(p, _)| p == path) {
            Some(index) => index,
            None => {
                self.files.push((path.to_path_buf(), read_cache(path)));
                self.files.len() - 1
            }
        };
        &self.files[index].1
    }

    /// See [`HashCache::save`].
    fn save(&mut self) {
        for cache in std::mem::take(&mut self.dirty) {
            let used: Vec<(Key, Identity)> = self
                .used
                .iter()
                .filter(|u| u.keep && u.cache.as_ref() == Some(&cache))
                .map(|u| (u.key.clone(), u.identity.clone()))
                .collect();
            let mut entries = read_cache(&cache).entries;
            entries.retain(|(k, _)| !used.iter().any(|(u, _)| u.path == k.path));
            entries.drain(..entries.len().saturating_sub(KEPT));
            entries.extend(used);
            if let Ok(text) = serde_json::to_vec(&CacheFile { entries }) {
                let _ = atomic::write(&cache, "library-hashes", &text);
            }
        }
    }
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

/// The cache file at `path`; empty when it is missing, corrupt, or not to
/// be trusted ([`own_file::read`]: a FIFO, a device, another user's file).
fn read_cache(path: &Path) -> CacheFile {
    own_file::read(path, CACHE_LIMIT)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// The cache file for the library at `library` (an absolute path): in the
/// git directory of the repository holding it, else beside it — unless
/// that directory is shared (others may write there, like /tmp): then
/// there is none.
pub fn cache_file(library: &Path) -> Option<PathBuf> {
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
            atomic::read_open(&dot_git, 0, 4096)
                .ok()
                .flatten()
                .and_then(|(_, bytes)| {
                    let text = String::from_utf8(bytes).ok()?;
                    let named = text.trim().strip_prefix("gitdir:")?.trim().to_string();
                    Some(dir.join(named))
                })
        };
        if let Some(git_dir) = git_dir {
            return Some(git_dir.join("pybench").join("library-hashes.json"));
        }
    }
    (!own_file::shared_dir(lib_dir)).then(|| lib_dir.join(".pybench-library-hashes.json"))
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, SeekFrom, Write};
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn no_rustc(_: &File) -> Option<String> {
        None
    }

    /// A library in a fresh directory outside any repository, and a cache
    /// that says its hash is `sha256:feed`.
    fn cached_library(dir: &Path) -> PathBuf {
        let library = dir.join("libx.so");
        std::fs::write(&library, b"library bytes A").unwrap();
        let path = std::fs::canonicalize(&library).unwrap();
        let key = Key::of(&path, &std::fs::metadata(&path).unwrap());
        let fake = Identity {
            hash: "sha256:feed".into(),
            rustc: None,
        };
        let cache = CacheFile {
            entries: vec![(key, fake)],
        };
        std::fs::write(
            cache_file(&path).unwrap(),
            serde_json::to_vec(&cache).unwrap(),
        )
        .unwrap();
        library
    }

    #[test]
    fn an_unchanged_library_is_not_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let library = cached_library(dir.path());
        assert_eq!(
            HashCache::default()
                .identity(&library, no_rustc)
                .unwrap()
                .hash,
            "sha256:feed"
        );
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
            HashCache::default()
                .identity(&library, no_rustc)
                .unwrap()
                .hash,
            hash_bytes(b"library bytes B")
        );
    }

    #[test]
    fn a_corrupt_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let library = dir.path().join("libx.so");
        std::fs::write(&library, b"bytes").unwrap();
        let cache = cache_file(&std::fs::canonicalize(&library).unwrap()).unwrap();
        std::fs::write(&cache, b"{\"entries\": [[").unwrap();
        assert_eq!(
            HashCache::default()
                .identity(&library, no_rustc)
                .unwrap()
                .hash,
            hash_bytes(b"bytes")
        );
    }

    #[test]
    fn a_library_changed_seconds_ago_is_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        let library = dir.path().join("libx.so");
        std::fs::write(&library, b"fresh").unwrap();
        let hashes = HashCache::default();
        assert_eq!(
            hashes.identity(&library, no_rustc).unwrap().hash,
            hash_bytes(b"fresh")
        );
        hashes.save();
        let cache = cache_file(&std::fs::canonicalize(&library).unwrap()).unwrap();
        assert!(!cache.exists());
    }

    #[test]
    fn the_cache_lives_in_the_git_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::create_dir_all(dir.path().join("target/release")).unwrap();
        let library = dir.path().join("target/release/libx.so");
        assert_eq!(
            cache_file(&library).unwrap(),
            dir.path().join(".git/pybench/library-hashes.json")
        );
        let worktree = dir.path().join("wt");
        std::fs::create_dir_all(&worktree).unwrap();
        std::fs::write(worktree.join(".git"), "gitdir: /repo/.git/worktrees/wt\n").unwrap();
        assert_eq!(
            cache_file(&worktree.join("libx.so")).unwrap(),
            Path::new("/repo/.git/worktrees/wt/pybench/library-hashes.json")
        );
        // Beside a library in a directory others may write to: no cache.
        let outside = tempfile::tempdir().unwrap();
        let shared = outside.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert_eq!(cache_file(&shared.join("libx.so")), None);
    }
}
