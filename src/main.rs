//! The `pybench` binary: parse the command line, run, and turn any error
//! into one line on stderr and exit code 2.

use std::process::ExitCode;

use clap::Parser;
use pybench::app::{self, Mode};
use pybench::cli::{Cli, Command};
use pybench::error::Error;
use pybench::isolate;

fn main() -> ExitCode {
    // A worker runs one benchmark's seeds for a parent pybench (see isolate.rs).
    if std::env::args_os().nth(1).as_deref() == Some(std::ffi::OsStr::new(isolate::WORKER_ARG)) {
        return ExitCode::from(isolate::worker_main() as u8);
    }
    let cli = Cli::parse();
    pybench::color::apply(match &cli.command {
        None => cli.run.color,
        Some(Command::Update(update)) => update.run.color,
        Some(Command::Show(show)) => show.color,
        Some(Command::Compare(compare)) => compare.color,
        Some(Command::Seeds(seeds)) => seeds.run.color,
        Some(Command::Merge(merge)) => merge.run.color,
        Some(Command::Completions { .. }) => pybench::color::ColorChoice::Never,
    });
    let outcome = match &cli.command {
        None => app::run(&cli.run, Mode::Check),
        Some(Command::Update(update)) => app::run(
            &update.run,
            Mode::Update {
                n_seeds: update.n_seeds.map(|n| n as usize),
            },
        ),
        Some(Command::Show(show)) => pybench::show::show(show),
        Some(Command::Compare(compare)) => pybench::compare::run(compare),
        Some(Command::Completions { shell }) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut command, "pybench", &mut std::io::stdout());
            Ok(0)
        }
        Some(Command::Seeds(seeds)) => {
            pybench::seed_plan::command(&seeds.run, seeds.n_seeds.map(|n| n as usize))
        }
        Some(Command::Merge(merge)) => pybench::merge::run(&merge.run),
    };
    match outcome {
        Ok(code) => ExitCode::from(code as u8),
        Err(error) => {
            report_error(&error);
            ExitCode::from(2)
        }
    }
}

fn report_error(error: &Error) {
    match error.hint() {
        Some(hint) => eprintln!("error: {error} (hint: {hint})"),
        None => eprintln!("error: {error}"),
    }
}
