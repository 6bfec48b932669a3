//! GitHub Actions: a Markdown summary appended to `$GITHUB_STEP_SUMMARY`,
//! and `::error` annotations for FAIL and ERROR when `GITHUB_ACTIONS=true`.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use super::number::{percent, sig};
use super::{Exporter, RunReport, junit, terminal};
use crate::result::{self, BenchResult, Status};
use crate::store::atomic::WriteError;

/// The GitHub Actions outputs this environment asks for: the step summary
/// (appended to `$GITHUB_STEP_SUMMARY`) and, under `GITHUB_ACTIONS=true`,
/// `::error` annotations on stdout.
pub struct GithubExporter {
    summary: Option<PathBuf>,
    annotate: bool,
    /// Stdout holds a `-` report, so the annotations go to stderr (the
    /// runner reads workflow commands from both).
    to_stderr: bool,
}

impl GithubExporter {
    pub fn from_env(to_stderr: bool) -> GithubExporter {
        GithubExporter {
            summary: std::env::var_os("GITHUB_STEP_SUMMARY")
                .filter(|p| !p.is_empty())
                .map(|p| super::absolute(&PathBuf::from(p))),
            annotate: std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true"),
            to_stderr,
        }
    }

    fn append_summary(path: &PathBuf, text: &str) -> std::io::Result<()> {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?
            .write_all(text.as_bytes())
    }
}

impl Exporter for GithubExporter {
    fn open(&mut self) -> Result<(), WriteError> {
        match &self.summary {
            Some(path) => Self::append_summary(path, "").map_err(|e| WriteError::new(path, e)),
            None => Ok(()),
        }
    }

    fn write(&mut self, run: &RunReport) -> Result<(), WriteError> {
        if self.annotate && self.to_stderr {
            super::eprint(&annotations(run.results));
        } else if self.annotate {
            super::print(&annotations(run.results));
        }
        match &self.summary {
            Some(path) => Self::append_summary(path, &summary(run.results))
                .map_err(|e| WriteError::new(path, e)),
            None => Ok(()),
        }
    }
}

/// `PASS (improved)`-style status text for tables.
fn status_text(result: &BenchResult) -> String {
    format!(
        "{}{}",
        result.status().label(),
        terminal::improved_label(result)
    )
}

/// Escape a table cell: text from a benchmark is escaped and cut as on
/// the terminal, and cannot close the cell.
fn cell(text: &str) -> String {
    terminal::shown(text).replace('|', "\\|")
}

/// A name as Markdown code in a table cell. The fence is longer than any
/// run of backticks in the name, so the name cannot close it and inject
/// Markdown (links, images) into the summary.
fn code(text: &str) -> String {
    let text = cell(text);
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // A code span that starts or ends with a backtick needs a space there.
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// The Markdown summary: one row per benchmark, then the slot tables of
/// failing benchmarks.
pub fn summary(results: &[BenchResult]) -> String {
    let count = |status| result::count(results, status);
    let mut md = String::from("## pybench\n\n");
    let _ = writeln!(
        md,
        "{} failed, {} passed, {} new, {} errors\n",
        count(Status::Fail),
        count(Status::Pass),
        count(Status::New),
        count(Status::Error) + count(Status::Missing)
    );
    // The adjusted column only when the run was corrected.
    let corrected = results.iter().any(|r| r.family.is_some());
    if corrected {
        md.push_str("| benchmark | status | slots flagged | meta-p | adjusted | detail |\n");
        md.push_str("| --- | --- | --- | --- | --- | --- |\n");
    } else {
        md.push_str("| benchmark | status | slots flagged | meta-p | detail |\n");
        md.push_str("| --- | --- | --- | --- | --- |\n");
    }
    for r in results {
        let icon = match r.status() {
            Status::Pass => "✅",
            Status::Fail => "❌",
            Status::New => "🆕",
            Status::Error => "💥",
            Status::Missing => "❓ MISSING",
        };
        let (flagged, meta_p) = match r.comparison() {
            Some(c) => (
                format!("{}/{}", c.n_flagged(), c.slots.len()),
                terminal::p_digits(r.meta_p().unwrap_or(c.meta_p), r.verdict_threshold(), 4),
            ),
            None => ("–".into(), "–".into()),
        };
        let detail = match r.status() {
            Status::Error | Status::Missing => r.error().unwrap_or_default().to_string(),
            Status::New => match &r.against {
                Some(rev) => format!("only in the working tree, not in {}", rev.label),
                None if r.saved => "baseline saved".into(),
                None => "baseline not saved".into(),
            },
            _ => String::new(),
        };
        let adjusted = match (&r.family, corrected) {
            (Some(f), _) => format!(" {} |", terminal::p_digits(f.adjusted_meta_p, f.level, 4)),
            (None, true) => " – |".into(),
            (None, false) => String::new(),
        };
        let _ = writeln!(
            md,
            "| {} | {icon} {} | {flagged} | {meta_p} |{adjusted} {} |",
            code(&r.name),
            status_text(r),
            cell(&detail)
        );
    }
    for r in results.iter().filter(|r| r.status() == Status::Fail) {
        md.push_str(&slot_table(r));
    }
    md.push('\n');
    md
}

/// A failing benchmark's slots, under its own heading.
fn slot_table(r: &BenchResult) -> String {
    let Some(cmp) = r.comparison() else {
        return String::new();
    };
    let mut md = format!("\n### {}\n\n", code(&r.name));
    md.push_str("| metric | step | baseline | current | Δ | p | |\n");
    md.push_str("| --- | ---: | --- | --- | ---: | ---: | --- |\n");
    for s in &cmp.slots {
        let _ = writeln!(
            md,
            "| {} | {} | {}±{} | {}±{} | {} | {} | {} |",
            code(&s.slot.metric),
            s.slot.step,
            sig(s.baseline_mean, 4),
            sig(s.baseline_std, 4),
            sig(s.current_mean, 4),
            sig(s.current_std, 4),
            percent(s.effect),
            terminal::p_digits(s.p, r.alpha.get(), 4),
            if s.flagged { "✗" } else { "" }
        );
    }
    md
}

/// Escape a workflow command's message (`%`, CR, LF).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a workflow command's property (also `:` and `,`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// `::error title=…::message` for each FAIL and ERROR.
pub fn annotations(results: &[BenchResult]) -> String {
    let mut out = String::new();
    for r in results {
        let title = match r.status() {
            Status::Fail => format!("pybench: {} regressed", terminal::escape(&r.name)),
            Status::Error => format!("pybench: {} errored", terminal::escape(&r.name)),
            Status::Missing => format!("pybench: {} is missing", terminal::escape(&r.name)),
            _ => continue,
        };
        // The benchmark's text escaped and cut as on the terminal; then the
        // whole escaped for the workflow command.
        let mut message = terminal::shown(&junit::message(r));
        if let Some(cmp) = r.comparison() {
            for s in cmp.slots.iter().filter(|s| s.flagged) {
                let _ = write!(
                    message,
                    "\n{} {}→{} ({}, p={})",
                    terminal::shown(&s.slot.to_string()),
                    sig(s.baseline_mean, 4),
                    sig(s.current_mean, 4),
                    percent(s.effect),
                    terminal::p_digits(s.p, r.alpha.get(), 4)
                );
            }
        }
        let _ = writeln!(
            out,
            "::error title={}::{}",
            escape_property(&title),
            escape_data(&message)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--against` writes no baseline: a NEW benchmark there is one only
    /// in the working tree, never "baseline saved".
    #[test]
    fn new_under_against_is_not_saved() {
        let plan = crate::result::Plan::new("bench_x", crate::settings::Alpha::DEFAULT, None);
        let mut result = plan.result(crate::result::Outcome::New(None), String::new());
        result.against = Some(crate::result::Revision {
            label: "HEAD~1 (abc1234)".into(),
            short: "abc1234".into(),
        });
        let text = summary(std::slice::from_ref(&result));
        assert!(
            text.contains("only in the working tree, not in HEAD~1 (abc1234)"),
            "{text}"
        );
        assert!(!text.contains("baseline saved"), "{text}");
        result.against = None;
        assert!(summary(std::slice::from_ref(&result)).contains("baseline not saved"));
        result.saved = true;
        assert!(summary(&[result]).contains("baseline saved"));
    }

    #[test]
    fn names_cannot_close_their_code_span() {
        assert_eq!(code("bench_x"), "`bench_x`");
        assert_eq!(code("a`](x) ![i](y)"), "``a`](x) ![i](y)``");
        assert_eq!(code("`a|b"), "`` `a\\|b ``");
        assert_eq!(cell("x\n| y"), "x\\n\\| y");
    }

    #[test]
    fn workflow_commands_are_escaped() {
        assert_eq!(escape_data("50%\nx"), "50%25%0Ax");
        assert_eq!(escape_property("a: b, c"), "a%3A b%2C c");
    }
}
