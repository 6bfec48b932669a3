//! The sequential check against brute force written plainly here: all
//! 2^12 sign vectors of looks 4/8/12, each prefix's severity recomputed
//! directly from `d`, each threshold found as the smallest valid cut.

use pybench_cli::scores::{ScoreTable, SlotKey};
use pybench_cli::stats::sequential::{judge_sequential_with_seed, prefix};
use pybench_cli::stats::{
    CompareOptions, Differences, LookDecision, SequentialError, SequentialPlan, SequentialTest,
    SequentialVerdict, Spending, Step, compare, judge_sequential,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ContinuousCDF, StudentsT};

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box-Muller; 1 - u keeps the log finite.
    let u: f64 = rng.random();
    let v: f64 = rng.random();
    (-2.0 * (1.0 - u).ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// `slots` columns of `n` differences: a per-slot shift, a per-seed offset
/// shared by every slot (correlated slots), and noise.
fn random_diffs(rng: &mut ChaCha8Rng, n: usize, slots: usize, shifts: &[f64]) -> Differences {
    let offsets: Vec<f64> = (0..n).map(|_| 0.3 * normal(rng)).collect();
    let columns = (0..slots)
        .map(|s| {
            let shift = shifts[s % shifts.len()];
            (0..n).map(|i| shift + offsets[i] + normal(rng)).collect()
        })
        .collect();
    Differences::new(n, columns, vec![10.0; slots]).unwrap()
}

/// Severity of vector `v`'s first `n` seeds, computed the plain way.
fn severity(d: &Differences, v: usize, n: usize, alpha: f64) -> f64 {
    let t_crit = StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .unwrap()
        .inverse_cdf(alpha);
    let mut total = 0.0;
    for s in 0..d.n_slots() {
        let x: Vec<f64> = (0..n)
            .map(|i| {
                let di = d.column(s)[i];
                if v >> i & 1 == 1 { -di } else { di }
            })
            .collect();
        let mean = x.iter().sum::<f64>() / n as f64;
        let var = x.iter().map(|xi| (xi - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let t = mean / (var.sqrt() / (n as f64).sqrt());
        if t < t_crit {
            total += t_crit - t;
        }
    }
    total
}

/// One look by brute force over all `2^12` vectors.
struct BruteLook {
    threshold: f64,
    crossed_share: f64,
    p: f64,
    observed: f64,
}

/// The looks of `plan` (no futility) by brute force: at each look, the
/// smallest cut `c` (0 or a surviving vector's severity) such that the
/// vectors crossed so far, plus the survivors above `c`, are a share below
/// `α(t_k)`.
fn brute_force(d: &Differences, plan: &SequentialPlan) -> Vec<BruteLook> {
    let total = 1usize << plan.n_seeds();
    let mut alive = vec![true; total];
    let mut out = Vec::new();
    for (k, &n) in plan.looks.iter().enumerate() {
        let sev: Vec<f64> = (0..total).map(|v| severity(d, v, n, plan.alpha)).collect();
        let cum = plan.cumulative_alpha(k);
        let crossed_before = alive.iter().filter(|a| !**a).count();
        let above = |c: f64| (0..total).filter(|&v| alive[v] && sev[v] > c).count();
        let valid = |c: f64| ((crossed_before + above(c)) as f64 / total as f64) < cum;
        let mut candidates: Vec<f64> = (0..total).filter(|&v| alive[v]).map(|v| sev[v]).collect();
        candidates.push(0.0);
        candidates.sort_by(f64::total_cmp);
        candidates.dedup();
        let threshold = *candidates.iter().find(|&&c| valid(c)).unwrap();
        let crossed_now = above(threshold);
        let at_least = (0..total).filter(|&v| alive[v] && sev[v] >= sev[0]).count();
        out.push(BruteLook {
            threshold,
            crossed_share: crossed_now as f64 / total as f64,
            p: (crossed_before + at_least) as f64 / total as f64,
            observed: sev[0],
        });
        for v in 0..total {
            alive[v] &= sev[v] <= threshold;
        }
        if sev[0] > threshold {
            break;
        }
    }
    out
}

fn plan_4_8_12(alpha: f64, gamma: f64) -> SequentialPlan {
    SequentialPlan {
        futility: None,
        spending: Spending::Hsd { gamma },
        ..SequentialPlan::with_looks(vec![4, 8, 12], alpha)
    }
}

#[test]
fn thresholds_match_brute_force_enumeration() {
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    let mut decisions = Vec::new();
    // alpha 0.05: look 1 (16 vectors) cannot reach α(⅓) = 0.0074; alpha
    // 0.3 with γ = 1 spends early enough for look 1 to cross.
    for (alpha, gamma) in [(0.05, -2.0), (0.3, 1.0)] {
        let plan = plan_4_8_12(alpha, gamma);
        for case in 0..12 {
            let shift = [-1.2, -0.6, -0.3, 0.0][case % 4];
            let d = random_diffs(&mut rng, 12, 1 + case % 3, &[shift, 0.0, 0.4]);
            let brute = brute_force(&d, &plan);
            let outcome = judge_sequential_with_seed(&d, plan.clone(), 0).unwrap();
            assert!(outcome.exact);
            assert_eq!(outcome.n_permutations, 1 << outcome.seeds_run);
            assert_eq!(outcome.looks.len(), brute.len(), "case {case}");
            let mut share = 0.0;
            for (got, want) in outcome.looks.iter().zip(&brute) {
                let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1e-300);
                assert!(
                    close(got.threshold, want.threshold),
                    "{got:?} {:?}",
                    want.threshold
                );
                assert!(close(got.severity, want.observed));
                assert_eq!(got.crossed_share, want.crossed_share, "{got:?}");
                assert_eq!(got.p, want.p, "{got:?}");
                share += got.crossed_share;
                assert!(share < got.cumulative_alpha, "{got:?}");
                assert_eq!(
                    got.decision == LookDecision::Fail,
                    want.observed > want.threshold
                );
                if !got.can_fail {
                    assert_eq!(got.crossed_share, 0.0);
                }
            }
            decisions.push((outcome.verdict, outcome.stopped_at));
        }
    }
    // The cases FAIL at every look, and some PASS.
    for look in 1..=3 {
        assert!(decisions.contains(&(SequentialVerdict::Fail, look)));
    }
    assert!(decisions.contains(&(SequentialVerdict::Pass, 3)));
}

#[test]
fn short_looks_say_they_cannot_fail() {
    let plan = plan_4_8_12(0.05, -2.0);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let d = random_diffs(&mut rng, 12, 2, &[-5.0]);
    let outcome = judge_sequential_with_seed(&d, plan, 0).unwrap();
    // 16 · 0.0074 ≤ 1: look 1 cannot FAIL even on a huge drop; look 2 can.
    let first = &outcome.looks[0];
    assert!(!first.can_fail && first.decision == LookDecision::Continue);
    assert_eq!(first.crossed_share, 0.0);
    assert!(outcome.looks[1].can_fail);
    assert_eq!(
        (outcome.verdict, outcome.stopped_at, outcome.seeds_run),
        (SequentialVerdict::Fail, 2, 8)
    );
}

fn tables(rng: &mut ChaCha8Rng, n: usize, shift: f64) -> (ScoreTable, ScoreTable) {
    let slots = vec![SlotKey::new(1, "min:loss"), SlotKey::new(2, "min:loss")];
    let base: Vec<Vec<f64>> = (0..2)
        .map(|_| (0..n).map(|_| 1.0 + 0.1 * normal(rng)).collect())
        .collect();
    // Loss goes up by `shift` sds: a goodness drop.
    let cur = base
        .iter()
        .map(|c| c.iter().map(|v| v + 0.1 * (shift + normal(rng))).collect())
        .collect();
    (
        ScoreTable::new(slots.clone(), base).unwrap(),
        ScoreTable::new(slots, cur).unwrap(),
    )
}

#[test]
fn a_one_look_plan_is_the_fixed_design() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    // 12 seeds: exact; 30 seeds: 4096 sampled vectors, the same stream.
    for (n, shift) in [(12, -0.8), (12, 0.0), (30, -0.5), (30, 0.2)] {
        let (base, cur) = tables(&mut rng, n, shift);
        let seeds: Vec<u64> = (100..100 + n as u64).collect();
        let opts = CompareOptions {
            alpha: 0.05,
            min_effect: Some(0.01),
        };
        let fixed = compare("bench_one", &seeds, &base, &cur, &opts).unwrap();
        let plan = SequentialPlan {
            min_effect: opts.min_effect,
            ..SequentialPlan::with_looks(vec![n], 0.05)
        };
        let d = Differences::from_prefix(&base, &cur).unwrap();
        let seq = judge_sequential("bench_one", &seeds, &d, plan).unwrap();
        assert_eq!(seq.meta_p, fixed.meta_p, "n={n}");
        assert_eq!(seq.exact, fixed.exact);
        assert_eq!(seq.n_permutations, fixed.n_permutations);
        assert_eq!(seq.passed(), fixed.passed());
        let sev = seq.looks[0].severity;
        assert!(
            (sev - fixed.severity).abs() <= 1e-12 * fixed.severity,
            "{sev}"
        );
    }
}

#[test]
fn same_inputs_same_outcome() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let d = random_diffs(&mut rng, 30, 3, &[-0.4, 0.0]);
    let seeds: Vec<u64> = (0..30).collect();
    let run = |bench| judge_sequential(bench, &seeds, &d, SequentialPlan::new(30, 0.05)).unwrap();
    let a = run("bench_a");
    assert_eq!(a, run("bench_a"));
    assert!(!a.exact && a.n_permutations == 4096);
    // Another benchmark name draws other sign vectors (its thresholds
    // differ; the verdict usually does not).
    assert_ne!(a.looks[0].threshold, run("bench_b").looks[0].threshold);
}

#[test]
fn a_large_drop_fails_at_the_first_look() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let seeds: Vec<u64> = (0..30).collect();
    for slots in [1, 4] {
        let d = random_diffs(&mut rng, 30, slots, &[-2.0]);
        let o = judge_sequential("bench_drop", &seeds, &d, SequentialPlan::new(30, 0.05)).unwrap();
        assert_eq!(
            (o.verdict, o.stopped_at, o.seeds_run),
            (SequentialVerdict::Fail, 1, 10)
        );
        assert!(o.meta_p < o.looks[0].cumulative_alpha, "{o:?}");
        assert!(o.looks[0].severity > o.looks[0].threshold);
    }
}

#[test]
fn no_change_passes_and_futility_saves_seeds() {
    let seeds: Vec<u64> = (0..30).collect();
    let (mut seeds_run, mut fails) = (0, 0);
    for case in 0..20 {
        let mut rng = ChaCha8Rng::seed_from_u64(1000 + case);
        let d = random_diffs(&mut rng, 30, 3, &[0.0]);
        let o = judge_sequential("bench_null", &seeds, &d, SequentialPlan::new(30, 0.05)).unwrap();
        // Case 12 is a false alarm (p 0.048 at look 3): 1 in 20 is alpha.
        fails += usize::from(!o.passed());
        seeds_run += o.seeds_run;
        // Futility never moves a FAIL threshold (non-binding).
        let off = SequentialPlan {
            futility: None,
            ..SequentialPlan::new(30, 0.05)
        };
        let all = judge_sequential("bench_null", &seeds, &d, off).unwrap();
        for (a, b) in o.looks.iter().zip(&all.looks) {
            assert_eq!((a.threshold, a.p), (b.threshold, b.p));
        }
        assert_eq!(all.seeds_run, 30);
    }
    assert!(fails <= 1, "{fails} false alarms in 20");
    assert!(
        seeds_run < 20 * 24,
        "mean {} seeds",
        seeds_run as f64 / 20.0
    );
}

#[test]
fn an_improvement_stops_for_futility_at_the_first_look() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let d = random_diffs(&mut rng, 30, 2, &[0.8]);
    let seeds: Vec<u64> = (0..30).collect();
    let o = judge_sequential("bench_up", &seeds, &d, SequentialPlan::new(30, 0.05)).unwrap();
    assert_eq!(o.verdict, SequentialVerdict::PassFutility);
    assert_eq!(o.seeds_run, 10);
    let look = &o.looks[0];
    assert!(
        look.z.unwrap() < 0.0 && look.futility_bound == Some(0.0),
        "{look:?}"
    );
}

#[test]
fn a_runner_feeds_looks_one_by_one() {
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let d = random_diffs(&mut rng, 30, 2, &[-0.3]);
    let seeds: Vec<u64> = (0..30).collect();
    let plan = SequentialPlan {
        futility: None,
        ..SequentialPlan::new(30, 0.05)
    };
    let mut test = SequentialTest::new("bench_r", &seeds, plan.clone()).unwrap();
    assert_eq!(test.next_seeds(), Some(10));
    assert_eq!(
        test.next_look(&prefix(&d, 12).unwrap()).unwrap_err(),
        SequentialError::WrongLookSize {
            look: 1,
            expected: 10,
            got: 12
        }
    );
    let mut looks = Vec::new();
    while let Some(n) = test.next_seeds() {
        match test.next_look(&prefix(&d, n).unwrap()).unwrap() {
            Step::Continue { look, next_seeds } => {
                assert_eq!(look.decision, LookDecision::Continue);
                looks.push(next_seeds);
            }
            Step::Stop(o) => assert_eq!(&o, test.outcome().unwrap()),
        }
    }
    assert_eq!(
        *test.outcome().unwrap(),
        judge_sequential("bench_r", &seeds, &d, plan.clone()).unwrap()
    );
    assert!(matches!(
        test.next_look(&d),
        Err(SequentialError::AlreadyStopped { .. })
    ));
    // A look whose first seeds changed is refused.
    let mut test = SequentialTest::new("bench_r", &seeds, plan.clone()).unwrap();
    test.next_look(&prefix(&d, 10).unwrap()).unwrap();
    let mut other = random_diffs(&mut rng, 30, 2, &[-0.3]);
    other = prefix(&other, 20).unwrap();
    assert_eq!(
        test.next_look(&other).unwrap_err(),
        SequentialError::PrefixChanged { look: 2, n: 10 }
    );
    assert!(matches!(
        SequentialTest::new("bench_r", &seeds[..29], plan),
        Err(SequentialError::LastLookNotAllSeeds {
            last: 30,
            n_seeds: 29
        })
    ));
}

#[test]
fn look_differences_use_the_whole_baseline() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let (base, cur) = tables(&mut rng, 30, 0.0);
    let first: Vec<Vec<f64>> = cur.columns().iter().map(|c| c[..10].to_vec()).collect();
    let partial = ScoreTable::new(cur.slots().to_vec(), first).unwrap();
    let d10 = Differences::from_prefix(&base, &partial).unwrap();
    let d30 = Differences::from_prefix(&base, &cur).unwrap();
    assert_eq!(d10, prefix(&d30, 10).unwrap());
    assert_eq!(d30, Differences::from_tables(&base, &cur).unwrap());
}

#[test]
fn flipping_the_data_fails_exactly_the_crossing_share() {
    // Under no change every sign flip of the data is as likely as the data:
    // the check's false-alarm rate given |d| is the share of flips that
    // FAIL. It must be the calibration's crossing share, below alpha.
    let plan = plan_4_8_12(0.3, 1.0);
    let plan = SequentialPlan {
        looks: vec![4, 8, 10],
        ..plan
    };
    let mut rng = ChaCha8Rng::seed_from_u64(31);
    let d = random_diffs(&mut rng, 10, 2, &[0.6, 0.2]);
    let own = judge_sequential_with_seed(&d, plan.clone(), 0).unwrap();
    assert_eq!(
        own.looks.len(),
        3,
        "the data itself must reach the last look"
    );
    let share: f64 = own.looks.iter().map(|l| l.crossed_share).sum();
    let mut fails = [0usize; 3];
    for v in 0..1usize << 10 {
        let columns = (0..d.n_slots())
            .map(|s| {
                let c = d.column(s);
                (0..10)
                    .map(|i| if v >> i & 1 == 1 { -c[i] } else { c[i] })
                    .collect()
            })
            .collect();
        let flipped = Differences::new(10, columns, vec![10.0; 2]).unwrap();
        let o = judge_sequential_with_seed(&flipped, plan.clone(), 0).unwrap();
        if !o.passed() {
            fails[o.stopped_at - 1] += 1;
        }
    }
    for (k, look) in own.looks.iter().enumerate() {
        assert_eq!(
            fails[k] as f64 / 1024.0,
            look.crossed_share,
            "look {}",
            k + 1
        );
    }
    assert!(fails.iter().sum::<usize>() as f64 / 1024.0 == share && share < 0.3);
    assert!(fails.iter().all(|&f| f > 0), "{fails:?}");
}
