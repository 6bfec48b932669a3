//! Running a Python benchmark's seeds: each side (the working tree's file,
//! and for `--against` the revision's, in processes of its own) takes its
//! pool of workers, and seeds are handed out one at a time to whichever
//! worker is idle. Import time never counts against `timeout`; a seed that
//! passes it first gets its stacks dumped (faulthandler), then, a second
//! later, its worker's process group killed.

use std::sync::mpsc::TryRecvError;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Python;
use super::pool::{Pool, State};
use crate::runner::backend::Benchmark;
use crate::runner::backend::{Outcomes, RunPlan};
use crate::runner::call::{RunError, SeedOutcome, SeedResult};
use crate::scores::SlotSets;

/// How long a hung seed's stack dump gets before its worker is killed.
const DUMP_GRACE: Duration = Duration::from_secs(1);

/// How long the run waits between looks at its workers' channels.
const POLL: Duration = Duration::from_millis(1);

/// The seeds of every side, handed out one at a time.
struct Run<'a> {
    sides: &'a [&'a Benchmark],
    seeds: &'a [u64],
    plan: &'a RunPlan<'a>,
    sets: SlotSets<'a>,
    results: Vec<Vec<Option<SeedResult>>>,
    /// The next seed index to hand out, per side.
    next: Vec<usize>,
    /// One pool per side.
    pools: Vec<Pool>,
}

/// Run `sides` on `seeds`, each side with its own backend's pool.
pub(super) fn run(sides: &[&Benchmark], seeds: &[u64], plan: &RunPlan) -> Outcomes {
    let workers = plan.settings.workers.min(seeds.len()).max(1);
    let mut run = Run {
        sides,
        seeds,
        plan,
        sets: SlotSets::default(),
        results: vec![vec![None; seeds.len()]; sides.len()],
        next: vec![0; sides.len()],
        pools: Vec::new(),
    };
    for bench in sides {
        let python = Python::of(bench);
        if let Some(failed) = python.import_failure(&bench.source.path) {
            return run.finish(Err(RunError::Import(failed)));
        }
        match python
            .pools
            .take(python, &bench.source.path, workers, plan.say)
        {
            Ok(pool) => run.pools.push(pool),
            Err(error) => return run.finish(Err(error)),
        }
    }
    for side in 0..sides.len() {
        for id in 0..run.pools[side].workers.len() {
            if matches!(run.pools[side].workers[id].state, State::Idle) {
                run.hand_out(side, id);
            }
        }
    }
    let outcome = run.follow(plan.settings.timeout.map(Duration::from_secs_f64));
    run.finish(outcome)
}

impl Run<'_> {
    /// Hand out seeds and take replies until every seed of every side is
    /// done, or something stops the run.
    fn follow(&mut self, timeout: Option<Duration>) -> Result<(), RunError> {
        while self
            .results
            .iter()
            .any(|side| side.iter().any(Option::is_none))
        {
            let mut quiet = true;
            for side in 0..self.pools.len() {
                match self.pools[side].lines.try_recv() {
                    Ok((id, Some(line))) => {
                        quiet = false;
                        self.take(side, id, &line)?;
                    }
                    Ok((id, None)) => return Err(self.ended(side, id)),
                    Err(TryRecvError::Empty) => {}
                    Err(TryRecvError::Disconnected) => {
                        return Err(RunError::Worker("every Python worker is gone".into()));
                    }
                }
            }
            if self.plan.context.stopped().is_some() {
                return Err(RunError::Interrupted);
            }
            if let Some(limit) = timeout {
                self.watch_time(limit)?;
            }
            if quiet {
                std::thread::sleep(POLL);
            }
        }
        Ok(())
    }

    /// Worker `id` of `side` sent `line`.
    fn take(&mut self, side: usize, id: usize, line: &str) -> Result<(), RunError> {
        let reply: Value = serde_json::from_str(line)
            .map_err(|_| RunError::Worker(format!("a Python worker sent {line:?}")))?;
        if let Some(error) = reply.get("import_error").and_then(Value::as_str) {
            return Err(self.import_failed(side, error.to_string()));
        }
        let worker = &mut self.pools[side].workers[id];
        if let State::Busy { index, .. } = std::mem::replace(&mut worker.state, State::Idle) {
            let seed = self.seeds[index];
            if let Some(error) = reply.get("error").and_then(Value::as_str) {
                return Err(RunError::Seed {
                    seed,
                    message: error.to_string(),
                });
            }
            if let Some(loaded) = reply.get("loaded") {
                let source = &self.sides[side].source;
                Python::of(self.sides[side]).record_loaded(
                    self.plan.say,
                    &source.path,
                    &source.named,
                    loaded,
                );
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
        self.hand_out(side, id);
        Ok(())
    }

    /// `side`'s file failed to import: said so for each of its benchmarks,
    /// without importing it again.
    fn import_failed(&self, side: usize, message: String) -> RunError {
        let source = &self.sides[side].source;
        Python::of(self.sides[side]).remember_import_failure(&source.path, &message);
        RunError::Import(message)
    }

    /// Give idle worker `id` of `side` that side's next seed, if any is left.
    fn hand_out(&mut self, side: usize, id: usize) {
        let index = self.next[side];
        if index >= self.seeds.len() {
            return;
        }
        self.next[side] += 1;
        let worker = &mut self.pools[side].workers[id];
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

    /// Worker `id` of `side` ended before the run was done.
    fn ended(&mut self, side: usize, id: usize) -> RunError {
        let worker = &mut self.pools[side].workers[id];
        let how = worker.process.how_it_ended();
        match worker.state {
            State::Busy { index, .. } => RunError::Crashed {
                how,
                seeds: vec![self.seeds[index]],
            },
            State::Importing => {
                let named = self.sides[side].source.named.display();
                self.import_failed(
                    side,
                    format!("the Python worker {how} while importing {named}"),
                )
            }
            State::Idle => RunError::Worker(format!("a Python worker {how} between seeds")),
        }
    }

    /// Ask a seed past `limit` for its stacks; kill it a second later.
    fn watch_time(&mut self, limit: Duration) -> Result<(), RunError> {
        for worker in self.pools.iter_mut().flat_map(|p| &mut p.workers) {
            let State::Busy {
                index,
                started,
                dump_asked,
            } = &mut worker.state
            else {
                continue;
            };
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
        Ok(())
    }

    /// Keep the pools of a run that went well; end those of one that did
    /// not. The results, with what the workers printed.
    fn finish(self, outcome: Result<(), RunError>) -> Outcomes {
        let mut output = String::new();
        for (pool, bench) in self.pools.into_iter().zip(self.sides) {
            if outcome.is_ok() {
                output.push_str(&pool.output());
                Python::of(bench).pools.keep(pool);
            } else {
                output.push_str(&pool.end());
            }
        }
        let outcomes = outcome.map(|()| {
            self.results
                .into_iter()
                .map(|side| side.into_iter().flatten().collect())
                .collect()
        });
        Outcomes { outcomes, output }
    }
}
