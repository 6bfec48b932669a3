//! How a benchmark's seeds run: in worker processes or in pybench, with a
//! progress bar, under the run's context.

use crate::report::progress::Progress;
use crate::runner::{self, Benchmark, Reply, RunContext, RunPlan, SeedResult};
use crate::settings::Settings;
use crate::store::Project;

/// How a benchmark's seeds run: in a worker process or here, and with
/// which progress display.
pub struct Execution<'a> {
    pub context: RunContext,
    pub in_process: bool,
    pub progress: &'a Progress,
    /// The number of benchmarks a corrected run judges (1 without a
    /// correction): an adaptive check spends its alpha divided by this.
    pub family_size: usize,
    /// The project root, which a benchmark's inputs are relative to.
    pub project: &'a Project,
}

impl Execution<'_> {
    /// Run `benches` (one side, or two for `--against`) on `seeds`:
    /// outcomes `[side][seed]`, and what they printed.
    pub fn run(
        &self,
        benches: &[&Benchmark],
        seeds: &[u64],
        settings: &Settings,
    ) -> (Result<Vec<Vec<SeedResult>>, String>, String) {
        self.run_labeled(&benches[0].name, benches, seeds, settings)
    }

    /// [`Execution::run`] with its progress bar labelled `label`.
    pub fn run_labeled(
        &self,
        label: &str,
        benches: &[&Benchmark],
        seeds: &[u64],
        settings: &Settings,
    ) -> (Result<Vec<Vec<SeedResult>>, String>, String) {
        let run = self.run_bar(label, benches, seeds, settings, Reply::Scores);
        (run.outcomes.map_err(|e| e.to_string()), run.output)
    }

    /// [`Execution::run`] with the runner's own error, for callers that
    /// need to know which seed failed, and each seed as `reply` asks.
    pub fn run_raw(
        &self,
        benches: &[&Benchmark],
        seeds: &[u64],
        settings: &Settings,
        reply: Reply,
    ) -> runner::Outcomes {
        self.run_bar(&benches[0].name, benches, seeds, settings, reply)
    }

    fn run_bar(
        &self,
        label: &str,
        benches: &[&Benchmark],
        seeds: &[u64],
        settings: &Settings,
        reply: Reply,
    ) -> runner::Outcomes {
        let bar = self.progress.bench_started(label, seeds.len());
        let plan = RunPlan {
            context: &self.context,
            settings,
            in_process: self.in_process,
            reply,
            seed_done: &|| bar.seed_done(),
            say: &|line| bar.say(line),
        };
        let run = runner::run_sides(benches, seeds, &plan);
        self.progress.finish(bar);
        run
    }
}
