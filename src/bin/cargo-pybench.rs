//! `cargo pybench [ARGS]`, as `cargo nextest`: cargo runs this binary as
//! `cargo-pybench pybench [ARGS]`, and it does what `pybench [ARGS]` does.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "pybench") {
        args.remove(1);
    }
    // Usage and errors then read `cargo pybench`, as the user typed it.
    if let Some(name) = args.first_mut() {
        *name = "cargo pybench".into();
    }
    ExitCode::from(pybench_cli::commands::main(args) as u8)
}
