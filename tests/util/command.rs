//! Running the real `pybench` binary in a test's directory.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `pybench` command of one directory: every run starts there, with a
/// fixed environment.
pub struct Pybench {
    dir: PathBuf,
    env: Vec<(&'static str, PathBuf)>,
}

impl Pybench {
    pub fn new(dir: &Path) -> Pybench {
        Pybench {
            dir: dir.to_path_buf(),
            env: Vec::new(),
        }
    }

    /// For benchmark crates that the test writes itself: cargo builds them
    /// into `target/` of this directory, whatever target directory the
    /// environment (`CARGO_TARGET_DIR`) or a cargo config names.
    ///
    /// A shared target directory holds one build per package name and
    /// version: cargo fingerprints a workspace root package by its path
    /// *relative to the workspace root*, so two crates named alike in two
    /// temporary directories are one unit to it. One test's build then
    /// counts as fresh for the other, and both load the same `lib{name}.so`
    /// (a cdylib's file name carries no hash). The crates of `examples/`
    /// are the same sources for every test and may share a target
    /// directory; the crates written by tests may not.
    pub fn own_target_dir(mut self) -> Pybench {
        let target = self.dir.join("target");
        self.env.push(("CARGO_TARGET_DIR", target));
        self
    }

    /// [`own_target_dir`](Self::own_target_dir) for a run that starts in a
    /// subdirectory of the test's project: cargo builds into `target`.
    pub fn target_dir(mut self, target: &Path) -> Pybench {
        self.env.push(("CARGO_TARGET_DIR", target.to_path_buf()));
        self
    }

    /// `pybench ARGS`, ready to spawn.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pybench"));
        // Fixed seed entropy: verdicts that depend on the seeds drawn (the
        // resampled case) are the same on every test run, never flaky.
        command
            .current_dir(&self.dir)
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
        command.envs(self.env.iter().map(|(key, value)| (key, value)));
        command
    }

    /// Run `pybench ARGS`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// Run `pybench ARGS` with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let output = self
            .command(args)
            .envs(env.iter().copied())
            .output()
            .expect("run the pybench binary");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
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

pub fn baseline_path(dir: &Path) -> PathBuf {
    dir.join(".pybench/baselines.jsonl")
}

/// The baseline file's bytes, or None when it does not exist.
pub fn baseline_bytes(dir: &Path) -> Option<Vec<u8>> {
    std::fs::read(baseline_path(dir)).ok()
}
