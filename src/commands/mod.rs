//! One module per subcommand. Each reads its clap struct (`crate::cli`),
//! drives the layers below, and returns the exit code.

pub mod against;
pub mod check;
pub mod compare;
pub mod list;
pub mod merge;
pub mod seeds;
pub mod shard;
pub mod show;
pub mod update;

use clap::CommandFactory;

use crate::cli::{Cli, Command};
use crate::error::Error;
use crate::exit;
use crate::runner::isolate::INTERRUPTED;

/// Run the command the user asked for; the result is the exit code.
pub fn dispatch(cli: &Cli) -> Result<i32, Error> {
    match &cli.command {
        None => check::run(&cli.run),
        Some(Command::Update(update)) => update::run(update),
        Some(Command::Show(show)) => show::run(show),
        Some(Command::Compare(compare)) => compare::run(compare),
        Some(Command::Completions { shell }) => {
            let mut command = Cli::command();
            clap_complete::generate(*shell, &mut command, "pybench", &mut std::io::stdout());
            Ok(exit::OK)
        }
        Some(Command::Seeds(seeds)) => seeds::run(seeds),
        Some(Command::Merge(merge)) => merge::run(&merge.run),
    }
}

/// Ctrl-C stops the workers and nothing is written. The handler can only
/// be installed once per process, which is all a run needs.
pub fn catch_interrupts() {
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst));
}
