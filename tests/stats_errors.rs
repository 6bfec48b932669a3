//! Inputs that cannot be compared are errors, never a silent PASS.

use pybench_cli::scores::{ScoreTable, SlotKey};
use pybench_cli::stats::{CompareOptions, Differences, StatsError, compare};

fn table(metrics: &[&str], n: usize, offset: f64) -> ScoreTable {
    let slots = metrics.iter().map(|m| SlotKey::new(0, *m)).collect();
    let values = metrics
        .iter()
        .enumerate()
        .map(|(s, _)| (0..n).map(|i| offset + (i * 7 + s) as f64 % 5.0).collect())
        .collect();
    ScoreTable::new(slots, values).unwrap()
}

fn opts(alpha: f64) -> CompareOptions {
    CompareOptions {
        alpha,
        min_effect: None,
    }
}

fn err(b: &ScoreTable, c: &ScoreTable, o: CompareOptions) -> StatsError {
    let seeds: Vec<u64> = (0..b.n_seeds() as u64).collect();
    compare("bench_e", &seeds, b, c, &o).unwrap_err()
}

#[test]
fn seed_count_mismatch() {
    let e = err(&table(&["a"], 10, 0.0), &table(&["a"], 9, 0.0), opts(0.05));
    assert_eq!(
        e,
        StatsError::SeedCountMismatch {
            baseline: 10,
            current: 9
        }
    );
}

#[test]
fn slots_differ() {
    let e = err(
        &table(&["a", "b"], 10, 0.0),
        &table(&["a", "c"], 10, 0.0),
        opts(0.05),
    );
    let StatsError::SlotsDiffer(detail) = &e else {
        panic!("{e:?}")
    };
    assert!(detail.contains("b@0") && detail.contains("c@0"), "{detail}");
}

#[test]
fn one_seed() {
    let e = err(&table(&["a"], 1, 0.0), &table(&["a"], 1, 1.0), opts(0.05));
    assert_eq!(e, StatsError::TooFewSeeds { n: 1 });
}

#[test]
fn unreachable_alpha() {
    // 2^4 = 16 ≤ 1/0.05: even the most extreme pattern has meta-p 1/16.
    let e = err(&table(&["a"], 4, 0.0), &table(&["a"], 4, 1.0), opts(0.05));
    assert_eq!(e, StatsError::UnreachableAlpha { alpha: 0.05, n: 4 });
    assert_eq!(
        e.to_string(),
        "alpha=0.05 can never flag a regression with n_seeds=4: the smallest n_seeds that can is 5"
    );
    // The boundary: 2^3 = 1/0.125 exactly is still unreachable; 2^5 > 20 is fine.
    let e = err(&table(&["a"], 3, 0.0), &table(&["a"], 3, 1.0), opts(0.125));
    assert_eq!(e, StatsError::UnreachableAlpha { alpha: 0.125, n: 3 });
    let (b, c) = (table(&["a"], 5, 0.0), table(&["a"], 5, 1.0));
    assert!(compare("x", &[1, 2, 3, 4, 5], &b, &c, &opts(0.05)).is_ok());
}

#[test]
fn invalid_settings() {
    let (b, c) = (table(&["a"], 8, 0.0), table(&["a"], 8, 1.0));
    for alpha in [0.0, 1.0, -0.1, f64::NAN] {
        assert!(matches!(
            err(&b, &c, opts(alpha)),
            StatsError::InvalidAlpha(_)
        ));
    }
    for m in [-0.01, f64::INFINITY, f64::NAN] {
        let o = CompareOptions {
            alpha: 0.05,
            min_effect: Some(m),
        };
        assert!(matches!(err(&b, &c, o), StatsError::InvalidMinEffect(_)));
    }
}

#[test]
fn empty_slots() {
    // A ScoreTable cannot be empty; the lower-level entry point refuses too.
    assert!(ScoreTable::new(vec![], vec![]).is_err());
    let e = Differences::new(10, vec![], vec![]).unwrap_err();
    assert!(matches!(e, StatsError::SlotsDiffer(_)), "{e:?}");
    assert_eq!(
        Differences::new(1, vec![vec![0.5]], vec![1.0]).unwrap_err(),
        StatsError::TooFewSeeds { n: 1 }
    );
}
