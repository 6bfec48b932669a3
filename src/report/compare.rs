//! `pybench compare`'s terminal table and its `--json` document.

use std::fmt::Write as _;
use std::path::Path;

use owo_colors::AnsiColors;

use super::number::{mean_sd, percent};
use super::slot_table::{SLOT_COLUMNS, aligned};
use super::{style, terminal};
use crate::result::SlotVerdict;
use crate::result::compare::{BenchDiff, CompareReport, Verdict};
use crate::store::atomic::WriteError;

/// The terminal rendering of a comparison.
pub fn render(report: &CompareReport) -> String {
    let mut out = format!("pybench compare — A: {}  B: {}\n\n", report.a, report.b);
    let column = terminal::NameColumn::fitting(report.benchmarks.iter().map(|d| d.name.as_str()));
    for d in &report.benchmarks {
        out.push_str(&bench_line(d, column));
        out.push_str(&slot_table(d));
    }
    for name in &report.only_in_a {
        let name = terminal::escape(name);
        let _ = writeln!(out, "note: {name} is only in A; not compared");
    }
    for name in &report.only_in_b {
        let name = terminal::escape(name);
        let _ = writeln!(out, "note: {name} is only in B; not compared");
    }
    let count = |v| report.count(v);
    let _ = writeln!(
        out,
        "{}\n{} regressed, {} improved, {} unchanged{}",
        terminal::rule(),
        count(Verdict::Regressed),
        count(Verdict::Improved),
        count(Verdict::Unchanged),
        match count(Verdict::Error) {
            0 => String::new(),
            n => format!(", {n} error{}", if n == 1 { "" } else { "s" }),
        }
    );
    out
}

/// `bench_x .......... REGRESSED   paired, 12 seeds  1/3 slots …`.
fn bench_line(d: &BenchDiff, column: terminal::NameColumn) -> String {
    let color = match d.verdict {
        Verdict::Regressed => AnsiColors::Red,
        Verdict::Improved => AnsiColors::Cyan,
        Verdict::Unchanged => AnsiColors::Green,
        Verdict::Error => AnsiColors::BrightRed,
    };
    let status = style::colored(d.verdict.label(), color);
    let detail = match (&d.error, d.meta_p) {
        (Some(e), _) => terminal::shown(e),
        (None, Some(meta_p)) => format!(
            "{}  {}/{} slots regressed, {} improved  meta-p={}  improvement meta-p={}",
            if d.paired {
                format!("paired, {} seeds", d.n_seeds_a)
            } else {
                format!("unpaired, {} vs {} seeds", d.n_seeds_a, d.n_seeds_b)
            },
            d.count(SlotVerdict::Regressed),
            d.slots.len(),
            d.count(SlotVerdict::Improved),
            // Rounded as `pybench`'s own lines: never equal-looking to alpha.
            terminal::p_text(meta_p, d.alpha),
            terminal::p_text(d.improvement_meta_p.unwrap_or(1.0), d.alpha)
        ),
        _ => String::new(),
    };
    format!("{}.......... {status}   {detail}\n", column.pad(&d.name))
}

/// A and B per slot, `✗` on regressed and `↑` on improved slots.
fn slot_table(d: &BenchDiff) -> String {
    if d.slots.is_empty() {
        return String::new();
    }
    let mut rows = vec![
        ["metric", "step", "A", "B", "Δ", "p"]
            .map(String::from)
            .to_vec(),
    ];
    let mut marks = vec![String::new()];
    for s in &d.slots {
        rows.push(vec![
            terminal::shown(&s.metric),
            s.step.to_string(),
            mean_sd(s.a_mean, s.a_std),
            mean_sd(s.b_mean, s.b_std),
            percent(s.effect),
            terminal::p_text(s.p, d.alpha),
        ]);
        marks.push(
            match s.verdict {
                SlotVerdict::Regressed => "  ✗",
                SlotVerdict::Improved => "  ↑",
                SlotVerdict::Unchanged => "",
            }
            .to_string(),
        );
    }
    // The slot table's columns, but for the MDE.
    aligned(&rows, &SLOT_COLUMNS[..6], &marks)
}

/// Write the comparison as JSON (`docs/compare.schema.json`) to `path`.
pub fn write_json(path: &Path, report: &CompareReport) -> Result<(), WriteError> {
    let mut text = serde_json::to_string_pretty(report).expect("finite numbers");
    text.push('\n');
    super::write_file(path, text.as_bytes())
}
