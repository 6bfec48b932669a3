//! The flag groups a command flattens (which benchmarks, their settings,
//! reports, baseline writes, sharding), each with its translation into what
//! the layers below take.

use std::path::PathBuf;

use clap::Args;

use crate::report::Targets;
use crate::runner::{Search, Selection};
use crate::scaleout::ShardSpec;
use crate::settings::{self, Alpha, Overrides, SettingsError};
use crate::stats::Family;
use crate::store::Project;

/// `pybench [PATH...]`: a check, `--against REV`, `--list` or a shard.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Run-level false-alarm control over the benchmarks judged in one run:
    /// bh (Benjamini–Hochberg, the default), holm, or none (each benchmark
    /// at its own alpha, as the Python pybench).
    // A shard judges nothing: `merge --family` decides.
    #[arg(long, value_name = "METHOD", default_value = "bh", conflicts_with_all = ["shard", "list"])]
    pub family: Family,
    /// Compare with the same benchmarks at revision REV (a branch, tag,
    /// `HEAD~1`, a SHA), built from a checkout of it and run on the same
    /// seeds in this run; writes no baseline.
    #[arg(long, value_name = "REV", conflicts_with_all = ["shard", "list"])]
    pub against: Option<String>,
    /// With --against: use the stored baseline's seeds where there is one.
    #[arg(long, requires = "against")]
    pub stored_seeds: bool,
    /// Judge a check in looks (by default after ⅓, ⅔ and all of the stored
    /// seeds) and stop as soon as the verdict is clear.
    #[arg(long, conflicts_with_all = ["shard", "list"])]
    pub adaptive: bool,
}

/// What a check and `update` share.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub search: SearchArgs,
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(flatten)]
    pub reports: ReportArgs,
    #[command(flatten)]
    pub write: WriteArgs,
    #[command(flatten)]
    pub shard: ShardArgs,
    /// Load libraries and run benchmarks inside this process (for
    /// debuggers). Unsafe for untrusted benchmarks: a crash or exit takes
    /// pybench down, and --timeout is not enforced.
    #[arg(long)]
    pub in_process: bool,
    /// List the discovered benchmarks and their settings; runs no benchmark,
    /// but builds the Cargo packages it lists.
    #[arg(long, conflicts_with_all = ["shard", "json", "junit", "bmf", "plot"])]
    pub list: bool,
}

/// Which benchmarks: where to find them, and which to keep.
#[derive(Debug, Clone, Args)]
pub struct SearchArgs {
    /// Benchmark libraries, Cargo packages or directories [default:
    /// ./benchmarks, else the paths in [workspace.metadata.pybench] or
    /// [package.metadata.pybench], else the workspace members that build a
    /// cdylib and depend on pybench]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Load Cargo packages' last release build instead of building them.
    #[arg(long)]
    pub no_build: bool,
    /// The Python interpreter of Python benchmark files [default:
    /// $PYBENCH_PYTHON, the active virtual or conda environment,
    /// .venv at the project root, python3 on PATH].
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
}

/// How each benchmark runs and is judged (each overrides the benchmark's).
/// `seeds` takes them too: it skips, as the shards will, a benchmark whose
/// settings are unusable.
#[derive(Debug, Clone, Args)]
pub struct SettingsArgs {
    /// Significance level, per slot and for the verdict (overrides the benchmark's).
    #[arg(long, value_parser = parse_alpha)]
    pub alpha: Option<Alpha>,
    /// Minimum relative drop in goodness for a slot to count, e.g. 0.02.
    #[arg(long, value_name = "FRACTION", value_parser = parse_min_effect)]
    pub min_effect: Option<f64>,
    /// Seeds run at once [default: the benchmark's `workers`, else all cores].
    #[arg(short = 'j', long, value_parser = parse_workers)]
    pub workers: Option<usize>,
    /// Seconds one seed may take before its worker is killed (overrides the benchmark's).
    #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
    pub timeout: Option<f64>,
    /// Seeds to draw for a new baseline [default: the benchmark's `n_seeds`, else 30];
    /// a stored baseline keeps its seeds until `pybench update`.
    #[arg(long, value_parser = parse_n_seeds)]
    pub n_seeds: Option<usize>,
}

/// What a judged run prints and which report files it writes.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Also write the results as JSON to FILE (`-`: to stdout, with the
    /// text report on stderr).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write the results as JUnit XML to FILE (`-`: stdout).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write each slot's current mean in Bencher Metric Format to FILE
    /// (`-`: stdout).
    #[arg(long, value_name = "FILE")]
    pub bmf: Option<PathBuf>,
    /// Write one SVG per benchmark to DIR: baseline and current means ± sd.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Print the slot table under failing benchmarks, and skipped exports.
    #[arg(short, long)]
    pub verbose: bool,
    /// Print only FAIL and ERROR lines and the summary.
    #[arg(short, long)]
    pub quiet: bool,
}

/// How baselines are written.
#[derive(Debug, Clone, Args)]
pub struct WriteArgs {
    /// Write baselines on a dirty working tree without asking.
    #[arg(short, long)]
    pub yes: bool,
    /// Fail at once if another pybench run holds the baseline file's lock.
    #[arg(long)]
    pub no_wait: bool,
}

/// One shard of a run, for `pybench merge`.
#[derive(Debug, Clone, Args)]
pub struct ShardArgs {
    /// Run only shard K of N (1-based) of each benchmark's seeds and write
    /// them to --out for `pybench merge`; `auto` reads the engine's variables.
    // Reports are written by `merge`, which sees every shard.
    #[arg(
        long,
        value_name = "K/N|auto",
        value_parser = ShardSpec::parse,
        requires = "out",
        conflicts_with_all = ["json", "junit", "bmf", "plot"]
    )]
    pub shard: Option<ShardSpec>,
    /// The number of shards, for `--shard auto` under a Kubernetes Indexed Job.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), requires = "shard")]
    pub shard_count: Option<u32>,
    /// Where a shard writes its files (one per benchmark).
    #[arg(long, value_name = "DIR", requires = "shard")]
    pub out: Option<PathBuf>,
    /// The seed plan that shards read and `pybench seeds` writes
    /// [default: seed-plan.json next to the baseline file].
    #[arg(long, value_name = "FILE", requires = "shard")]
    pub seed_plan: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// The baseline file [default: .pybench/baselines.jsonl at the root of
    /// the Cargo workspace, else of the git work tree, else here].
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Only this benchmark (repeatable); `bench_x` or `x`.
    #[arg(long = "bench", value_name = "NAME")]
    pub benches: Vec<String>,
    /// The project the command runs in, its root found once when needed.
    #[arg(skip)]
    pub project: Project,
}

pub(super) fn parse_alpha(text: &str) -> Result<Alpha, SettingsError> {
    settings::parse_with(text, Alpha::new)
}

fn parse_timeout(text: &str) -> Result<f64, SettingsError> {
    settings::parse_with(text, settings::timeout)
}

pub(super) fn parse_min_effect(text: &str) -> Result<f64, SettingsError> {
    settings::parse_with(text, settings::min_effect)
}

fn parse_n_seeds(text: &str) -> Result<usize, SettingsError> {
    settings::parse_with(text, settings::n_seeds)
}

fn parse_workers(text: &str) -> Result<usize, SettingsError> {
    settings::parse_with(text, settings::workers)
}

impl SettingsArgs {
    /// The settings these flags override.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            n_seeds: self.n_seeds,
            alpha: self.alpha,
            min_effect: self.min_effect,
            workers: self.workers,
            timeout: self.timeout,
            adaptive: None,
            project_inputs: Vec::new(),
        }
    }
}

impl SearchArgs {
    /// The PATH arguments; none means the project's default
    /// (`runner::discover::resolve_paths`).
    pub fn paths(&self) -> Vec<PathBuf> {
        self.paths.clone()
    }

    /// Where to look for benchmarks, and which to keep; `verbose` lists
    /// skipped exports.
    pub fn search(&self, verbose: bool) -> Search {
        Search {
            paths: self.paths(),
            no_build: self.no_build,
            verbose,
            quiet: false,
            selection: self.store.selection(),
            in_process: false,
            timeout: None,
            python: self.python.clone(),
            python_revision: None,
            project: self.store.project.root().to_path_buf(),
            hashes: self.store.project.hashes().clone(),
        }
    }
}

impl RunArgs {
    /// Where to look for benchmarks, and which to keep.
    pub fn search(&self) -> Search {
        Search {
            in_process: self.in_process,
            timeout: self.settings.timeout,
            quiet: self.reports.quiet,
            ..self.search.search(self.reports.verbose)
        }
    }
}

impl ReportArgs {
    /// The report files the flags ask for.
    pub fn targets(&self) -> Targets {
        Targets {
            json: self.json.clone(),
            junit: self.junit.clone(),
            bmf: self.bmf.clone(),
            plot: self.plot.clone(),
            github: true,
        }
    }
}

impl StoreArgs {
    /// The baseline file: `--baseline`, else the project's.
    pub fn baseline(&self) -> PathBuf {
        self.baseline
            .clone()
            .unwrap_or_else(|| self.project.baseline())
    }

    /// The `--bench` names.
    pub fn selection(&self) -> Selection {
        Selection {
            names: self.benches.clone(),
        }
    }
}
