//! Tables of the family study and the MDE calibration: Markdown (in the
//! study's format: one row per method or formula, `rate ± s.e.`) and JSON.

use std::fmt::Write;

use pybench_cli::stats::Family;
use pybench_cli::stats::mde::POWER;
use serde_json::{Value, json};

use super::family::{FamilyResult, N_BENCHMARKS, N_SEEDS};
use super::mde::{FORMULAS, LEVELS, MDE_SEEDS, MdeResult};
use super::{ALPHA, calibration_bound};

/// The family tables as Markdown (empty if nothing was run).
pub fn markdown(results: &[FamilyResult], mde: Option<&MdeResult>) -> String {
    let mut out = String::new();
    if !results.is_empty() {
        family_table(&mut out, results);
    }
    if let Some(m) = mde {
        mde_table(&mut out, m);
    }
    out
}

fn family_table(out: &mut String, results: &[FamilyResult]) {
    let _ = writeln!(
        out,
        "\n#### Run-level false alarms and power\n\n\
         {N_BENCHMARKS} independent benchmarks × {N_SEEDS} seeds, alpha {ALPHA} each; \
         every meta-p exact (all 2^{N_SEEDS} sign patterns); verdicts by \
         `stats::refine::judge`.\n"
    );
    let mut header = String::from("| correction |");
    let mut rule = String::from("| --- |");
    for r in results {
        if r.case.drops == 0 {
            let _ = write!(header, " {} P(any FAIL) |", r.case.name);
            rule.push_str(" --- |");
        } else {
            let _ = write!(
                header,
                " {0} power | {0} P(any false FAIL) | {0} FDR |",
                r.case.name
            );
            rule.push_str(" --- | --- | --- |");
        }
    }
    let _ = writeln!(out, "{header}\n{rule}");
    for method in Family::ALL {
        let _ = write!(out, "| {method} |");
        for r in results {
            let (fa, fa_se) = r.false_alarm_rate(method);
            let mark = if r.controlled(method) { "" } else { " ↑" };
            if r.case.drops > 0 {
                let (p, se) = r.power(method);
                let _ = write!(out, " {p:.3} ± {se:.3} |");
            }
            let _ = write!(out, " {fa:.3} ± {fa_se:.3}{mark} |");
            if r.case.drops > 0 {
                let (fdr, se) = r.fdr(method);
                let mark = if r.fdr_controlled(method) { "" } else { " ↑" };
                let _ = write!(out, " {fdr:.3} ± {se:.3}{mark} |");
            }
        }
        out.push('\n');
    }
    let reps: Vec<usize> = results.iter().map(|r| r.replications).collect();
    let _ = writeln!(
        out,
        "\n± one standard error. ↑: above {ALPHA} + 2 s.e. ({:.4} for a P(any false FAIL) \
         over R = {}). P(any false FAIL) counts FAILs of benchmarks that did not regress; \
         FDR is the mean of (false FAILs)/(FAILs). Holm keeps P(any false FAIL) ≤ alpha \
         always; BH keeps the FDR ≤ alpha, which is P(any FAIL) when nothing regressed. \
         Independent benchmarks at {ALPHA} each would give 1 − {}^{N_BENCHMARKS} = {:.3} \
         without a correction.\n",
        calibration_bound(reps[0]),
        reps[0],
        1.0 - ALPHA,
        1.0 - (1.0 - ALPHA).powi(N_BENCHMARKS as i32),
    );
    for r in results {
        let _ = writeln!(
            out,
            "- `{}` ({} replications): {}.",
            r.case.name, r.replications, r.case.summary
        );
    }
}

fn mde_table(out: &mut String, m: &MdeResult) {
    let _ = writeln!(
        out,
        "\n#### MDE calibration\n\n\
         A drop of exactly the MDE in every seed of one slot, {MDE_SEEDS} seeds, paired \
         differences N(0, 1): detection by the slot's t-test (target {POWER:.2}), \
         {} replications.\n",
        m.replications
    );
    let mut header = String::from("| MDE formula |");
    let mut rule = String::from("| --- |");
    for a in LEVELS {
        let _ = write!(header, " α′ = {a} |");
        rule.push_str(" --- |");
    }
    let _ = writeln!(out, "{header}\n{rule}");
    for formula in FORMULAS {
        let _ = write!(out, "| {} |", formula.label());
        for l in 0..LEVELS.len() {
            let (p, se) = m.rate(formula, l);
            let mark = if formula.calibrated() && !m.on_target(formula, l) {
                " ✗"
            } else {
                ""
            };
            let _ = write!(out, " {p:.3} ± {se:.3}{mark} |");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\n± one standard error. ✗: more than two standard errors from {POWER:.2}."
    );
}

/// The family results and the MDE calibration as JSON.
pub fn json(results: &[FamilyResult], mde: Option<&MdeResult>) -> Value {
    let cases: Vec<Value> = results
        .iter()
        .map(|r| {
            let mut methods = serde_json::Map::new();
            for method in Family::ALL {
                let mut entry = json!({
                    "any_fail": r.any_fail_rate(method).0,
                    "any_false_fail": r.false_alarm_rate(method).0,
                    "any_false_fail_se": r.false_alarm_rate(method).1,
                    "controlled": r.controlled(method),
                    "fdr": r.fdr(method).0,
                    "fdr_se": r.fdr(method).1,
                });
                if r.case.drops > 0 {
                    entry["power"] = json!(r.power(method).0);
                    entry["power_se"] = json!(r.power(method).1);
                }
                methods.insert(method.to_string(), entry);
            }
            json!({
                "name": r.case.name,
                "summary": r.case.summary,
                "benchmarks": N_BENCHMARKS,
                "n_seeds": N_SEEDS,
                "drops": r.case.drops,
                "replications": r.replications,
                "methods": methods,
            })
        })
        .collect();
    let mde = mde.map(|m| {
        let rows: serde_json::Map<String, Value> = FORMULAS
            .iter()
            .map(|&f| {
                let levels: Vec<Value> = (0..LEVELS.len())
                    .map(|l| {
                        json!({"alpha": LEVELS[l], "rate": m.rate(f, l).0,
                               "standard_error": m.rate(f, l).1})
                    })
                    .collect();
                (f.key().to_string(), json!(levels))
            })
            .collect();
        json!({"n_seeds": MDE_SEEDS, "replications": m.replications, "power": POWER,
               "formulas": rows})
    });
    json!({ "family": cases, "mde_calibration": mde })
}
