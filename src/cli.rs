//! Every clap struct of the command line, and their translation into what
//! the layers below take (settings overrides, a benchmark search, report
//! targets). Nothing below `commands` sees these structs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::Targets;
use crate::report::style::ColorChoice;
use crate::runner::{Search, Selection};
use crate::scaleout::ShardSpec;
use crate::settings::{self, Overrides, SettingsError};
use crate::stats::Family;

/// Catch regressions in code whose output is a random number.
///
/// Discovers `bench_*` functions in benchmark libraries, runs each over many
/// seeds, stores seeds and scores as a baseline, reuses the same seeds on
/// every later run, and fails (exit 1) when the paired differences show a
/// regression.
#[derive(Debug, Parser)]
#[command(name = "pybench", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
    /// Colour: auto (a terminal, unless NO_COLOR; FORCE_COLOR/CLICOLOR_FORCE force it), always or never.
    #[arg(long, value_name = "WHEN", default_value = "auto", global = true)]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Re-run with fresh seeds and overwrite those baselines.
    Update(UpdateArgs),
    /// Print the stored baselines.
    Show(ShowArgs),
    /// Compare two JSON reports or two baseline files: B against A.
    Compare(CompareArgs),
    /// Print a shell completion script.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Draw the seeds of a sharded run once, into the seed plan.
    Seeds(SeedsArgs),
    /// Join shard directories into one verdict, report and baseline write.
    ///
    /// `pybench merge DIR...` takes the directories that `--shard K/N --out
    /// DIR` wrote, and prints, writes and exits exactly as the unsharded run.
    Merge(MergeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Benchmark libraries, Cargo packages or directories [default: ./benchmarks]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Significance level, per slot and for the verdict (overrides the benchmark's).
    #[arg(long, value_parser = parse_alpha)]
    pub alpha: Option<f64>,
    /// Minimum relative drop in goodness for a slot to count, e.g. 0.02.
    #[arg(long, value_name = "FRACTION", value_parser = parse_min_effect)]
    pub min_effect: Option<f64>,
    /// Seeds run at once [default: the benchmark's `workers`, else all cores].
    #[arg(short = 'j', long, value_parser = parse_workers)]
    pub workers: Option<usize>,
    /// Load Cargo packages' last release build instead of building them.
    #[arg(long)]
    pub no_build: bool,
    /// Also write the results as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Print the slot table under failing benchmarks, and skipped exports.
    #[arg(short, long)]
    pub verbose: bool,
    /// Write baselines on a dirty working tree without asking.
    #[arg(short, long)]
    pub yes: bool,
    /// Judge a check in looks (by default after ⅓, ⅔ and all of the stored
    /// seeds) and stop as soon as the verdict is clear.
    #[arg(long, conflicts_with = "shard")]
    pub adaptive: bool,
    /// Run-level false-alarm control over the benchmarks judged in one run:
    /// bh (Benjamini–Hochberg, the default), holm, or none (each benchmark
    /// at its own alpha, as the Python pybench).
    #[arg(long, value_name = "METHOD", default_value = "bh")]
    pub family: Family,
    /// Seconds one seed may take before its worker is killed (overrides the benchmark's).
    #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
    pub timeout: Option<f64>,
    /// Run benchmarks inside this process (for debuggers): faster to start,
    /// but a crash takes pybench down and --timeout is not enforced.
    #[arg(long)]
    pub in_process: bool,
    /// Fail at once if another pybench run holds the baseline file's lock.
    #[arg(long)]
    pub no_wait: bool,
    /// Also write the results as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write each slot's current mean in Bencher Metric Format to FILE.
    #[arg(long, value_name = "FILE")]
    pub bmf: Option<PathBuf>,
    /// Write one SVG per benchmark to DIR: baseline and current means ± sd.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Print only FAIL and ERROR lines and the summary.
    #[arg(short, long)]
    pub quiet: bool,
    /// List the discovered benchmarks and their settings; run nothing.
    #[arg(long)]
    pub list: bool,
    /// Run only shard K of N (1-based) of each benchmark's seeds and write
    /// them to --out for `pybench merge`; `auto` reads the engine's variables.
    #[arg(long, value_name = "K/N|auto", value_parser = ShardSpec::parse, requires = "out")]
    pub shard: Option<ShardSpec>,
    /// The number of shards, for `--shard auto` under a Kubernetes Indexed Job.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub shard_count: Option<u32>,
    /// Where a shard writes its files (one per benchmark).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The seed plan that shards read and `pybench seeds` writes
    /// [default: seed-plan.json next to the baseline file].
    #[arg(long, value_name = "FILE")]
    pub seed_plan: Option<PathBuf>,
    /// Compare with the same benchmarks at revision REV (a branch, tag,
    /// `HEAD~1`, a SHA), built from a checkout of it and run on the same
    /// seeds in this run; writes no baseline.
    #[arg(long, value_name = "REV")]
    pub against: Option<String>,
    /// With --against: use the stored baseline's seeds where there is one.
    #[arg(long, requires = "against")]
    pub stored_seeds: bool,
}

#[derive(Debug, Clone, Args)]
pub struct SeedsArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Seeds to draw [default: the benchmark's `n_seeds`, else 30].
    #[arg(long, value_parser = parse_n_seeds)]
    pub n_seeds: Option<usize>,
}

#[derive(Debug, Clone, Args)]
#[command(mut_arg("paths", |a| a.value_name("DIR").help("The directories the shards' --out wrote")))]
pub struct MergeArgs {
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Clone, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Seeds to draw [default: the benchmark's `n_seeds`, else 30].
    #[arg(long, value_parser = parse_n_seeds)]
    pub n_seeds: Option<usize>,
}

#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// The baseline file.
    #[arg(long, value_name = "FILE", default_value = ".pybench/baselines.jsonl")]
    pub baseline: PathBuf,
    /// Only this benchmark (repeatable); `bench_x` or `x`.
    #[arg(long = "bench", value_name = "NAME")]
    pub benches: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The baseline at every commit that changed the file, oldest first.
    #[arg(long)]
    pub history: bool,
    /// Write one SVG per stored baseline to DIR: each metric's mean ± sd over steps.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Per slot: the smallest drop the stored seeds detect (MDE, power
    /// 0.80), and the seeds needed to detect a drop of --effect.
    #[arg(long, conflicts_with = "history")]
    pub sensitivity: bool,
    /// With --sensitivity: the relative drop to size seeds for, e.g. 0.02.
    #[arg(long, value_name = "FRACTION", value_parser = parse_effect, requires = "sensitivity")]
    pub effect: Option<f64>,
    /// With --sensitivity: the run-level correction the MDE assumes, over
    /// every stored benchmark (as a check of them all would judge them).
    #[arg(
        long,
        value_name = "METHOD",
        default_value = "bh",
        requires = "sensitivity"
    )]
    pub family: Family,
}

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// The reference run: a JSON report or a baseline file.
    pub a: PathBuf,
    /// The run judged against A: a JSON report or a baseline file.
    pub b: PathBuf,
    /// Significance level [default: A's per benchmark (JSON), else 0.05].
    #[arg(long, value_parser = parse_alpha)]
    pub alpha: Option<f64>,
    /// Minimum relative goodness change for a slot to count, e.g. 0.02.
    #[arg(long, value_name = "FRACTION", value_parser = parse_min_effect)]
    pub min_effect: Option<f64>,
    /// Only this benchmark (repeatable); `bench_x` or `x`.
    #[arg(long = "bench", value_name = "NAME")]
    pub benches: Vec<String>,
    /// Also write the comparison as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

fn parse_alpha(text: &str) -> Result<f64, SettingsError> {
    settings::parse_with(text, settings::alpha)
}

fn parse_timeout(text: &str) -> Result<f64, SettingsError> {
    settings::parse_with(text, settings::timeout)
}

fn parse_min_effect(text: &str) -> Result<f64, SettingsError> {
    settings::parse_with(text, settings::min_effect)
}

fn parse_effect(text: &str) -> Result<f64, SettingsError> {
    settings::parse_with(text, |e: f64| {
        if e > 0.0 && e < 1.0 {
            Ok(e)
        } else {
            Err(SettingsError::MinEffect(e))
        }
    })
}

fn parse_n_seeds(text: &str) -> Result<usize, SettingsError> {
    settings::parse_with(text, settings::n_seeds)
}

fn parse_workers(text: &str) -> Result<usize, SettingsError> {
    settings::parse_with(text, settings::workers)
}

impl RunArgs {
    /// The settings these flags override; `n_seeds` comes from `update`.
    pub fn overrides(&self, n_seeds: Option<usize>) -> Overrides {
        Overrides {
            n_seeds,
            alpha: self.alpha,
            min_effect: self.min_effect,
            workers: self.workers,
            timeout: self.timeout,
            adaptive: self.adaptive.then_some(true),
        }
    }

    /// The PATH arguments, or `./benchmarks`.
    pub fn paths(&self) -> Vec<PathBuf> {
        if self.paths.is_empty() {
            vec![PathBuf::from("benchmarks")]
        } else {
            self.paths.clone()
        }
    }

    /// Where to look for benchmarks, and which to keep.
    pub fn search(&self) -> Search {
        Search {
            paths: self.paths(),
            no_build: self.no_build,
            verbose: self.verbose,
            selection: self.store.selection(),
        }
    }

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
    /// The `--bench` names.
    pub fn selection(&self) -> Selection {
        Selection {
            names: self.benches.clone(),
        }
    }
}
