//! Every clap struct of the command line, and their translation into what
//! the layers below take (settings overrides, a benchmark search, report
//! targets). Nothing below `commands` sees these structs.
//!
//! The flags come in groups (which benchmarks, their settings, reports,
//! baseline writes, sharding), and each command flattens only the groups it
//! honours, so clap rejects a flag a command would otherwise ignore; flags
//! that one command honours only apart (`--list`, `--shard`, `--against`)
//! conflict.

mod flags;
mod mode;
mod subcommands;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::report::style::ColorChoice;

pub use flags::{
    CheckArgs, ReportArgs, RunArgs, SearchArgs, SettingsArgs, ShardArgs, StoreArgs, WriteArgs,
};
pub use mode::Mode;
pub use subcommands::{
    BisectArgs, CompareArgs, ForgetArgs, MergeArgs, SeedsArgs, ShowArgs, UpdateArgs,
};

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
