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
use statrs::function::erf::erfc;

use super::family::Family;
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

/// `λ*`: `P(nct(n − 1, λ*) > t_{1−α,n−1}) = power`.
///
/// It depends on `(α, n, power)` alone, while a run asks for it once per
/// slot and `show --sensitivity` once per step of its search over `n`: each
/// distinct triple is solved once per process and remembered.
pub fn noncentrality(alpha: f64, n: usize, power: f64) -> f64 {
    static SOLVED: Mutex<BTreeMap<(u64, usize, u64), f64>> = Mutex::new(BTreeMap::new());
    let key = (alpha.to_bits(), n, power.to_bits());
    let solved = |map: &BTreeMap<_, f64>| map.get(&key).copied();
    if let Some(lambda) = SOLVED.lock().ok().and_then(|map| solved(&map)) {
        return lambda;
    }
    let lambda = solve_noncentrality(alpha, n, power);
    if let Ok(mut map) = SOLVED.lock() {
        map.insert(key, lambda);
    }
    lambda
}

/// [`noncentrality`]'s root, to `1e-12` relative: bracketed from the
/// shortcut (which misses the root by a few per cent), then regula falsi
/// with the Illinois step, which shrinks both ends of the bracket and needs
/// a handful of tail evaluations where bisection needs forty.
fn solve_noncentrality(alpha: f64, n: usize, power: f64) -> f64 {
    let nu = n as f64 - 1.0;
    let c = t_upper(alpha, n);
    let gap = |lambda: f64| nct_sf(c, nu, lambda) - power;
    // `gap` rises with λ and is below 0 at λ = 0 (where the tail is α).
    let start = noncentrality_approx(alpha, n, power).max(1.0);
    let mut step = 0.05 * start;
    let (mut lo, mut hi) = (start, start);
    let (mut gap_lo, mut gap_hi) = (gap(start), gap(start));
    if gap_lo < 0.0 {
        while gap_hi < 0.0 {
            (lo, gap_lo) = (hi, gap_hi);
            hi += step;
            step *= 2.0;
            gap_hi = gap(hi);
        }
    } else {
        while gap_lo >= 0.0 && lo > 0.0 {
            (hi, gap_hi) = (lo, gap_lo);
            lo = (lo - step).max(0.0);
            step *= 2.0;
            gap_lo = gap(lo);
        }
    }
    // The end that stayed put last time has its gap halved (Illinois).
    // After a dozen secant steps (never seen), plain bisection.
    let mut kept = 0i8;
    let mut steps = 0;
    while hi - lo > 1e-12 * hi {
        let secant = hi - gap_hi * (hi - lo) / (gap_hi - gap_lo);
        let mid = 0.5 * (lo + hi);
        steps += 1;
        let x = if steps <= 12 && secant > lo && secant < hi {
            secant
        } else {
            mid
        };
        let g = gap(x);
        if g < 0.0 {
            (lo, gap_lo) = (x, g);
            if kept == -1 {
                gap_hi *= 0.5;
            }
            kept = -1;
        } else {
            (hi, gap_hi) = (x, g);
            if kept == 1 {
                gap_lo *= 0.5;
            }
            kept = 1;
        }
    }
    0.5 * (lo + hi)
}

/// The smallest drop detected with [`POWER`] by `n` seeds at level `alpha`
/// given the differences' sd: `λ* · sd/√n` (0 when the differences do not vary).
pub fn mde(alpha: f64, n: usize, sd: f64) -> f64 {
    if sd <= 0.0 {
        return 0.0;
    }
    noncentrality(alpha, n, POWER) * sd / (n as f64).sqrt()
}

/// A slot's MDE from its paired differences `d` (goodness) and its
/// baseline goodness mean.
/// Differences that agree to the slot test's degenerate tolerance count as
/// not varying: that test flags any drop of theirs, whatever its size.
pub fn slot_mde(alpha: f64, d: &[f64], baseline_mean: f64) -> Mde {
    let sd = numeric::std_ddof1(d);
    let (sum_sq, scale) = numeric::scaled_sum_of_squares(d);
    let rms = (sum_sq / d.len() as f64).sqrt() * scale;
    let sd = if is_degenerate(sd, rms) { 0.0 } else { sd };
    with_sd(alpha, d.len(), sd, SdSource::Paired, baseline_mean)
}

/// A slot's MDE from a paired sd measured earlier (on the same seeds).
pub fn with_paired_sd(alpha: f64, n: usize, sd: f64, baseline_mean: f64) -> Mde {
    with_sd(alpha, n, sd, SdSource::Paired, baseline_mean)
}

/// A slot's MDE when only one run's sd is known: the bound `√2 · run_sd`.
pub fn slot_mde_from_run_sd(alpha: f64, n: usize, run_sd: f64, baseline_mean: f64) -> Mde {
    let sd = std::f64::consts::SQRT_2 * run_sd;
    with_sd(alpha, n, sd, SdSource::RunBound, baseline_mean)
}

fn with_sd(alpha: f64, n: usize, sd: f64, sd_source: SdSource, baseline_mean: f64) -> Mde {
    let value = mde(alpha, n, sd);
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

/// Seeds needed for an MDE at most a given drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedsNeeded {
    /// The smallest `n ≥ 2` whose MDE is at most the drop.
    Seeds(usize),
    /// Even [`SEEDS_CAP`] seeds are not enough.
    MoreThan(usize),
}

/// The smallest `n` whose MDE at level `alpha` with differences' sd `sd` is
/// at most `drop` (a goodness drop, > 0), searched up to [`SEEDS_CAP`].
/// `sd = 0`: any change is detected, 2 seeds. The sign-flip verdict also
/// needs `2^−n < alpha` ([`super::family::seeds_for_threshold`]).
pub fn seeds_needed(alpha: f64, sd: f64, drop: f64) -> SeedsNeeded {
    if sd <= 0.0 {
        return SeedsNeeded::Seeds(2);
    }
    if drop.is_nan() || drop <= 0.0 || mde(alpha, SEEDS_CAP, sd) > drop {
        return SeedsNeeded::MoreThan(SEEDS_CAP);
    }
    SeedsNeeded::Seeds(first_detecting(alpha, sd, drop))
}

/// The first `n ≥ 2` whose MDE is at most `drop`, given that [`SEEDS_CAP`]'s
/// is. `λ*` falls with `n`, so `λ*` at a computed `n` bounds it for every
/// larger `n` (from above) or smaller `n` (from below); each bound settles
/// a run of `n` without solving for their `λ*`, so a search takes a few
/// solves where bisection over `n` takes seventeen. Bounds decide only with
/// a margin over rounding; every other `n` is decided as [`mde`] decides it.
fn first_detecting(alpha: f64, sd: f64, drop: f64) -> usize {
    const MARGIN: f64 = 1e-9;
    let solve = |n: usize| noncentrality(alpha, n, POWER);
    let mde_with = |lambda: f64, n: usize| lambda * sd / (n as f64).sqrt();
    let first_over = |lambda: f64| ((lambda * sd / drop).powi(2).ceil()) as usize;
    // `lo` misses the drop (or is 1) and `hi` meets it; `miss` and `hit`
    // hold the largest missing and the smallest meeting `(n, λ*)` solved.
    let (mut lo, mut miss): (usize, Option<(usize, f64)>) = (1, None);
    let mut hit = (SEEDS_CAP, solve(SEEDS_CAP));
    let mut hi = SEEDS_CAP;
    loop {
        // λ*(n) ≥ hit's for n < hit's n: n misses while that bound does.
        let mut k = first_over(hit.1).clamp(lo + 1, hi) - 1;
        while k > lo && mde_with(hit.1, k) <= drop * (1.0 + MARGIN) {
            k -= 1;
        }
        lo = lo.max(k);
        // λ*(n) ≤ miss's for n > miss's n: n meets the drop while that bound does.
        if let Some((_, lambda)) = miss {
            let mut k = first_over(lambda).clamp(lo + 1, hi);
            while k < hi && mde_with(lambda, k) > drop * (1.0 - MARGIN) {
                k += 1;
            }
            hi = k;
        }
        if hi - lo <= 1 {
            return hi.max(2);
        }
        // Solve next to an end known by a bound only: that tightens the
        // other end most; else split the bracket (geometrically: n spans decades).
        let probe = if miss.is_none_or(|(n, _)| n != lo) {
            lo + 1
        } else if hit.0 != hi {
            hi - 1
        } else {
            ((lo as f64 * hi as f64).sqrt() as usize).clamp(lo + 1, hi - 1)
        };
        let lambda = solve(probe);
        if mde_with(lambda, probe) <= drop {
            (hi, hit) = (probe, (probe, lambda));
        } else {
            (lo, miss) = (probe, Some((probe, lambda)));
        }
    }
}

/// 8-point Gauss–Legendre nodes on [−1, 1] (positive half) and weights.
const GL_X: [f64; 4] = [
    0.183_434_642_495_649_8,
    0.525_532_409_916_329,
    0.796_666_477_413_626_7,
    0.960_289_856_497_536_3,
];
const GL_W: [f64; 4] = [
    0.362_683_783_378_362,
    0.313_706_645_877_887_3,
    0.222_381_034_453_374_5,
    0.101_228_536_290_376_3,
];

/// Panels per piece of the integration range.
const PANELS: usize = 32;

/// `P(T > c)` for `T ~ nct(nu, lambda)`: with `T = (Z + λ)/S`, `S =
/// √(χ²_ν/ν)`, it is `E[Φ(λ − cS)]`, integrated over `S`'s density by
/// Gauss–Legendre. The range is cut where the density lives (±16 sd) and,
/// since `Φ(λ − cs)` steps over a width `1/|c|` around `s = λ/c`, refined
/// there too. The density is normalised by its own quadrature, so errors
/// of range and `lnΓ` cancel.
pub fn nct_sf(c: f64, nu: f64, lambda: f64) -> f64 {
    let mode = ((nu - 1.0).max(0.0) / nu).sqrt();
    // S's sd is about 1/√(2ν); its right tail is the longer one.
    let (lo, hi) = (
        (mode - 16.0 / (2.0 * nu).sqrt()).max(0.0),
        mode + 16.0 / nu.sqrt(),
    );
    let ln_density = |s: f64| {
        let log_ratio = if mode > 0.0 { (s / mode).ln() } else { 0.0 };
        (nu - 1.0) * log_ratio - nu * (s * s - mode * mode) / 2.0
    };
    let mut cuts = vec![lo, hi];
    if c != 0.0 {
        let centre = lambda / c;
        let width = 12.0 / c.abs();
        cuts.extend([centre - width, centre + width].map(|x| x.clamp(lo, hi)));
    }
    cuts.sort_by(f64::total_cmp);
    let (mut mass, mut hit) = (0.0, 0.0);
    for piece in cuts.windows(2) {
        let h = (piece[1] - piece[0]) / PANELS as f64;
        if h <= 0.0 {
            continue;
        }
        for k in 0..PANELS {
            let mid = piece[0] + (k as f64 + 0.5) * h;
            for (x, w) in GL_X.iter().zip(GL_W) {
                for s in [mid - x * h / 2.0, mid + x * h / 2.0] {
                    let f = w * h / 2.0 * ln_density(s).exp();
                    mass += f;
                    hit += f * normal_cdf(lambda - c * s);
                }
            }
        }
    }
    hit / mass
}

/// `Φ(x)`, accurate in both tails.
fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
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
        let m = slot_mde_from_run_sd(0.05, 12, 1.0, 0.0);
        assert_eq!(m.sd, std::f64::consts::SQRT_2);
        assert!(m.rel_unreliable && m.sd_source == SdSource::RunBound);
        assert_eq!(mde_alpha(Family::None, 0.05, 20), 0.05);
        assert_eq!(mde_alpha(Family::Bh, 0.05, 20), 0.0025);
        assert_eq!(mde_alpha(Family::Holm, 0.05, 1), 0.05);
    }
}
