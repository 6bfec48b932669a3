//! The Python interpreters the Python-benchmark tests run: a real
//! `python3` (always), and one with numpy for the tests that need it —
//! `PYBENCH_TEST_NUMPY_PYTHON` (which `.ci/run` points at a virtual
//! environment it made once), else `python3` when it has numpy.

use std::process::Command;
use std::sync::OnceLock;

/// The real executable behind `python3` on PATH (not a shim that slows
/// every start).
pub fn python3() -> &'static str {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(|| executable_of("python3").expect("the Python tests need python3 on PATH"))
}

/// An interpreter with numpy, or `None` after printing why the caller skips.
pub fn numpy_python(test: &str) -> Option<&'static str> {
    static NUMPY: OnceLock<Option<String>> = OnceLock::new();
    let found = NUMPY.get_or_init(|| {
        let candidates = std::env::var("PYBENCH_TEST_NUMPY_PYTHON")
            .ok()
            .into_iter()
            .chain([python3().to_string()]);
        candidates
            .filter(|python| {
                Command::new(python)
                    .args(["-c", "import numpy"])
                    .output()
                    .is_ok_and(|o| o.status.success())
            })
            .find_map(|python| executable_of(&python))
    });
    if found.is_none() {
        println!(
            "skipped {test}: no interpreter with numpy (set PYBENCH_TEST_NUMPY_PYTHON; .ci/run makes one)"
        );
    }
    found.as_deref()
}

fn executable_of(python: &str) -> Option<String> {
    let output = Command::new(python)
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .ok()?;
    let path = String::from_utf8(output.stdout).ok()?.trim().to_string();
    (output.status.success() && !path.is_empty()).then_some(path)
}
