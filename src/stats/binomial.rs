//! Binomial tails and the Clopper–Pearson interval: how sure a sampled
//! meta-p (`x` extreme patterns out of `B` draws) is about the exact one.
//!
//! Summed term by term from the tail's largest term outwards: each tail is
//! computed directly where it is small, never as `1 − (a number near 1)`,
//! so tails far below the refinement's risk (~1e-5) keep full precision.
//! (statrs' `Binomial` goes through an incomplete beta whose continued
//! fraction is not meant for a million trials.)

use statrs::function::gamma::ln_gamma;

/// Terms below this fraction of the running sum end a tail.
const TAIL_EPS: f64 = 1e-17;

/// `ln P(X = k)`, `X ~ Binomial(b, p)`, `0 < p < 1`.
fn ln_pmf(k: u64, b: u64, p: f64) -> f64 {
    let (k, b) = (k as f64, b as f64);
    ln_gamma(b + 1.0) - ln_gamma(k + 1.0) - ln_gamma(b - k + 1.0)
        + k * p.ln()
        + (b - k) * (-p).ln_1p()
}

/// `Σ P(X = k)` from `k = start` stepping by `dir` (±1) while in `0..=b`:
/// the terms shrink away from the mode, so the sum stops once they vanish.
fn walk(start: u64, dir: i64, b: u64, p: f64) -> f64 {
    let ratio_up = p / (1.0 - p); // P(k+1)/P(k) = (b−k)/(k+1) · p/(1−p)
    let mut term = ln_pmf(start, b, p).exp();
    let mut sum = term;
    let mut k = start as i64;
    loop {
        let next = k + dir;
        if next < 0 || next > b as i64 || term == 0.0 {
            break;
        }
        term *= if dir > 0 {
            (b as i64 - k) as f64 / next as f64 * ratio_up
        } else {
            k as f64 / (b as i64 - next) as f64 / ratio_up
        };
        sum += term;
        if term < TAIL_EPS * sum {
            break;
        }
        k = next;
    }
    sum.min(1.0)
}

/// `P(X ≤ x)`, `X ~ Binomial(b, p)`.
pub fn cdf(x: u64, b: u64, p: f64) -> f64 {
    if x >= b || p <= 0.0 {
        return 1.0;
    }
    if p >= 1.0 {
        return 0.0;
    }
    if (x as f64) < b as f64 * p {
        walk(x, -1, b, p)
    } else {
        1.0 - walk(x + 1, 1, b, p)
    }
}

/// `P(X ≥ x)`, `X ~ Binomial(b, p)`.
pub fn sf(x: u64, b: u64, p: f64) -> f64 {
    if x == 0 || p >= 1.0 {
        return 1.0;
    }
    if x > b || p <= 0.0 {
        return 0.0;
    }
    if x as f64 > b as f64 * p {
        walk(x, 1, b, p)
    } else {
        1.0 - walk(x - 1, -1, b, p)
    }
}

/// The two-sided Clopper–Pearson interval for a proportion after `x`
/// successes in `b` trials, each side at `risk / 2`.
pub fn clopper_pearson(x: u64, b: u64, risk: f64) -> (f64, f64) {
    let half = risk / 2.0;
    // cdf(x; p) falls and sf(x; p) rises as p grows: bisect each.
    let lower = if x == 0 {
        0.0
    } else {
        bisect(|p| sf(x, b, p) < half)
    };
    let upper = if x >= b {
        1.0
    } else {
        bisect(|p| cdf(x, b, p) >= half)
    };
    (lower, upper)
}

/// The boundary in (0, 1) of a predicate that is true below it.
fn bisect(below: impl Fn(f64) -> bool) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if below(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_cases_by_hand() {
        // Binomial(4, 1/2): 1, 4, 6, 4, 1 over 16.
        // lnΓ rounds: ~1e-15 relative.
        assert!((cdf(1, 4, 0.5) - 5.0 / 16.0).abs() < 1e-13);
        assert!((sf(3, 4, 0.5) - 5.0 / 16.0).abs() < 1e-13);
        assert!((cdf(2, 4, 0.5) - 11.0 / 16.0).abs() < 1e-13);
        assert_eq!((cdf(4, 4, 0.3), sf(0, 4, 0.3)), (1.0, 1.0));
        // x = 0: the upper bound solves (1 − u)^b = risk/2.
        let (lo, hi) = clopper_pearson(0, 100, 0.05);
        assert_eq!(lo, 0.0);
        assert!((hi - (1.0 - 0.025f64.powf(0.01))).abs() < 1e-12);
    }
}
