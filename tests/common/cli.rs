//! Running the real `pybench` binary, and building benchmark libraries
//! from `examples/` and from C sources with the system compiler.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The synthetic example's Cargo package (pybench builds it).
pub fn synthetic() -> PathBuf {
    workspace().join("examples/synthetic")
}

/// The misbehaving benchmarks' Cargo package.
pub fn faults() -> PathBuf {
    workspace().join("examples/faults")
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout line about `bench`, e.g. `bench_x   .......... PASS ...`.
    pub fn line_of(&self, bench: &str) -> &str {
        self.stdout
            .lines()
            .find(|l| l.starts_with(&format!("{bench} ")))
            .unwrap_or_else(|| panic!("no line for {bench} in:\n{}", self.stdout))
    }

    /// stderr without cargo's own output (warnings of the benchmark build).
    pub fn error_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect()
    }
}

/// The `pybench ARGS` command in `dir` with extra environment variables,
/// ready to spawn.
pub fn pybench_command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pybench"));
    // Fixed seed entropy: verdicts that depend on the seeds drawn (the
    // resampled case) are the same on every test run, never flaky.
    command
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("PYBENCH_SEED_ENTROPY", "20261123");
    for var in [
        "PYBENCH_SYNTHETIC_REGRESS",
        "PYBENCH_SYNTHETIC_RESAMPLE",
        "PYBENCH_SYNTHETIC_IMPROVE",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_ACTIONS",
    ] {
        command.env_remove(var);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// Run `pybench ARGS` in `dir` with extra environment variables.
pub fn pybench(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = pybench_command(dir, args, env)
        .output()
        .expect("run the pybench binary");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Compile C `source` into a shared library named `lib{name}.so` with the
/// system C compiler (the authoring crate's header is on the include path).
/// Each name is compiled once per test process, and the library appears
/// by an atomic rename, so tests running in parallel (in this process or
/// another) never load a half-written file.
pub fn c_library(name: &str, source: &str) -> PathBuf {
    static BUILT: Mutex<BTreeMap<String, PathBuf>> = Mutex::new(BTreeMap::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = built.get(name) {
        return path.clone();
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("c-libs")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let unique = format!("{}-{name}", std::process::id());
    let c_file = dir.join(format!("{unique}.c"));
    std::fs::write(&c_file, source).unwrap();
    let file_name = format!(
        "{}{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let partial = dir.join(format!("{unique}.partial"));
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-O2", "-shared", "-fPIC", "-o"])
        .arg(&partial)
        .arg(&c_file)
        .arg("-I")
        .arg(workspace().join("src/authoring/include"))
        .arg("-lm")
        .status()
        .expect("run the C compiler");
    assert!(status.success(), "cc failed for {name}");
    let library = dir.join(file_name);
    std::fs::rename(&partial, &library).unwrap();
    let _ = std::fs::remove_file(&c_file);
    built.insert(name.to_string(), library.clone());
    library
}

/// The C example, compiled.
pub fn c_example() -> PathBuf {
    let source = std::fs::read_to_string(workspace().join("examples/c/solver.c")).unwrap();
    c_library("solver", &source)
}

pub fn baseline_path(dir: &Path) -> PathBuf {
    dir.join(".pybench/baselines.jsonl")
}

/// The baseline file's bytes, or None when it does not exist.
pub fn baseline_bytes(dir: &Path) -> Option<Vec<u8>> {
    std::fs::read(baseline_path(dir)).ok()
}
