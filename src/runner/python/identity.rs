//! A Python benchmark's code identity, the counterpart of a library's
//! hash in the determinism check ("same code, same seed, different
//! scores"). The code under test lives in the package the benchmark file
//! imports, so hashing the file alone would call every real change
//! non-deterministic. The identity hashes the benchmark file, every file
//! of this side's tree that its workers had imported after their first
//! seed (outside hidden directories, bytecode caches and installed
//! packages: see `loaded.rs`), and the interpreter's path and version. A
//! file under the project that the benchmark does not import is no part
//! of it.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// `sha256:` and the digest of `bench_file` and the `imported` files, with the
/// interpreter's `path` and `version`.
pub fn code_hash(
    bench_file: &Path,
    imported: &[PathBuf],
    interpreter: &Path,
    version: &str,
) -> String {
    let mut hasher = Sha256::new();
    let mut add = |label: &[u8], bytes: &[u8]| {
        hasher.update((label.len() as u64).to_le_bytes());
        hasher.update(label);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    add(b"interpreter", interpreter.as_os_str().as_encoded_bytes());
    add(b"version", version.as_bytes());
    for file in std::iter::once(bench_file).chain(imported.iter().map(PathBuf::as_path)) {
        let bytes = std::fs::read(file).unwrap_or_default();
        add(file.as_os_str().as_encoded_bytes(), &bytes);
    }
    format!("sha256:{:x}", hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_follows_every_part() {
        let dir = tempfile::tempdir().unwrap();
        let bench = dir.path().join("bench_a.py");
        let model = dir.path().join("pkg/model.py");
        std::fs::create_dir_all(model.parent().unwrap()).unwrap();
        std::fs::write(&bench, "def bench_a(seed): ...\n").unwrap();
        std::fs::write(&model, "RATE = 1\n").unwrap();
        let imported = [model.clone()];
        let python = Path::new("/usr/bin/python3");
        let first = code_hash(&bench, &imported, python, "3.11.2");
        assert_eq!(first, code_hash(&bench, &imported, python, "3.11.2"));
        assert_ne!(first, code_hash(&bench, &imported, python, "3.12.0"));
        assert_ne!(first, code_hash(&bench, &[], python, "3.11.2"));
        assert_ne!(
            first,
            code_hash(&bench, &imported, Path::new("/opt/python3"), "3.11.2")
        );
        std::fs::write(&model, "RATE = 2\n").unwrap();
        assert_ne!(first, code_hash(&bench, &imported, python, "3.11.2"));
    }
}
