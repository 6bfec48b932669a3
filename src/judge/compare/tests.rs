use super::*;
use crate::scores::SlotKey;

/// A one-slot side with `values`, on seeds starting at `first_seed`.
fn side(values: Vec<f64>, first_seed: u64) -> Side {
    let n = values.len() as u64;
    Side {
        seeds: (first_seed..first_seed + n).collect(),
        table: ScoreTable::new(vec![SlotKey::new(0, "score")], vec![values]).unwrap(),
        alpha: None,
        min_effect: None,
    }
}

/// Deterministic noise in [−0.5, 0.5).
fn noise(i: u64) -> f64 {
    let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
    x as f64 / (1u64 << 53) as f64 - 0.5
}

#[test]
fn one_pass_welch_matches_two_pass() {
    let rows: Vec<Vec<f64>> = (0..20)
        .map(|i| vec![1000.0 + noise(i), noise(i + 100) * 3.0])
        .collect();
    let pooled = Pooled::new(rows.clone(), 8);
    let (mut sum, mut sum_sq) = (vec![0.0; 2], vec![0.0; 2]);
    let b_rows: Vec<usize> = (8..20).collect();
    let fast = pooled.welch(&b_rows, &mut sum, &mut sum_sq);
    for (s, &(mean, t, _)) in fast.iter().enumerate() {
        let a: Vec<f64> = rows[..8].iter().map(|r| r[s]).collect();
        let b: Vec<f64> = rows[8..].iter().map(|r| r[s]).collect();
        let (ma, mb) = (numeric::mean(&a), numeric::mean(&b));
        let va = numeric::std_ddof1_around(&a, ma).powi(2) / 8.0;
        let vb = numeric::std_ddof1_around(&b, mb).powi(2) / 12.0;
        assert!((mean - (mb - ma)).abs() < 1e-9);
        assert!((t - (mb - ma) / (va + vb).sqrt()).abs() < 1e-6, "{t}");
    }
}

#[test]
fn unpaired_verdicts() {
    let a = side((0..30).map(|i| 0.5 + 0.05 * noise(i)).collect(), 0);
    let same = side((0..30).map(|i| 0.5 + 0.05 * noise(i + 1000)).collect(), 500);
    let worse = side(
        (0..30).map(|i| 0.47 + 0.05 * noise(i + 1000)).collect(),
        500,
    );
    let better = side(
        (0..30).map(|i| 0.53 + 0.05 * noise(i + 1000)).collect(),
        500,
    );
    let verdict = |b: &Side| compare_bench("bench_x", &a, b, 0.05, None);
    let d = verdict(&same);
    assert!(!d.paired);
    assert_eq!(d.verdict, Verdict::Unchanged, "{d:?}");
    assert_eq!(verdict(&worse).verdict, Verdict::Regressed);
    assert_eq!(verdict(&better).verdict, Verdict::Improved);
    // Deterministic.
    assert_eq!(verdict(&worse).meta_p, verdict(&worse).meta_p);
    // With a min_effect larger than the change, nothing counts.
    let gated = compare_bench("bench_x", &a, &worse, 0.05, Some(0.2));
    assert_eq!(gated.verdict, Verdict::Unchanged, "{gated:?}");
}

#[test]
fn paired_when_the_seeds_match() {
    let a = side((0..12).map(|i| 0.5 + 0.05 * noise(i)).collect(), 0);
    let b = side(
        (0..12)
            .map(|i| 0.45 + 0.05 * noise(i) + 0.001 * noise(i + 7))
            .collect(),
        0,
    );
    let d = compare_bench("bench_x", &a, &b, 0.05, None);
    assert!(d.paired);
    assert_eq!(d.verdict, Verdict::Regressed, "{d:?}");
    assert_eq!(d.slots[0].verdict, SlotVerdict::Regressed);
}
