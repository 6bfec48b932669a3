//! The benchmarks tests run: the Cargo packages of `examples/` (pybench
//! builds them) and shared libraries compiled from C sources with the
//! system compiler.

use std::collections::BTreeMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Rust source of `fn noise(seed: u64) -> f64`: deterministic noise in
/// [-0.1, 0.1] from the seed (splitmix64), for the benchmark crates tests
/// write.
pub const NOISE_RS: &str = "/// Deterministic noise in [-0.1, 0.1] from the seed (splitmix64).
fn noise(seed: u64) -> f64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64 * 0.2 - 0.1
}
";

/// The synthetic example's Cargo package (pybench builds it).
pub fn synthetic() -> PathBuf {
    workspace().join("examples/synthetic")
}

/// The misbehaving benchmarks' Cargo package.
pub fn faults() -> PathBuf {
    workspace().join("examples/faults")
}

/// Compile C `source` into a shared library named `lib{name}.so` with the
/// system C compiler (the authoring crate's header is on the include path).
///
/// The library's directory is named after a hash of everything that goes
/// into it (name, source, header, compiler), so one path always holds the
/// same bytes: a library is compiled once, by whichever test (or test
/// process) needs it first, appears by an atomic rename, and is never
/// rewritten under another test that is loading it.
pub fn c_library(name: &str, source: &str) -> PathBuf {
    static BUILT: Mutex<BTreeMap<(String, String), PathBuf>> = Mutex::new(BTreeMap::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let key = (name.to_string(), source.to_string());
    if let Some(path) = built.get(&key) {
        return path.clone();
    }
    let include = workspace().join("src/authoring/include");
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let mut hasher = DefaultHasher::new();
    (name, source, &compiler).hash(&mut hasher);
    std::fs::read(include.join("pybench.h"))
        .expect("read src/authoring/include/pybench.h")
        .hash(&mut hasher);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("c-libs")
        .join(format!("{name}-{:016x}", hasher.finish()));
    let library = dir.join(format!(
        "{}{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    if !library.is_file() {
        std::fs::create_dir_all(&dir).unwrap();
        let unique = format!("{}-{name}", std::process::id());
        let c_file = dir.join(format!("{unique}.c"));
        std::fs::write(&c_file, source).unwrap();
        let partial = dir.join(format!("{unique}.partial"));
        // The directory is named, never inherited: a test may have moved
        // the process's current directory into a repository it deletes.
        let status = Command::new(&compiler)
            .current_dir(&dir)
            .args(["-O2", "-shared", "-fPIC", "-o"])
            .arg(&partial)
            .arg(&c_file)
            .arg("-I")
            .arg(&include)
            .arg("-lm")
            .status()
            .expect("run the C compiler");
        assert!(status.success(), "cc failed for {name}");
        std::fs::rename(&partial, &library).unwrap();
        let _ = std::fs::remove_file(&c_file);
    }
    built.insert(key, library.clone());
    library
}

/// The C example, compiled.
pub fn c_example() -> PathBuf {
    let source = std::fs::read_to_string(workspace().join("examples/c/solver.c")).unwrap();
    c_library("solver", &source)
}
