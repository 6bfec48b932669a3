//! Cargo integration: build a benchmark package and take its `cdylib`
//! artifacts from cargo's own messages, never by guessing paths.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde::Deserialize;

use super::workspace;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot run cargo for {dir}: {source}")]
    Spawn {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cargo build failed for {dir} ({status}){}",
        .last_build.as_deref().map_or(String::new(), |when| format!(
            "; its last build, made {when}, is not the current source"
        ))
    )]
    Failed {
        dir: PathBuf,
        status: String,
        /// When the package's libraries were last built, if they were.
        last_build: Option<String>,
    },
    #[error("cannot read cargo's output for {dir}: {reason}")]
    Output { dir: PathBuf, reason: String },
}

#[derive(Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    manifest_path: Option<PathBuf>,
    #[serde(default)]
    target: Option<Target>,
    #[serde(default)]
    filenames: Vec<PathBuf>,
}

#[derive(Deserialize)]
struct Target {
    kind: Vec<String>,
}

/// `cargo build --release` the package or workspace at `dir`; return the
/// shared libraries of its own `cdylib` targets (not of dependencies).
/// Cargo's diagnostics go to the user's stderr, and so does its progress
/// on a terminal; without one (CI), one line says that the build started
/// and one how long it took, so a log shows where the minutes went while
/// stdout stays clean. `target_dir` overrides cargo's target directory.
pub fn build_package(
    dir: &Path,
    target_dir: Option<&Path>,
    quiet: bool,
) -> Result<Vec<PathBuf>, BuildError> {
    let started = std::time::Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let manifest = dir.join("Cargo.toml");
    let mut command = workspace::cargo();
    if let Some(target_dir) = target_dir {
        command.env("CARGO_TARGET_DIR", target_dir);
    }
    command.args([
        "build",
        "--release",
        "--message-format=json-render-diagnostics",
    ]);
    if !terminal || quiet {
        command.arg("--quiet");
    }
    if !terminal && !quiet {
        eprintln!("building {} (cargo build --release)", dir.display());
    }
    let mut child = command
        .arg("--manifest-path")
        .arg(&manifest)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|source| BuildError::Spawn {
            dir: dir.to_path_buf(),
            source,
        })?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let root = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut libraries = Vec::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.map_err(|e| BuildError::Output {
            dir: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
        let Ok(message) = serde_json::from_str::<Message>(&line) else {
            continue;
        };
        if message.reason != "compiler-artifact" {
            continue;
        }
        let is_cdylib = message
            .target
            .as_ref()
            .is_some_and(|t| t.kind.iter().any(|k| k == "cdylib"));
        let is_own = message
            .manifest_path
            .as_ref()
            .is_some_and(|m| m.starts_with(&root));
        if is_cdylib && is_own {
            libraries.extend(
                message
                    .filenames
                    .into_iter()
                    .filter(|f| is_shared_library(f)),
            );
        }
    }
    let status = child.wait().map_err(|source| BuildError::Spawn {
        dir: dir.to_path_buf(),
        source,
    })?;
    if !status.success() {
        return Err(BuildError::Failed {
            dir: dir.to_path_buf(),
            status: status.to_string(),
            last_build: target_dir.is_none().then(|| last_build(dir)).flatten(),
        });
    }
    if !terminal && !quiet {
        eprintln!(
            "built {} in {:.1}s",
            dir.display(),
            started.elapsed().as_secs_f64()
        );
    }
    libraries.sort();
    libraries.dedup();
    Ok(libraries)
}

/// The `cdylib` files a previous `cargo build --release` left for the
/// package at `dir`, located through `cargo metadata` (no build).
pub fn built_libraries(dir: &Path) -> Result<Vec<PathBuf>, BuildError> {
    let meta = workspace::metadata(dir).map_err(|e| BuildError::Output {
        dir: dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    let root = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let release = meta.target_directory.join("release");
    let mut libraries: Vec<PathBuf> = meta
        .members()
        .filter(|p| p.manifest_path.starts_with(&root))
        .flat_map(|p| &p.targets)
        .filter(|t| t.is_cdylib())
        .map(|t| {
            let stem = t.name.replace('-', "_");
            release.join(format!(
                "{}{stem}{}",
                std::env::consts::DLL_PREFIX,
                std::env::consts::DLL_SUFFIX
            ))
        })
        .filter(|path| path.is_file())
        .collect();
    libraries.sort();
    Ok(libraries)
}

/// When the last release build of `dir`'s libraries was made: `12 min ago
/// (2026-12-05 09:40 UTC)`; None when there is none.
fn last_build(dir: &Path) -> Option<String> {
    let newest = built_libraries(dir)
        .ok()?
        .iter()
        .filter_map(|p| p.metadata().ok()?.modified().ok())
        .max()?;
    let seconds = newest.elapsed().unwrap_or_default().as_secs();
    let ago = match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 2 * 3600 => format!("{} min", s / 60),
        s if s < 2 * 86400 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86400),
    };
    let at = jiff::Timestamp::try_from(newest).ok()?;
    Some(format!("{ago} ago ({})", at.strftime("%Y-%m-%d %H:%M UTC")))
}

/// Whether `path` names a shared library of any platform pybench loads.
pub fn is_shared_library(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("so" | "dylib" | "dll")
    )
}
