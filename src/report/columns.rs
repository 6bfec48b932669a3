//! The columns of a run's rows: names padded to one width, and counts
//! in the singular when there is one.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::escape::bench_name;

/// The width names are padded to: 18 columns, as the reference does, or
/// one more than the longest name of the run, so that every row's dots
/// and status line up. Set once per run by [`align_names`], before the
/// first row is printed (every command knows its benchmarks by then).
static NAME_WIDTH: AtomicUsize = AtomicUsize::new(18);

/// Pad every name printed from now on to fit the longest of `names`.
pub fn align_names<'a>(names: impl IntoIterator<Item = &'a str>) {
    let longest = names
        .into_iter()
        .map(|n| bench_name(n).chars().count() + 1)
        .max()
        .unwrap_or(0);
    NAME_WIDTH.store(longest.max(18), Ordering::Relaxed);
}

/// The name (escaped) padded to the run's name width; never without a
/// space after it.
pub fn padded_name(name: &str) -> String {
    let name = bench_name(name);
    let width = NAME_WIDTH.load(Ordering::Relaxed);
    let pad = width.saturating_sub(name.chars().count()).max(1);
    format!("{name}{}", " ".repeat(pad))
}

/// `update`'s summary, counted after the writes: `1 baseline rewritten`,
/// `0 baselines rewritten, 1 error`.
pub fn rewritten(results: &[crate::result::BenchResult]) -> String {
    let written = results.iter().filter(|r| r.saved).count();
    let errors = results.iter().filter(|r| r.status().is_error()).count();
    let mut line = format!("{} rewritten", count(written, "baseline"));
    if errors > 0 {
        line.push_str(&format!(", {}", count(errors, "error")));
    }
    line
}

/// `n thing` or `n things`.
pub fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}
