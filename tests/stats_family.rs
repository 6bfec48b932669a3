//! Run-level correction, MDE and meta-p refinement against independent
//! numbers (`tests/fixtures/gen_stats_family.py`: statsmodels, scipy, and a
//! bisection on the decision itself for thresholds), plus brute-force
//! checks of the refinement against exact enumeration.

use pybench_cli::scores::{ScoreTable, SlotKey};
use pybench_cli::stats::family::{self, Family};
use pybench_cli::stats::mde::{self, SeedsNeeded};
use pybench_cli::stats::refine::{self, Member, PermutationTest, RefineOptions, Side};
use pybench_cli::stats::{
    CompareOptions, Criterion, Differences, MetaP, N_PERMUTATIONS, PermutationOptions, Statistic,
    binomial, compare, meta_p,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    family: Vec<FamilyCase>,
    t_quantiles: Vec<TQuantile>,
    nct_sf: Vec<NctCase>,
    lambda_star: Vec<LambdaCase>,
    binomial: Vec<BinomialCase>,
}

#[derive(Deserialize)]
struct FamilyCase {
    name: String,
    p: Vec<f64>,
    alpha: Vec<f64>,
    holm: Expected,
    bh: Expected,
}

#[derive(Deserialize)]
struct Expected {
    level: f64,
    weight: Vec<f64>,
    adjusted: Vec<f64>,
    failed: Vec<bool>,
    threshold: Vec<f64>,
}

#[derive(Deserialize)]
struct TQuantile {
    n: usize,
    alpha: f64,
    t: f64,
}

#[derive(Deserialize)]
struct NctCase {
    nu: f64,
    c: f64,
    lambda: f64,
    sf: f64,
}

#[derive(Deserialize)]
struct LambdaCase {
    n: usize,
    alpha: f64,
    lambda: f64,
    approx: f64,
}

#[derive(Deserialize)]
struct BinomialCase {
    x: u64,
    b: u64,
    p: f64,
    cdf: f64,
    sf: f64,
}

fn fixture() -> Fixture {
    serde_json::from_str(include_str!("fixtures/stats_family.json")).unwrap()
}

fn close(actual: f64, expected: f64, rel: f64) -> bool {
    (actual - expected).abs() <= rel * expected.abs().max(1e-300)
}

#[test]
fn adjusted_p_and_decisions_match_statsmodels_and_weighted_references() {
    let f = fixture();
    assert!(f.family.len() >= 40);
    for case in &f.family {
        for (method, want) in [(Family::Holm, &case.holm), (Family::Bh, &case.bh)] {
            let got = family::adjust(method, &case.p, &case.alpha).unwrap();
            assert!(close(got.level, want.level, 1e-15), "{}", case.name);
            for (i, d) in got.decisions.iter().enumerate() {
                let ctx = format!("{} {method} #{i}: {d:?}", case.name);
                assert!(close(d.weight, want.weight[i], 1e-15), "{ctx}");
                assert!(close(d.adjusted_p, want.adjusted[i], 1e-12), "{ctx}");
                assert_eq!(d.failed, want.failed[i], "{ctx}");
                // The fixture bisects the decision itself to 2^-200.
                assert!(close(d.threshold, want.threshold[i], 1e-12), "{ctx}");
                assert_eq!(d.failed, d.p < d.threshold, "{ctx}");
            }
        }
    }
}

#[test]
fn none_is_each_benchmark_at_its_own_alpha() {
    let p = [0.001, 0.03, 0.2, 0.049];
    let alpha = [0.01, 0.05, 0.1, 0.05];
    let got = family::adjust(Family::None, &p, &alpha).unwrap();
    let failed: Vec<bool> = got.decisions.iter().map(|d| d.failed).collect();
    assert_eq!(failed, [true, true, false, true]);
    assert!(got.decisions.iter().all(|d| d.adjusted_p == d.p));
}

#[test]
fn equal_alphas_are_plain_procedures_and_bh_finds_more_than_holm() {
    // Hand-computed: Holm multiplies by 4,3,2,1 (0.004,0.024,0.04,0.04 →
    // monotone), BH by 4/1..4/4 then takes the running minimum from above.
    let p = [0.001, 0.008, 0.02, 0.04];
    let holm = family::adjust(Family::Holm, &p, &[0.05; 4]).unwrap();
    let bh = family::adjust(Family::Bh, &p, &[0.05; 4]).unwrap();
    let adj = |d: &family::FamilyDecisions| -> Vec<f64> {
        d.decisions.iter().map(|x| x.adjusted_p).collect()
    };
    let want_holm = [0.004, 0.024, 0.04, 0.04];
    let want_bh = [0.004, 0.016, 0.02666666666666667, 0.04];
    for (g, w) in adj(&holm).iter().zip(want_holm) {
        assert!(close(*g, w, 1e-15), "{:?}", adj(&holm));
    }
    for (g, w) in adj(&bh).iter().zip(want_bh) {
        assert!(close(*g, w, 1e-15), "{:?}", adj(&bh));
    }
    assert_eq!((holm.n_failed(), bh.n_failed()), (4, 4));
    // p = 0.03, 0.04 with 0.05: BH fails both (0.04·2/2 < 0.05), Holm none.
    let p = [0.03, 0.04];
    assert_eq!(
        family::adjust(Family::Bh, &p, &[0.05; 2])
            .unwrap()
            .n_failed(),
        2
    );
    assert_eq!(
        family::adjust(Family::Holm, &p, &[0.05; 2])
            .unwrap()
            .n_failed(),
        0
    );
}

#[test]
fn bad_inputs_are_errors() {
    assert!(family::adjust(Family::Bh, &[0.1], &[0.05, 0.05]).is_err());
    assert!(family::adjust(Family::Bh, &[f64::NAN], &[0.05]).is_err());
    assert!(family::adjust(Family::Bh, &[0.1], &[0.0]).is_err());
    assert!(
        family::adjust(Family::Holm, &[], &[])
            .unwrap()
            .decisions
            .is_empty()
    );
}

#[test]
fn t_quantiles_match_scipy() {
    for q in fixture().t_quantiles {
        let got = -mde::t_upper(q.alpha, q.n);
        assert!(
            close(got, q.t, 1e-9),
            "n={} alpha={}: {got} vs {}",
            q.n,
            q.alpha,
            q.t
        );
    }
}

#[test]
fn noncentral_t_tail_and_exact_noncentrality_match_scipy() {
    let f = fixture();
    for c in &f.nct_sf {
        let got = mde::nct_sf(c.c, c.nu, c.lambda);
        // Absolute near 1, relative in the far lower tail.
        let ok = (got - c.sf).abs() <= 1e-10 || close(got, c.sf, 1e-7);
        assert!(
            ok,
            "nu={} c={} lambda={}: {got} vs {}",
            c.nu, c.c, c.lambda, c.sf
        );
    }
    for l in &f.lambda_star {
        let got = mde::noncentrality(l.alpha, l.n, 0.8);
        assert!(
            close(got, l.lambda, 1e-8),
            "n={} a={}: {got} vs {}",
            l.n,
            l.alpha,
            l.lambda
        );
        let approx = mde::noncentrality_approx(l.alpha, l.n, 0.8);
        assert!(close(approx, l.approx, 1e-9), "n={} a={}", l.n, l.alpha);
        let sd = 0.37;
        let want = l.lambda * sd / (l.n as f64).sqrt();
        assert!(close(mde::mde(l.alpha, l.n, sd), want, 1e-8));
    }
}

#[test]
fn mde_rel_and_seeds_needed() {
    let d: Vec<f64> = (0..12)
        .map(|i| 0.01 * ((i * 7 % 12) as f64 - 5.5))
        .collect();
    let m = mde::slot_mde(0.0025, &d, -4.0);
    assert!(close(m.mde_rel, m.mde / 4.0, 1e-15) && !m.rel_unreliable);
    // 12 seeds detect this slot's own MDE; 11 do not.
    assert_eq!(
        mde::seeds_needed(0.0025, m.sd, m.mde),
        SeedsNeeded::Seeds(12)
    );
}

#[test]
fn binomial_tails_match_scipy() {
    for c in fixture().binomial {
        let (cdf, sf) = (binomial::cdf(c.x, c.b, c.p), binomial::sf(c.x, c.b, c.p));
        // lnΓ of ~1e6 carries ~1e-9 absolute error into every term: the
        // tails decide against a risk of ~1e-4, so 1e-7 relative is plenty.
        let ok = |got: f64, want: f64| (got - want).abs() <= 1e-12 || close(got, want, 1e-7);
        assert!(
            ok(cdf, c.cdf),
            "cdf({}, {}, {}): {cdf} vs {}",
            c.x,
            c.b,
            c.p,
            c.cdf
        );
        assert!(
            ok(sf, c.sf),
            "sf({}, {}, {}): {sf} vs {}",
            c.x,
            c.b,
            c.p,
            c.sf
        );
    }
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u: f64 = rng.random();
    let v: f64 = rng.random();
    (-2.0 * (1.0 - u).ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// `slots` slots of `n` seeds, every slot shifted by `shift` sds.
fn diffs(rng: &mut ChaCha8Rng, n: usize, slots: usize, shift: f64) -> Differences {
    let columns = (0..slots)
        .map(|_| (0..n).map(|_| shift + normal(rng)).collect())
        .collect();
    Differences::new(n, columns, vec![10.0; slots]).unwrap()
}

fn test_of(d: Differences, alpha: f64, seed: u64) -> PermutationTest {
    let criterion = Criterion::new(alpha, d.n_seeds(), None);
    PermutationTest::new(d, criterion, seed)
}

#[test]
fn refining_to_b_draws_is_meta_p_with_b_draws() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for n in [13, 30] {
        let test = test_of(diffs(&mut rng, n, 3, -0.5), 0.05, 77);
        let mut meta = test.meta_p();
        for b in [8192, 16384] {
            meta = test.extend(&meta, 1 << 20).unwrap();
            let direct = meta_p(
                &test.diffs,
                &test.criterion,
                &PermutationOptions {
                    statistic: Statistic::Severity,
                    n_permutations: b,
                    rng_seed: 77,
                },
            );
            assert_eq!(meta, direct, "n={n} b={b}");
            if n == 13 {
                assert!(meta.exact && test.extend(&meta, 1 << 20).is_none());
                break;
            }
        }
    }
}

/// One slot of `n` seeds whose paired t-test p is `target` (its exact
/// sign-flip p is then near it), and that exact meta-p by enumeration.
fn near(rng: &mut ChaCha8Rng, n: usize, target: f64) -> (PermutationTest, MetaP) {
    let z: Vec<f64> = (0..n).map(|_| normal(rng)).collect();
    let mean = z.iter().sum::<f64>() / n as f64;
    let sd = (z.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    let t = mde::t_upper(target, n);
    let d: Vec<f64> = z
        .iter()
        .map(|x| (x - mean) / sd - t / (n as f64).sqrt())
        .collect();
    let test = test_of(
        Differences::new(n, vec![d], vec![10.0]).unwrap(),
        0.05,
        rng.random(),
    );
    let exact = meta_p(
        &test.diffs,
        &test.criterion,
        &PermutationOptions {
            n_permutations: 1 << n,
            ..test.options
        },
    );
    assert!(exact.exact && exact.p > target / 4.0 && exact.p < target * 4.0);
    (test, exact)
}

#[test]
fn refined_decisions_equal_exact_enumeration_near_the_threshold() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let options = RefineOptions::default();
    let risk = options.look_risk(N_PERMUTATIONS);
    // Thresholds 3% from the exact p: the 4096 draws cannot tell, so the
    // refinement runs to the exact enumeration (2^n ≤ the next batch).
    for (n, factor) in [(16, 0.97), (16, 1.03), (17, 1.03), (18, 0.97)] {
        let (test, exact) = near(&mut rng, n, 0.0025);
        let threshold = exact.p * factor;
        let fast = test.meta_p();
        assert_eq!(refine::side(&fast, threshold, risk), Side::Straddles);
        let (meta, side) = test.refine(fast, threshold, &options);
        let want = if exact.p < threshold {
            Side::Below
        } else {
            Side::Above
        };
        assert_eq!((side, &meta), (want, &exact), "n={n} threshold={threshold}");
    }
    // Farther off, a few doublings settle it before enumerating, on the
    // same side as the exact p.
    let mut early = 0;
    for factor in [0.5, 0.7, 1.4, 2.0, 0.6, 1.7] {
        let (test, exact) = near(&mut rng, 16, 0.0025);
        let threshold = exact.p * factor;
        let (meta, side) = test.refine(test.meta_p(), threshold, &options);
        let want = if exact.p < threshold {
            Side::Below
        } else {
            Side::Above
        };
        assert_eq!(side, want, "threshold={threshold} exact={exact:?} {meta:?}");
        assert_eq!(meta.p < threshold, exact.p < threshold, "{meta:?}");
        early += usize::from(!meta.exact);
    }
    assert!(early >= 3, "{early}");
}

#[test]
fn clear_cases_keep_the_fast_path() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let test = test_of(diffs(&mut rng, 30, 4, 0.0), 0.05, 9);
    let fast = test.meta_p();
    let (meta, side) = test.refine(fast.clone(), 0.0025, &RefineOptions::default());
    assert_eq!((meta, side), (fast, Side::Above));
    // Off: a straddling p stays as drawn.
    let (test, exact) = near(&mut rng, 16, 0.0025);
    let fast = test.meta_p();
    let (meta, side) = test.refine(fast.clone(), exact.p * 1.03, &RefineOptions::off());
    assert_eq!((meta, side), (fast, Side::Straddles));
}

fn family_members(seed: u64, m: usize, n: usize) -> Vec<Member> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..m)
        .map(|i| {
            let shift = if i % 7 == 0 { -0.9 } else { 0.0 };
            Member {
                test: test_of(diffs(&mut rng, n, 3, shift), 0.05, i as u64),
                alpha: 0.05,
                meta: None,
            }
        })
        .collect()
}

#[test]
fn one_member_family_is_todays_verdict() {
    let slot = SlotKey::new(0, "score");
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let base: Vec<f64> = (0..30).map(|_| 1.0 + normal(&mut rng)).collect();
    let seeds: Vec<u64> = (0..30).collect();
    for shift in [-0.6, -0.3, 0.0] {
        let cur: Vec<f64> = base
            .iter()
            .map(|b| b + shift + 0.5 * normal(&mut rng))
            .collect();
        let baseline = ScoreTable::new(vec![slot.clone()], vec![base.clone()]).unwrap();
        let current = ScoreTable::new(vec![slot.clone()], vec![cur]).unwrap();
        let opts = CompareOptions {
            alpha: 0.05,
            min_effect: None,
        };
        let today = compare("bench_x", &seeds, &baseline, &current, &opts).unwrap();
        let member = Member::from_tables("bench_x", &seeds, &baseline, &current, &opts).unwrap();
        let fast = member.test.meta_p();
        assert_eq!((fast.p, fast.exact), (today.meta_p, today.exact));
        for method in Family::ALL {
            let members = [member.clone()];
            let v = refine::judge(&members, method, &RefineOptions::default()).unwrap();
            let d = v.decisions.decisions[0];
            assert_eq!((d.adjusted_p, d.failed), (v.meta[0].p, v.meta[0].p < 0.05));
            // Settled at the first look: today's p and verdict exactly.
            if v.meta[0].n_permutations == N_PERMUTATIONS {
                assert_eq!((d.p, d.failed), (today.meta_p, !today.passed()));
            }
        }
    }
}

#[test]
fn judge_is_deterministic_whatever_the_threads() {
    let members = family_members(2, 20, 24);
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| refine::judge(&members, Family::Bh, &RefineOptions::default()).unwrap())
    };
    let one = run(1);
    assert_eq!(one, run(2));
    // Every member that was refined straddled some threshold on the way;
    // at the end none straddles unless capped.
    for (meta, side) in one.meta.iter().zip(&one.sides) {
        assert!(*side != Side::Straddles || meta.n_permutations == 1 << 20);
    }
    assert!(one.decisions.n_failed() >= 1, "{:?}", one.decisions);
}
