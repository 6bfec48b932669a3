//! Sums, means and standard deviations that round exactly as numpy's do.
//!
//! The reference tool is numpy-based and its numbers are matched to 1e-9
//! relative. Most of the time any careful summation would do, but near-zero
//! means (cancellation) and near-degenerate slots are sensitive to the order
//! of additions, so numpy's order is replicated here.
//!
//! Beyond numpy, nothing over- or underflows at any scale: values are
//! divided by a power of two ([`pow2_scale`]) before they are squared (and
//! before they are summed, if their plain sum overflows). Dividing by a power
//! of two is exact, so wherever numpy's result is finite and normal the
//! result here is bit-identical; values of ~1e160 (whose squares overflow) or
//! ~1e-160 (whose squares underflow) get the same digits as values of ~1.

/// numpy's unrolled block size for `pairwise_sum`.
const PW_BLOCKSIZE: usize = 128;

/// Sum in numpy's order (`pairwise_sum` in `loops_utils.h`): plain loop
/// below 8 values, 8 interleaved accumulators up to 128, halving above.
pub fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        // numpy starts this loop from 0.0, which only differs from starting
        // at a[0] for a[0] == -0.0; kept for bit-exactness.
        let mut res = 0.0;
        for &x in a {
            res += x;
        }
        res
    } else if n <= PW_BLOCKSIZE {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let full = n - n % 8;
        let mut i = 8;
        while i < full {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[full..] {
            res += x;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// Largest exponent used by [`pow2_scale`]: `2^±1021` are both normal.
const MAX_SCALE_EXP: i32 = 1021;

/// The power of two `2^k` nearest below `max |a|` (so `max |a| / 2^k` is in
/// `[1, 2)`), with `|k| ≤ 1021` so that `2^k` and `2^−k` are normal; `1`
/// when every value is zero or any is not finite (nothing to gain).
///
/// Dividing by it is exact: the scaled values have the same digits.
pub fn pow2_scale(a: &[f64]) -> f64 {
    let mut max = 0.0f64;
    for &x in a {
        if !x.is_finite() {
            return 1.0;
        }
        max = max.max(x.abs());
    }
    if max == 0.0 {
        return 1.0;
    }
    // Biased exponent of a normal `max`; subnormals (0) clamp to 2^−1021.
    let biased = ((max.to_bits() >> 52) & 0x7ff) as i32;
    let k = (biased - 1023).clamp(-MAX_SCALE_EXP, MAX_SCALE_EXP);
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// Run `f` on `a` divided by `scale` (a power of two), in a buffer that
/// stays on the stack for the usual seed counts.
fn with_scaled<R>(
    a: &[f64],
    scale: f64,
    map: impl Fn(f64) -> f64,
    f: impl FnOnce(&[f64]) -> R,
) -> R {
    with_buffer(a, |x| map(x / scale), |buf| f(buf))
}

/// `f` of `map` applied to each value, in a scratch buffer: on the stack
/// for the usual seed counts, on the heap beyond.
fn with_buffer<R>(a: &[f64], map: impl Fn(f64) -> f64, f: impl FnOnce(&mut [f64]) -> R) -> R {
    let mut stack = [0.0f64; 256];
    let mut heap = Vec::new();
    let buf: &mut [f64] = if a.len() <= stack.len() {
        &mut stack[..a.len()]
    } else {
        heap.resize(a.len(), 0.0);
        &mut heap
    };
    for (b, &x) in buf.iter_mut().zip(a) {
        *b = map(x);
    }
    f(buf)
}

/// `numpy.mean` of a 1-D float64 array; a sum that overflows is redone on
/// the values divided by [`pow2_scale`] (numpy would return ±inf).
pub fn mean(a: &[f64]) -> f64 {
    let n = a.len() as f64;
    let sum = pairwise_sum(a);
    if sum.is_finite() {
        return sum / n;
    }
    let scale = pow2_scale(a);
    with_scaled(a, scale, |x| x, |b| pairwise_sum(b) / n) * scale
}

/// `Σ (a_i / scale)²` in numpy's order, `scale` being [`pow2_scale`]`(a)`:
/// the sum of squares, free of over- and underflow, and its scale (the true
/// sum is `sum · scale²`, which may not be representable).
pub fn scaled_sum_of_squares(a: &[f64]) -> (f64, f64) {
    let scale = pow2_scale(a);
    (with_scaled(a, scale, |x| x * x, pairwise_sum), scale)
}

/// `numpy.std(a, ddof=1)`: mean first, then the sum of squared deviations.
pub fn std_ddof1(a: &[f64]) -> f64 {
    std_ddof1_around(a, mean(a))
}

/// `numpy.std(a, ddof=1)` given its already computed `numpy.mean`.
///
/// The deviations are divided by the [`pow2_scale`] of the largest one
/// before they are squared, and the result multiplied back: bit-identical
/// to numpy where numpy neither overflows nor underflows, and finite and
/// accurate where it would (deviations ≳ 1e154 or ≲ 1e-154).
pub fn std_ddof1_around(a: &[f64], mean: f64) -> f64 {
    // The deviations are scaled, squared and summed in numpy's order.
    with_buffer(
        a,
        |x| x - mean,
        |buf| {
            let scale = pow2_scale(buf);
            for b in buf.iter_mut() {
                let dev = *b / scale;
                *b = dev * dev;
            }
            // sqrt(y · scale²) = sqrt(y) · scale exactly: scale² is an even power of 2.
            (pairwise_sum(buf) / (a.len() as f64 - 1.0)).sqrt() * scale
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_matches_numpy_blocks() {
        // 1e16 + 1 + ... : the 8 accumulators keep the ones apart from the
        // big value until the final tree, unlike a left-to-right loop.
        let mut a = vec![1.0; 16];
        a[0] = 1e16;
        let sequential: f64 = a.iter().sum();
        assert_eq!(sequential, 1e16);
        // r0 = 1e16 + 1 (-> 1e16), r1..r7 = 2 each; tree adds 14 to 1e16.
        assert_eq!(pairwise_sum(&a), 1e16 + 14.0);
    }

    #[test]
    fn scaling_is_exact_and_scale_free() {
        assert_eq!(pow2_scale(&[0.0, 0.0]), 1.0);
        assert_eq!(pow2_scale(&[1.5, -0.25]), 1.0);
        assert_eq!(pow2_scale(&[-3.0, 0.25]), 2.0);
        assert_eq!(pow2_scale(&[0.7]), 0.5);
        assert_eq!(pow2_scale(&[f64::MAX]), 2f64.powi(1021));
        assert_eq!(pow2_scale(&[5e-324]), 2f64.powi(-1021));
        assert_eq!(pow2_scale(&[1.0, f64::NAN]), 1.0);
        let a = [0.31, 0.47, 0.12, 0.95, 0.66, 0.28, 0.5, 0.73, 0.41];
        let sd = std_ddof1(&a);
        let m = mean(&a);
        for k in [-1000, -520, -40, 0, 40, 520, 1000] {
            let f = 2f64.powi(k);
            let b: Vec<f64> = a.iter().map(|x| x * f).collect();
            assert_eq!(std_ddof1(&b), sd * f, "2^{k}");
            assert_eq!(mean(&b), m * f, "2^{k}");
            let (q, s) = scaled_sum_of_squares(&a);
            assert_eq!(scaled_sum_of_squares(&b), (q, s * f), "2^{k}");
        }
        // numpy overflows to inf here (squares, and the sum of 1e308s).
        assert!((std_ddof1(&[1e200, 3e200]) / (2f64.sqrt() * 1e200) - 1.0).abs() < 1e-15);
        assert_eq!(mean(&[1.5e308, 1.5e308]), 1.5e308);
    }

    #[test]
    fn std_of_constant_is_zero() {
        assert_eq!(std_ddof1(&[0.25; 9]), 0.0);
        assert!((std_ddof1(&[1.0, 2.0, 3.0, 4.0]) - 1.2909944487358056).abs() < 1e-15);
    }
}
