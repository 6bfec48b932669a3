//! The project a run starts in. With no PATH, which benchmarks to run:
//! `./benchmarks`, else the paths configured in `Cargo.toml`, else the
//! workspace members that build a `cdylib` and depend on pybench. And where
//! the default baseline file lives: at the workspace root, else at the git
//! work tree's root, else in the start directory — wherever in the project
//! pybench starts, as cargo finds `Cargo.lock`.

use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use super::Scope;
use super::cargo::{self, Metadata, Package, under};
use crate::store::{Project, git};

/// The Cargo.toml key that lists benchmark paths for a whole workspace.
pub const WORKSPACE_KEY: &str = "[workspace.metadata.pybench] paths";
/// The Cargo.toml key that lists the inputs every benchmark reads.
pub const INPUTS_KEY: &str = "[workspace.metadata.pybench] inputs";
/// The Cargo.toml key that lists benchmark paths for one package.
pub const PACKAGE_KEY: &str = "[package.metadata.pybench] paths";

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(
        "nothing to benchmark in {}: no ./benchmarks directory and no Cargo.toml here or above",
        .0.display()
    )]
    NoProject(PathBuf),
    #[error("cannot read the Cargo workspace at {}: {reason}", .dir.display())]
    Metadata { dir: PathBuf, reason: String },
    #[error("{key} in {}: {what}", .manifest.display())]
    BadPaths {
        key: &'static str,
        manifest: PathBuf,
        what: String,
    },
    #[error("{key} in {} names {}, which does not exist", .manifest.display(), .path.display())]
    MissingPath {
        key: &'static str,
        manifest: PathBuf,
        path: PathBuf,
    },
    #[error("{INPUTS_KEY} in {}: {source}", .manifest.display())]
    BadInputs {
        manifest: PathBuf,
        source: crate::settings::InputSpecError,
    },
    #[error(
        "no benchmark crate in the workspace at {}: no member builds a cdylib and depends on pybench",
        .0.display()
    )]
    NoBenchCrates(PathBuf),
}

impl WorkspaceError {
    pub fn hint(&self) -> &'static str {
        match self {
            WorkspaceError::NoProject(_) => {
                "pass a benchmark library, a Cargo package or a directory, or run pybench inside a Cargo workspace"
            }
            WorkspaceError::Metadata { .. } => {
                "fix the Cargo.toml that cargo names, or pass the benchmark paths explicitly"
            }
            WorkspaceError::BadPaths { .. } => {
                "write `paths = [\"benches/solver\"]`: a list of paths relative to that Cargo.toml"
            }
            WorkspaceError::MissingPath { .. } => {
                "fix or remove that entry; each path is relative to the Cargo.toml that lists it"
            }
            WorkspaceError::BadInputs { .. } => {
                "write `inputs = [\"data/train.csv\", \"data/corpus\", \"data/*.parquet\"]`: paths, directories or globs relative to the project root"
            }
            WorkspaceError::NoBenchCrates(_) => {
                "give a benchmark crate `crate-type = [\"cdylib\"]` under [lib] and a dependency on pybench, or list its path in [workspace.metadata.pybench] paths"
            }
        }
    }
}

/// `cargo metadata --no-deps` of the workspace that `dir` is in.
pub fn metadata(dir: &Path) -> Result<Metadata, WorkspaceError> {
    cargo::metadata(dir).map_err(|reason| WorkspaceError::Metadata {
        dir: dir.to_path_buf(),
        reason,
    })
}

/// The warning for a package that has benchmarks pybench cannot load.
pub fn no_cdylib_warning(package: &Package) -> String {
    format!(
        "warning: crate `{}` depends on pybench but builds no cdylib, so pybench cannot load its benchmarks; add `crate-type = [\"cdylib\"]` under [lib] in {}",
        package.name,
        relative_to_cwd(&package.manifest_path).display()
    )
}

/// Packages to build together: a workspace's root (`None` when cargo
/// cannot read it) and, per directory (by its index), the ids of the
/// workspace members a build of it selects.
pub struct BuildGroup {
    pub root: Option<PathBuf>,
    pub members: Vec<(usize, Vec<String>)>,
}

/// Group `dirs` by the Cargo workspace they are in, asking cargo once per
/// workspace: a directory whose packages are members of a workspace
/// already read joins its group.
pub fn group_by_workspace(dirs: &[PathBuf]) -> Vec<BuildGroup> {
    let mut groups: Vec<(Option<Metadata>, BuildGroup)> = Vec::new();
    for (index, dir) in dirs.iter().enumerate() {
        let known = groups.iter_mut().find_map(|(meta, group)| {
            let ids = selected(meta.as_ref()?, dir);
            (!ids.is_empty()).then_some((group, ids))
        });
        if let Some((group, ids)) = known {
            group.members.push((index, ids));
            continue;
        }
        let meta = metadata(dir).ok();
        let group = BuildGroup {
            root: meta.as_ref().map(|m| m.workspace_root.clone()),
            members: vec![(
                index,
                meta.as_ref().map_or(Vec::new(), |m| selected(m, dir)),
            )],
        };
        groups.push((meta, group));
    }
    groups.into_iter().map(|(_, group)| group).collect()
}

/// The ids of the members of `meta` a build of `dir` selects, as cargo
/// would: the package at `dir`, else (a virtual manifest, a directory of
/// crates) every member under it.
fn selected(meta: &Metadata, dir: &Path) -> Vec<String> {
    let inside: Vec<&Package> = meta
        .members()
        .filter(|p| under(&p.manifest_path, dir))
        .collect();
    // Under `dir` and `dir` under it: the package at `dir`.
    let at_dir = inside.iter().find(|p| under(dir, p.dir()));
    match at_dir {
        Some(package) => vec![package.id.clone()],
        None => inside.iter().map(|p| p.id.clone()).collect(),
    }
}

/// What a run with no PATH argument searches, and what it answers for.
pub struct Defaults {
    /// The paths searched, each as the user would name it from the start
    /// directory.
    pub paths: Vec<PathBuf>,
    /// Where a baseline's benchmark must be discovered or be MISSING.
    pub scope: Scope,
}

impl Defaults {
    /// Named paths, which answer for themselves.
    pub fn named(paths: Vec<PathBuf>) -> Defaults {
        Defaults {
            scope: Scope::Paths(paths.clone()),
            paths,
        }
    }
}

/// What a run with no PATH argument searches. Prints on stderr, in one
/// line, what was chosen (unless `./benchmarks`), and a warning for each
/// member that depends on pybench but builds no `cdylib`.
pub fn defaults(verbose: bool, quiet: bool) -> Result<Defaults, WorkspaceError> {
    let benchmarks = PathBuf::from("benchmarks");
    if benchmarks.exists() {
        return Ok(Defaults::named(vec![benchmarks]));
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if !cwd.ancestors().any(|d| d.join("Cargo.toml").is_file()) {
        return Err(WorkspaceError::NoProject(cwd));
    }
    let meta = metadata(&cwd)?;
    if let Some((paths, key)) = configured(&meta)? {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        if !quiet {
            eprintln!("pybench: benchmarking {} (from {key})", shown.join(", "));
        }
        return Ok(Defaults::named(paths));
    }
    Ok(Defaults {
        paths: benchmark_crates(&meta, verbose, quiet)?,
        scope: Scope::Packages(meta.workspace_root.clone()),
    })
}

/// The paths `[workspace.metadata.pybench]` lists, else those every
/// member's `[package.metadata.pybench]` lists; `None` when neither does.
fn configured(meta: &Metadata) -> Result<Option<(Vec<PathBuf>, &'static str)>, WorkspaceError> {
    let manifest = meta.workspace_root.join("Cargo.toml");
    if let Some(paths) = listed(&meta.metadata, WORKSPACE_KEY, &manifest)? {
        return Ok(Some((paths, WORKSPACE_KEY)));
    }
    let mut all = Vec::new();
    let mut any = false;
    for package in meta.members() {
        if let Some(paths) = listed(&package.metadata, PACKAGE_KEY, &package.manifest_path)? {
            any = true;
            all.extend(paths);
        }
    }
    Ok(any.then_some((all, PACKAGE_KEY)))
}

/// `metadata.pybench.paths`, resolved against the manifest's directory.
fn listed(
    metadata: &Value,
    key: &'static str,
    manifest: &Path,
) -> Result<Option<Vec<PathBuf>>, WorkspaceError> {
    let Some(value) = metadata.get("pybench").and_then(|t| t.get("paths")) else {
        return Ok(None);
    };
    let bad = |what: String| WorkspaceError::BadPaths {
        key,
        manifest: relative_to_cwd(manifest),
        what,
    };
    let Some(items) = value.as_array() else {
        return Err(bad(format!("expected a list of paths, found {value}")));
    };
    let base = manifest.parent().unwrap_or(Path::new("."));
    let mut paths = Vec::with_capacity(items.len());
    for item in items {
        let Some(text) = item.as_str().filter(|t| !t.is_empty()) else {
            return Err(bad(format!("expected a path, found {item}")));
        };
        let path = relative_to_cwd(&base.join(text));
        if !path.exists() {
            return Err(WorkspaceError::MissingPath {
                key,
                manifest: relative_to_cwd(manifest),
                path,
            });
        }
        paths.push(path);
    }
    Ok(Some(paths))
}

/// The members that build a `cdylib` and depend on pybench.
fn benchmark_crates(
    meta: &Metadata,
    verbose: bool,
    quiet: bool,
) -> Result<Vec<PathBuf>, WorkspaceError> {
    let mut chosen = Vec::new();
    for package in meta.members() {
        if !package.uses_pybench() {
            if verbose {
                eprintln!(
                    "note: skipped workspace member `{}`: it does not depend on pybench",
                    package.name
                );
            }
        } else if package.builds_cdylib() {
            chosen.push(package);
        } else {
            eprintln!("{}", no_cdylib_warning(package));
        }
    }
    if chosen.is_empty() {
        return Err(WorkspaceError::NoBenchCrates(relative_to_cwd(
            &meta.workspace_root,
        )));
    }
    let names: Vec<&str> = chosen.iter().map(|p| p.name.as_str()).collect();
    if !quiet {
        eprintln!(
            "pybench: benchmarking {} {} (the workspace members that build a cdylib and depend on pybench)",
            if names.len() == 1 { "crate" } else { "crates" },
            names.join(", ")
        );
    }
    Ok(chosen.iter().map(|p| relative_to_cwd(p.dir())).collect())
}

/// The packages at or under `dir` that depend on pybench but build no
/// `cdylib` (empty when cargo cannot say).
pub fn packages_without_cdylib(dir: &Path) -> Vec<Package> {
    let Ok(meta) = metadata(dir) else {
        return Vec::new();
    };
    let Metadata {
        packages,
        workspace_members,
        ..
    } = meta;
    packages
        .into_iter()
        .filter(|p| workspace_members.contains(&p.id) && under(&p.manifest_path, dir))
        .filter(|p| p.uses_pybench() && !p.builds_cdylib())
        .collect()
}

/// The project a command runs in: its root (see the module documentation)
/// found from the start directory. A command asks once and hands the
/// value down.
pub fn find_project() -> Project {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    Project::at(relative_to_cwd(&find_root(&cwd)))
}

/// The inputs every benchmark of the project reads: `[workspace.metadata.pybench]
/// inputs` in the Cargo.toml at the project root, checked by the one
/// validator of `inputs`; none without that key.
pub fn project_inputs(root: &Path) -> Result<Vec<String>, WorkspaceError> {
    let manifest = match root {
        root if root == Path::new(".") => PathBuf::from("Cargo.toml"),
        root => root.join("Cargo.toml"),
    };
    // Most projects configure nothing: only a manifest that mentions
    // pybench is worth a `cargo metadata`.
    let mentions = std::fs::read_to_string(&manifest).is_ok_and(|text| text.contains("pybench"));
    if !mentions {
        return Ok(Vec::new());
    }
    let meta = metadata(root)?;
    let Some(value) = meta.metadata.get("pybench").and_then(|t| t.get("inputs")) else {
        return Ok(Vec::new());
    };
    let bad = |what: String| WorkspaceError::BadPaths {
        key: INPUTS_KEY,
        manifest: relative_to_cwd(&manifest),
        what,
    };
    let items = value
        .as_array()
        .ok_or_else(|| bad(format!("expected a list of paths, found {value}")))?;
    let mut inputs = Vec::with_capacity(items.len());
    for item in items {
        let text = item
            .as_str()
            .ok_or_else(|| bad(format!("expected a path, found {item}")))?;
        inputs.push(text.to_string());
    }
    crate::settings::inputs::validate(&inputs).map_err(|source| WorkspaceError::BadInputs {
        manifest: relative_to_cwd(&manifest),
        source,
    })?;
    Ok(inputs)
}

fn find_root(cwd: &Path) -> PathBuf {
    if cwd.ancestors().any(|d| d.join("Cargo.toml").is_file())
        && let Some(root) = cargo::workspace_root(cwd)
    {
        return root;
    }
    git::work_tree_root(cwd).unwrap_or_else(|| cwd.to_path_buf())
}

/// `path` as seen from the current directory: relative when it shares
/// more than the filesystem root with it, else as it is.
pub fn relative_to_cwd(path: &Path) -> PathBuf {
    let Ok(cwd) = std::env::current_dir() else {
        return path.to_path_buf();
    };
    relative_to(path, &cwd)
}

fn relative_to(path: &Path, base: &Path) -> PathBuf {
    if !path.is_absolute() {
        return path.to_path_buf();
    }
    let ours: Vec<Component> = path.components().collect();
    let theirs: Vec<Component> = base.components().collect();
    let common = ours.iter().zip(&theirs).take_while(|(a, b)| a == b).count();
    // Only the root in common: `../../..` to it says nothing useful.
    if common <= 1 {
        return path.to_path_buf();
    }
    let mut relative: PathBuf = theirs[common..].iter().map(|_| "..").collect();
    relative.extend(&ours[common..]);
    if relative.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        relative
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_to_the_common_ancestor() {
        let rel = |p: &str, b: &str| relative_to(Path::new(p), Path::new(b));
        assert_eq!(rel("/w/repo", "/w/repo"), Path::new("."));
        assert_eq!(rel("/w/repo", "/w/repo/a/b"), Path::new("../.."));
        assert_eq!(rel("/w/repo/x/y", "/w/repo"), Path::new("x/y"));
        assert_eq!(rel("/w/repo/x", "/w/repo/a"), Path::new("../x"));
        assert_eq!(rel("/tmp/x", "/home/u"), Path::new("/tmp/x"));
        assert_eq!(rel("rel/x", "/home/u"), Path::new("rel/x"));
    }

    #[test]
    fn pybench_paths_must_be_a_list_of_strings() {
        let manifest = Path::new("/nowhere/Cargo.toml");
        let value = serde_json::json!({"pybench": {"paths": "benches"}});
        let err = listed(&value, PACKAGE_KEY, manifest).unwrap_err();
        assert!(
            err.to_string().contains("expected a list of paths"),
            "{err}"
        );
        let value = serde_json::json!({"pybench": {"paths": [3]}});
        let err = listed(&value, PACKAGE_KEY, manifest).unwrap_err();
        assert!(
            err.to_string().contains("expected a path, found 3"),
            "{err}"
        );
        assert!(
            listed(&Value::Null, PACKAGE_KEY, manifest)
                .unwrap()
                .is_none()
        );
    }
}
