//! The columns of a run's rows: names padded to one width, and counts
//! in the singular when there is one.

use super::escape::bench_name;

/// The width one run pads its names to: 18 columns, as the reference
/// does, or one more than the longest name of the run, so that every
/// row's dots and status line up. Made by the command that knows the run's
/// names, and handed to whatever prints its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameColumn(usize);

impl Default for NameColumn {
    fn default() -> NameColumn {
        NameColumn(18)
    }
}

impl NameColumn {
    /// The column that fits the longest of `names`.
    pub fn fitting<'a>(names: impl IntoIterator<Item = &'a str>) -> NameColumn {
        let longest = names
            .into_iter()
            .map(|n| bench_name(n).chars().count() + 1)
            .max()
            .unwrap_or(0);
        NameColumn(longest.max(NameColumn::default().0))
    }

    /// `name` (escaped) padded to the column; never without a space after
    /// it.
    pub fn pad(self, name: &str) -> String {
        let name = bench_name(name);
        let pad = self.0.saturating_sub(name.chars().count()).max(1);
        format!("{name}{}", " ".repeat(pad))
    }
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
