//! The permutation engine against brute force written plainly here: every
//! sign pattern, each slot's mean/sd/t recomputed directly from `d`.

use pybench_cli::scores::{ScoreTable, SlotKey};
use pybench_cli::stats::{
    CompareOptions, Criterion, Differences, PermutationOptions, Statistic, compare, meta_p,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// A test case: differences `d[slot][seed]` and baseline goodness means.
struct Case {
    d: Vec<Vec<f64>>,
    base_means: Vec<f64>,
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box-Muller; 1 - u keeps the log finite.
    let u: f64 = rng.random();
    let v: f64 = rng.random();
    (-2.0 * (1.0 - u).ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Random differences: per-slot shifts (some regressing), per-seed offsets
/// shared by all slots (correlated slots), and noise.
fn random_case(rng: &mut ChaCha8Rng, n: usize, slots: usize) -> Case {
    let seed_offsets: Vec<f64> = (0..n).map(|_| 0.3 * normal(rng)).collect();
    let d = (0..slots)
        .map(|_| {
            let shift = [-1.0, -0.5, -0.2, 0.0, 0.3][rng.random_range(0..5)];
            (0..n)
                .map(|i| shift + seed_offsets[i] + normal(rng))
                .collect()
        })
        .collect();
    let base_means = (0..slots)
        .map(|_| 5.0 + 20.0 * rng.random::<f64>())
        .collect();
    Case { d, base_means }
}

/// Brute force: the statistic of every pattern, pattern k flipping seed i
/// iff bit i of k is set, and the tally `#{T_b ≥ T}` with T of pattern 0.
fn brute_force(
    case: &Case,
    alpha: f64,
    min_effect: Option<f64>,
    statistic: Statistic,
) -> (usize, usize) {
    let n = case.d[0].len();
    let t_crit = StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .unwrap()
        .inverse_cdf(alpha);
    let stat = |k: usize| -> f64 {
        let mut total = 0.0;
        for (s, column) in case.d.iter().enumerate() {
            let x: Vec<f64> = (0..n)
                .map(|i| {
                    if k >> i & 1 == 1 {
                        -column[i]
                    } else {
                        column[i]
                    }
                })
                .collect();
            let mean = x.iter().sum::<f64>() / n as f64;
            let ss: f64 = x.iter().map(|v| (v - mean) * (v - mean)).sum();
            let sd = (ss / (n - 1) as f64).sqrt();
            let t = if sd < 1e-12 {
                if mean < 0.0 {
                    -1e9
                } else if mean > 0.0 {
                    1e9
                } else {
                    0.0
                }
            } else {
                mean / (sd / (n as f64).sqrt())
            };
            let effect = mean / case.base_means[s].abs().max(1e-9);
            let gated = min_effect.is_none_or(|m| effect < -m);
            if gated && t < t_crit {
                total += match statistic {
                    Statistic::Severity => t_crit - t,
                    Statistic::Count => 1.0,
                };
            }
        }
        total
    };
    let observed = stat(0);
    let total = 1usize << n;
    let extreme = (0..total)
        .filter(|&k| stat(k) >= observed - 1e-9 * observed.abs())
        .count();
    (extreme, total)
}

fn engine(
    case: &Case,
    alpha: f64,
    min_effect: Option<f64>,
    statistic: Statistic,
    n_permutations: usize,
) -> pybench_cli::stats::MetaP {
    let n = case.d[0].len();
    let diffs = Differences::new(n, case.d.clone(), case.base_means.clone()).unwrap();
    let criterion = Criterion::new(alpha, n, min_effect);
    meta_p(
        &diffs,
        &criterion,
        &PermutationOptions {
            statistic,
            n_permutations,
            rng_seed: 42,
        },
    )
}

#[test]
fn enumerated_meta_p_equals_brute_force() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut checked = 0;
    for trial in 0..24 {
        let n = 5 + trial % 7; // 5..=11
        let slots = 1 + trial % 5;
        let case = random_case(&mut rng, n, slots);
        let min_effect = [None, Some(0.01), Some(0.05)][trial % 3];
        // 0.6 puts t_crit above 0, where non-negative t values count too.
        let alpha = [0.05, 0.1, 0.05, 0.6][trial % 4];
        for statistic in [Statistic::Severity, Statistic::Count] {
            let (extreme, total) = brute_force(&case, alpha, min_effect, statistic);
            let got = engine(&case, alpha, min_effect, statistic, 4096);
            assert!(got.exact);
            assert_eq!(got.n_permutations, total);
            assert_eq!(
                got.n_extreme, extreme,
                "trial {trial} n={n} slots={slots} {min_effect:?} {statistic:?}"
            );
            assert_eq!(got.p, extreme as f64 / total as f64);
            checked += 1;
        }
    }
    assert_eq!(checked, 48);
}

#[test]
fn enumeration_handles_degenerate_and_tied_slots() {
    // Dyadic values add exactly in any order, so mathematically tied
    // patterns tie exactly; slot 0 is constant (degenerate), slot 1 holds
    // opposite pairs, slot 2 is all zero.
    let n = 8;
    let case = Case {
        d: vec![
            vec![-0.25; n],
            vec![-0.5, 0.5, -0.75, 0.75, -1.0, -0.125, 0.25, -0.5],
            vec![0.0; n],
        ],
        base_means: vec![2.0, 0.0, 1.0],
    };
    for min_effect in [None, Some(0.1)] {
        for statistic in [Statistic::Severity, Statistic::Count] {
            let (extreme, total) = brute_force(&case, 0.05, min_effect, statistic);
            let got = engine(&case, 0.05, min_effect, statistic, 4096);
            assert_eq!(
                (got.n_extreme, got.n_permutations),
                (extreme, total),
                "{min_effect:?} {statistic:?}"
            );
        }
    }
}

#[test]
fn identity_always_counts() {
    // A constant difference that is not exactly representable: the direct
    // sd is ~1e-17 (degenerate) while Σd² − S²/n rounds to ~1e-18·Σd², an sd
    // far above 1e-12 unless the cancellation is caught.
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for n in [5, 9, 12, 20, 40] {
        let base: Vec<f64> = (0..n).map(|_| 0.9 + 0.03 * normal(&mut rng)).collect();
        let cur: Vec<f64> = base.iter().map(|b| b - 0.05).collect();
        let d: Vec<f64> = cur.iter().zip(&base).map(|(c, b)| c - b).collect();
        let case = Case {
            d: vec![d],
            base_means: vec![0.9],
        };
        let got = engine(&case, 0.05, None, Statistic::Severity, 4096);
        // The degenerate rule must hold on the permutation path too: the
        // observed severity is exactly t_crit + 1e9, as computed directly.
        let t_crit = StudentsT::new(0.0, 1.0, (n - 1) as f64)
            .unwrap()
            .inverse_cdf(0.05);
        assert_eq!(got.observed, t_crit + 1e9, "n={n}");
        if got.exact {
            assert_eq!(got.n_extreme, 1, "n={n}");
            assert_eq!(got.p, 1.0 / (1u64 << n) as f64);
        } else {
            assert_eq!(got.p, 1.0 / 4097.0, "n={n}");
        }
    }
}

#[test]
fn sampled_meta_p_is_within_three_standard_errors_of_exact() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut in_range = 0;
    for trial in 0..8 {
        let n = 13 + trial % 4; // 13..=16: 8192..65536 patterns
        let case = loop {
            // Keep cases whose exact p is informative (not ~0 or ~1).
            let c = random_case(&mut rng, n, 3);
            let (extreme, total) = brute_force(&c, 0.05, None, Statistic::Severity);
            let p = extreme as f64 / total as f64;
            if (0.02..0.9).contains(&p) {
                break (c, p);
            }
        };
        let (case, exact) = case;
        let min_effect = if trial % 2 == 0 { None } else { Some(0.0) };
        let got = engine(&case, 0.05, min_effect, Statistic::Severity, 4096);
        assert!(!got.exact);
        assert_eq!(got.n_permutations, 4096);
        let se = (exact * (1.0 - exact) / 4096.0).sqrt();
        assert!(
            (got.p - exact).abs() <= 3.0 * se,
            "trial {trial} n={n}: sampled {} vs exact {exact} (se {se})",
            got.p
        );
        in_range += 1;
    }
    assert_eq!(in_range, 8);
}

#[test]
fn compare_samples_above_4096_patterns() {
    // 2^13 = 8192 > 4096 patterns: drawn, with the +1 correction.
    let n = 13;
    let slot = SlotKey::new(0, "score");
    let base: Vec<f64> = (0..n).map(|i| 1.0 + i as f64 * 0.01).collect();
    let cur: Vec<f64> = (0..n)
        .map(|i| base[i] + if i % 2 == 0 { -0.01 } else { 0.011 })
        .collect();
    let b = ScoreTable::new(vec![slot.clone()], vec![base]).unwrap();
    let c = ScoreTable::new(vec![slot], vec![cur]).unwrap();
    let opts = CompareOptions {
        alpha: 0.05,
        min_effect: None,
    };
    let seeds: Vec<u64> = (100..100 + n as u64).collect();
    let got = compare("bench_x", &seeds, &b, &c, &opts).unwrap();
    assert!(!got.exact);
    assert_eq!(got.n_permutations, 4096);
    // No regression (mean difference > 0): T = 0, every draw ties.
    assert_eq!(got.severity, 0.0);
    assert_eq!(got.meta_p, 1.0);
    assert!(got.passed());
}
