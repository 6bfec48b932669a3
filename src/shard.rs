//! Scale-out: `pybench --shard K/N --out DIR` runs the K-th of N shares of
//! each benchmark's seeds and writes the raw per-seed outcomes, one file per
//! benchmark and shard, for `pybench merge` (see `merge.rs`) to judge.
//!
//! Shards are 1-based: `K/N` with `1 ≤ K ≤ N`. The seed at index `i` (0-based,
//! in the run's seed order) belongs to shard `i mod N + 1`, so any shard can
//! be re-run alone and gives the same share.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};

use crate::app::{self, Mode};
use crate::cli::RunArgs;
use crate::error::Error;
use crate::isolate;
use crate::library::Benchmark;
use crate::run::{self, SeedOutcome};
use crate::seed_plan::SeedPlan;
use crate::settings::Overrides;
use crate::stats;
use crate::store::Store;

/// The shard file's format; bumped when a field changes meaning.
pub const FORMAT_VERSION: u32 = 1;

/// The environment variable a CI matrix sets to `K/N` for `--shard auto`.
pub const SHARD_VAR: &str = "PYBENCH_SHARD";

/// Which share of the seeds a run takes: the `k`-th (1-based) of `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub k: usize,
    pub n: usize,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// `--shard`: `K/N`, or `auto` to read the engine's variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardSpec {
    Fixed(Shard),
    Auto,
}

impl ShardSpec {
    /// Parse `--shard` (for clap).
    pub fn parse(text: &str) -> Result<ShardSpec, String> {
        if text.trim() == "auto" {
            return Ok(ShardSpec::Auto);
        }
        Shard::parse(text).map(ShardSpec::Fixed)
    }

    /// The shard to run; `auto` reads the environment through `var`.
    pub fn resolve(
        self,
        count: Option<usize>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Shard, ShardError> {
        match self {
            ShardSpec::Fixed(shard) => Ok(shard),
            ShardSpec::Auto => detect(count, var),
        }
    }
}

impl Shard {
    /// `K/N` with `1 ≤ K ≤ N`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("`{text}` is not K/N (1-based, e.g. 2/3) or `auto`");
        let (k, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let k: usize = k.trim().parse().map_err(|_| bad())?;
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        Shard::new(k, n)
    }

    pub fn new(k: usize, n: usize) -> Result<Shard, String> {
        if n == 0 {
            return Err("the shard count must be at least 1".into());
        }
        if k == 0 || k > n {
            return Err(format!(
                "shard {k}/{n} is out of range: shards are numbered 1 to {n}"
            ));
        }
        Ok(Shard { k, n })
    }

    /// Whether the seed at `index` (0-based) is this shard's.
    pub fn owns(self, index: usize) -> bool {
        index % self.n == self.k - 1
    }

    /// The indices of this shard's seeds among `n_seeds`.
    pub fn indices(self, n_seeds: usize) -> Vec<usize> {
        (self.k - 1..n_seeds).step_by(self.n).collect()
    }

    /// The shard that owns the seed at `index` (0-based).
    pub fn of_index(index: usize, n: usize) -> usize {
        index % n + 1
    }
}

/// Read the engine's variables for `--shard auto`, in this order:
/// `PYBENCH_SHARD=K/N` (a CI matrix), a Slurm job array, a Kubernetes
/// Indexed Job (`JOB_COMPLETION_INDEX`, with `--shard-count`), GitLab's
/// `parallel:` and Buildkite's parallel jobs.
pub fn detect(
    count: Option<usize>,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Shard, ShardError> {
    let number =
        |name: &str| -> Result<Option<usize>, ShardError> {
            match var(name) {
                None => Ok(None),
                Some(text) if text.trim().is_empty() => Ok(None),
                Some(text) => text.trim().parse().map(Some).map_err(|_| {
                    ShardError::Engine(format!("{name}={text:?} is not a whole number"))
                }),
            }
        };
    let checked = |k: usize, n: usize, source: &str| {
        Shard::new(k, n).map_err(|e| ShardError::Engine(format!("{source}: {e}")))
    };
    if let Some(text) = var(SHARD_VAR).filter(|t| !t.trim().is_empty()) {
        return Shard::parse(&text).map_err(|e| ShardError::Engine(format!("{SHARD_VAR}: {e}")));
    }
    if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
        let n = number("SLURM_ARRAY_TASK_COUNT")?.ok_or_else(|| {
            ShardError::Engine(
                "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not".into(),
            )
        })?;
        // `--array=5-7` numbers tasks from 5; `--array=0-10:2` steps by 2.
        let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
        if id < min || (id - min) % step != 0 {
            return Err(ShardError::Engine(format!(
                "SLURM_ARRAY_TASK_ID={id} is not in an array starting at {min} with step {step}"
            )));
        }
        return checked((id - min) / step + 1, n, "Slurm job array");
    }
    if let Some(index) = number("JOB_COMPLETION_INDEX")? {
        let n = count.ok_or_else(|| {
            ShardError::Engine(
                "JOB_COMPLETION_INDEX is set but the shard count is not: pass --shard-count N (the Job's `completions`)".into(),
            )
        })?;
        return checked(index + 1, n, "Kubernetes Indexed Job");
    }
    if let (Some(k), Some(n)) = (number("CI_NODE_INDEX")?, number("CI_NODE_TOTAL")?) {
        return checked(k, n, "GitLab parallel job");
    }
    if let (Some(k), Some(n)) = (
        number("BUILDKITE_PARALLEL_JOB")?,
        number("BUILDKITE_PARALLEL_JOB_COUNT")?,
    ) {
        return checked(k + 1, n, "Buildkite parallel job");
    }
    Err(ShardError::Engine(format!(
        "--shard auto found no shard variables ({SHARD_VAR}, SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, CI_NODE_INDEX, BUILDKITE_PARALLEL_JOB)"
    )))
}

#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    #[error("{0}")]
    Engine(String),
    #[error("--shard needs --out DIR")]
    NoOut,
    #[error("{bench} needs fresh seeds, and no seed plan {}", match .plan { Some(p) => format!("entry for it is in {}", p.display()), None => "was given".into() })]
    NoPlan {
        bench: String,
        plan: Option<PathBuf>,
    },
    #[error("the seed plan has {planned} seeds for {bench} but --n-seeds asks for {asked}")]
    PlanCount {
        bench: String,
        planned: usize,
        asked: usize,
    },
    #[error("invalid seed plan {path}: {reason}")]
    BadPlan { path: PathBuf, reason: String },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid shard file {path}: {reason}")]
    BadFile { path: PathBuf, reason: String },
    #[error("no shard files (*.shard-K-of-N.json) in {0}")]
    NoShards(String),
    #[error("cannot merge {bench}: {detail}")]
    Merge {
        bench: String,
        detail: String,
        hint: &'static str,
    },
    #[error("{0}")]
    Usage(String),
}

impl ShardError {
    pub fn hint(&self) -> &'static str {
        match self {
            ShardError::Engine(_) => {
                "pass --shard K/N, or set PYBENCH_SHARD=K/N; see docs/scale-out.md"
            }
            ShardError::NoOut => "each shard writes its share to a directory for `pybench merge`",
            ShardError::NoPlan { .. } => {
                "draw the seeds once with `pybench seeds PATH`, then pass --seed-plan FILE to every shard"
            }
            ShardError::PlanCount { .. } => {
                "draw the plan again with `pybench seeds --n-seeds N`, or drop --n-seeds"
            }
            ShardError::BadPlan { .. } => "draw it again with `pybench seeds PATH`",
            ShardError::Read { .. } | ShardError::Write { .. } => {
                "check the path and its permissions"
            }
            ShardError::BadFile { .. } => "run that shard again",
            ShardError::NoShards(_) => "pass the directories the shards' --out wrote to",
            ShardError::Merge { hint, .. } => hint,
            ShardError::Usage(_) => "see docs/scale-out.md",
        }
    }
}

/// A stable identity of a library build: SHA-256 of the file's bytes, as
/// `sha256:HEX`.
pub fn library_hash(path: &Path) -> Result<String, std::io::Error> {
    Ok(crate::fingerprint::hash_bytes(&std::fs::read(path)?))
}

/// The settings that decide a verdict; every shard must agree on them.
pub use crate::fingerprint::StoredSettings as ShardSettings;

/// Where the machine that ran a shard stood, and the library's hash: the
/// same fingerprint a baseline line carries.
pub use crate::fingerprint::Environment;

/// One seed's raw outcome, exactly as the benchmark handed it back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedRecord {
    pub index: usize,
    pub seed: u64,
    pub outcome: SeedOutcome,
}

/// What one shard of one benchmark wrote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    pub format_version: u32,
    pub pybench_version: String,
    pub bench: String,
    pub shard: Shard,
    /// `check` or `update`.
    pub mode: String,
    /// `baseline` (the stored seeds) or `plan` (the seed plan's).
    pub seeds_from: String,
    /// Every seed of the run, in order; this shard ran `indices` of them.
    pub seeds: Vec<u64>,
    pub indices: Vec<usize>,
    pub settings: ShardSettings,
    pub library: PathBuf,
    pub library_hash: String,
    pub environment: Environment,
    /// The benchmark's error when it could not run (bad settings, a crash,
    /// a timeout); `results` is then empty.
    pub error: Option<String>,
    /// The index of the (first) seed the error names, when it names one:
    /// merge reports the error of the earliest seed, as one machine would.
    #[serde(default)]
    pub error_index: Option<usize>,
    pub results: Vec<SeedRecord>,
    /// What the benchmark printed.
    pub output: String,
}

impl ShardFile {
    /// `bench_x.shard-2-of-3.json`.
    pub fn file_name(bench: &str, shard: Shard) -> String {
        format!("{bench}.shard-{}-of-{}.json", shard.k, shard.n)
    }

    /// Atomically write into `dir` (created if missing); returns the path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, ShardError> {
        let path = dir.join(Self::file_name(&self.bench, self.shard));
        let write_error = |source| ShardError::Write {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(write_error)?;
        let text = serde_json::to_string(self).expect("a shard file always serialises");
        let mut file = tempfile::Builder::new()
            .prefix(".shard.")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(write_error)?;
        file.write_all(text.as_bytes()).map_err(write_error)?;
        file.write_all(b"\n").map_err(write_error)?;
        file.persist(&path).map_err(|e| write_error(e.error))?;
        Ok(path)
    }

    pub fn read(path: &Path) -> Result<ShardFile, ShardError> {
        let text = std::fs::read_to_string(path).map_err(|source| ShardError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let bad = |reason: String| ShardError::BadFile {
            path: path.to_path_buf(),
            reason,
        };
        #[derive(Deserialize)]
        struct Version {
            format_version: Option<u64>,
        }
        // The version first, so a newer format is named as such.
        let version = serde_json::from_str::<Version>(&text).map(|v| v.format_version);
        match version {
            Ok(Some(v)) if v == u64::from(FORMAT_VERSION) => {}
            Ok(Some(v)) => {
                return Err(bad(format!(
                    "format_version {v} (this pybench reads version {FORMAT_VERSION})"
                )));
            }
            Ok(None) => return Err(bad("no format_version".into())),
            Err(e) => return Err(bad(e.to_string())),
        }
        serde_json::from_str(&text).map_err(|e| bad(e.to_string()))
    }
}

pub fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Check => "check",
        Mode::Update { .. } => "update",
    }
}

/// `pybench --shard K/N --out DIR`: run this shard's seeds of every selected
/// benchmark and write one shard file per benchmark. Exit code 0 once every
/// file is written, even for a benchmark that errored: the error is in its
/// file, and `pybench merge` reports it.
pub fn run(args: &RunArgs, mode: Mode, benchmarks: &[Benchmark]) -> Result<i32, Error> {
    // Shards never draw seeds: they come from a baseline or the seed plan.
    let spec = args.shard.expect("shard::run is called for --shard");
    let shard = spec.resolve(args.shard_count.map(|n| n as usize), |name| {
        std::env::var(name).ok()
    })?;
    let out_dir = args.out.as_deref().ok_or(ShardError::NoOut)?;
    // Read-only: a shard never writes baselines, so it takes no lock.
    let store = Store::open(&args.store.baseline)?;
    let plan_path = args.seed_plan.clone().or_else(|| {
        let default = SeedPlan::default_path(&args.store.baseline);
        default.exists().then_some(default)
    });
    let plan = match &plan_path {
        Some(path) => Some(SeedPlan::read(path)?),
        None => None,
    };
    let overrides = Overrides {
        n_seeds: match mode {
            Mode::Update { n_seeds } => n_seeds,
            Mode::Check => None,
        },
        alpha: args.alpha,
        min_effect: args.min_effect,
        workers: args.workers.map(|w| w as usize),
        timeout: args.timeout,
    };
    // Seeds first, for every benchmark: a missing plan entry is found before
    // anything runs.
    let mut seeds_of = Vec::with_capacity(benchmarks.len());
    for bench in benchmarks {
        let stored = match mode {
            Mode::Check => store.get(&bench.name),
            Mode::Update { .. } => None,
        };
        seeds_of.push(match stored {
            Some(baseline) => ("baseline", baseline.seeds.clone()),
            None => {
                let planned = plan
                    .as_ref()
                    .and_then(|p| p.get(&bench.name))
                    .ok_or_else(|| ShardError::NoPlan {
                        bench: bench.name.clone(),
                        plan: plan_path.clone(),
                    })?;
                if let Some(asked) = overrides.n_seeds
                    && asked != planned.len()
                {
                    return Err(ShardError::PlanCount {
                        bench: bench.name.clone(),
                        planned: planned.len(),
                        asked,
                    }
                    .into());
                }
                ("plan", planned.to_vec())
            }
        });
    }
    let _ = ctrlc::set_handler(|| isolate::INTERRUPTED.store(true, Ordering::SeqCst));
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "pybench — shard {shard} of {} benchmark(s)\n",
        benchmarks.len()
    );
    for (bench, (seeds_from, seeds)) in benchmarks.iter().zip(seeds_of) {
        let file = run_one(
            bench,
            &overrides,
            shard,
            mode,
            seeds_from,
            seeds,
            args.in_process,
        )?;
        if isolate::INTERRUPTED.load(Ordering::SeqCst) {
            return Err(Error::Interrupted);
        }
        let path = file.write(out_dir)?;
        let detail = match &file.error {
            Some(error) => format!("ERROR (recorded for merge): {error}"),
            None => format!("{}/{} seeds", file.indices.len(), file.seeds.len()),
        };
        let _ = writeln!(out, "{:<18} {detail}   → {}", file.bench, path.display());
    }
    let _ = out.flush();
    Ok(0)
}

/// Run one benchmark's share of `seeds`.
fn run_one(
    bench: &Benchmark,
    overrides: &Overrides,
    shard: Shard,
    mode: Mode,
    seeds_from: &str,
    seeds: Vec<u64>,
    in_process: bool,
) -> Result<ShardFile, Error> {
    let library_hash = library_hash(&bench.library.path).map_err(|source| ShardError::Read {
        path: bench.library.path.clone(),
        source,
    })?;
    let mut file = ShardFile {
        format_version: FORMAT_VERSION,
        pybench_version: env!("CARGO_PKG_VERSION").into(),
        bench: bench.name.clone(),
        shard,
        mode: mode_name(mode).into(),
        seeds_from: seeds_from.into(),
        indices: shard.indices(seeds.len()),
        settings: ShardSettings {
            n_seeds: seeds.len(),
            alpha: overrides.alpha.unwrap_or(crate::settings::DEFAULT_ALPHA),
            min_effect: overrides.min_effect,
        },
        seeds,
        library: bench.library.path.clone(),
        library_hash,
        environment: Environment::current(&bench.library.path),
        error: None,
        error_index: None,
        results: Vec::new(),
        output: String::new(),
    };
    let (result, settings) = app::start(bench, overrides);
    file.settings.alpha = result.alpha;
    file.settings.min_effect = result.min_effect;
    let Some(settings) = settings else {
        // As an unsharded run: the error comes before any seed is chosen.
        file.seeds.clear();
        file.indices.clear();
        file.settings.n_seeds = 0;
        file.error = result.error;
        return Ok(file);
    };
    if let Err(e) = stats::check_reachable(settings.alpha, file.seeds.len()) {
        file.error = Some(e.to_string());
        return Ok(file);
    }
    let mine: Vec<u64> = file.indices.iter().map(|&i| file.seeds[i]).collect();
    if mine.is_empty() {
        // More shards than seeds: nothing to run, but the file says so.
        return Ok(file);
    }
    let quiet = crate::progress::Progress::new(false);
    let (outcomes, output) = app::run_sides(&[bench], &mine, &settings, in_process, &quiet);
    let outcomes = outcomes.map(|mut sides| sides.remove(0));
    file.output = output;
    match outcomes {
        Ok(outcomes) => {
            file.results = file
                .indices
                .iter()
                .zip(outcomes)
                .map(|(&index, outcome)| SeedRecord {
                    index,
                    seed: file.seeds[index],
                    outcome,
                })
                .collect();
        }
        Err(e) => {
            let index_of = |seed: &u64| file.seeds.iter().position(|s| s == seed);
            file.error_index = match &e {
                run::RunError::Crashed { seeds, .. } => seeds.iter().filter_map(index_of).min(),
                run::RunError::TimedOut { seed, .. } | run::RunError::Seed { seed, .. } => {
                    index_of(seed)
                }
                _ => None,
            };
            file.error = Some(e.to_string());
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn parse_and_share() {
        assert_eq!(Shard::parse("2/3"), Ok(Shard { k: 2, n: 3 }));
        assert_eq!(ShardSpec::parse("auto"), Ok(ShardSpec::Auto));
        assert!(Shard::parse("0/3").unwrap_err().contains("numbered 1 to 3"));
        assert!(Shard::parse("4/3").is_err());
        assert!(Shard::parse("2").is_err());
        assert!(Shard::parse("1/0").is_err());
        let s = Shard { k: 2, n: 3 };
        assert_eq!(s.indices(8), [1, 4, 7]);
        assert!(s.owns(4) && !s.owns(5));
        assert_eq!(Shard { k: 3, n: 3 }.indices(2), Vec::<usize>::new());
        // Every index belongs to exactly one shard.
        for i in 0..20 {
            let owners: Vec<usize> = (1..=3).filter(|&k| Shard { k, n: 3 }.owns(i)).collect();
            assert_eq!(owners, [Shard::of_index(i, 3)]);
        }
    }

    #[test]
    fn engines_map_to_one_based_shards() {
        let ok = |pairs: &[(&str, &str)], count| detect(count, env(pairs)).unwrap();
        assert_eq!(ok(&[("PYBENCH_SHARD", "3/4")], None), Shard { k: 3, n: 4 });
        // Slurm: --array=0-2 and --array=5-7 and --array=0-10:5.
        let slurm = |id, min, count| {
            ok(
                &[
                    ("SLURM_ARRAY_TASK_ID", id),
                    ("SLURM_ARRAY_TASK_MIN", min),
                    ("SLURM_ARRAY_TASK_COUNT", count),
                ],
                None,
            )
        };
        assert_eq!(slurm("0", "0", "3"), Shard { k: 1, n: 3 });
        assert_eq!(slurm("7", "5", "3"), Shard { k: 3, n: 3 });
        assert_eq!(
            ok(
                &[
                    ("SLURM_ARRAY_TASK_ID", "10"),
                    ("SLURM_ARRAY_TASK_MIN", "0"),
                    ("SLURM_ARRAY_TASK_STEP", "5"),
                    ("SLURM_ARRAY_TASK_COUNT", "3"),
                ],
                None
            ),
            Shard { k: 3, n: 3 }
        );
        // Kubernetes: 0-based index, count from the flag.
        assert_eq!(
            ok(&[("JOB_COMPLETION_INDEX", "0")], Some(4)),
            Shard { k: 1, n: 4 }
        );
        assert!(
            detect(None, env(&[("JOB_COMPLETION_INDEX", "0")]))
                .unwrap_err()
                .to_string()
                .contains("--shard-count")
        );
        assert!(detect(Some(4), env(&[("JOB_COMPLETION_INDEX", "4")])).is_err());
        // GitLab is 1-based, Buildkite 0-based.
        assert_eq!(
            ok(&[("CI_NODE_INDEX", "2"), ("CI_NODE_TOTAL", "2")], None),
            Shard { k: 2, n: 2 }
        );
        assert_eq!(
            ok(
                &[
                    ("BUILDKITE_PARALLEL_JOB", "0"),
                    ("BUILDKITE_PARALLEL_JOB_COUNT", "2")
                ],
                None
            ),
            Shard { k: 1, n: 2 }
        );
        assert!(
            detect(None, env(&[]))
                .unwrap_err()
                .to_string()
                .contains("found no shard variables")
        );
        assert!(
            detect(None, env(&[("SLURM_ARRAY_TASK_ID", "x")]))
                .unwrap_err()
                .to_string()
                .contains("not a whole number")
        );
    }
}
