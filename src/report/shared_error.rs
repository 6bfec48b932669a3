//! The benchmarks of a Python file that failed to import read as one ERROR
//! line for the file: the cause is the file, and saying it once per
//! benchmark buries it.

use std::borrow::Cow;

use crate::result::{BenchResult, Outcome, Status};
use crate::runner::python::IMPORT_FAILED;

/// Whether `result` is an ERROR of a file that failed to import.
pub fn failed_import(result: &BenchResult) -> bool {
    shared_key(result).is_some()
}

/// What makes ERRORs shared: a failed import, of the file they came from.
fn shared_key(result: &BenchResult) -> Option<(&str, &str)> {
    if result.status() != Status::Error {
        return None;
    }
    let message = result.error()?;
    message
        .starts_with(IMPORT_FAILED)
        .then_some((result.source.as_deref()?, message))
}

/// `results` cut, in order, into runs of consecutive failed imports of one
/// file with one message, and single results.
pub fn runs(results: &[BenchResult]) -> Vec<&[BenchResult]> {
    results
        .chunk_by(|a, b| shared_key(a).is_some() && shared_key(a) == shared_key(b))
        .collect()
}

/// A run as the one result its line shows: a single result as it is; a
/// shared ERROR named after its file, its message naming the benchmarks.
pub fn as_one(run: &[BenchResult]) -> Cow<'_, BenchResult> {
    match run {
        [first, _, ..] => {
            let (file, message) = shared_key(first).unwrap_or_default();
            let names: Vec<&str> = run.iter().map(|r| r.name.as_str()).collect();
            Cow::Owned(BenchResult {
                name: file.to_string(),
                outcome: Outcome::error(format!("{message}; not judged: {}", names.join(", "))),
                ..first.clone()
            })
        }
        _ => Cow::Borrowed(&run[0]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::Plan;
    use crate::settings::Alpha;

    fn result(name: &str, source: &str, outcome: Outcome) -> BenchResult {
        let plan = Plan {
            source: Some(source.to_string()),
            ..Plan::new(name, Alpha::DEFAULT, None)
        };
        plan.result(outcome, String::new())
    }

    #[test]
    fn only_consecutive_errors_of_one_file_with_one_message_share_a_line() {
        let failed = || Outcome::error("cannot import f.py: RuntimeError: no data");
        let results = [
            result("bench_a", "f.py", failed()),
            result("bench_b", "f.py", failed()),
            result("bench_c", "g.py", failed()),
            result(
                "bench_d",
                "g.py",
                Outcome::error("timed out after 1 s on seed 3"),
            ),
            result("bench_e", "g.py", Outcome::New(None)),
            result("bench_f", "g.py", Outcome::New(None)),
        ];
        let sizes: Vec<usize> = runs(&results).iter().map(|run| run.len()).collect();
        assert_eq!(sizes, [2, 1, 1, 1, 1]);
        let shared = as_one(runs(&results)[0]);
        assert_eq!(shared.name, "f.py");
        assert_eq!(
            shared.error(),
            Some("cannot import f.py: RuntimeError: no data; not judged: bench_a, bench_b")
        );
        assert_eq!(as_one(runs(&results)[1]).name, "bench_c");
        assert!(runs(&[]).is_empty());
    }
}
