//! Per-slot t and p against scipy's `ttest_rel(current, baseline,
//! alternative="less")` on goodness (`tests/fixtures/gen_ttest_rel.py`).

use pybench_cli::scores::{ScoreTable, SlotKey};
use pybench_cli::stats::{CompareOptions, compare};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    metric: String,
    n: usize,
    baseline: Vec<f64>,
    current: Vec<f64>,
    t: f64,
    p: f64,
}

fn rel(actual: f64, expected: f64) -> f64 {
    ((actual - expected) / expected).abs()
}

#[test]
fn per_slot_p_matches_scipy_ttest_rel() {
    let fixture: Fixture = serde_json::from_str(include_str!("fixtures/ttest_rel.json")).unwrap();
    assert!(fixture.cases.len() >= 50);
    let mut tiny = 0;
    let mut worst = 0.0f64;
    for case in &fixture.cases {
        let slot = SlotKey::new(0, case.metric.clone());
        let baseline = ScoreTable::new(vec![slot.clone()], vec![case.baseline.clone()]).unwrap();
        let current = ScoreTable::new(vec![slot], vec![case.current.clone()]).unwrap();
        assert_eq!(baseline.n_seeds(), case.n);
        // alpha only has to be reachable with n = 3 (1/2^3 < 0.2).
        let opts = CompareOptions {
            alpha: 0.2,
            min_effect: None,
        };
        let seeds: Vec<u64> = (0..case.n as u64).collect();
        let got = compare(&case.name, &seeds, &baseline, &current, &opts).unwrap();
        let slot = &got.slots[0];
        // t is computed as mean/(sd/√n) here and dm/√(v/n) in scipy.
        assert!(
            rel(slot.t, case.t) <= 1e-9,
            "{}: t {} vs scipy {}",
            case.name,
            slot.t,
            case.t
        );
        assert!(
            rel(slot.p, case.p) <= 1e-9,
            "{}: p {:e} vs scipy {:e} (rel {:e})",
            case.name,
            slot.p,
            case.p,
            rel(slot.p, case.p)
        );
        worst = worst.max(rel(slot.p, case.p));
        if case.p < 1e-15 {
            tiny += 1;
        }
    }
    // The fixture must exercise the far tail, where only relative accuracy
    // of the incomplete beta function keeps p right.
    eprintln!("worst relative p error: {worst:e}");
    assert!(tiny >= 5, "only {tiny} cases with p < 1e-15");
}
