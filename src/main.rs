//! The `pybench` binary.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(pybench_cli::commands::main(std::env::args_os().collect()) as u8)
}
