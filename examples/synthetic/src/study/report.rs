//! The study's tables: Markdown (one table per group of cases, one row per
//! test) and JSON.

use std::fmt::Write;

use serde_json::{Value, json};

use super::{ALPHA, CaseResult, Config, Group, TESTS, calibration_bound};

const GROUPS: [(Group, &str); 3] = [
    (Group::Reference, "Reference cases"),
    (Group::Null, "Null cases under stress"),
    (Group::Limit, "Limits of a paired test"),
];

/// The results as Markdown: a settings line, one table per group, a
/// legend, and the cases' descriptions.
pub fn markdown(config: &Config, results: &[CaseResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Master seed {}, {} replications per case, {} seeds (unless a case fixes them), \
         {} sign permutations, alpha {ALPHA}.",
        config.master_seed, config.replications, config.seeds, config.permutations
    );
    for (group, title) in GROUPS {
        let rows: Vec<&CaseResult> = results.iter().filter(|r| r.case.group == group).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n#### {title}\n");
        let mut header = String::from("| test |");
        let mut rule = String::from("| --- |");
        for r in &rows {
            let kind = if r.case.null { "FP rate" } else { "detection" };
            let _ = write!(header, " {} {kind} |", r.case.name);
            rule.push_str(" --- |");
        }
        let _ = writeln!(out, "{header}\n{rule}");
        for test in TESTS {
            let _ = write!(out, "| {} |", test.label());
            for r in &rows {
                let mark = if r.case.null && !r.calibrated(test) {
                    " ↑"
                } else {
                    ""
                };
                let _ = write!(
                    out,
                    " {:.3} ± {:.3}{mark} |",
                    r.rate(test),
                    r.standard_error(test)
                );
            }
            out.push('\n');
        }
    }
    let mut bounds: Vec<usize> = results.iter().map(|r| r.replications).collect();
    bounds.dedup();
    let bounds: Vec<String> = bounds
        .iter()
        .map(|&r| format!("{:.3} for R = {r}", calibration_bound(r)))
        .collect();
    let _ = writeln!(
        out,
        "\n± one standard error. ↑: a false-positive rate above \
         {ALPHA} + 2·√({ALPHA}·{}/R) ({}), i.e. more than two standard errors above \
         a calibrated test's.\n",
        1.0 - ALPHA,
        bounds.join(", ")
    );
    for r in results {
        let _ = writeln!(
            out,
            "- `{}` ({} seeds × {} slots): {}.",
            r.case.name,
            r.n_seeds,
            r.case.n_slots(),
            r.case.summary
        );
    }
    out
}

/// The results as JSON.
pub fn json(config: &Config, results: &[CaseResult]) -> Value {
    let cases: Vec<Value> = results
        .iter()
        .map(|r| {
            let mut tests = serde_json::Map::new();
            for test in TESTS {
                let mut entry = json!({
                    "label": test.label(),
                    "rejections": r.rejections[TESTS.iter().position(|&t| t == test).unwrap()],
                    "rate": r.rate(test),
                    "standard_error": r.standard_error(test),
                });
                if r.case.null {
                    entry["calibrated"] = json!(r.calibrated(test));
                }
                tests.insert(test.key().into(), entry);
            }
            json!({
                "name": r.case.name,
                "group": r.case.group.name(),
                "null": r.case.null,
                "rate_is": if r.case.null { "false_positive" } else { "detection" },
                "summary": r.case.summary,
                "n_seeds": r.n_seeds,
                "n_slots": r.case.n_slots(),
                "replications": r.replications,
                "calibration_bound": calibration_bound(r.replications),
                "tests": tests,
            })
        })
        .collect();
    json!({
        "schema_version": 1,
        "master_seed": config.master_seed,
        "replications": config.replications,
        "seeds": config.seeds,
        "permutations": config.permutations,
        "alpha": ALPHA,
        "cases": cases,
    })
}
