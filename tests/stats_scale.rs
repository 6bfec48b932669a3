//! Fault 2: the verdict must not depend on the metric's units. The same data
//! multiplied by 1e-300 … 1e300 must give the same t, p, meta-p and verdict,
//! and those must be the ones computed independently on the unscaled data
//! (`tests/fixtures/gen_stats_scale.py`: scipy's `ttest_rel`, and a plain
//! enumeration of every sign pattern). Formerly an absolute `sd < 1e-12`
//! made every slot of a ~1e-13 metric "degenerate" (a halved metric PASSed
//! with p = 0.00 and meta-p 0.5), and squares of ~1e160 values overflowed.

use pybench_cli::scores::{ScoreTable, SlotKey};
use pybench_cli::stats::{
    CompareOptions, Comparison, Criterion, Differences, N_PERMUTATIONS, PermutationOptions,
    Statistic, compare, meta_p, mirror, numeric, slot_test,
};
use serde::Deserialize;

/// Every scale the fixture is checked at; the brief's five and the extremes
/// where an unscaled sum of squares under- or overflows.
const SCALES: [f64; 8] = [1e-300, 1e-150, 1e-13, 1.0, 1e13, 1e150, 1e160, 1e300];

/// Relative tolerance against the reference (rounding of the scaled data
/// and scipy's different order of operations).
const RTOL: f64 = 1e-9;

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    alpha: f64,
    n: usize,
    slots: Vec<Slot>,
    severity: f64,
    meta_p: f64,
    passed: bool,
    mirror_meta_p: f64,
}

#[derive(Deserialize)]
struct Slot {
    step: i64,
    metric: String,
    baseline: Vec<f64>,
    current: Vec<f64>,
    baseline_mean: f64,
    baseline_std: f64,
    current_mean: f64,
    current_std: f64,
    effect: f64,
    degenerate: bool,
    t: f64,
    p: f64,
    flagged: bool,
    mirror_flagged: bool,
}

fn fixture() -> Fixture {
    serde_json::from_str(include_str!("fixtures/stats_scale.json")).unwrap()
}

fn case(name: &str) -> Case {
    fixture()
        .cases
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no fixture case {name}"))
}

fn close(actual: f64, expected: f64) -> bool {
    if expected == 0.0 || expected.abs() == 1e9 || expected == 1.0 {
        // Degenerate t and p, and p = 1, are exact by rule.
        actual == expected
    } else {
        ((actual - expected) / expected).abs() <= RTOL
    }
}

/// The case's tables with every value multiplied by `scale`.
fn tables(case: &Case, scale: f64) -> (ScoreTable, ScoreTable) {
    let keys: Vec<SlotKey> = case
        .slots
        .iter()
        .map(|s| SlotKey::new(s.step, s.metric.clone()))
        .collect();
    let column = |v: &[f64]| v.iter().map(|x| x * scale).collect::<Vec<f64>>();
    let base = case.slots.iter().map(|s| column(&s.baseline)).collect();
    let cur = case.slots.iter().map(|s| column(&s.current)).collect();
    (
        ScoreTable::new(keys.clone(), base).unwrap(),
        ScoreTable::new(keys, cur).unwrap(),
    )
}

fn seeds(case: &Case) -> Vec<u64> {
    (0..case.n as u64).collect()
}

fn run(case: &Case, scale: f64) -> Comparison {
    let (b, c) = tables(case, scale);
    let opts = CompareOptions {
        alpha: case.alpha,
        min_effect: None,
    };
    compare(&case.name, &seeds(case), &b, &c, &opts).unwrap()
}

/// Every mismatch between the engine at `scale` and the reference.
fn mismatches(case: &Case, scale: f64) -> Vec<String> {
    let got = run(case, scale);
    let mut out = Vec::new();
    let mut check = |what: &str, ok: bool, detail: String| {
        if !ok {
            out.push(format!("{} ×{scale:e}: {what}: {detail}", case.name));
        }
    };
    check("exact", got.exact, String::new());
    check(
        "meta_p",
        got.meta_p == case.meta_p,
        format!("{} vs {}", got.meta_p, case.meta_p),
    );
    check(
        "passed",
        got.passed() == case.passed,
        format!("{}", got.passed()),
    );
    check(
        "severity",
        close(got.severity, case.severity),
        format!("{} vs {}", got.severity, case.severity),
    );
    for (g, w) in got.slots.iter().zip(&case.slots) {
        let at = format!("{}", g.slot);
        for (field, value, expected) in [
            ("t", g.t, w.t),
            ("p", g.p, w.p),
            ("baseline_mean", g.baseline_mean, w.baseline_mean * scale),
            ("baseline_std", g.baseline_std, w.baseline_std * scale),
            ("current_mean", g.current_mean, w.current_mean * scale),
            ("current_std", g.current_std, w.current_std * scale),
        ] {
            check(
                &format!("{at} {field}"),
                value.is_finite() && close(value, expected),
                format!("{value:e} vs {expected:e}"),
            );
        }
        // The effect's floor (1e-9) is absolute, so only a reliable effect
        // is comparable across scales.
        if !g.effect_unreliable {
            check(
                &format!("{at} effect"),
                ((g.effect - w.effect) / w.effect).abs() <= 1e-6 || g.effect == w.effect,
                format!("{:e} vs {:e}", g.effect, w.effect),
            );
        }
        check(
            &format!("{at} flagged"),
            g.flagged == w.flagged,
            format!("{}", g.flagged),
        );
    }
    out
}

#[test]
fn halving_a_tiny_metric_fails_like_halving_a_unit_one() {
    let case = case("halved_score");
    for scale in [1.0, 1e-13, 1e-15] {
        let got = run(&case, scale);
        assert!(!got.passed(), "×{scale:e}: {got:?}");
        assert_eq!(got.meta_p, case.meta_p, "×{scale:e}");
        let slot = &got.slots[0];
        assert!(slot.flagged, "×{scale:e}");
        assert!(close(slot.t, case.slots[0].t), "×{scale:e}: t {}", slot.t);
        assert!(close(slot.p, case.slots[0].p), "×{scale:e}: p {:e}", slot.p);
    }
    // A lower-is-better residual that doubles regresses at any size too.
    let case = self::case("doubled_residual");
    let got = run(&case, 1e-13);
    assert!(!got.passed() && got.n_flagged() == 1, "{got:?}");
}

#[test]
fn a_regression_at_1e160_fails_and_nothing_overflows() {
    let case = case("local_regression");
    let got = run(&case, 1e160);
    assert!(!got.passed(), "{got:?}");
    assert_eq!(got.meta_p, case.meta_p);
    assert_eq!(got.n_flagged(), 1);
    for s in &got.slots {
        for v in [
            s.baseline_mean,
            s.baseline_std,
            s.current_mean,
            s.current_std,
        ] {
            assert!(v.is_finite() && v > 1e150, "{}: {v:e}", s.slot);
        }
    }
    let m = mismatches(&case, 1e160);
    assert!(m.is_empty(), "{}", m.join("\n"));
}

#[test]
fn every_case_matches_the_reference_at_every_scale() {
    let fixture = fixture();
    assert!(fixture.cases.len() >= 10);
    let mut failures = Vec::new();
    for case in &fixture.cases {
        for scale in SCALES {
            failures.extend(mismatches(case, scale));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn degenerate_slots_keep_their_verdict_at_every_scale() {
    // Equal differences (a constant shift, rounded) and d = 0 everywhere
    // (an unchanged deterministic benchmark): t = ∓1e9 / 0, p = 0 / 1, and
    // the verdicts of the absolute rule at unit scale.
    for (name, passed, t) in [
        ("constant_drop", false, vec![-1e9]),
        ("constant_gain", true, vec![1e9]),
        ("unchanged", true, vec![0.0, 0.0]),
        ("constant_drop_plus_noise", false, vec![-1e9, f64::NAN]),
    ] {
        let case = case(name);
        for scale in SCALES {
            let got = run(&case, scale);
            assert_eq!(got.passed(), passed, "{name} ×{scale:e}");
            assert_eq!(got.meta_p, case.meta_p, "{name} ×{scale:e}");
            for ((g, w), t) in got.slots.iter().zip(&case.slots).zip(&t) {
                if t.is_nan() {
                    assert!(!w.degenerate);
                    continue;
                }
                assert!(w.degenerate, "{name}: the reference calls it degenerate");
                assert_eq!(g.t, *t, "{name} ×{scale:e} {}", g.slot);
                assert_eq!(g.p, if *t < 0.0 { 0.0 } else { 1.0 }, "{name} ×{scale:e}");
            }
        }
    }
}

#[test]
fn the_mirror_test_is_scale_free() {
    for case in fixture().cases {
        for scale in SCALES {
            let (b, c) = tables(&case, scale);
            let m = mirror(&case.name, &seeds(&case), &b, &c, case.alpha, None).unwrap();
            assert_eq!(
                m.meta_p, case.mirror_meta_p,
                "{} ×{scale:e}: mirror meta-p",
                case.name
            );
            let flagged: Vec<bool> = case.slots.iter().map(|s| s.mirror_flagged).collect();
            assert_eq!(m.flagged, flagged, "{} ×{scale:e}", case.name);
        }
    }
    // Halving a residual is an improvement at any size.
    let case = case("halved_residual");
    let (b, c) = tables(&case, 1e-13);
    let m = mirror(&case.name, &seeds(&case), &b, &c, 0.05, None).unwrap();
    assert!(m.improved(0.05), "{m:?}");
}

#[test]
fn sums_of_squares_of_1e160_values_do_not_overflow() {
    let unit: Vec<f64> = (0..10).map(|i| 1.0 + 0.1 * (i as f64).sin()).collect();
    let sd = numeric::std_ddof1(&unit);
    for scale in [1e160, 1e300, 1e-160, 1e-300] {
        let big: Vec<f64> = unit.iter().map(|x| x * scale).collect();
        let got = numeric::std_ddof1(&big);
        assert!(
            ((got / scale - sd) / sd).abs() <= RTOL,
            "×{scale:e}: {got:e} vs {:e}",
            sd * scale
        );
    }
    // The slot test and the permutation engine (Σd², S = Σε·d) on the same
    // differences at 1e160 agree with unit scale, on both the exact and
    // the sampled path.
    for n in [10, 16] {
        let d: Vec<Vec<f64>> = (0..3)
            .map(|s| {
                (0..n)
                    .map(|i| -0.3 * s as f64 + ((i * 7 + s * 3) as f64).sin())
                    .collect()
            })
            .collect();
        let at = |scale: f64| {
            let cols: Vec<Vec<f64>> = d
                .iter()
                .map(|c| c.iter().map(|x| x * scale).collect())
                .collect();
            let tests: Vec<f64> = cols.iter().map(|c| slot_test(c).t).collect();
            let diffs = Differences::new(n, cols, vec![scale; 3]).unwrap();
            let meta = meta_p(
                &diffs,
                &Criterion::new(0.05, n, None),
                &PermutationOptions {
                    statistic: Statistic::Severity,
                    n_permutations: N_PERMUTATIONS,
                    rng_seed: 7,
                },
            );
            (tests, meta)
        };
        let (t1, m1) = at(1.0);
        assert!(m1.observed > 0.0, "n={n}: the case must regress");
        for scale in [1e160, 1e300, 1e-160, 1e-300] {
            let (t, m) = at(scale);
            for (a, b) in t.iter().zip(&t1) {
                assert!(
                    ((a - b) / b).abs() <= RTOL,
                    "n={n} ×{scale:e}: t {a} vs {b}"
                );
            }
            assert!(
                ((m.observed - m1.observed) / m1.observed).abs() <= RTOL,
                "n={n} ×{scale:e}: severity {} vs {}",
                m.observed,
                m1.observed
            );
            assert_eq!((m.p, m.n_extreme), (m1.p, m1.n_extreme), "n={n} ×{scale:e}");
        }
    }
}
