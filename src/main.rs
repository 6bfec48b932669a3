//! The `pybench` binary: parse the command line, run the command, and turn
//! an error into one line on stderr and its exit code.

use std::process::ExitCode;

use clap::Parser;
use pybench_cli::cli::Cli;
use pybench_cli::runner::isolate;
use pybench_cli::{commands, error, report};

fn main() -> ExitCode {
    // A worker runs one benchmark's seeds for a parent pybench (see isolate.rs).
    if std::env::args_os().nth(1).as_deref() == Some(std::ffi::OsStr::new(isolate::WORKER_ARG)) {
        return ExitCode::from(isolate::worker_main() as u8);
    }
    let cli = Cli::parse();
    report::style::apply(cli.color);
    let code = match commands::dispatch(&cli) {
        Ok(code) => code,
        Err(e) => {
            error::print(&e);
            e.exit_code()
        }
    };
    ExitCode::from(code as u8)
}
