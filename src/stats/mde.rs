//! Minimum detectable effect: the smallest drop that a slot's one-sided
//! paired t-test at level α′ detects with 80% power, and the seeds needed
//! to detect a given drop.
//!
//! With true sd `σ_d` of the paired differences and a drop `δ` in every
//! seed, `t = mean/(s_d/√n)` follows a noncentral t with `ν = n − 1` and
//! noncentrality `λ = δ√n/σ_d`; the test detects when `t < −t_{1−α′,ν}`.
//! So `MDE = λ* · s_d/√n` with `λ*` solving `P(nct(ν, λ*) > t_{1−α′,ν}) =
//! 0.80`, `s_d` standing in for `σ_d`. The textbook shortcut `λ ≈ t_{1−α′,ν}
//! + t_{0.80,ν}` misses 0.80 (0.78 at n = 12, α′ = 0.0025; 0.73 at n = 5):
//! the Monte-Carlo calibration in `docs/how-it-works.md` (section 11) shows it, so
//! the exact `λ*` is used and the shortcut is kept only for comparison.
//!
//! α′ ([`mde_alpha`]): a slot's benchmark must reach its threshold on the
//! meta-p; with `holm`/`bh` the hardest case is the first step, `alpha_i/m`
//! (a single regressed benchmark in a run of `m`), with `none` `alpha_i`.
//! For a one-slot benchmark the meta-p is close to the slot's t-test p; with
//! many slots the MDE is that of the slot alone.

use std::collections::BTreeMap;
use std::sync::Mutex;

use statrs::distribution::{Continuous, ContinuousCDF};

use super::family::Family;
pub use super::nct::nct_sf;
use super::nct::nct_tail;
use super::numeric;
use super::slot::{EFFECT_FLOOR, is_degenerate, students_t};

/// The power an MDE is defined at.
pub const POWER: f64 = 0.80;

/// [`seeds_needed`] searches `n` up to this many seeds.
pub const SEEDS_CAP: usize = 100_000;

/// Where an MDE's sd came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SdSource {
    /// The sample sd (ddof 1) of the paired differences.
    Paired,
    /// `√2 ·` one run's sd: an upper bound on the paired sd when the two
    /// runs have equal sd and non-negatively correlated seeds (pairing
    /// helps): `Var(c − b) = 2σ² − 2cov ≤ 2σ²`.
    RunBound,
}

/// One slot's minimum detectable effect.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Mde {
    /// The level α′ the MDE is computed at.
    pub alpha: f64,
    /// Seeds.
    pub n: usize,
    /// The sd used (of the differences, or its bound).
    pub sd: f64,
    /// Where `sd` came from.
    pub sd_source: SdSource,
    /// The smallest goodness drop detected with 80% power (0 when the
    /// differences are constant).
    pub mde: f64,
    /// `mde / max(|baseline mean|, 1e-9)`, like the effect.
    pub mde_rel: f64,
    /// `|baseline mean| < 1e-9`: `mde_rel`'s denominator is the floor.
    pub rel_unreliable: bool,
    /// `sd < 1e-12`: the degenerate rule makes any drop a p = 0 slot.
    pub any_change: bool,
}

/// α′: the threshold a benchmark's p must beat in the hardest case. `none`:
/// `alpha_i`; `holm`/`bh` with `m` benchmarks: `alpha_i / m` (`w_i·ᾱ/m`).
pub fn mde_alpha(method: Family, alpha: f64, m: usize) -> f64 {
    match method {
        Family::None => alpha,
        Family::Holm | Family::Bh => alpha / m.max(1) as f64,
    }
}

/// `t_{1−α, ν}` for `ν = n − 1`, via the lower tail (`1 − α` would round).
///
/// statrs inverts through an incomplete beta that, for large `ν`, loses
/// ~1e-9 relative (3e-9 at ν = 999); two Newton steps on the cdf restore it.
pub fn t_upper(alpha: f64, n: usize) -> f64 {
    -t_quantile(alpha, n)
}

/// `t_{q, n−1}`, polished by Newton steps on the cdf.
fn t_quantile(q: f64, n: usize) -> f64 {
    let t = students_t(n);
    let mut x = t.inverse_cdf(q);
    for _ in 0..2 {
        let density = t.pdf(x);
        if density.is_nan() || density <= 0.0 {
            break;
        }
        x -= (t.cdf(x) - q) / density;
    }
    x
}

/// The textbook `λ ≈ t_{1−α,ν} + t_{power,ν}` (for comparison only).
pub fn noncentrality_approx(alpha: f64, n: usize, power: f64) -> f64 {
    t_upper(alpha, n) + t_quantile(power, n)
}

/// `λ*`: `P(nct(n − 1, λ*) > t_{1−α,n−1}) = power`, solved afresh
/// ([`Lambdas::noncentrality`] remembers what it solved).
pub fn noncentrality(alpha: f64, n: usize, power: f64) -> f64 {
    Lambdas::default().noncentrality(alpha, n, power)
}

/// The `λ*` solved so far, by `(α, power, n)` bits. `λ*` depends on
/// `(α, n, power)` alone, while a run asks for it once per slot and
/// `show --sensitivity` once per step of its search over `n`: whoever asks
/// many times (a run's pipeline, one `show --sensitivity`) owns one and
/// passes it down, so each distinct triple is solved once for them.
#[derive(Debug, Default)]
pub struct Lambdas {
    solved: Mutex<BTreeMap<(u64, u64, usize), f64>>,
}

impl Lambdas {
    /// `λ*(α, n, power)`, solved once and remembered.
    pub fn noncentrality(&self, alpha: f64, n: usize, power: f64) -> f64 {
        match self.known_bounds(alpha, n, power) {
            (lower, upper) if lower == upper => lower,
            (lower, upper) => {
                // Bounds a few per cent apart are a better start than the shortcut.
                let start = (upper <= 1.05 * lower).then_some(0.5 * (lower + upper));
                let lambda = solve_noncentrality(alpha, n, power, start);
                if let Ok(mut solved) = self.solved.lock() {
                    solved.insert((alpha.to_bits(), power.to_bits(), n), lambda);
                }
                lambda
            }
        }
    }

    /// Bounds on `λ*(α, n)` from those solved so far: `λ*` falls with `n`,
    /// so the one solved at the nearest larger `n` bounds it from below and
    /// at the nearest smaller `n` from above (0 and ∞ where there is none);
    /// both are `λ*(α, n)` itself once that is solved.
    fn known_bounds(&self, alpha: f64, n: usize, power: f64) -> (f64, f64) {
        let Ok(solved) = self.solved.lock() else {
            return (0.0, f64::INFINITY);
        };
        let (a, p) = (alpha.to_bits(), power.to_bits());
        let upper = solved.range((a, p, 0)..=(a, p, n)).next_back();
        let lower = solved.range((a, p, n)..=(a, p, usize::MAX)).next();
        (
            lower.map_or(0.0, |(_, &l)| l),
            upper.map_or(f64::INFINITY, |(_, &l)| l),
        )
    }
}

/// [`noncentrality`]'s root, by Newton's method on the tail (its slope in
/// `λ` comes with it, [`nct_tail`]) inside the bracket the steps keep:
/// from `start` (the root's bounds from the `λ*` already solved, else the
/// shortcut, which misses it by under 1/(2n) relative) it takes three or
/// four tail evaluations. It stops once a Newton step is under 1e-9
/// relative: the step after it would move `λ` by ~1e-18.
fn solve_noncentrality(alpha: f64, n: usize, power: f64, start: Option<f64>) -> f64 {
    let nu = n as f64 - 1.0;
    let c = t_upper(alpha, n);
    // The tail rises with λ from α (at λ = 0): the root is in (lo, hi].
    let (mut lo, mut hi) = (0.0, f64::INFINITY);
    let mut x = start.unwrap_or_else(|| noncentrality_approx(alpha, n, power).max(1.0));
    for _ in 0..200 {
        let (tail, slope) = nct_tail(c, nu, x);
        if tail < power {
            lo = x;
        } else {
            hi = x;
        }
        let newton = x + (power - tail) / slope;
        if newton > lo && newton < hi {
            if (newton - x).abs() <= 1e-9 * x {
                return newton;
            }
            x = newton;
        } else if hi.is_finite() {
            if hi - lo <= 1e-12 * hi {
                break;
            }
            x = 0.5 * (lo + hi);
        } else {
            x *= 2.0;
        }
    }
    0.5 * (lo + hi)
}

/// Seeds needed for an MDE at most a given drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedsNeeded {
    /// The smallest `n ≥ 2` whose MDE is at most the drop.
    Seeds(usize),
    /// Even [`SEEDS_CAP`] seeds are not enough.
    MoreThan(usize),
}

impl Lambdas {
    /// The smallest drop detected with [`POWER`] by `n` seeds at level `alpha`
    /// given the differences' sd: `λ* · sd/√n` (0 when the differences do not vary).
    pub fn mde(&self, alpha: f64, n: usize, sd: f64) -> f64 {
        if sd <= 0.0 {
            return 0.0;
        }
        self.noncentrality(alpha, n, POWER) * sd / (n as f64).sqrt()
    }

    /// A slot's MDE from its paired differences `d` (goodness) and its
    /// baseline goodness mean.
    /// Differences that agree to the slot test's degenerate tolerance count as
    /// not varying: that test flags any drop of theirs, whatever its size.
    pub fn slot_mde(&self, alpha: f64, d: &[f64], baseline_mean: f64) -> Mde {
        let sd = numeric::std_ddof1(d);
        let (sum_sq, scale) = numeric::scaled_sum_of_squares(d);
        let rms = (sum_sq / d.len() as f64).sqrt() * scale;
        let sd = if is_degenerate(sd, rms) { 0.0 } else { sd };
        self.with_sd(alpha, d.len(), sd, SdSource::Paired, baseline_mean)
    }

    /// A slot's MDE from a paired sd measured earlier (on the same seeds).
    pub fn with_paired_sd(&self, alpha: f64, n: usize, sd: f64, baseline_mean: f64) -> Mde {
        self.with_sd(alpha, n, sd, SdSource::Paired, baseline_mean)
    }

    /// A slot's MDE when only one run's sd is known: the bound `√2 · run_sd`.
    pub fn slot_mde_from_run_sd(
        &self,
        alpha: f64,
        n: usize,
        run_sd: f64,
        baseline_mean: f64,
    ) -> Mde {
        let sd = std::f64::consts::SQRT_2 * run_sd;
        self.with_sd(alpha, n, sd, SdSource::RunBound, baseline_mean)
    }

    fn with_sd(
        &self,
        alpha: f64,
        n: usize,
        sd: f64,
        sd_source: SdSource,
        baseline_mean: f64,
    ) -> Mde {
        let value = self.mde(alpha, n, sd);
        Mde {
            alpha,
            n,
            sd,
            sd_source,
            mde: value,
            mde_rel: value / baseline_mean.abs().max(EFFECT_FLOOR),
            rel_unreliable: baseline_mean.abs() < EFFECT_FLOOR,
            any_change: sd <= 0.0,
        }
    }

    /// The smallest `n` whose MDE at level `alpha` with differences' sd `sd` is
    /// at most `drop` (a goodness drop, > 0), searched up to [`SEEDS_CAP`].
    /// `sd = 0`: any change is detected, 2 seeds. The sign-flip verdict also
    /// needs `2^−n < alpha` ([`super::family::seeds_for_threshold`]).
    pub fn seeds_needed(&self, alpha: f64, sd: f64, drop: f64) -> SeedsNeeded {
        if sd <= 0.0 {
            return SeedsNeeded::Seeds(2);
        }
        if drop.is_nan() || drop <= 0.0 || self.mde(alpha, SEEDS_CAP, sd) > drop {
            return SeedsNeeded::MoreThan(SEEDS_CAP);
        }
        SeedsNeeded::Seeds(self.first_detecting(alpha, sd, drop))
    }

    /// The first `n ≥ 2` whose MDE is at most `drop`, given that [`SEEDS_CAP`]'s
    /// is. `λ*` falls with `n`, so a bound on `λ*(n)` from above holds for every
    /// larger `n`, one from below for every smaller `n`, and the `λ*` solved
    /// before (for this search or an earlier one) bound it at every `n`
    /// ([`known_bounds`]): an `n` is solved for only when those bounds leave
    /// its answer open, so a search takes a few solves (none, often, after
    /// many searches) where bisection over `n` takes seventeen. Bounds decide
    /// only with a margin over rounding; every other `n` is decided as [`mde`]
    /// decides it.
    fn first_detecting(&self, alpha: f64, sd: f64, drop: f64) -> usize {
        const MARGIN: f64 = 1e-9;
        let mde_with = |lambda: f64, n: usize| lambda * sd / (n as f64).sqrt();
        let first_over = |lambda: f64| ((lambda * sd / drop).powi(2).ceil()) as usize;
        // Whether `n` meets the drop, and bounds on λ*(n).
        let decide = |n: usize| {
            let (lower, upper) = self.known_bounds(alpha, n, POWER);
            if lower < upper && mde_with(upper, n) <= drop * (1.0 - MARGIN) {
                return (true, lower, upper);
            }
            if lower < upper && mde_with(lower, n) > drop * (1.0 + MARGIN) {
                return (false, lower, upper);
            }
            let lambda = self.noncentrality(alpha, n, POWER);
            (mde_with(lambda, n) <= drop, lambda, lambda)
        };
        // `lo` misses the drop (or is 1) and `hi` meets it; `above_lo` bounds
        // λ* from above past `lo`, `below_hi` from below short of `hi`; an end
        // moved by those bounds, not by a probe, is not `probed`.
        let (mut lo, mut above_lo, mut lo_probed) = (1, f64::INFINITY, false);
        let (mut hi, mut below_hi, mut hi_probed) = (SEEDS_CAP, decide(SEEDS_CAP).1, true);
        loop {
            let mut k = first_over(below_hi).clamp(lo + 1, hi) - 1;
            while k > lo && mde_with(below_hi, k) <= drop * (1.0 + MARGIN) {
                k -= 1;
            }
            if k > lo {
                (lo, lo_probed) = (k, false);
            }
            let mut k = first_over(above_lo).clamp(lo + 1, hi);
            while k < hi && mde_with(above_lo, k) > drop * (1.0 - MARGIN) {
                k += 1;
            }
            if k < hi {
                (hi, hi_probed) = (k, false);
            }
            if hi - lo <= 1 {
                return hi.max(2);
            }
            // Next to an end a bound moved (deciding it tightens the other end
            // most), else the bracket split geometrically (n spans decades).
            let probe = if !lo_probed {
                lo + 1
            } else if !hi_probed {
                hi - 1
            } else {
                ((lo as f64 * hi as f64).sqrt() as usize).clamp(lo + 1, hi - 1)
            };
            match decide(probe) {
                (true, lower, _) => (hi, below_hi, hi_probed) = (probe, lower, true),
                (false, _, upper) => (lo, above_lo, lo_probed) = (probe, upper, true),
            }
        }
    }
}

/// [`Lambdas::mde`], solved afresh.
pub fn mde(alpha: f64, n: usize, sd: f64) -> f64 {
    Lambdas::default().mde(alpha, n, sd)
}

/// [`Lambdas::slot_mde`], solved afresh.
pub fn slot_mde(alpha: f64, d: &[f64], baseline_mean: f64) -> Mde {
    Lambdas::default().slot_mde(alpha, d, baseline_mean)
}

/// [`Lambdas::seeds_needed`], solved afresh.
pub fn seeds_needed(alpha: f64, sd: f64, drop: f64) -> SeedsNeeded {
    Lambdas::default().seeds_needed(alpha, sd, drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_differences_detect_any_change() {
        let m = slot_mde(0.05, &[0.5; 10], 2.0);
        assert!(m.any_change && m.mde == 0.0 && m.mde_rel == 0.0);
        assert_eq!(seeds_needed(0.05, 0.0, 1e-6), SeedsNeeded::Seeds(2));
    }

    #[test]
    fn seeds_needed_is_the_first_n_at_or_below_the_drop() {
        let drop = mde(0.01, 30, 1.0);
        assert_eq!(seeds_needed(0.01, 1.0, drop), SeedsNeeded::Seeds(30));
        assert_eq!(
            seeds_needed(0.01, 1.0, drop * 1.0001),
            SeedsNeeded::Seeds(30)
        );
        assert_eq!(
            seeds_needed(0.01, 1.0, drop * 0.9999),
            SeedsNeeded::Seeds(31)
        );
        assert_eq!(
            seeds_needed(0.01, 1.0, 1e-6),
            SeedsNeeded::MoreThan(SEEDS_CAP)
        );
    }

    /// The search over `n` answers as bisection on [`mde`] itself does.
    #[test]
    fn seeds_needed_matches_bisection_on_the_mde() {
        let bisect = |alpha: f64, sd: f64, drop: f64| {
            if mde(alpha, SEEDS_CAP, sd) > drop {
                return SeedsNeeded::MoreThan(SEEDS_CAP);
            }
            let (mut lo, mut hi) = (1, SEEDS_CAP);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if mde(alpha, mid, sd) <= drop {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            SeedsNeeded::Seeds(hi.max(2))
        };
        for alpha in [0.05, 0.0025, 5e-5] {
            for drop in [3.0, 1.2, 0.9, 0.5, 0.2, 0.071, 0.03, 0.013] {
                assert_eq!(
                    seeds_needed(alpha, 1.0, drop),
                    bisect(alpha, 1.0, drop),
                    "alpha {alpha} drop {drop}"
                );
            }
        }
    }

    #[test]
    fn bound_and_alpha_rules() {
        let m = Lambdas::default().slot_mde_from_run_sd(0.05, 12, 1.0, 0.0);
        assert_eq!(m.sd, std::f64::consts::SQRT_2);
        assert!(m.rel_unreliable && m.sd_source == SdSource::RunBound);
        assert_eq!(mde_alpha(Family::None, 0.05, 20), 0.05);
        assert_eq!(mde_alpha(Family::Bh, 0.05, 20), 0.0025);
        assert_eq!(mde_alpha(Family::Holm, 0.05, 1), 0.05);
    }
}
