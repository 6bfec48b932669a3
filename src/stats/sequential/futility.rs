//! The futility z of a look: is there any sign of a drop worth more seeds?
//!
//! Each slot's *drop* is `max(0, −t_s)` (0 unless its mean fell, and only
//! if it passes the `min_effect` gate). Two aggregates, each judged by the
//! look's sign vectors: their **sum** (a drop spread over many slots) and
//! their **maximum** (a drop in one slot among many, which a sum or a mean
//! over slots dilutes). `p₀ = min(p_sum, p_max)` and `z = Φ⁻¹(1 − p₀)`: the
//! run stops for futility only when *neither* shows a drop. With one slot
//! both are `max(0, −t)`, so `z < 0` iff the mean difference is ≥ 0.
//!
//! Futility is non-binding (the FAIL thresholds ignore it), so this is a
//! seed-saving heuristic that needs no exactness: it reuses the engine's
//! subset-sum idea but computes each `t` from `Σd²` and the signed sum
//! directly, without the engine's cancellation safeguards.

use statrs::distribution::{ContinuousCDF, Normal};

use super::super::{Criterion, DEGENERATE_T, Differences, TIE_RTOL, is_degenerate, signs};
use super::plan::Z_CAP;

/// The futility z of a look: `diffs` over its `n` seeds, `patterns` its
/// sign vectors (one byte per 8 seeds), `observed` the observed row.
pub(super) fn futility_z(
    diffs: &Differences,
    min_effect: Option<f64>,
    patterns: &[u8],
    observed: usize,
) -> f64 {
    let n = diffs.n_seeds();
    let nc = signs::n_chunks(n);
    let rows = patterns.len() / nc;
    let gate = Criterion {
        t_crit: 0.0,
        min_effect,
    };
    let mut sum = vec![0.0f64; rows];
    let mut max = vec![0.0f64; rows];
    let mut table = vec![0.0f64; nc * 256];
    for s in 0..diffs.n_slots() {
        let d = diffs.column(s);
        subset_sums(d, &mut table);
        let sum_sq: f64 = d.iter().map(|x| x * x).sum();
        let denominator = diffs.effect_denominator(s);
        for (r, pattern) in patterns.chunks_exact(nc).enumerate() {
            let signed: f64 = pattern
                .iter()
                .enumerate()
                .map(|(c, &m)| table[c * 256 + m as usize])
                .sum();
            let drop = drop_of(signed, sum_sq, n, |mean| gate.gate(mean, denominator));
            sum[r] += drop;
            max[r] = max[r].max(drop);
        }
    }
    let p = tail_share(&sum, observed).min(tail_share(&max, observed));
    let normal = Normal::new(0.0, 1.0).expect("a valid normal");
    normal.inverse_cdf(1.0 - p).clamp(-Z_CAP, Z_CAP)
}

/// `table[c·256 + mask] = Σ_j ±d[8c + j]`, `−` where bit `j` of `mask` is
/// set (only masks over the chunk's real seeds are filled and used).
fn subset_sums(d: &[f64], table: &mut [f64]) {
    for (c, chunk) in table.chunks_mut(256).enumerate() {
        chunk[0] = 0.0;
        let seeds = signs::CHUNK.min(d.len() - c * signs::CHUNK);
        for j in 0..seeds {
            let x = d[c * signs::CHUNK + j];
            let half = 1 << j;
            let (low, high) = chunk.split_at_mut(half);
            for (l, h) in low.iter_mut().zip(&mut high[..half]) {
                *h = *l - x;
                *l += x;
            }
        }
    }
}

/// A slot's drop `max(0, −t)` given its signed sum, `Σd²` and `n`, if the
/// gate passes (the degenerate rule of the slot test: ±1e9 or 0).
fn drop_of(signed: f64, sum_sq: f64, n: usize, gate: impl Fn(f64) -> bool) -> f64 {
    let nf = n as f64;
    let mean = signed / nf;
    if mean >= 0.0 || !gate(mean) {
        return 0.0;
    }
    let sd = ((sum_sq - signed * signed / nf).max(0.0) / (nf - 1.0)).sqrt();
    // The slot test's rule, relative to the differences' root mean square.
    if is_degenerate(sd, (sum_sq / nf).sqrt()) {
        DEGENERATE_T
    } else {
        -mean / (sd / nf.sqrt())
    }
}

/// Share of rows whose value reaches the observed row's (ties within
/// `TIE_RTOL`, as in `meta_p`).
fn tail_share(values: &[f64], observed: usize) -> f64 {
    let v = values[observed];
    let floor = v - TIE_RTOL * v.abs();
    values.iter().filter(|&&x| x >= floor).count() as f64 / values.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subset_sums_flip_the_masked_seeds() {
        let d = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];
        let mut table = vec![0.0; 512];
        subset_sums(&d, &mut table);
        assert_eq!(table[0], 255.0);
        assert_eq!(table[0b101], 255.0 - 2.0 * 5.0);
        assert_eq!(table[256], 768.0);
        assert_eq!(table[256 + 0b10], 256.0 - 512.0);
    }

    #[test]
    fn one_slot_z_is_negative_iff_the_mean_did_not_drop() {
        let up = [0.3, -0.1, 0.5, 0.2, 0.0, 0.4, -0.2, 0.1];
        let down: Vec<f64> = up.iter().map(|x| -x).collect();
        let patterns = signs::enumerate(8);
        let z = |col: &[f64]| {
            let d = Differences::new(8, vec![col.to_vec()], vec![1.0]).unwrap();
            futility_z(&d, None, &patterns, 0)
        };
        assert_eq!(z(&up), -Z_CAP);
        assert!(z(&down) > 1.0, "{}", z(&down));
    }

    #[test]
    fn one_dropping_slot_among_many_is_seen() {
        // 40 slots of noise and one clear drop: the max keeps it.
        let noise = |s: usize, i: usize| ((s * 31 + i * 17) % 13) as f64 / 6.0 - 1.0;
        let mut columns: Vec<Vec<f64>> = (0..40)
            .map(|s| (0..10).map(|i| noise(s, i)).collect())
            .collect();
        columns.push((0..10).map(|i| -1.0 - 0.1 * noise(99, i)).collect());
        let d = Differences::new(10, columns, vec![1.0; 41]).unwrap();
        let z = futility_z(&d, None, &signs::enumerate(10), 0);
        assert!(z > 2.5, "{z}");
    }
}
