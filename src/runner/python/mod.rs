//! The Python backend: `bench_*` functions defined in `.py` files, as the
//! Python pybench runs them, listed with `ast` ([`listing`]) and run in
//! pools of fresh interpreters ([`pool`]), each running the worker script
//! shipped in the binary (`worker.py`, through [`process`]). No Python
//! code runs in pybench itself.

mod identity;
pub mod interpreter;
mod listing;
mod loaded;
mod pool;
mod process;
mod run;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde::de::{Deserializer, Visitor};

use super::backend::Benchmark;
use super::backend::{Backend, Outcomes, RunPlan, Source};
use super::discover::{DiscoverError, LibraryFile};
use super::{RunContext, Search, describe};
use crate::settings::DeclaredSettings;
use crate::store::fingerprint::{Environment, PythonEnvironment};
pub use interpreter::{Interpreter, InterpreterError};
pub use process::WORKER_SCRIPT;

/// REV's side of an `--against` run or a bisect probe: the project's
/// directory in REV's kept checkout, and how REV is named.
#[derive(Clone, Debug)]
pub struct PythonRevision {
    pub tree: PathBuf,
    pub label: String,
}

/// Python benchmark files run by one interpreter.
#[derive(Clone)]
pub struct Python {
    pub interpreter: Interpreter,
    /// Put first on `sys.path`: the `pythonpath` setting's directories,
    /// and for REV's side its checkout's root and `src/`.
    pub paths: Vec<PathBuf>,
    pub verbose: bool,
    /// `--timeout`: also the limit on importing a file to list it.
    pub timeout: Option<f64>,
    /// The project's root (canonical).
    pub project: PathBuf,
    /// This side's copy of the project (canonical): the project root, or
    /// its directory in REV's checkout. Its files that a benchmark
    /// imported are its code identity.
    tree: PathBuf,
    /// REV's label on REV's side.
    revision: Option<String>,
    /// Workers kept between runs of a file.
    pools: Arc<pool::Pools>,
    /// The interpreter's version, once a worker said it.
    version: Arc<OnceLock<String>>,
    /// What each file's workers loaded.
    loaded: Arc<Mutex<BTreeMap<PathBuf, loaded::Loaded>>>,
    /// Files that failed to import in this run, with why: their other
    /// benchmarks fail at once, without another import.
    failed_imports: Arc<Mutex<BTreeMap<PathBuf, String>>>,
}

impl Python {
    /// The backend for a search: its interpreter chosen (and, under `-v`,
    /// printed).
    pub fn for_search(search: &Search) -> Result<Python, InterpreterError> {
        let env = |name: &str| std::env::var(name).ok();
        let root = &search.project;
        let config = interpreter::project_config(root)?;
        let interpreter = interpreter::choose(&interpreter::Choice {
            flag: search.python.as_deref(),
            configured: config.python,
            env: &env,
            project_root: root,
        })?;
        if search.verbose {
            eprintln!(
                "pybench: Python interpreter {} (from {})",
                interpreter.path.display(),
                interpreter.chosen_by
            );
        }
        let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let project = canonical(root);
        let revision = search.python_revision.as_ref();
        let tree = revision.map_or_else(|| project.clone(), |r| canonical(&r.tree));
        Ok(Python {
            interpreter,
            paths: sys_path(&tree, &config.pythonpath, revision.is_some()),
            verbose: search.verbose,
            timeout: search.timeout,
            project,
            tree,
            revision: revision.map(|r| r.label.clone()),
            pools: Arc::default(),
            version: Arc::default(),
            loaded: Arc::default(),
            failed_imports: Arc::default(),
        })
    }

    /// What a worker reports its modules from: this side's tree and the
    /// project root.
    fn roots(&self) -> Vec<&Path> {
        let mut roots = vec![self.tree.as_path()];
        if self.project != self.tree {
            roots.push(&self.project);
        }
        roots
    }

    /// Why `file` failed to import earlier in this run, if it did.
    fn import_failure(&self, file: &Path) -> Option<String> {
        let failed = self
            .failed_imports
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        failed.get(file).cloned()
    }

    fn remember_import_failure(&self, file: &Path, message: &str) {
        let mut failed = self
            .failed_imports
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        failed.insert(file.to_path_buf(), message.to_string());
    }

    /// Record worker `index`'s added environment for `file`'s workers.
    fn record_env(&self, file: &Path, index: usize, env: &[(String, String)]) {
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        let envs = &mut loaded.entry(file.to_path_buf()).or_default().worker_envs;
        envs.resize(envs.len().max(index + 1), Vec::new());
        envs[index] = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    }

    /// Take a worker's report of what `file` loaded; warn in one line
    /// about each project package that came from outside this side's
    /// tree, through `say`.
    fn record_loaded(
        &self,
        say: &dyn Fn(&str),
        file: &Path,
        named: &Path,
        report: &serde_json::Value,
    ) {
        let mut all = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        let loaded = all.entry(file.to_path_buf()).or_default();
        if !loaded.merge(report) {
            return;
        }
        let dirs = package_dirs(&self.tree, &self.paths);
        let working = self.revision.as_ref().map(|_| self.project.as_path());
        for (package, from) in loaded.strays(&self.tree, &dirs, working) {
            let side = match &self.revision {
                Some(label) => format!("at {label}, "),
                None => String::new(),
            };
            let home = match &self.revision {
                Some(label) => format!("{label}'s checkout"),
                None => "the project".into(),
            };
            say(&format!(
                "warning: {side}{} imported `{package}` from {}, not from {home}: set `pythonpath` under [tool.pybench], or check which copy the environment installs",
                named.display(),
                from.display()
            ));
        }
    }
}

/// What a side's workers put first on `sys.path`: the `pythonpath`
/// directories of its tree, and for REV's side the checkout's root and
/// its `src/`, so that REV's own package is imported there rather than an
/// editable install of the working tree.
fn sys_path(tree: &Path, pythonpath: &[PathBuf], revision: bool) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = pythonpath.iter().map(|dir| tree.join(dir)).collect();
    if revision {
        paths.push(tree.to_path_buf());
        let src = tree.join("src");
        if src.is_dir() {
            paths.push(src);
        }
    }
    paths
}

/// Where a side's own packages live: its tree's root, `src/`, and the
/// directories put on `sys.path`.
fn package_dirs(tree: &Path, paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs = vec![tree.to_path_buf(), tree.join("src")];
    dirs.extend(paths.iter().cloned());
    dirs
}

impl Python {
    /// The Python backend of `bench` (each side of an `--against` run has
    /// its own, with its own `sys.path`).
    fn of(bench: &Benchmark) -> &Python {
        bench
            .source
            .backend
            .as_any()
            .downcast_ref::<Python>()
            .expect("run_sides gives a backend only sides of its own kind")
    }

    /// The environment of worker `index` of `workers`: each variable is
    /// set only when the user has not set it.
    pub fn worker_env(&self, workers: usize, index: usize) -> Vec<(String, String)> {
        worker_environment(&|name| std::env::var(name).ok(), cores(), workers, index)
    }

    /// Under `-v`, worker `index`'s added environment, through `say`.
    pub(super) fn print_environment(
        &self,
        say: &dyn Fn(&str),
        env: &[(String, String)],
        index: usize,
        workers: usize,
    ) {
        if self.verbose {
            let shown: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
            say(&format!(
                "pybench: Python worker {}/{workers} environment: {}",
                index + 1,
                shown.join(" ")
            ));
        }
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// What a worker gets added to its environment (see the module docs of
/// the README's Python section): thread counts split between workers,
/// unbuffered output, GPU memory shared, CUDA devices spread, and its
/// number.
pub fn worker_environment(
    env: &dyn Fn(&str) -> Option<String>,
    cores: usize,
    workers: usize,
    index: usize,
) -> Vec<(String, String)> {
    let mut set = Vec::new();
    let mut default = |name: &str, value: String| {
        if env(name).is_none() {
            set.push((name.to_string(), value));
        }
    };
    let threads = (cores / workers.max(1)).max(1).to_string();
    for name in ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"] {
        default(name, threads.clone());
    }
    default("PYTHONUNBUFFERED", "1".into());
    if workers > 1 {
        default("XLA_PYTHON_CLIENT_PREALLOCATE", "false".into());
        default("TF_FORCE_GPU_ALLOW_GROWTH", "true".into());
    }
    if let Some(devices) = env("CUDA_VISIBLE_DEVICES") {
        let list: Vec<&str> = devices.split(',').map(str::trim).collect();
        if list.len() >= 2 {
            set.push((
                "CUDA_VISIBLE_DEVICES".into(),
                list[index % list.len()].to_string(),
            ));
        }
    }
    set.push(("PYBENCH_WORKER".into(), index.to_string()));
    set.push(("PYBENCH_WORKERS".into(), workers.to_string()));
    set
}

impl Backend for Python {
    fn kind(&self) -> &'static str {
        "Python file"
    }

    fn list(
        &self,
        context: &RunContext,
        files: &[LibraryFile],
        _search: &Search,
    ) -> Result<Vec<Benchmark>, DiscoverError> {
        let backend: Arc<dyn Backend> = Arc::new(self.clone());
        listing::list(
            context,
            self,
            &backend,
            files,
            describe::limit(self.timeout),
        )
    }

    fn run(&self, sides: &[&Benchmark], seeds: &[u64], plan: &RunPlan) -> Outcomes {
        run::run(sides, seeds, plan)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    /// The code identity: the file, the files of this side's tree that
    /// its workers imported, and the interpreter; with the interpreter's
    /// version, each worker's environment and the frameworks imported.
    fn environment(&self, source: &Source) -> Environment {
        let version = self.version.get().cloned().unwrap_or_default();
        let loaded = self
            .loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&source.path)
            .cloned()
            .unwrap_or_default();
        let imported = loaded.own_files(&self.tree);
        let hash = identity::code_hash(&source.path, &imported, &self.interpreter.path, &version);
        let mut worker_envs = loaded.worker_envs;
        let first = if worker_envs.is_empty() {
            Vec::new()
        } else {
            worker_envs.remove(0)
        };
        let python = PythonEnvironment {
            version,
            interpreter: self.interpreter.path.display().to_string(),
            worker_env: first,
            other_workers_env: worker_envs,
            frameworks: loaded.frameworks,
        };
        Environment::of_code(hash, None, Some(python))
    }
}

/// The settings a benchmark may declare, as named in a companion's JSON
/// (and so as keyword defaults of a Python benchmark): every field of
/// [`DeclaredSettings`] but `abi`, read from its `Deserialize`, so that a
/// new setting needs no change here.
pub fn settings_keys() -> Vec<&'static str> {
    struct Fields(&'static [&'static str]);
    impl<'de> Deserializer<'de> for &mut Fields {
        type Error = serde::de::value::Error;
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = fields;
            Err(serde::de::Error::custom("fields read"))
        }
        fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("not a struct"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
    let mut fields = Fields(&[]);
    let _ = <DeclaredSettings as serde::Deserialize>::deserialize(&mut fields);
    fields.0.iter().copied().filter(|f| *f != "abi").collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_keys_are_the_companions() {
        let keys = settings_keys();
        for key in [
            "n_seeds",
            "alpha",
            "min_effect",
            "workers",
            "timeout",
            "adaptive",
            "looks",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
        assert!(!keys.contains(&"abi"));
    }

    #[test]
    fn worker_environment_splits_threads_and_devices() {
        let user = |name: &str| match name {
            "CUDA_VISIBLE_DEVICES" => Some("0,1,2".to_string()),
            "MKL_NUM_THREADS" => Some("7".to_string()),
            _ => None,
        };
        let env = worker_environment(&user, 8, 3, 4);
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("OMP_NUM_THREADS"), Some("2"));
        assert_eq!(get("MKL_NUM_THREADS"), None, "the user's value stays");
        assert_eq!(get("CUDA_VISIBLE_DEVICES"), Some("1"));
        assert_eq!(get("XLA_PYTHON_CLIENT_PREALLOCATE"), Some("false"));
        assert_eq!(
            (get("PYBENCH_WORKER"), get("PYBENCH_WORKERS")),
            (Some("4"), Some("3"))
        );
        let single = worker_environment(&|_| None, 1, 1, 0);
        assert!(single.iter().all(|(k, _)| k != "TF_FORCE_GPU_ALLOW_GROWTH"));
        assert!(single.contains(&("OMP_NUM_THREADS".into(), "1".into())));
    }
}
