//! The 11 comparison cases computed by the Python tool's own
//! `stats.compare` (all on its exact, enumerated path), matched to 1e-9.

use std::collections::BTreeMap;

use pybench_cli::scores::ScoreTable;
use pybench_cli::stats::{CompareOptions, compare};
use serde_json::Value;

const RTOL: f64 = 1e-9;

fn close(actual: f64, expected: f64) -> bool {
    if expected == 0.0 {
        actual.abs() <= 1e-300
    } else {
        ((actual - expected) / expected).abs() <= RTOL
    }
}

fn table(v: &Value) -> ScoreTable {
    let nested: BTreeMap<String, BTreeMap<String, Vec<f64>>> =
        serde_json::from_value(v.clone()).unwrap();
    ScoreTable::from_nested(&nested).unwrap()
}

#[test]
fn every_golden_case_matches() {
    let text = include_str!("fixtures/stats_golden.jsonl");
    let mut cases = 0;
    let mut failures = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).unwrap();
        let name = case["name"].as_str().unwrap();
        let baseline = table(&case["baseline"]);
        let current = table(&case["current"]);
        let opts = CompareOptions {
            alpha: case["alpha"].as_f64().unwrap(),
            min_effect: case["min_effect"].as_f64(),
        };
        let seeds: Vec<u64> = (0..baseline.n_seeds() as u64).collect();
        let got = compare(name, &seeds, &baseline, &current, &opts).unwrap();
        let want = &case["expected"];
        let mut check = |what: String, ok: bool, detail: String| {
            if !ok {
                failures.push(format!("{name}: {what}: {detail}"));
            }
        };
        assert!(got.exact, "{name}: golden cases are all enumerated");
        check(
            "meta_p".into(),
            close(got.meta_p, want["meta_p"].as_f64().unwrap()),
            format!("{} vs {}", got.meta_p, want["meta_p"]),
        );
        check(
            "passed".into(),
            got.passed() == want["passed"].as_bool().unwrap(),
            format!("{}", got.passed()),
        );
        check(
            "n_flagged".into(),
            got.n_flagged() as u64 == want["n_flagged"].as_u64().unwrap(),
            format!("{}", got.n_flagged()),
        );
        let want_slots = want["slots"].as_array().unwrap();
        assert_eq!(got.slots.len(), want_slots.len(), "{name}: slot count");
        for (g, w) in got.slots.iter().zip(want_slots) {
            let at = format!("{}", g.slot);
            assert_eq!(g.slot.step, w["step"].as_i64().unwrap(), "{name} {at}");
            assert_eq!(g.slot.metric, w["metric"].as_str().unwrap(), "{name} {at}");
            for (field, value) in [
                ("baseline_mean", g.baseline_mean),
                ("baseline_std", g.baseline_std),
                ("current_mean", g.current_mean),
                ("current_std", g.current_std),
                ("effect", g.effect),
                ("p", g.p),
            ] {
                let expected = w[field].as_f64().unwrap();
                check(
                    format!("{at} {field}"),
                    close(value, expected),
                    format!("{value:e} vs {expected:e}"),
                );
            }
            for (field, value) in [
                ("flagged", g.flagged),
                ("effect_unreliable", g.effect_unreliable),
            ] {
                check(
                    format!("{at} {field}"),
                    value == w[field].as_bool().unwrap(),
                    format!("{value}"),
                );
            }
        }
        cases += 1;
    }
    assert_eq!(cases, 11);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
