//! What a run found, and how it reads on a terminal.
//!
//! The layout follows the Python pybench's walkthrough: a name padded to 18
//! columns (or to the run's longest name), ten dots, the status, three spaces and the detail; a 62-column
//! rule; a summary line.

use std::fmt::Write;

pub use super::columns::{NameColumn, count, rewritten};
use super::escape::cut;
pub use super::escape::{SHOWN_CHARS, bench_name, escape, shown};
pub use super::number::{p_digits, p_text};
use super::number::{percent, sig};
use super::shared_error;
pub use super::slot_table::slot_table;
use super::style::paint;
use crate::result::{BenchResult, NoteKind, RunFamily, Status};
use crate::scores::ScoreTable;
use crate::settings::compact;
use crate::stats::SequentialVerdict;

/// The stderr warnings about a result: another environment than the
/// baseline's, scores that a seed does not reproduce, too few seeds for the
/// corrected threshold, and (with `verbose`) slots too noisy to see the drop
/// that matters.
pub fn warnings(result: &BenchResult, verbose: bool) -> Vec<String> {
    let mut out = Vec::new();
    if !result.env_differences.is_empty() {
        out.push(format!(
            "warning: {}: measured on another environment than its baseline: {}",
            result.name,
            result.env_differences.join(", ")
        ));
    }
    if let Some(seed) = result.nondeterministic_seed {
        out.push(format!(
            "warning: {}: same library and seed {seed}, different scores: the benchmark is not deterministic per seed (or its inputs changed), which weakens pairing",
            result.name
        ));
    }
    for note in &result.notes {
        if verbose || note.kind == NoteKind::Reach {
            out.push(format!("warning: {}", note.text));
        }
    }
    // Names and slots in them came from the benchmark.
    out.iter().map(|warning| shown(warning)).collect()
}

pub const RULE_WIDTH: usize = 62;

pub fn header(n_benchmarks: usize) -> String {
    format!(
        "pybench — {} discovered\n",
        count(n_benchmarks, "benchmark")
    )
}

/// `N slots: M metrics × S steps`, N counted as the flagged count is (a
/// metric need not be at every step).
fn shape(table: &ScoreTable) -> String {
    let (metrics, steps) = table.shape();
    format!(
        "{}: {} × {}",
        count(table.slots().len(), "slot"),
        count(metrics, "metric"),
        count(steps, "step")
    )
}

/// The one-line verdict, its name in `column`, plus the slot table under
/// FAIL when `verbose`.
pub fn bench_lines(result: &BenchResult, verbose: bool, column: NameColumn) -> String {
    let detail = match (result.status(), result.current(), result.comparison()) {
        (Status::Error | Status::Missing, ..) => shown(result.error().unwrap_or_default()),
        (Status::New, None, _) if result.against.is_some() => {
            format!(
                "only in the working tree, not in {}",
                result.against.as_ref().map_or("", |r| r.label.as_str())
            )
        }
        (Status::New, Some(table), _) => format!(
            "{}   {}",
            shape(table),
            match (result.saved, result.not_saved) {
                (true, _) => "(baseline saved)".to_string(),
                (false, Some(why)) => format!("not saved: {why}"),
                (false, None) => "(baseline not saved)".to_string(),
            }
        ),
        (_, Some(_), Some(cmp)) if cmp.slots.len() == 1 => {
            let s = &cmp.slots[0];
            format!(
                "{}  {}→{}  Δ{}  p={}",
                shown(&s.slot.metric),
                sig(s.baseline_mean, 3),
                sig(s.current_mean, 3),
                percent(s.effect),
                p_digits(s.p, result.alpha.get(), 2)
            )
        }
        (_, Some(table), Some(cmp)) => format!(
            "{}   {}/{} slots flagged  meta-p={}",
            shape(table),
            cmp.n_flagged(),
            cmp.slots.len(),
            p_text(
                result.meta_p().unwrap_or(cmp.meta_p),
                result.verdict_threshold()
            )
        ),
        _ => String::new(),
    };
    let mut out = format!(
        "{}.......... {}{}   {}{}\n",
        column.pad(&result.name),
        paint(result.status()),
        improved_label(result),
        detail,
        looks_text(result)
    );
    out.push_str(&improved_lines(result));
    if verbose
        && result.status() == Status::Fail
        && let Some(cmp) = result.comparison()
    {
        let column = result
            .against
            .as_ref()
            .map_or("baseline", |r| r.short.as_str());
        let _ = cmp;
        out.push_str(&slot_table(result, column));
    }
    if verbose {
        out.push_str(&family_line(result));
    }
    if verbose && matches!(result.status(), Status::Fail | Status::Error) {
        out.push_str(&captured_output(&result.output));
    }
    out
}

/// How far an adaptive check went: `  (stopped at look 1/3: 10 of 30
/// seeds)` after an early FAIL, `  (no drop at look 1/3: 10 of 30 seeds)`
/// after an early PASS; nothing when it ran every seed.
fn looks_text(result: &BenchResult) -> String {
    let Some(seq) = result.sequential() else {
        return String::new();
    };
    let outcome = &seq.outcome;
    if outcome.stopped_at == seq.looks.len() {
        return String::new();
    }
    let how = match outcome.verdict {
        SequentialVerdict::Fail => "stopped at",
        SequentialVerdict::PassFutility | SequentialVerdict::Pass => "no drop at",
    };
    format!(
        "  ({how} look {}/{}: {} of {} seeds)",
        outcome.stopped_at,
        seq.looks.len(),
        outcome.seeds_run,
        seq.planned_seeds
    )
}

/// ` (improved)` after `PASS` when the mirror test is significant.
pub fn improved_label(result: &BenchResult) -> &'static str {
    if result.improved() { " (improved)" } else { "" }
}

/// Under an improved PASS: the improved slots and a hint to update.
pub fn improved_lines(result: &BenchResult) -> String {
    if !result.improved() {
        return String::new();
    }
    let slots: Vec<String> = result
        .improved_slots()
        .iter()
        .map(|s| format!("{} {}", shown(&s.slot.to_string()), percent(s.effect)))
        .collect();
    format!(
        "  improved: {}  (improvement meta-p={:.3}; run `pybench update` to make it the baseline)\n",
        if slots.is_empty() {
            "no single slot".to_string()
        } else {
            slots.join(", ")
        },
        result.improvement().map_or(1.0, |m| m.meta_p)
    )
}

/// The last lines a failing benchmark printed, indented under it: each
/// behind `  | `, escaped and cut like any text from a benchmark.
fn captured_output(output: &str) -> String {
    const SHOWN: usize = 40;
    let lines: Vec<&str> = output.lines().collect();
    if lines.is_empty() {
        return String::new();
    }
    let mut out = String::from("  output:\n");
    if lines.len() > SHOWN {
        let _ = writeln!(out, "  | … {} earlier lines", lines.len() - SHOWN);
    }
    for line in &lines[lines.len().saturating_sub(SHOWN)..] {
        let (line, left) = cut(line, SHOWN_CHARS);
        let _ = write!(out, "  | {line}");
        if left > 0 {
            let _ = write!(out, "… ({left} more bytes)");
        }
        out.push('\n');
    }
    out
}

/// Under a compared benchmark of a corrected run (with `-v`): its own and
/// its adjusted meta-p.
fn family_line(result: &BenchResult) -> String {
    match &result.family {
        Some(f) => format!(
            "  meta-p {} (own), {} adjusted ({} over {} benchmarks, FAIL below {})\n",
            p_text(f.raw_meta_p, f.threshold),
            p_text(f.adjusted_meta_p, f.level),
            f.method.name().to_uppercase(),
            f.m,
            compact(f.level)
        ),
        None => String::new(),
    }
}

pub fn rule() -> String {
    "─".repeat(RULE_WIDTH)
}

/// `F failed, P passed, N new[, E errors][  (BH over 20 benchmarks,
/// run-level α=0.05)]  in 0.3s`.
pub fn summary(results: &[BenchResult], family: Option<&RunFamily>, seconds: f64) -> String {
    let count = |status| crate::result::count(results, status);
    let mut line = format!(
        "{} failed, {} passed, {} new",
        count(Status::Fail),
        count(Status::Pass),
        count(Status::New)
    );
    let errors = count(Status::Error);
    if errors > 0 {
        let _ = write!(
            line,
            ", {errors} error{}",
            if errors == 1 { "" } else { "s" }
        );
    }
    let missing = count(Status::Missing);
    if missing > 0 {
        let _ = write!(line, ", {missing} missing");
    }
    if let Some(f) = family {
        let _ = write!(
            line,
            "  ({} over {} benchmarks, run-level α={})",
            f.method.name().to_uppercase(),
            f.m,
            compact(f.alpha)
        );
    }
    let _ = write!(line, "  in {seconds:.1}s");
    line
}

/// What `-q` prints: the FAIL and ERROR lines, then the summary.
pub fn quiet_lines(
    results: &[BenchResult],
    family: Option<&RunFamily>,
    seconds: f64,
    verbose: bool,
    column: NameColumn,
) -> String {
    let mut text = String::new();
    for run in shared_error::runs(results) {
        let result = shared_error::as_one(run);
        if result.status() == Status::Fail || result.status().is_error() {
            text.push_str(&bench_lines(&result, verbose, column));
        }
    }
    text.push_str(&summary(results, family, seconds));
    text.push('\n');
    text
}

/// `bench_x            updated   30 seeds` for `pybench update`.
pub fn updated_line(result: &BenchResult, column: NameColumn) -> String {
    match result.status() {
        Status::Error => format!(
            "{} {}   {}",
            column.pad(&result.name),
            paint(Status::Error),
            shown(result.error().unwrap_or_default())
        ),
        _ => format!(
            "{} updated   {} seeds",
            column.pad(&result.name),
            result.seeds.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_never_reads_as_the_threshold_it_differs_from() {
        assert_eq!(p_digits(0.0549, 0.05, 2), "0.055");
        assert_eq!(p_digits(0.0451, 0.05, 2), "0.045");
        assert_eq!(p_digits(0.001, 0.05, 2), "0.00");
        assert_eq!(p_digits(0.05, 0.05, 2), "0.05");
        assert_eq!(p_text(0.04996, 0.05), "0.04996");
    }
}
