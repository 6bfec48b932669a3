//! Every clap struct of the command line, and their translation into what
//! the layers below take (settings overrides, a benchmark search, report
//! targets). Nothing below `commands` sees these structs.
//!
//! The flags come in groups (which benchmarks, their settings, reports,
//! baseline writes, sharding), and each command flattens only the groups it
//! honours, so clap rejects a flag a command would otherwise ignore; flags
//! that one command honours only apart (`--list`, `--shard`, `--against`)
//! conflict.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::report::Targets;
use crate::report::style::ColorChoice;
use crate::runner::{Search, Selection};
use crate::scaleout::ShardSpec;
use crate::settings::{self, Alpha, Overrides, RunMode, SettingsError};
use crate::stats::Family;
use crate::store::Project;

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
    pub check: CheckArgs,
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
    /// Name the commit of GOOD..BAD that introduced a regression.
    ///
    /// `pybench bisect [GOOD [BAD]] [PATH...]` (or `GOOD..BAD`): GOOD
    /// defaults to the commit the stored baselines were measured at, BAD to
    /// HEAD; each probe is a check against GOOD's scores at alpha/⌈log2 m⌉.
    Bisect(BisectArgs),
    /// Remove benchmarks' baselines on purpose (a benchmark deleted or
    /// renamed), so that a check stops reporting them MISSING.
    Forget(ForgetArgs),
}

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

fn parse_alpha(text: &str) -> Result<Alpha, SettingsError> {
    settings::parse_with(text, Alpha::new)
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
            Err(SettingsError::Effect(e))
        }
    })
}

fn parse_n_seeds(text: &str) -> Result<usize, SettingsError> {
    settings::parse_with(text, settings::n_seeds)
}

fn parse_workers(text: &str) -> Result<usize, SettingsError> {
    settings::parse_with(text, settings::workers)
}

/// What a run of the benchmarks is, resolved once from its flags: the
/// commands branch on this, never on the flags again.
#[derive(Clone, Copy, Debug)]
pub enum Mode<'a> {
    /// `pybench [PATH...]`: judge against the stored baselines.
    Check(&'a CheckArgs),
    /// `pybench --against REV`: judge against REV, built beside.
    Against(&'a CheckArgs, &'a str),
    /// `pybench update`: fresh seeds, baselines rewritten.
    Update(&'a UpdateArgs),
    /// `--list`: what a check or an update would run, nothing run.
    List(&'a RunArgs),
    /// `--shard K/N --out DIR` (clap requires `--out`): one shard's files.
    Shard {
        run: &'a RunArgs,
        mode: RunMode,
        shard: ShardSpec,
        out: &'a Path,
    },
}

impl CheckArgs {
    /// The mode these flags ask for.
    pub fn mode(&self) -> Mode<'_> {
        if let Some(rev) = &self.against {
            return Mode::Against(self, rev);
        }
        self.run.mode(RunMode::Check).unwrap_or(Mode::Check(self))
    }
}

impl UpdateArgs {
    /// The mode these flags ask for (`--against` is refused elsewhere).
    pub fn mode(&self) -> Mode<'_> {
        self.run.mode(RunMode::Update).unwrap_or(Mode::Update(self))
    }
}

impl RunArgs {
    /// `--list` or `--shard`, which run as their own modes.
    fn mode(&self, mode: RunMode) -> Option<Mode<'_>> {
        if self.list {
            return Some(Mode::List(self));
        }
        match (self.shard.shard, self.shard.out.as_deref()) {
            (Some(shard), Some(out)) => Some(Mode::Shard {
                run: self,
                mode,
                shard,
                out,
            }),
            _ => None,
        }
    }
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

impl Cli {
    /// With `--in-process`, make every path a run writes (or reads late)
    /// absolute now, before any benchmark runs in this process: a benchmark
    /// that changes the current directory then cannot move the baseline,
    /// the reports or the shard files. Worker runs keep the paths as typed,
    /// since no benchmark can change pybench's directory.
    pub fn resolve_in_process_paths(&mut self) {
        let run = match &mut self.command {
            None => &mut self.check.run,
            Some(Command::Update(update)) => &mut update.run,
            Some(_) => return,
        };
        if !run.in_process {
            return;
        }
        let absolute = |path: &mut PathBuf| {
            if let Ok(resolved) = std::path::absolute(&*path) {
                *path = resolved;
            }
        };
        run.search.store.baseline = Some(run.search.store.baseline());
        let reports = &mut run.reports;
        let shard = &mut run.shard;
        [
            &mut run.search.store.baseline,
            &mut reports.json,
            &mut reports.junit,
            &mut reports.bmf,
            &mut reports.plot,
            &mut shard.out,
            &mut shard.seed_plan,
        ]
        .into_iter()
        .flatten()
        .for_each(absolute);
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
