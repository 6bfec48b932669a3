//! What cargo says about a workspace: `cargo metadata` and
//! `cargo locate-project`, run by the cargo that runs pybench.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;
use serde_json::Value;

/// The cargo that runs pybench (`cargo pybench`), else the one on the PATH.
pub fn command() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// What `cargo metadata --no-deps` says about a workspace.
#[derive(Debug, Deserialize)]
pub struct Metadata {
    pub workspace_root: PathBuf,
    pub target_directory: PathBuf,
    pub packages: Vec<Package>,
    pub workspace_members: Vec<String>,
    /// `[workspace.metadata]`.
    #[serde(default)]
    pub metadata: Value,
}

#[derive(Debug, Deserialize)]
pub struct Package {
    pub id: String,
    pub name: String,
    pub manifest_path: PathBuf,
    pub targets: Vec<Target>,
    #[serde(default)]
    pub dependencies: Vec<Dependency>,
    /// `[package.metadata]`.
    #[serde(default)]
    pub metadata: Value,
}

#[derive(Debug, Deserialize)]
pub struct Target {
    pub name: String,
    pub kind: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Dependency {
    /// The package depended on (whatever it is renamed to locally).
    pub name: String,
    /// `None` for a normal dependency, else "dev" or "build".
    #[serde(default)]
    pub kind: Option<String>,
}

impl Target {
    pub fn is_cdylib(&self) -> bool {
        self.kind.iter().any(|k| k == "cdylib")
    }
}

impl Package {
    pub fn builds_cdylib(&self) -> bool {
        self.targets.iter().any(Target::is_cdylib)
    }

    /// Whether the library depends on the authoring crate (package `pybench`).
    pub fn uses_pybench(&self) -> bool {
        self.dependencies
            .iter()
            .any(|d| d.name == "pybench" && d.kind.is_none())
    }

    pub fn dir(&self) -> &Path {
        self.manifest_path.parent().unwrap_or(Path::new("."))
    }
}

impl Metadata {
    /// The workspace's own packages, by name.
    pub fn members(&self) -> impl Iterator<Item = &Package> {
        let mut members: Vec<&Package> = self
            .packages
            .iter()
            .filter(|p| self.workspace_members.contains(&p.id))
            .collect();
        members.sort_by(|a, b| a.name.cmp(&b.name));
        members.into_iter()
    }
}

/// `cargo metadata --no-deps` of the workspace that `dir` is in, or why
/// cargo could not say.
pub fn metadata(dir: &Path) -> Result<Metadata, String> {
    let output = command()
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(cargo_error(&String::from_utf8_lossy(&output.stderr)));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())
}

/// Cargo's own error, from its first `error:` line to the end, on one line:
/// what is wrong and where, and cargo's advice (a nested crate's "believes
/// it's in a workspace when it's not" names both manifests and the fix).
fn cargo_error(stderr: &str) -> String {
    let Some(start) = stderr.find("error: ") else {
        return "cargo metadata failed".into();
    };
    let text = &stderr[start + "error: ".len()..];
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether the manifest cargo names is at or under `dir`: as cargo names it
/// (a workspace member that is a symlink to a crate elsewhere) or resolved
/// (a package named through a symlinked parent).
pub fn under(manifest: &Path, dir: &Path) -> bool {
    let resolved = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let named = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    manifest.starts_with(&named) || resolved(manifest).starts_with(resolved(dir))
}

/// The root of the Cargo workspace `cwd` is in, as cargo finds it.
pub fn workspace_root(cwd: &Path) -> Option<PathBuf> {
    let output = command()
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let manifest = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    manifest.parent().map(Path::to_path_buf)
}
