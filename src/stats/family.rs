//! Run-level false-alarm control across the benchmarks judged in one run.
//!
//! Each benchmark `i` brings its meta-p `p_i` and its own level `alpha_i`.
//! They combine as *weighted* procedures: run level `ᾱ = mean(alpha_i)`,
//! weights `w_i = alpha_i / ᾱ` (mean 1), and the procedures run on
//! `q_i = p_i / w_i`. With equal alphas `w_i = 1` exactly and this is plain
//! Holm / Benjamini–Hochberg at `alpha`.
//!
//! - [`Family::None`]: each benchmark at its own `alpha_i` (pybench 0.1).
//! - [`Family::Holm`]: weighted Holm (Holm 1979): step-down in `q` order,
//!   step `j` multiplies by the weight still in play, `Σ_{k≥j} w_(k)` (which
//!   is `m − j + 1` for equal weights). Controls P(any false FAIL) under any
//!   dependence between benchmarks.
//! - [`Family::Bh`]: weighted BH (Genovese, Roeder & Wasserman 2006):
//!   step-up, `q_(k) · m / k`. Controls the false discovery rate under
//!   independence or positive dependence (PRDS); when nothing regressed
//!   the FDR *is* P(any FAIL), so it also controls the run's false alarms.
//!
//! A benchmark FAILs iff its adjusted p `< level` (pybench's strict `<`).

use std::fmt;
use std::str::FromStr;

use super::numeric;

/// How the verdicts of one run's benchmarks are corrected for their number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// No correction: each benchmark at its own alpha.
    None,
    /// Weighted Holm step-down: P(any false FAIL) ≤ ᾱ under any dependence.
    Holm,
    /// Weighted Benjamini–Hochberg step-up (the default).
    #[default]
    Bh,
}

impl Family {
    /// Every method, in `none|holm|bh` order.
    pub const ALL: [Family; 3] = [Family::None, Family::Holm, Family::Bh];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Family::None => "none",
            Family::Holm => "holm",
            Family::Bh => "bh",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Family {
    type Err = FamilyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Family::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| FamilyError::UnknownMethod(s.to_string()))
    }
}

/// Why a family of p values cannot be adjusted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FamilyError {
    /// Not `none`, `holm` or `bh`.
    #[error("unknown correction {0:?}: expected none, holm or bh")]
    UnknownMethod(String),
    /// `p` and `alpha` have different lengths.
    #[error("{p} p values but {alpha} alphas")]
    LengthMismatch { p: usize, alpha: usize },
    /// A p value outside [0, 1] (or NaN).
    #[error("benchmark {index}: p={p} is not a probability in [0, 1]")]
    InvalidP { index: usize, p: f64 },
    /// An alpha outside (0, 1) (or NaN).
    #[error("benchmark {index}: alpha={alpha} is not a probability in (0, 1)")]
    InvalidAlpha { index: usize, alpha: f64 },
}

/// One benchmark's corrected verdict.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Decision {
    /// The raw meta-p.
    pub p: f64,
    /// The benchmark's own alpha.
    pub alpha: f64,
    /// `w_i = alpha_i / ᾱ` (1 with `none`, or when all alphas are equal).
    pub weight: f64,
    /// The adjusted p, in [0, 1]; the raw p with `none`.
    pub adjusted_p: f64,
    /// What `adjusted_p` is compared with: `ᾱ`, or `alpha_i` with `none`.
    pub level: f64,
    /// The cut on the raw p, the other benchmarks' p held fixed: this
    /// benchmark FAILs iff `p < threshold` (up to rounding at the cut).
    pub threshold: f64,
    /// `adjusted_p < level`.
    pub failed: bool,
}

/// The corrected verdicts of one run, in input order.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FamilyDecisions {
    /// The method used.
    pub method: Family,
    /// Run level `ᾱ = mean(alpha_i)` (the common alpha when all are
    /// equal; NaN for an empty family).
    pub level: f64,
    /// One per benchmark, in input order.
    pub decisions: Vec<Decision>,
}

impl FamilyDecisions {
    /// Number of benchmarks that FAIL.
    pub fn n_failed(&self) -> usize {
        self.decisions.iter().filter(|d| d.failed).count()
    }
}

/// Correct the verdicts of `m = p.len()` benchmarks with meta-p `p[i]` and
/// level `alpha[i]`. With `m = 1` every method gives `adjusted_p = p` and
/// FAIL iff `p < alpha`, exactly today's verdict.
pub fn adjust(method: Family, p: &[f64], alpha: &[f64]) -> Result<FamilyDecisions, FamilyError> {
    validate(p, alpha)?;
    let m = p.len();
    let (level, weights) = weights(alpha);
    if method == Family::None {
        let decisions = (0..m)
            .map(|i| Decision {
                p: p[i],
                alpha: alpha[i],
                weight: 1.0,
                adjusted_p: p[i],
                level: alpha[i],
                threshold: alpha[i],
                failed: p[i] < alpha[i],
            })
            .collect();
        return Ok(FamilyDecisions {
            method,
            level,
            decisions,
        });
    }
    let q: Vec<f64> = p.iter().zip(&weights).map(|(p, w)| p / w).collect();
    let order = ascending(&q);
    let adjusted = match method {
        Family::Holm => holm_adjusted(&q, &weights, &order),
        _ => bh_adjusted(&q, &order),
    };
    let decisions = (0..m)
        .map(|i| {
            let cut = match method {
                Family::Holm => holm_cut(i, &q, &weights, &order, level),
                _ => bh_cut(i, &q, &order, level),
            };
            Decision {
                p: p[i],
                alpha: alpha[i],
                weight: weights[i],
                adjusted_p: adjusted[i],
                level,
                threshold: weights[i] * cut,
                failed: adjusted[i] < level,
            }
        })
        .collect();
    Ok(FamilyDecisions {
        method,
        level,
        decisions,
    })
}

fn validate(p: &[f64], alpha: &[f64]) -> Result<(), FamilyError> {
    if p.len() != alpha.len() {
        return Err(FamilyError::LengthMismatch {
            p: p.len(),
            alpha: alpha.len(),
        });
    }
    if let Some(index) = p.iter().position(|p| !(0.0..=1.0).contains(p)) {
        return Err(FamilyError::InvalidP { index, p: p[index] });
    }
    if let Some(index) = alpha.iter().position(|a| !(*a > 0.0 && *a < 1.0)) {
        return Err(FamilyError::InvalidAlpha {
            index,
            alpha: alpha[index],
        });
    }
    Ok(())
}

/// `(ᾱ, w)`. Equal alphas give exactly `(alpha, 1)`: a floating-point mean
/// of equal values can be an ulp off, which would move the verdict of a p
/// sitting exactly on the cut.
fn weights(alpha: &[f64]) -> (f64, Vec<f64>) {
    let Some(&first) = alpha.first() else {
        return (f64::NAN, Vec::new());
    };
    if alpha.iter().all(|a| a.to_bits() == first.to_bits()) {
        return (first, vec![1.0; alpha.len()]);
    }
    let level = numeric::mean(alpha);
    (level, alpha.iter().map(|a| a / level).collect())
}

/// Indices sorted by `q`, ties by index: a stable order, so that the
/// adjusted p values never depend on how the input happened to be sorted
/// (tied `q` get equal adjusted p in both procedures anyway).
fn ascending(q: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..q.len()).collect();
    order.sort_by(|&a, &b| q[a].total_cmp(&q[b]).then(a.cmp(&b)));
    order
}

/// Weighted Holm: `adj_(j) = min(1, max_{k≤j} q_(k) · Σ_{l≥k} w_(l))`.
fn holm_adjusted(q: &[f64], w: &[f64], order: &[usize]) -> Vec<f64> {
    let remaining = suffix_sums(w, order);
    let mut adjusted = vec![0.0; q.len()];
    let mut running = 0.0f64;
    for (j, &i) in order.iter().enumerate() {
        running = running.max(q[i] * remaining[j]);
        adjusted[i] = running.min(1.0);
    }
    adjusted
}

/// `Σ_{l≥j} w_(l)` for each rank `j`, summed from the largest rank down,
/// so that equal weights give exactly `m − j` (0-based).
fn suffix_sums(w: &[f64], order: &[usize]) -> Vec<f64> {
    let mut sums = vec![0.0; order.len()];
    let mut acc = 0.0;
    for (j, &i) in order.iter().enumerate().rev() {
        acc += w[i];
        sums[j] = acc;
    }
    sums
}

/// Weighted BH: `adj_(j) = min(1, min_{k≥j} q_(k) · m / k)`.
fn bh_adjusted(q: &[f64], order: &[usize]) -> Vec<f64> {
    let m = q.len() as f64;
    let mut adjusted = vec![0.0; q.len()];
    let mut running = f64::INFINITY;
    for (j, &i) in order.iter().enumerate().rev() {
        running = running.min(q[i] * m / (j + 1) as f64);
        adjusted[i] = running.min(1.0);
    }
    adjusted
}

/// The other benchmarks, in ascending `q` order.
fn others(i: usize, order: &[usize]) -> impl Iterator<Item = usize> {
    order.iter().copied().filter(move |&k| k != i)
}

/// Holm's cut on `q_i`, the others fixed. Walk the others in `q` order as
/// if benchmark `i` came last: `s` of them are rejected while `i` is still
/// in play (step `j` needs `q·(w_i + Σ others from j on) < ᾱ`). Then `i`,
/// placed right after them, is rejected iff `q_i · W < ᾱ`, `W = w_i + Σ of
/// the others not rejected`: the cut is `ᾱ / W`. A smaller `q_i` only
/// moves `i` earlier, which makes every step easier.
fn holm_cut(i: usize, q: &[f64], w: &[f64], order: &[usize], level: f64) -> f64 {
    let rest: Vec<usize> = others(i, order).collect();
    let tail = suffix_sums(w, &rest);
    let mut s = 0;
    while s < rest.len() && q[rest[s]] * (w[i] + tail[s]) < level {
        s += 1;
    }
    let in_play = w[i] + tail.get(s).copied().unwrap_or(0.0);
    level / in_play
}

/// BH's cut on `q_i`, the others fixed: `i` is rejected with `q_i = x` iff
/// for some `k`, `x < kᾱ/m` and at least `k − 1` others are below `kᾱ/m`
/// (then the `k`-th smallest is below `kᾱ/m` and `i` is among the first
/// `k`). The cut is the largest such `kᾱ/m`; `k = 1` always qualifies.
fn bh_cut(i: usize, q: &[f64], order: &[usize], level: f64) -> f64 {
    let m = q.len();
    let rest: Vec<f64> = others(i, order).map(|k| q[k]).collect();
    let mut below = 0; // others with q < k·ᾱ/m, rest being sorted
    let mut cut = level / m as f64;
    for k in 1..=m {
        let line = k as f64 * level / m as f64;
        while below < rest.len() && rest[below] * m as f64 / (k as f64) < level {
            below += 1;
        }
        if below + 1 >= k {
            cut = line;
        }
    }
    cut
}

/// Whether `n` seeds can reach a threshold at all: the smallest exact
/// sign-flip meta-p is `2^−n` and FAIL needs `p < threshold` strictly.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Reachability {
    /// The per-benchmark threshold in the worst case, `alpha_i / m`.
    pub threshold: f64,
    /// `2^−n < threshold`.
    pub reachable: bool,
    /// The smallest `n` with `2^−n < threshold`, i.e. `n > log2(1/threshold)`.
    pub seeds_needed: usize,
}

/// Whether a benchmark with `n_seeds` seeds and level `alpha` can FAIL when
/// `m` benchmarks are corrected together: with `holm` or `bh` its smallest
/// cut is `w_i·ᾱ/m = alpha/m` (`m = 1` is [`super::check_reachable`]'s rule).
/// A sampled meta-p is also floored at `1/(B+1)` by its `B` draws: see
/// [`super::refine`] for the draws that resolve small thresholds.
pub fn reachability(n_seeds: usize, alpha: f64, m: usize) -> Reachability {
    let threshold = alpha / m.max(1) as f64;
    Reachability {
        threshold,
        reachable: reachable(n_seeds, threshold),
        seeds_needed: seeds_for_threshold(threshold),
    }
}

/// Why `n_seeds` seeds can never FAIL when `method` corrects `m` benchmarks
/// together at level `alpha`: their share of it, `alpha/m` (the smallest
/// cut of Holm and of BH), is at most `2^−n`, the smallest meta-p they can
/// give. `None` when they can.
pub fn unreachable_share(n_seeds: usize, alpha: f64, method: Family, m: usize) -> Option<String> {
    let reach = reachability(n_seeds, alpha, m);
    (!reach.reachable).then(|| {
        format!(
            "{n_seeds} seeds can never reach the corrected threshold {}, alpha={}'s share under {} over {m} benchmarks (alpha/{m}): set n_seeds ≥ {}, or pass --family none",
            few_digits(reach.threshold),
            crate::settings::compact(alpha),
            method.name().to_uppercase(),
            reach.seeds_needed
        )
    })
}

/// What an adaptive check's `share` of the run's alpha is, when it is one.
pub fn bonferroni_share(share: f64, declared: f64, m: usize) -> Option<String> {
    (m > 1).then(|| {
        format!(
            "alpha={} is the Bonferroni share alpha/{m} of the declared alpha={} over {m} benchmarks",
            few_digits(share),
            crate::settings::compact(declared)
        )
    })
}

/// `value` to four significant digits, as [`crate::settings::compact`] writes it.
fn few_digits(value: f64) -> String {
    let rounded: f64 = format!("{value:.3e}").parse().unwrap_or(value);
    crate::settings::compact(rounded)
}

/// `2^−n < threshold`, computed as `threshold · 2^n > 1` (exact in binary).
pub fn reachable(n_seeds: usize, threshold: f64) -> bool {
    n_seeds >= 1024 || threshold * (n_seeds as f64).exp2() > 1.0
}

/// The smallest `n` with `2^−n < threshold` (`threshold` in (0, 1)).
pub fn seeds_for_threshold(threshold: f64) -> usize {
    (1..1100).find(|&n| reachable(n, threshold)).unwrap_or(1100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Family::ALL {
            assert_eq!(f.to_string().parse::<Family>().unwrap(), f);
        }
        assert_eq!(Family::default(), Family::Bh);
        assert!("BH".parse::<Family>().is_err());
    }

    #[test]
    fn one_benchmark_is_todays_verdict() {
        for method in Family::ALL {
            for (p, alpha) in [(0.049, 0.05), (0.05, 0.05), (0.3, 0.01), (0.0, 0.2)] {
                let d = adjust(method, &[p], &[alpha]).unwrap().decisions[0];
                assert_eq!((d.adjusted_p, d.failed), (p, p < alpha), "{method}");
                assert_eq!(d.threshold, alpha, "{method}");
            }
        }
    }

    #[test]
    fn reachability_of_corrected_thresholds() {
        // 0.05/20 = 0.0025: 2^-8 = 0.0039 is too big, 2^-9 = 0.00195 fits.
        let r = reachability(8, 0.05, 20);
        assert!(!r.reachable && r.seeds_needed == 9);
        assert!(reachability(9, 0.05, 20).reachable);
        // m = 1 agrees with check_reachable, including 2^-n == alpha.
        for n in 1..12 {
            for alpha in [0.5, 0.25, 0.05, 0.01] {
                let ok = crate::stats::check_reachable(alpha, n).is_ok();
                assert_eq!(reachability(n, alpha, 1).reachable, ok, "{n} {alpha}");
            }
        }
        assert_eq!(seeds_for_threshold(0.25), 3);
    }

    #[test]
    fn an_unreachable_share_names_the_seeds_and_the_share() {
        assert_eq!(unreachable_share(9, 0.05, Family::Bh, 20), None);
        assert_eq!(
            unreachable_share(8, 0.05, Family::Holm, 20).unwrap(),
            "8 seeds can never reach the corrected threshold 0.0025, alpha=0.05's share under HOLM over 20 benchmarks (alpha/20): set n_seeds ≥ 9, or pass --family none"
        );
        assert!(
            unreachable_share(8, 0.05, Family::Bh, 3).is_none(),
            "0.05/3 > 2^-8"
        );
        assert!(
            unreachable_share(4, 0.05, Family::Bh, 3)
                .unwrap()
                .contains("threshold 0.01667, alpha=0.05's share")
        );
        assert_eq!(bonferroni_share(0.05, 0.05, 1), None);
        assert_eq!(
            bonferroni_share(0.0125, 0.05, 4).unwrap(),
            "alpha=0.0125 is the Bonferroni share alpha/4 of the declared alpha=0.05 over 4 benchmarks"
        );
    }
}
