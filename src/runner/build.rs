//! Cargo integration: build a benchmark package and take its `cdylib`
//! artifacts from cargo's own messages, never by guessing paths.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde::Deserialize;

use super::{cargo, workspace};

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
    package_id: Option<String>,
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
    let manifest = dir.join("Cargo.toml");
    let artifacts = run_build(dir, &manifest, &[], target_dir, quiet)?;
    let mut libraries: Vec<PathBuf> = artifacts
        .into_iter()
        .filter(|a| {
            a.manifest_path
                .as_ref()
                .is_some_and(|m| cargo::under(m, dir))
        })
        .flat_map(|a| a.filenames)
        .collect();
    libraries.sort();
    libraries.dedup();
    Ok(libraries)
}

/// Build the packages at `dirs` with one `cargo build` per workspace, each
/// package selected with `-p`: a workspace of a hundred members is one
/// cargo run, not a hundred. Each directory's `cdylib` files, in order.
pub fn build_packages(
    dirs: &[PathBuf],
    target_dir: Option<&Path>,
    quiet: bool,
) -> Result<Vec<Vec<PathBuf>>, BuildError> {
    if let [dir] = dirs {
        return Ok(vec![build_package(dir, target_dir, quiet)?]);
    }
    let mut out = vec![Vec::new(); dirs.len()];
    for group in workspace::group_by_workspace(dirs) {
        let Some(root) = group.root else {
            // Cargo cannot read it: build it alone, so its errors show.
            for (index, _) in group.members {
                out[index] = build_package(&dirs[index], target_dir, quiet)?;
            }
            continue;
        };
        let ids: Vec<&str> = group
            .members
            .iter()
            .flat_map(|(_, ids)| ids.iter().map(String::as_str))
            .collect();
        let mut ids = ids;
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            continue;
        }
        let artifacts = run_build(&root, &root.join("Cargo.toml"), &ids, target_dir, quiet)?;
        for (index, own) in &group.members {
            let mut libraries: Vec<PathBuf> = artifacts
                .iter()
                .filter(|a| a.package_id.as_ref().is_some_and(|id| own.contains(id)))
                .flat_map(|a| a.filenames.iter().cloned())
                .collect();
            libraries.sort();
            libraries.dedup();
            out[*index] = libraries;
        }
    }
    Ok(out)
}

/// A `cdylib` that cargo built: its package and shared library files.
struct Artifact {
    package_id: Option<String>,
    manifest_path: Option<PathBuf>,
    filenames: Vec<PathBuf>,
}

/// Run `cargo build --release` for `manifest` (with `-p` for each of
/// `packages`, none for its default), saying so on stderr without a
/// terminal unless `quiet` (`-q`); every `cdylib` artifact cargo reports.
fn run_build(
    dir: &Path,
    manifest: &Path,
    packages: &[&str],
    target_dir: Option<&Path>,
    quiet: bool,
) -> Result<Vec<Artifact>, BuildError> {
    let started = std::time::Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let mut command = cargo::command();
    if let Some(target_dir) = target_dir {
        command.env("CARGO_TARGET_DIR", target_dir);
    }
    command.args([
        "build",
        "--release",
        "--message-format=json-render-diagnostics",
    ]);
    for package in packages {
        command.args(["-p", package]);
    }
    let shown = workspace::relative_to_cwd(dir).display().to_string();
    let what = match packages.len() {
        0 | 1 => shown,
        n => format!("{n} packages of {shown}"),
    };
    if !terminal || quiet {
        command.arg("--quiet");
    }
    if !terminal && !quiet {
        eprintln!("building {what} (cargo build --release)");
    }
    let mut child = command
        .arg("--manifest-path")
        .arg(manifest)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|source| BuildError::Spawn {
            dir: dir.to_path_buf(),
            source,
        })?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut artifacts = Vec::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.map_err(|e| BuildError::Output {
            dir: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
        let Ok(message) = serde_json::from_str::<Message>(&line) else {
            continue;
        };
        let is_cdylib = message
            .target
            .as_ref()
            .is_some_and(|t| t.kind.iter().any(|k| k == "cdylib"));
        if message.reason == "compiler-artifact" && is_cdylib {
            artifacts.push(Artifact {
                package_id: message.package_id,
                manifest_path: message.manifest_path,
                filenames: message
                    .filenames
                    .into_iter()
                    .filter(|f| is_shared_library(f))
                    .collect(),
            });
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
        eprintln!("built {what} in {:.1}s", started.elapsed().as_secs_f64());
    }
    Ok(artifacts)
}

/// The `cdylib` files a previous `cargo build --release` left for the
/// package at `dir`, located through `cargo metadata` (no build).
pub fn built_libraries(dir: &Path) -> Result<Vec<PathBuf>, BuildError> {
    let meta = workspace::metadata(dir).map_err(|e| BuildError::Output {
        dir: dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    let release = meta.target_directory.join("release");
    let mut libraries: Vec<PathBuf> = meta
        .members()
        .filter(|p| cargo::under(&p.manifest_path, dir))
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
