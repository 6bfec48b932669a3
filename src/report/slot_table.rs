//! The slot table (under a FAIL with `-v`, in JUnit, with `--against`):
//! each slot's baseline and current mean±sd, Δ, p and MDE, three
//! significant digits at least, every column as wide as its widest cell.

use std::fmt::Write as _;

use super::escape::shown;
use super::number::{mean_sd, p_text, percent, sig};
use crate::result::BenchResult;
use crate::stats::Mde;
use crate::stats::mde::SdSource;

/// How a column lines up its cells.
#[derive(Clone, Copy, PartialEq)]
pub enum Align {
    Left,
    Right,
}

/// How a slot table lines up metric, step, the two mean±sd, Δ, p and MDE.
pub const SLOT_COLUMNS: [Align; 7] = [
    Align::Left,
    Align::Right,
    Align::Left,
    Align::Left,
    Align::Right,
    Align::Right,
    Align::Right,
];

/// Per-slot means, effect, p and minimum detectable effect, `✗` on
/// flagged slots and `⚠` where the baseline mean is ~0 and the effect
/// unreliable. `baseline_column` heads the baseline's column (the revision,
/// with `--against`).
pub fn slot_table(result: &BenchResult, baseline_column: &str) -> String {
    let Some(cmp) = result.comparison() else {
        return String::new();
    };
    let with_mde = result.sensitivity.len() == cmp.slots.len();
    let mut header = vec!["metric", "step", baseline_column, "current", "Δ", "p"];
    if with_mde {
        header.push("MDE");
    }
    let mut rows = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    let mut marks = vec![String::new()];
    for (i, s) in cmp.slots.iter().enumerate() {
        let mut row = vec![
            shown(&s.slot.metric),
            s.slot.step.to_string(),
            mean_sd(s.baseline_mean, s.baseline_std),
            mean_sd(s.current_mean, s.current_std),
            percent(s.effect),
            p_text(s.p, result.alpha.get()),
        ];
        if with_mde {
            row.push(mde_text(&result.sensitivity[i]));
        }
        rows.push(row);
        let mut mark = String::new();
        if s.flagged {
            mark.push_str("  ✗");
        }
        if s.effect_unreliable {
            mark.push_str("  ⚠");
        }
        marks.push(mark);
    }
    aligned(&rows, &SLOT_COLUMNS, &marks)
}

/// `rows` (the first is the heading) as lines indented by two spaces,
/// columns three spaces apart, each as wide as its widest cell and lined up
/// as `aligns` says; each line then ends with its `marks`.
pub fn aligned(rows: &[Vec<String>], aligns: &[Align], marks: &[String]) -> String {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (row, mark) in rows.iter().zip(marks) {
        let mut line = String::from("  ");
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                line.push_str("   ");
            }
            let pad = " ".repeat(widths[c] - cell.chars().count());
            match aligns[c] {
                Align::Left => {
                    let _ = write!(line, "{cell}{pad}");
                }
                Align::Right => {
                    let _ = write!(line, "{pad}{cell}");
                }
            }
        }
        let _ = writeln!(out, "{}{mark}", line.trim_end());
    }
    out
}

/// An MDE as a share of the baseline mean; in the metric's units when that
/// mean is ~0; `any` when the differences do not vary.
pub fn mde_text(mde: &Mde) -> String {
    if mde.any_change {
        "any".into()
    } else {
        // A bound (the differences were all zero) reads as one: `≤3.5%`.
        let bound = if mde.sd_source == SdSource::RunBound {
            "≤"
        } else {
            ""
        };
        if mde.rel_unreliable {
            format!("{bound}{}", sig(mde.mde, 3))
        } else {
            format!("{bound}{}%", sig(mde.mde_rel * 100.0, 1))
        }
    }
}
