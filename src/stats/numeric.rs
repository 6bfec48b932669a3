//! Sums, means and standard deviations that round exactly as numpy's do.
//!
//! The reference tool is numpy-based and its numbers are matched to 1e-9
//! relative. Most of the time any careful summation would do, but near-zero
//! means (cancellation) and near-degenerate slots are sensitive to the order
//! of additions, so numpy's order is replicated here.

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

/// `numpy.mean` of a 1-D float64 array.
pub fn mean(a: &[f64]) -> f64 {
    pairwise_sum(a) / a.len() as f64
}

/// `numpy.std(a, ddof=1)`: mean first, then the sum of squared deviations.
pub fn std_ddof1(a: &[f64]) -> f64 {
    std_ddof1_around(a, mean(a))
}

/// `numpy.std(a, ddof=1)` given its already computed `numpy.mean`.
pub fn std_ddof1_around(a: &[f64], mean: f64) -> f64 {
    // Squared deviations need a buffer to be summed in numpy's order; small
    // inputs (the usual seed counts) stay on the stack.
    let mut stack = [0.0f64; 256];
    let mut heap = Vec::new();
    let buf: &mut [f64] = if a.len() <= stack.len() {
        &mut stack[..a.len()]
    } else {
        heap.resize(a.len(), 0.0);
        &mut heap
    };
    for (b, &x) in buf.iter_mut().zip(a) {
        let dev = x - mean;
        *b = dev * dev;
    }
    (pairwise_sum(buf) / (a.len() as f64 - 1.0)).sqrt()
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
    fn std_of_constant_is_zero() {
        assert_eq!(std_ddof1(&[0.25; 9]), 0.0);
        assert!((std_ddof1(&[1.0, 2.0, 3.0, 4.0]) - 1.2909944487358056).abs() < 1e-15);
    }
}
