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
pub mod typo;
pub mod update;

use std::time::Instant;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command, ReportArgs, SettingsArgs, StoreArgs, WriteArgs};
use crate::error::Error;
use crate::exit;
use crate::judge::Pipeline;
use crate::report::ExportManager;
use crate::runner::describe::{DESCRIBE_ARG, describe_main};
use crate::runner::isolate::WORKER_ARG;
use crate::runner::worker::worker_main;
use crate::runner::{self, Benchmark, RunContext, Search};
use crate::settings::{Overrides, RunMode};
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
    let mut cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return typo::usage_error(&e, &args),
    };
    if let Some(line) = typo::path_typo(&cli, &args) {
        eprintln!("{line}");
        return exit::ERROR;
    }
    if let Some(store) = store_args(&mut cli) {
        store.project = runner::workspace::find_project();
    }
    cli.resolve_in_process_paths();
    crate::report::style::apply(cli.color);
    let outcome = dispatch(&cli);
    // The library hashes this run found, written once for the whole run.
    if let Some(store) = store_args(&mut cli) {
        store.project.hashes().save();
    }
    match outcome {
        Ok(code) => code,
        Err(e) => {
            crate::judge::pipeline::print_error(&e);
            e.exit_code()
        }
    }
}

/// The command's store flags, which carry the project it runs in: found
/// here once, for the commands that use the baseline file or search.
fn store_args(cli: &mut Cli) -> Option<&mut StoreArgs> {
    match &mut cli.command {
        None => Some(&mut cli.check.run.search.store),
        Some(Command::Update(update)) => Some(&mut update.run.search.store),
        Some(Command::Seeds(seeds)) => Some(&mut seeds.search.store),
        Some(Command::Show(show)) => Some(&mut show.store),
        Some(Command::Merge(merge)) => Some(&mut merge.store),
        Some(Command::Bisect(bisect)) => Some(&mut bisect.store),
        Some(Command::Compare(_) | Command::Completions { .. } | Command::Forget(_)) => None,
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

/// What the settings flags override, with the inputs of the project at
/// `root` (which every benchmark reads besides its own).
pub fn overrides(settings: &SettingsArgs, root: &std::path::Path) -> Result<Overrides, Error> {
    let project_inputs =
        runner::workspace::project_inputs(root).map_err(runner::DiscoverError::from)?;
    Ok(Overrides {
        project_inputs,
        ..settings.overrides()
    })
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
        lambdas: Default::default(),
        shown: 0,
    })
}
