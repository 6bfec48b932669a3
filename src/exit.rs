//! The process's exit codes, in one place (nextest's `NextestExitCode`).

/// Every benchmark passed (or is new), or the command had nothing to judge.
pub const OK: i32 = 0;
/// At least one benchmark regressed. Wins over every other outcome: a FAIL
/// always exits 1, whatever else went wrong in the run.
pub const REGRESSION: i32 = 1;
/// Bad input or a broken benchmark, and nothing regressed.
pub const ERROR: i32 = 2;
/// A worker process's own exit code when it could not even start its job
/// (it says why on its last stderr line). Never pybench's exit code.
pub const WORKER_SETUP_FAILED: i32 = 3;

/// A run stopped by SIGINT (Ctrl-C), SIGTERM or SIGHUP exits 128 + the
/// signal's number, the shell's convention: 130, 143, 129. Nothing was
/// written.
pub fn stopped_by(signal: i32) -> i32 {
    128 + signal
}

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
