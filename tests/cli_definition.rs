//! pybench's command-line definition, checked by clap itself.

use clap::CommandFactory;
use pybench_cli::cli::Cli;

/// clap's consistency checks (conflicting or missing argument ids, bad
/// defaults, help templates...), which clap otherwise runs only when a
/// debug build happens to parse the arguments that trip them.
#[test]
fn clap_finds_the_cli_consistent() {
    Cli::command().debug_assert();
}
