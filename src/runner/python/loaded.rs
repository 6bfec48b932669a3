//! What a benchmark file's workers loaded, as each says after its first
//! seed: the module files under the project, where each top-level package
//! came from, and the versions of the frameworks already imported. From it
//! come the code identity (the files imported from this side's tree), the
//! fingerprint's framework versions, and a warning when a project package
//! was loaded from outside this side's tree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One worker's report.
#[derive(Deserialize, Default)]
struct Report {
    #[serde(default)]
    files: Vec<PathBuf>,
    #[serde(default)]
    packages: BTreeMap<String, PathBuf>,
    #[serde(default)]
    frameworks: BTreeMap<String, String>,
}

/// What the workers of one file loaded, all reports merged.
#[derive(Clone, Default)]
pub(super) struct Loaded {
    /// Module files under the project root (and REV's checkout).
    pub files: BTreeSet<PathBuf>,
    /// Top-level package → the file it was loaded from.
    pub packages: BTreeMap<String, PathBuf>,
    pub frameworks: BTreeMap<String, String>,
    /// Each worker's added environment (`NAME=value`), worker 0 first.
    pub worker_envs: Vec<Vec<String>>,
    /// Packages already warned about.
    warned: BTreeSet<String>,
}

impl Loaded {
    /// Merge a worker's `loaded` reply; false when it is not one.
    pub fn merge(&mut self, report: &serde_json::Value) -> bool {
        let Ok(report) = Report::deserialize(report) else {
            return false;
        };
        self.files.extend(report.files);
        self.packages.extend(report.packages);
        self.frameworks.extend(report.frameworks);
        true
    }

    /// The loaded files that are this side's code: under `tree`, outside
    /// hidden directories, bytecode caches and installed packages.
    pub fn own_files(&self, tree: &Path) -> Vec<PathBuf> {
        self.files
            .iter()
            .filter(|file| is_source_under(file, tree))
            .cloned()
            .collect()
    }

    /// Project packages loaded from outside `tree` that were not yet
    /// warned about: a package is the project's when `tree` holds one of
    /// its name (at its root, in `src/` or in a `pythonpath` directory),
    /// or, for REV's side, when it was loaded from the working tree at
    /// `project`.
    pub fn strays(
        &mut self,
        tree: &Path,
        dirs: &[PathBuf],
        project: Option<&Path>,
    ) -> Vec<(String, PathBuf)> {
        let mut found = Vec::new();
        for (name, file) in &self.packages {
            if file.starts_with(tree) || self.warned.contains(name) {
                continue;
            }
            let in_tree = dirs.iter().any(|dir| {
                dir.join(name).join("__init__.py").is_file()
                    || dir.join(format!("{name}.py")).is_file()
            });
            let from_working_tree = project.is_some_and(|p| is_source_under(file, p));
            if in_tree || from_working_tree {
                found.push((name.clone(), file.clone()));
            }
        }
        for (name, _) in &found {
            self.warned.insert(name.clone());
        }
        found
    }
}

/// Whether `file` lies under `root` outside any hidden directory, bytecode
/// cache, installed packages or virtual environment.
fn is_source_under(file: &Path, root: &Path) -> bool {
    let Ok(relative) = file.strip_prefix(root) else {
        return false;
    };
    let mut dir = root.to_path_buf();
    let mut parts: Vec<_> = relative.components().collect();
    parts.pop();
    for part in parts {
        let name = part.as_os_str().to_string_lossy();
        if name.starts_with('.')
            || ["__pycache__", "site-packages", "dist-packages"].contains(&name.as_ref())
        {
            return false;
        }
        dir.push(part);
        if dir.join("pyvenv.cfg").is_file() {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_files_leave_out_environments_and_hidden_directories() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        std::fs::create_dir_all(root.join("env/lib")).unwrap();
        std::fs::write(root.join("env/pyvenv.cfg"), "").unwrap();
        let mut loaded = Loaded::default();
        for file in [
            "pkg/model.py",
            "env/lib/numpy.py",
            ".venv/lib/site-packages/x.py",
            "build/lib/site-packages/y.py",
        ] {
            loaded.files.insert(root.join(file));
        }
        loaded.files.insert(PathBuf::from("/elsewhere/pkg.py"));
        assert_eq!(loaded.own_files(root), vec![root.join("pkg/model.py")]);
    }

    #[test]
    fn a_project_package_from_elsewhere_is_a_stray_once() {
        let tree = tempfile::tempdir().unwrap();
        let tree = tree.path();
        std::fs::create_dir_all(tree.join("src/pkg")).unwrap();
        std::fs::write(tree.join("src/pkg/__init__.py"), "").unwrap();
        let mut loaded = Loaded::default();
        let installed = PathBuf::from("/site/pkg/__init__.py");
        loaded.packages.insert("pkg".into(), installed.clone());
        loaded
            .packages
            .insert("json".into(), "/usr/lib/json/__init__.py".into());
        loaded
            .packages
            .insert("bench_a".into(), tree.join("bench_a.py"));
        let dirs = [tree.to_path_buf(), tree.join("src")];
        assert_eq!(
            loaded.strays(tree, &dirs, None),
            vec![("pkg".to_string(), installed)]
        );
        assert!(loaded.strays(tree, &dirs, None).is_empty(), "warned once");
    }
}
