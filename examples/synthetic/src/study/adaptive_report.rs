//! The adaptive study's table (Markdown, one row per method, a rate and a
//! mean seed count per case) and its JSON.

use std::fmt::Write;

use serde_json::{Value, json};

use super::adaptive::{AdaptiveConfig, AdaptiveResult, LOOKS, METHODS, SEEDS, mde};
use super::{ALPHA, calibration_bound};

/// The results as Markdown: a settings line, the table, a legend, the
/// cases' descriptions.
pub fn markdown(config: &AdaptiveConfig, results: &[AdaptiveResult]) -> String {
    let mut out = String::new();
    if results.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "Master seed {}, {} replications per case, {SEEDS} seeds, looks at {:?}, \
         {} sign vectors, alpha {ALPHA}.\n",
        config.master_seed, config.replications, LOOKS, config.permutations
    );
    out.push_str("#### Adaptive seeds\n\n| method |");
    let mut rule = String::from("| --- |");
    for r in results {
        let kind = if r.case.null { "FA rate" } else { "FAIL rate" };
        let _ = write!(out, " {} {kind} | seeds |", r.case.name);
        rule.push_str(" --- | --- |");
    }
    let _ = writeln!(out, "\n{rule}");
    for method in METHODS {
        let _ = write!(out, "| {} |", method.label());
        for r in results {
            let mark = if r.case.null && !r.calibrated(method) {
                " ↑"
            } else {
                ""
            };
            let _ = write!(
                out,
                " {:.3} ± {:.3}{mark} | {:.1} |",
                r.rate(method),
                r.standard_error(method),
                r.mean_seeds(method)
            );
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\n± one standard error; seeds: mean seeds run. ↑: a false-alarm rate above \
         {ALPHA} + 2·√({ALPHA}·{}/R) ({:.3} for R = {}). MDE = {:.3} sd of d.\n",
        1.0 - ALPHA,
        calibration_bound(results[0].replications),
        results[0].replications,
        mde(SEEDS)
    );
    for r in results {
        let _ = writeln!(out, "- `{}`: {}.", r.case.name, r.case.summary);
    }
    out
}

/// The results as JSON.
pub fn json(config: &AdaptiveConfig, results: &[AdaptiveResult]) -> Value {
    let cases: Vec<Value> = results
        .iter()
        .map(|r| {
            let mut methods = serde_json::Map::new();
            for (m, method) in METHODS.iter().enumerate() {
                let mut entry = json!({
                    "label": method.label(),
                    "fails": r.fails[m],
                    "rate": r.rate(*method),
                    "standard_error": r.standard_error(*method),
                    "mean_seeds": r.mean_seeds(*method),
                    "stops_per_look": r.stops[m],
                });
                if r.case.null {
                    entry["calibrated"] = json!(r.calibrated(*method));
                }
                methods.insert(method.key().into(), entry);
            }
            json!({
                "name": r.case.name,
                "group": "adaptive",
                "null": r.case.null,
                "rate_is": if r.case.null { "false_alarm" } else { "detection" },
                "summary": r.case.summary,
                "replications": r.replications,
                "calibration_bound": calibration_bound(r.replications),
                "methods": methods,
            })
        })
        .collect();
    json!({
        "schema_version": 1,
        "master_seed": config.master_seed,
        "replications": config.replications,
        "seeds": SEEDS,
        "looks": LOOKS,
        "permutations": config.permutations,
        "alpha": ALPHA,
        "mde": mde(SEEDS),
        "cases": cases,
    })
}
