//! One probe of `pybench bisect`: a commit built and loaded once (through
//! the `--against` cache), its benchmark run on GOOD's seeds and judged
//! against GOOD's scores as a check would, at the bisection's level.

use std::collections::HashMap;

use crate::bisection::{self, Probe};
use crate::error::Error;
use crate::judge::{self, Execution, verdict};
use crate::report::progress::Progress;
use crate::result::{BenchResult, Status};
use crate::runner::revision;
use crate::runner::{self, Benchmark, RunContext, Search, SeedSource, call};
use crate::settings::{Alpha, Overrides};
use crate::stats::mde::Lambdas;
use crate::store::Baseline;
use crate::store::Project;
use crate::store::Store;
use crate::store::range::{Commit, CommitRange};

/// Every commit built so far, and what loading it gave: its selected
/// benchmarks, or why it cannot be probed.
pub struct Commits {
    context: RunContext,
    search: Search,
    loaded: HashMap<String, Result<Vec<Benchmark>, String>>,
}

impl Commits {
    pub fn new(context: RunContext, search: Search) -> Commits {
        Commits {
            context,
            search,
            loaded: HashMap::new(),
        }
    }

    /// `commit`'s benchmarks, built (or taken from the cache) on first use.
    pub fn benchmarks(&mut self, commit: &Commit) -> Result<&[Benchmark], String> {
        let (context, search) = (&self.context, &self.search);
        self.loaded
            .entry(commit.id.clone())
            .or_insert_with(|| load(context, search, commit))
            .as_deref()
            .map_err(Clone::clone)
    }
}

fn load(context: &RunContext, search: &Search, commit: &Commit) -> Result<Vec<Benchmark>, String> {
    let build = revision::prepare(&commit.id, &search.paths, search.quiet, &search.project)
        .map_err(|e| match e {
            revision::RevisionError::Discover(crate::runner::DiscoverError::Build(_)) => {
                "did not build".to_string()
            }
            other => other.to_string(),
        })?;
    super::super::against::revision_benchmarks(context, search, &build).map_err(|e| e.to_string())
}

/// Where GOOD's side of every probe comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceSource {
    /// The stored baseline, measured at GOOD.
    Stored,
    /// GOOD built and run once on the baseline's seeds (or fresh ones).
    RunAtGood,
}

/// GOOD's scores for one benchmark.
pub struct Reference {
    pub baseline: Baseline,
    pub source: ReferenceSource,
}

/// What every probe of the run shares.
pub struct Session<'a> {
    pub context: RunContext,
    pub overrides: Overrides,
    pub seed_source: SeedSource,
    pub progress: &'a Progress,
    /// The project root, which benchmarks' inputs are relative to.
    pub project: &'a Project,
    /// Candidates in the range.
    pub m: usize,
    /// The `λ*` of the probes' MDEs, each solved once for the bisection.
    pub lambdas: Lambdas,
}

/// A benchmark's level: its alpha and the share each probe is judged at.
#[derive(Debug, Clone, Copy)]
pub struct Level {
    pub alpha: f64,
    pub probe_alpha: Alpha,
}

/// What one probe said.
#[derive(Debug, Clone)]
pub struct ProbeRecord {
    pub index: usize,
    pub commit: Commit,
    pub bench: String,
    pub verdict: Probe,
    /// Why it was skipped.
    pub reason: Option<String>,
    /// The check's result (PASS and FAIL).
    pub result: Option<BenchResult>,
}

impl Session<'_> {
    fn execution(&self) -> Execution<'_> {
        Execution {
            context: self.context,
            in_process: false,
            progress: self.progress,
            family_size: 1,
            project: self.project,
        }
    }

    /// `bench`'s alpha (as a check resolves it) and the probes' share.
    pub fn level(&self, bench: &Benchmark) -> Level {
        let (result, _) = verdict::start(bench, &self.overrides);
        Level {
            alpha: result.alpha.get(),
            probe_alpha: result.alpha.divided(bisection::decisions(self.m)),
        }
    }

    /// Probe candidate `index` for `bench`.
    pub fn probe(
        &self,
        commits: &mut Commits,
        range: &CommitRange,
        index: usize,
        bench: &str,
        reference: &Reference,
        level: Level,
    ) -> Result<ProbeRecord, Error> {
        let commit = range.candidates[index].clone();
        let skip = |reason: String| ProbeRecord {
            index,
            commit: commit.clone(),
            bench: bench.to_string(),
            verdict: Probe::Skip,
            reason: Some(reason),
            result: None,
        };
        let loaded = commits.benchmarks(&commit);
        // A build or describe worker stopped by a signal is no skip.
        self.context.check()?;
        let benches = match loaded {
            Ok(benches) => benches,
            Err(reason) => return Ok(skip(reason)),
        };
        let Some(at_commit) = benches.iter().find(|b| b.name == bench) else {
            return Ok(skip(format!("no {bench} at this commit")));
        };
        let overrides = Overrides {
            alpha: Some(level.probe_alpha),
            ..self.overrides.clone()
        };
        let result = judge_probe(at_commit, &reference.baseline, &overrides, self);
        self.context.check()?;
        let verdict = match result.status() {
            Status::Fail => Probe::Fail,
            Status::Pass => Probe::Pass,
            _ => {
                let why = result.error().unwrap_or("no verdict").to_string();
                return Ok(skip(format!("ERROR: {why}")));
            }
        };
        Ok(ProbeRecord {
            index,
            commit,
            bench: bench.to_string(),
            verdict,
            reason: None,
            result: Some(result),
        })
    }
}

/// Judge `bench` (built at a probe's commit) against GOOD's scores, as a
/// check judges a benchmark against its stored baseline: the same seeds,
/// the same engine, adaptive looks when on, at `overrides.alpha`. The one
/// place a probe meets the judging pipeline.
fn judge_probe(
    bench: &Benchmark,
    good: &Baseline,
    overrides: &Overrides,
    session: &Session,
) -> BenchResult {
    let result = verdict::run_benchmark(
        bench,
        overrides,
        judge::Reference::Stored(good),
        session.seed_source,
        &session.execution(),
    );
    judge::family::sense_alone(result, &session.lambdas)
}

/// GOOD's scores for `bench`: the stored baseline when it was measured at
/// GOOD on a clean tree, else GOOD built and run once on its seeds (fresh
/// seeds without a baseline). `Err` says why GOOD has none.
pub fn reference(
    bench: &Benchmark,
    range: &CommitRange,
    store: &Store,
    session: &Session,
    commits: &mut Commits,
) -> Result<Result<Reference, String>, Error> {
    let stored = store.get(&bench.name);
    if let Some(baseline) = stored
        && baseline.git_commit.as_deref() == Some(range.good.short.as_str())
        && !baseline.git_dirty
    {
        return Ok(Ok(Reference {
            baseline: baseline.clone(),
            source: ReferenceSource::Stored,
        }));
    }
    let loaded = commits.benchmarks(&range.good).map(<[Benchmark]>::to_vec);
    session.context.check()?;
    let at_good = match loaded {
        Ok(benches) => benches.iter().find(|b| b.name == bench.name).cloned(),
        Err(reason) => return Ok(Err(format!("GOOD {}: {reason}", range.good.short))),
    };
    let Some(at_good) = at_good else {
        return Ok(Err(format!(
            "no {} at GOOD {}",
            bench.name, range.good.short
        )));
    };
    let (_, settings) = verdict::start(&at_good, &session.overrides);
    let Ok(settings) = settings else {
        return Ok(Err(format!("{} has unusable settings at GOOD", bench.name)));
    };
    let seeds = stored.map_or_else(
        || runner::fresh_seeds(settings.n_seeds, session.seed_source, &bench.name),
        |b| b.seeds.clone(),
    );
    let (outcomes, _) = session.execution().run(&[&at_good], &seeds, &settings);
    session.context.check()?;
    let table = outcomes.and_then(|mut sides| {
        call::into_table(&seeds, &sides.remove(0)).map_err(|e| e.to_string())
    });
    Ok(match table {
        Ok(scores) => Ok(Reference {
            baseline: Baseline {
                bench: bench.name.clone(),
                timestamp: String::new(),
                git_commit: Some(range.good.short.clone()),
                git_dirty: false,
                seeds,
                scores,
                env: Some(at_good.source.environment()),
                settings: None,
                // GOOD ran on today's data: the probes are checked against it.
                inputs: crate::judge::inputs::check(session.project, &settings.inputs, None)
                    .ok()
                    .flatten(),
                source: stored.and_then(|b| b.source.clone()),
            },
            source: ReferenceSource::RunAtGood,
        }),
        Err(e) => Err(format!("{} at GOOD {}: {e}", bench.name, range.good.short)),
    })
}
