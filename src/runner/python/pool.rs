//! The workers of one Python benchmark file: up to `workers` fresh
//! interpreters, each importing the file once, then serving seeds. A pool
//! is kept between runs — the file's other benchmarks and an adaptive
//! check's later looks reuse it, import and all — and ended when the run
//! is over, or at once when one of its workers failed.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Instant;

use super::Python;
use super::process::{Line, Spawned};
use crate::runner::call::RunError;

/// What a worker is doing.
pub(super) enum State {
    Importing,
    Idle,
    Busy {
        index: usize,
        started: Instant,
        dump_asked: Option<Instant>,
    },
}

pub(super) struct Worker {
    pub(super) process: Spawned,
    pub(super) state: State,
}

/// Which workers can serve a run: same file, same `sys.path`, same count
/// (the count sets each worker's thread limits).
#[derive(Clone, PartialEq, Eq)]
struct Key {
    file: PathBuf,
    paths: Vec<PathBuf>,
    workers: usize,
}

/// A file's workers, with the channel their lines come in on.
pub(super) struct Pool {
    key: Key,
    pub(super) lines: Receiver<Line>,
    pub(super) workers: Vec<Worker>,
}

impl Pool {
    /// `workers` new workers importing `file`.
    fn start(python: &Python, key: Key, say: &dyn Fn(&str)) -> Result<Pool, RunError> {
        let (tx, lines): (Sender<Line>, _) = mpsc::channel();
        let mut pool = Pool {
            key,
            lines,
            workers: Vec::new(),
        };
        for index in 0..pool.key.workers {
            let env = python.worker_env(pool.key.workers, index);
            python.print_environment(say, &env, index, pool.key.workers);
            python.record_env(&pool.key.file, index, &env);
            let mut process = Spawned::start(python, &env, index, tx.clone()).map_err(|e| {
                RunError::Worker(format!(
                    "cannot start {}: {e}",
                    python.interpreter.path.display()
                ))
            })?;
            process.send(&serde_json::json!({
                "op": "import",
                "file": pool.key.file,
                "paths": python.paths,
                "roots": python.roots(),
            }));
            pool.workers.push(Worker {
                process,
                state: State::Importing,
            });
        }
        Ok(pool)
    }

    /// What the workers printed since last asked.
    pub(super) fn output(&self) -> String {
        self.workers.iter().map(|w| w.process.output()).collect()
    }

    /// End every worker (all told at once, so they exit side by side);
    /// what they printed.
    pub(super) fn end(mut self) -> String {
        for worker in &mut self.workers {
            worker.process.close_input();
        }
        self.workers
            .into_iter()
            .map(|w| w.process.finish())
            .collect()
    }
}

/// The pools kept between runs.
#[derive(Default)]
pub(super) struct Pools {
    kept: Mutex<Vec<Pool>>,
}

impl Pools {
    /// The pool for `file` with `workers` workers: a kept one, else new.
    pub(super) fn take(
        &self,
        python: &Python,
        file: &std::path::Path,
        workers: usize,
        say: &dyn Fn(&str),
    ) -> Result<Pool, RunError> {
        let key = Key {
            file: file.to_path_buf(),
            paths: python.paths.clone(),
            workers,
        };
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        match kept.iter().position(|p| p.key == key) {
            Some(at) => Ok(kept.swap_remove(at)),
            None => Pool::start(python, key, say),
        }
    }

    /// Keep `pool` for the next run of its file.
    pub(super) fn keep(&self, pool: Pool) {
        self.kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(pool);
    }
}

impl Drop for Pools {
    fn drop(&mut self) {
        let kept = std::mem::take(self.kept.get_mut().unwrap_or_else(|e| e.into_inner()));
        for pool in kept {
            pool.end();
        }
    }
}
