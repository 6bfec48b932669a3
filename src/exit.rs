//! The process's exit codes, in one place (nextest's `NextestExitCode`).

/// Every benchmark passed (or is new), or the command had nothing to judge.
pub const OK: i32 = 0;
/// At least one benchmark regressed. Wins over every other outcome: a FAIL
/// always exits 1, whatever else went wrong in the run.
pub const REGRESSION: i32 = 1;
/// Bad input or a broken benchmark, and nothing regressed.
pub const ERROR: i32 = 2;
/// Ctrl-C (SIGINT): 128 + 2, the shell's convention. Nothing was written.
pub const INTERRUPTED: i32 = 130;

/// The exit code of a run from what it found: a regression wins over an
/// error, which wins over success.
pub fn of(regressed: bool, errored: bool) -> i32 {
    if regressed {
        REGRESSION
    } else if errored {
        ERROR
    } else {
        OK
    }
}
