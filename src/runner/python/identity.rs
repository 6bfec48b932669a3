//! A Python benchmark's code identity, the counterpart of a library's
//! hash in the determinism check ("same code, same seed, different
//! scores"). The code under test lives in the package the benchmark file
//! imports, so hashing the file alone would call every real change
//! non-deterministic. The identity hashes the benchmark file, every Python
//! source file under the project root (the search's rules: no hidden,
//! build, bytecode, virtual-environment or git-ignored directories), and
//! the interpreter's path and version. It is read before anything runs, so
//! it covers every project file the benchmark could import.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::is_python_file;
use crate::runner::scope::{self, Scope};

/// The most project files hashed: beyond it the identity covers the
/// first ones found (a project that large changes on every commit anyway).
const MAX_FILES: usize = 20_000;

/// `sha256:` and the digest of `bench_file` and `project` files, with the
/// interpreter's `path` and `version`.
pub fn code_hash(
    bench_file: &Path,
    project: &[PathBuf],
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
    for file in std::iter::once(bench_file).chain(project.iter().map(PathBuf::as_path)) {
        let bytes = std::fs::read(file).unwrap_or_default();
        add(file.as_os_str().as_encoded_bytes(), &bytes);
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The Python source files under `root`, sorted, canonical.
pub fn project_sources(root: &Path) -> Vec<PathBuf> {
    let repo = scope::repository(root);
    let mut scope = Scope::new(repo.as_ref(), Some(root));
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() && scope.skips(&path).is_none() {
                dirs.push(path);
            } else if kind.is_file() && is_python_file(&path) && files.len() < MAX_FILES {
                files.push(path.canonicalize().unwrap_or(path));
            }
        }
    }
    files.sort();
    files
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
        std::fs::create_dir_all(dir.path().join(".venv/lib")).unwrap();
        std::fs::write(&bench, "def bench_a(seed): ...\n").unwrap();
        std::fs::write(&model, "RATE = 1\n").unwrap();
        std::fs::write(dir.path().join(".venv/lib/site.py"), "x = 1\n").unwrap();
        let sources = project_sources(dir.path());
        let names: Vec<_> = sources
            .iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(
            names,
            ["bench_a.py", "model.py"],
            "hidden directories are skipped"
        );
        let python = Path::new("/usr/bin/python3");
        let first = code_hash(&bench, &sources, python, "3.11.2");
        assert_eq!(first, code_hash(&bench, &sources, python, "3.11.2"));
        assert_ne!(first, code_hash(&bench, &sources, python, "3.12.0"));
        assert_ne!(
            first,
            code_hash(&bench, &sources, Path::new("/opt/python3"), "3.11.2")
        );
        std::fs::write(&model, "RATE = 2\n").unwrap();
        assert_ne!(first, code_hash(&bench, &sources, python, "3.11.2"));
    }
}
