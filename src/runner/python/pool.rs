//! Running a Python benchmark's seeds: each side (the working tree's file,
//! and for `--against` the revision's) gets up to `workers` fresh
//! interpreters, each importing the file once and then taking seeds one at
//! a time. Import time never counts against `timeout`; a seed that passes
//! it first gets its stacks dumped (faulthandler), then, a second later,
//! its worker's process group killed.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Python;
use super::process::{Line, Spawned};
use crate::runner::backend::{Outcomes, RunPlan};
use crate::runner::call::{RunError, SeedOutcome, SeedResult};
use crate::runner::library::Benchmark;
use crate::scores::SlotSets;

/// How long a hung seed's stack dump gets before its worker is killed.
const DUMP_GRACE: Duration = Duration::from_secs(1);

enum State {
    Importing,
    Idle,
    Busy {
        index: usize,
        started: Instant,
        dump_asked: Option<Instant>,
    },
}

struct Worker {
    side: usize,
    process: Spawned,
    state: State,
}

/// The seeds of every side, handed out one at a time.
struct Run<'a> {
    sides: &'a [&'a Benchmark],
    seeds: &'a [u64],
    plan: &'a RunPlan<'a>,
    sets: SlotSets<'a>,
    results: Vec<Vec<Option<SeedResult>>>,
    /// The next seed index to hand out, per side.
    next: Vec<usize>,
    workers: Vec<Worker>,
}

/// Run `sides` on `seeds` with `python`.
pub(super) fn run(
    python: &Python,
    sides: &[&Benchmark],
    seeds: &[u64],
    plan: &RunPlan,
) -> Outcomes {
    let per_side = plan.settings.workers.min(seeds.len()).max(1);
    let (tx, lines) = mpsc::channel();
    let mut run = Run {
        sides,
        seeds,
        plan,
        sets: SlotSets::default(),
        results: vec![vec![None; seeds.len()]; sides.len()],
        next: vec![0; sides.len()],
        workers: Vec::new(),
    };
    for (side, bench) in sides.iter().enumerate() {
        let side_python = python.for_source(&bench.source);
        side_python.print_environment(per_side);
        for i in 0..per_side {
            let env = side_python.environment(per_side, i);
            match Spawned::start(&side_python, &env, run.workers.len(), tx.clone()) {
                Ok(mut process) => {
                    process.send(&serde_json::json!({
                        "op": "import",
                        "file": bench.source.path,
                        "paths": side_python.paths,
                    }));
                    run.workers.push(Worker {
                        side,
                        process,
                        state: State::Importing,
                    });
                }
                Err(e) => {
                    let error = RunError::Worker(format!(
                        "cannot start {}: {e}",
                        side_python.interpreter.path.display()
                    ));
                    return run.finish(Err(error));
                }
            }
        }
    }
    drop(tx);
    let timeout = plan.settings.timeout.map(Duration::from_secs_f64);
    let outcome = run.follow(&lines, timeout);
    run.finish(outcome)
}

impl Run<'_> {
    /// Hand out seeds and take replies until every seed of every side is
    /// done, or something stops the run.
    fn follow(
        &mut self,
        lines: &Receiver<Line>,
        timeout: Option<Duration>,
    ) -> Result<(), RunError> {
        while self
            .results
            .iter()
            .any(|side| side.iter().any(Option::is_none))
        {
            match lines.recv_timeout(Duration::from_millis(5)) {
                Ok((id, Some(line))) => self.take(id, &line)?,
                Ok((id, None)) => return Err(self.ended(id)),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(RunError::Worker("every Python worker is gone".into()));
                }
            }
            if self.plan.context.stopped().is_some() {
                return Err(RunError::Interrupted);
            }
            if let Some(limit) = timeout {
                self.watch_time(limit)?;
            }
        }
        Ok(())
    }

    /// Worker `id` sent `line`.
    fn take(&mut self, id: usize, line: &str) -> Result<(), RunError> {
        let reply: Value = serde_json::from_str(line)
            .map_err(|_| RunError::Worker(format!("a Python worker sent {line:?}")))?;
        if let Some(error) = reply.get("import_error").and_then(Value::as_str) {
            return Err(RunError::Import(error.to_string()));
        }
        let state = std::mem::replace(&mut self.workers[id].state, State::Idle);
        if let State::Busy { index, .. } = state {
            let seed = self.seeds[index];
            let side = self.workers[id].side;
            if let Some(error) = reply.get("error").and_then(Value::as_str) {
                return Err(RunError::Seed {
                    seed,
                    message: error.to_string(),
                });
            }
            let text = reply.get("value").and_then(Value::as_str).unwrap_or("");
            let outcome = SeedOutcome {
                code: 0,
                text: Ok(text.to_string()),
            };
            self.results[side][index] =
                Some(SeedResult::new(seed, outcome, self.plan.reply, &self.sets));
            if self.results.iter().all(|side| side[index].is_some()) {
                (self.plan.seed_done)();
            }
        }
        self.hand_out(id);
        Ok(())
    }

    /// Give idle worker `id` its side's next seed, if any is left.
    fn hand_out(&mut self, id: usize) {
        let side = self.workers[id].side;
        let index = self.next[side];
        if index >= self.seeds.len() {
            return;
        }
        self.next[side] += 1;
        let worker = &mut self.workers[id];
        worker.process.send(&serde_json::json!({
            "op": "seed",
            "bench": self.sides[side].name,
            "seed": self.seeds[index],
            "index": index,
        }));
        worker.state = State::Busy {
            index,
            started: Instant::now(),
            dump_asked: None,
        };
    }

    /// Worker `id`'s channel closed before the run was done.
    fn ended(&mut self, id: usize) -> RunError {
        let how = self.workers[id].process.how_it_ended();
        match self.workers[id].state {
            State::Busy { index, .. } => RunError::Crashed {
                how,
                seeds: vec![self.seeds[index]],
            },
            State::Importing => RunError::Import(format!(
                "the Python worker {how} while importing {}",
                self.sides[self.workers[id].side].source.named.display()
            )),
            State::Idle => RunError::Worker(format!("a Python worker {how} between seeds")),
        }
    }

    /// Ask a seed past `limit` for its stacks; kill it a second later.
    fn watch_time(&mut self, limit: Duration) -> Result<(), RunError> {
        for worker in &mut self.workers {
            if let State::Busy {
                index,
                started,
                dump_asked,
            } = &mut worker.state
            {
                if started.elapsed() <= limit {
                    continue;
                }
                match dump_asked {
                    None => {
                        worker.process.dump_stacks();
                        *dump_asked = Some(Instant::now());
                    }
                    Some(asked) if asked.elapsed() > DUMP_GRACE => {
                        return Err(RunError::TimedOut {
                            seconds: limit.as_secs_f64(),
                            seed: self.seeds[*index],
                        });
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(())
    }

    /// End every worker and hand back the results with what they printed.
    fn finish(self, outcome: Result<(), RunError>) -> Outcomes {
        let output: String = self
            .workers
            .into_iter()
            .map(|w| w.process.finish())
            .collect::<Vec<_>>()
            .concat();
        let outcomes = outcome.map(|()| {
            self.results
                .into_iter()
                .map(|side| side.into_iter().flatten().collect())
                .collect()
        });
        Outcomes { outcomes, output }
    }
}
