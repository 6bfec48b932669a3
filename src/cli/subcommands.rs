//! The arguments of each subcommand beyond the shared flag groups.

use std::path::PathBuf;

use clap::Args;

use super::flags::{
    ReportArgs, RunArgs, SearchArgs, SettingsArgs, StoreArgs, WriteArgs, parse_alpha,
    parse_min_effect,
};
use crate::settings::{self, Alpha, SettingsError};
use crate::stats::Family;

#[derive(Debug, Clone, Args)]
pub struct ForgetArgs {
    /// The benchmarks whose baselines to remove; `bench_x` or `x`.
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
    /// The baseline file [default: .pybench/baselines.jsonl at the root of
    /// the Cargo workspace, else of the git work tree, else here].
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Clone, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Hidden: accepted only to say why `update` cannot take it.
    #[arg(long, value_name = "REV", hide = true)]
    pub against: Option<String>,
}

/// `pybench bisect`: the commits are read with gix and built from
/// checkouts in the `--against` cache; nothing in the work tree changes.
#[derive(Debug, Clone, Args)]
pub struct BisectArgs {
    /// GOOD and BAD (or GOOD..BAD), then PATHs: an argument that names an
    /// existing file or directory starts the PATHs.
    #[arg(value_name = "GOOD [BAD] [PATH]")]
    pub args: Vec<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Judge each probe in looks and stop it as soon as its verdict is clear.
    #[arg(long)]
    pub adaptive: bool,
    /// Also write the probes and the answer as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Print only the answer (and errors).
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Args)]
pub struct SeedsArgs {
    #[command(flatten)]
    pub search: SearchArgs,
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// List skipped exports.
    #[arg(short, long)]
    pub verbose: bool,
    /// The seed plan to write [default: seed-plan.json next to the baseline file].
    #[arg(long, value_name = "FILE")]
    pub seed_plan: Option<PathBuf>,
}

/// `merge` judges what the shards ran: their settings decide the verdict,
/// so it takes no settings, and it runs nothing.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The directories the shards' --out wrote
    #[arg(value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub reports: ReportArgs,
    #[command(flatten)]
    pub write: WriteArgs,
    /// Run-level false-alarm control over the merged benchmarks: bh (the
    /// default), holm, or none.
    #[arg(long, value_name = "METHOD", default_value = "bh")]
    pub family: Family,
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
    pub alpha: Option<Alpha>,
    /// Minimum relative goodness change for a slot to count, e.g. 0.02.
    #[arg(long, value_name = "FRACTION", value_parser = parse_min_effect)]
    pub min_effect: Option<f64>,
    /// Only this benchmark (repeatable); `bench_x` or `x`.
    #[arg(long = "bench", value_name = "NAME")]
    pub benches: Vec<String>,
    /// Also write the comparison as JSON to FILE (`-`: stdout, with the
    /// table on stderr).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

fn parse_effect(text: &str) -> Result<f64, SettingsError> {
    settings::parse_with(text, |e: f64| {
        if e > 0.0 && e < 1.0 {
            Ok(e)
        } else {
            Err(SettingsError::Effect(e))
        }
    })
}
