//! Which Python runs the benchmark files. The wrong environment is the
//! usual cause of a `ModuleNotFoundError`, so the choice follows the
//! places a user has already said which one they mean, most explicit
//! first, and `-v` prints it.

use std::path::{Path, PathBuf};

/// The environment variable that names the interpreter.
pub const ENV_VAR: &str = "PYBENCH_PYTHON";

/// The chosen interpreter and what chose it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interpreter {
    pub path: PathBuf,
    /// `--python`, `PYBENCH_PYTHON`, `$VIRTUAL_ENV`, … (for `-v`).
    pub chosen_by: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InterpreterError {
    #[error("no Python interpreter found for the Python benchmarks")]
    NotFound,
    #[error("{chosen_by} names {}, which is not a file", .path.display())]
    Missing { path: PathBuf, chosen_by: String },
    #[error("cannot read [tool.pybench] {key} in {}: {reason}", .path.display())]
    Config {
        path: PathBuf,
        key: &'static str,
        reason: String,
    },
}

impl InterpreterError {
    pub fn hint(&self) -> &'static str {
        match self {
            InterpreterError::NotFound => {
                "pass --python PATH or set PYBENCH_PYTHON (or `python` in [tool.pybench] of pyproject.toml), activate a virtual or conda environment, create .venv at the project root, or put python3 on PATH"
            }
            InterpreterError::Missing { .. } => "name an existing Python interpreter",
            InterpreterError::Config {
                key: "pythonpath", ..
            } => {
                "write `pythonpath = [\"python\"]` under [tool.pybench]: directories inside the project, relative to its root"
            }
            InterpreterError::Config { .. } => {
                "write `python = \"PATH\"` under [tool.pybench], a string (relative to the project root)"
            }
        }
    }
}

/// What the choice reads: the flag, the configured path, the environment
/// variables and the project root.
pub struct Choice<'a> {
    pub flag: Option<&'a Path>,
    pub configured: Option<PathBuf>,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub project_root: &'a Path,
}

/// The interpreter, in this order: `--python`, `PYBENCH_PYTHON`, the
/// project's `python` setting; the active virtual environment, else the
/// active conda environment unless it is conda's base; `.venv` at the
/// project root; `python3` on `PATH`.
pub fn choose(choice: &Choice) -> Result<Interpreter, InterpreterError> {
    let env = choice.env;
    let named = [
        (choice.flag.map(Path::to_path_buf), "--python"),
        (env(ENV_VAR).map(PathBuf::from), ENV_VAR),
        (choice.configured.clone(), "`python` in [tool.pybench]"),
    ];
    for (path, chosen_by) in named {
        if let Some(path) = path.filter(|p| !p.as_os_str().is_empty()) {
            return named_interpreter(path, chosen_by);
        }
    }
    let conda = env("CONDA_PREFIX").filter(|_| env("CONDA_DEFAULT_ENV").as_deref() != Some("base"));
    let environments = [
        (env("VIRTUAL_ENV"), "$VIRTUAL_ENV"),
        (conda, "$CONDA_PREFIX"),
    ];
    for (prefix, chosen_by) in environments {
        if let Some(prefix) = prefix.filter(|p| !p.is_empty()) {
            let path = Path::new(&prefix).join("bin").join("python");
            if path.is_file() {
                return Ok(Interpreter {
                    path,
                    chosen_by: chosen_by.into(),
                });
            }
        }
    }
    let venv = choice.project_root.join(".venv").join("bin").join("python");
    if venv.is_file() {
        return Ok(Interpreter {
            path: venv,
            chosen_by: ".venv at the project root".into(),
        });
    }
    on_path(env("PATH").as_deref().unwrap_or(""), "python3")
        .map(|path| Interpreter {
            path,
            chosen_by: "python3 on PATH".into(),
        })
        .ok_or(InterpreterError::NotFound)
}

/// A path the user gave: a bare name is looked up on `PATH`.
fn named_interpreter(path: PathBuf, chosen_by: &str) -> Result<Interpreter, InterpreterError> {
    let found = if path.components().count() == 1 && !path.is_file() {
        std::env::var("PATH")
            .ok()
            .and_then(|dirs| on_path(&dirs, &path.to_string_lossy()))
    } else {
        Some(path.clone()).filter(|p| p.is_file())
    };
    found
        .map(|path| Interpreter {
            path,
            chosen_by: chosen_by.into(),
        })
        .ok_or(InterpreterError::Missing {
            path,
            chosen_by: chosen_by.into(),
        })
}

/// The project's Python settings: `[tool.pybench]` in its
/// `pyproject.toml`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectConfig {
    /// `python = "…"`, joined to the project root.
    pub python: Option<PathBuf>,
    /// `pythonpath = ["python"]`: directories put first on `sys.path` on
    /// both sides of `--against` (maturin's `python/` layout), relative
    /// to the project root (or to REV's copy of it).
    pub pythonpath: Vec<PathBuf>,
}

/// `[tool.pybench]` of `root`'s `pyproject.toml`, each key checked here;
/// empty without one.
pub fn project_config(root: &Path) -> Result<ProjectConfig, InterpreterError> {
    let path = root.join("pyproject.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(ProjectConfig::default());
    };
    let failed = |key: &'static str, reason: String| InterpreterError::Config {
        path: path.clone(),
        key,
        reason,
    };
    let document: toml_edit::DocumentMut =
        text.parse().map_err(|e| failed("table", format!("{e}")))?;
    let table = document.get("tool").and_then(|t| t.get("pybench"));
    let python = match table.and_then(|t| t.get("python")) {
        None => None,
        Some(value) => {
            let python = value
                .as_str()
                .ok_or_else(|| failed("python", "it is not a string".into()))?;
            Some(root.join(python))
        }
    };
    let pythonpath = match table.and_then(|t| t.get("pythonpath")) {
        None => Vec::new(),
        Some(value) => pythonpath(value).map_err(|reason| failed("pythonpath", reason))?,
    };
    Ok(ProjectConfig { python, pythonpath })
}

/// `pythonpath`: a list of relative directories that stay inside the
/// project (REV's copy of it has the same layout).
fn pythonpath(value: &toml_edit::Item) -> Result<Vec<PathBuf>, String> {
    let list = value.as_array().ok_or("it is not a list of directories")?;
    list.iter()
        .enumerate()
        .map(|(at, entry)| {
            let text = entry
                .as_str()
                .ok_or_else(|| format!("entry {} is not a string", at + 1))?;
            let dir = PathBuf::from(text);
            let inside = dir.components().all(|c| {
                matches!(
                    c,
                    std::path::Component::Normal(_) | std::path::Component::CurDir
                )
            });
            if text.is_empty() || text.chars().any(char::is_control) || !inside {
                return Err(format!("{text:?} is not a directory inside the project"));
            }
            Ok(dir)
        })
        .collect()
}

/// The first executable file `name` in the `PATH` list `dirs`.
fn on_path(dirs: &str, name: &str) -> Option<PathBuf> {
    std::env::split_paths(dirs)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn executable(dir: &Path, relative: &str) -> PathBuf {
        let path = dir.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        path
    }

    #[test]
    fn each_place_wins_over_the_ones_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let path_python = executable(root, "bin/python3");
        let project_venv = executable(root, "project/.venv/bin/python");
        let conda = executable(root, "conda/bin/python");
        let venv = executable(root, "venv/bin/python");
        let pinned = executable(root, "pinned/python");
        let vars: Vec<(&str, String)> = vec![
            ("PATH", root.join("bin").display().to_string()),
            ("CONDA_PREFIX", root.join("conda").display().to_string()),
            ("VIRTUAL_ENV", root.join("venv").display().to_string()),
            (ENV_VAR, pinned.display().to_string()),
        ];
        let project = root.join("project");
        let mut expected = vec![
            (pinned, ENV_VAR),
            (venv, "$VIRTUAL_ENV"),
            (conda, "$CONDA_PREFIX"),
            (project_venv, ".venv at the project root"),
            (path_python, "python3 on PATH"),
        ];
        for dropped in (0..=vars.len()).rev() {
            let set = &vars[..dropped];
            let env = |name: &str| set.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
            let choice = Choice {
                flag: None,
                configured: None,
                env: &env,
                project_root: &project,
            };
            if dropped == 1 {
                // Only PATH is left: the project's .venv goes first.
                let (path, by) = expected.remove(expected.len() - 2);
                assert_eq!(
                    choose(&choice).unwrap(),
                    Interpreter {
                        path,
                        chosen_by: by.into()
                    }
                );
                std::fs::remove_dir_all(project.join(".venv")).unwrap();
            }
            if dropped == 0 {
                assert!(matches!(choose(&choice), Err(InterpreterError::NotFound)));
                continue;
            }
            let (path, by) = expected.remove(0);
            assert_eq!(
                choose(&choice).unwrap(),
                Interpreter {
                    path,
                    chosen_by: by.into()
                }
            );
        }
    }

    #[test]
    fn pyproject_names_the_interpreter_and_the_pythonpath() {
        let dir = tempfile::tempdir().unwrap();
        let read = || project_config(dir.path());
        assert_eq!(read().unwrap(), ProjectConfig::default());
        let toml = dir.path().join("pyproject.toml");
        std::fs::write(&toml, "[project]\nname = \"x\"\n").unwrap();
        assert_eq!(read().unwrap(), ProjectConfig::default());
        std::fs::write(
            &toml,
            "[tool.pybench]\npython = \"envs/x/bin/python\"\npythonpath = [\"python\", \"./lib\"]\n",
        )
        .unwrap();
        assert_eq!(
            read().unwrap(),
            ProjectConfig {
                python: Some(dir.path().join("envs/x/bin/python")),
                pythonpath: vec!["python".into(), "./lib".into()],
            }
        );
        for (text, reason) in [
            ("python = 3", "python in {}: it is not a string"),
            (
                "pythonpath = \"python\"",
                "pythonpath in {}: it is not a list of directories",
            ),
            (
                "pythonpath = [\"a\", 1]",
                "pythonpath in {}: entry 2 is not a string",
            ),
            (
                "pythonpath = [\"../x\"]",
                "pythonpath in {}: \"../x\" is not a directory inside the project",
            ),
            (
                "pythonpath = [\"/abs\"]",
                "pythonpath in {}: \"/abs\" is not a directory inside the project",
            ),
        ] {
            std::fs::write(&toml, format!("[tool.pybench]\n{text}\n")).unwrap();
            let expected = format!(
                "cannot read [tool.pybench] {}",
                reason.replace("{}", &toml.display().to_string())
            );
            assert_eq!(read().unwrap_err().to_string(), expected, "{text}");
        }
    }

    #[test]
    fn conda_base_is_passed_over_and_a_missing_flag_path_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        executable(dir.path(), "conda/bin/python");
        let prefix = dir.path().join("conda").display().to_string();
        let env = |name: &str| match name {
            "CONDA_PREFIX" => Some(prefix.clone()),
            "CONDA_DEFAULT_ENV" => Some("base".to_string()),
            _ => None,
        };
        let mut choice = Choice {
            flag: None,
            configured: None,
            env: &env,
            project_root: dir.path(),
        };
        assert!(matches!(choose(&choice), Err(InterpreterError::NotFound)));
        let missing = dir.path().join("nope/python");
        choice.flag = Some(&missing);
        let err = choose(&choice).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("--python names {}, which is not a file", missing.display())
        );
    }
}
