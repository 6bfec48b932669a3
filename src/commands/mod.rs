//! One module per subcommand. Each reads its clap struct (`crate::cli`),
//! drives the layers below, and returns the exit code.

pub mod against;
pub mod bisect;
pub mod check;
pub mod compare;
pub mod forget;
pub mod list;
pub mod merge;
pub mod seeds;
pub mod sensitivity;
pub mod shard;
pub mod show;
pub mod update;

use std::time::Instant;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command, ReportArgs, WriteArgs};
use crate::error::Error;
use crate::exit;
use crate::judge::Pipeline;
use crate::report::ExportManager;
use crate::runner::describe::{DESCRIBE_ARG, describe_main};
use crate::runner::isolate::WORKER_ARG;
use crate::runner::worker::worker_main;
use crate::runner::{self, Benchmark, RunContext, Search};
use crate::settings::RunMode;
use crate::stats::Family;

/// The whole process after `main`: a worker's job, or parse `args` (with
/// the program name first), run the command, and turn an error into one
/// line and its exit code.
pub fn main(args: Vec<std::ffi::OsString>) -> i32 {
    // A worker runs one benchmark's seeds for a parent pybench (see isolate.rs).
    let role = args.get(1).map(|a| a.as_os_str());
    if role == Some(std::ffi::OsStr::new(WORKER_ARG)) {
        return worker_main();
    }
    // A describe worker loads one library and reads its settings (describe.rs).
    if role == Some(std::ffi::OsStr::new(DESCRIBE_ARG)) {
        return describe_main();
    }
    let mut cli = Cli::parse_from(args);
    cli.resolve_in_process_paths();
    crate::report::style::apply(cli.color);
    let outcome = dispatch(&cli);
    // The library hashes this run found, written once for the whole run.
    crate::store::hash_cache::save();
    match outcome {
        Ok(code) => code,
        Err(e) => {
            crate::error::print(&e);
            e.exit_code()
        }
    }
}

/// Run the command the user asked for; the result is the exit code.
pub fn dispatch(cli: &Cli) -> Result<i32, Error> {
    match &cli.command {
        None => check::run(cli.check.mode()),
        Some(Command::Update(update)) => update::run(update),
        Some(Command::Show(show)) => show::run(show),
        Some(Command::Compare(compare)) => compare::run(compare),
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "pybench", &mut script);
            crate::report::print(&String::from_utf8_lossy(&script));
            Ok(exit::OK)
        }
        Some(Command::Seeds(seeds)) => seeds::run(seeds),
        Some(Command::Merge(merge)) => merge::run(merge),
        Some(Command::Bisect(args)) => bisect::run(args),
        Some(Command::Forget(forget)) => forget::run(forget),
    }
}

/// The selected benchmarks of `search`. `context` must already catch
/// signals: the describe workers lead process groups of their own, so the
/// terminal's Ctrl-C (or a SIGTERM) reaches only pybench, which must stop
/// them.
pub fn discover(context: &RunContext, search: &Search) -> Result<Vec<Benchmark>, Error> {
    let benchmarks = runner::benchmarks(context, search)?;
    context.check()?;
    Ok(benchmarks)
}

/// The judging pipeline as the flags configure it, with every report
/// target checked before anything runs.
pub fn pipeline(
    context: RunContext,
    reports: &ReportArgs,
    write: &WriteArgs,
    family: Family,
    mode: RunMode,
    started: Instant,
) -> Result<Pipeline, Error> {
    let targets = reports.targets();
    let on_stdout = targets.on_stdout();
    if on_stdout.len() > 1 {
        return Err(Error::StdoutTwice(on_stdout.join(" and ")));
    }
    let mut exports = ExportManager::new(&targets);
    exports.open_all()?;
    Ok(Pipeline {
        text_to_stderr: !on_stdout.is_empty(),
        context,
        mode,
        family,
        yes: write.yes,
        verbose: reports.verbose,
        quiet: reports.quiet,
        started,
        exports,
        missing: Vec::new(),
        column: Default::default(),
    })
}
