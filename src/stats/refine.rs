//! Resolving a sampled meta-p near its threshold, alone or in a family.
//!
//! A sampled meta-p counts `x` of `B` random sign patterns at least as
//! severe as the observed one; `x ~ Binomial(B, p*)`, `p*` the exact
//! (all-`2^n`-pattern) meta-p. With `B = 4096` a threshold such as
//! 0.05/20 = 0.0025 is only ~2.6 standard errors from 0, so a p near it
//! decides by luck. The rule here:
//!
//! - Looks happen at `B = 4096, 8192, …` (doubling) up to `max_draws`
//!   (2^20): `K = 9` looks. Each look uses a two-sided Clopper–Pearson
//!   interval for `p*` at risk `ε/K` (ε = 1e-3), so that with probability
//!   at least `1 − ε` every interval of a benchmark holds at once.
//! - If the interval excludes the threshold the decision is settled
//!   ([`Side::Below`] FAIL, [`Side::Above`] PASS); else draw the next batch.
//!   The 4096 fast path is the first look, so clear cases keep exactly
//!   today's numbers.
//! - The next patterns continue the same ChaCha20 stream (pattern `k` of the
//!   refined test is pattern `k` of [`super::sample_patterns`]), so a
//!   refinement to `B` draws equals [`meta_p`] run with `n_permutations = B`.
//!   When `2^n ≤` the next `B` (n ≤ 20 with the default cap) every pattern is
//!   enumerated instead: same cost, exact answer.
//! - At the cap the point estimate decides and the member stays
//!   [`Side::Straddles`], for the report to say so.

use super::binomial;
use super::criterion::{Criterion, Statistic};
use super::family::{self, Family, FamilyDecisions, FamilyError};
use super::permute::{MetaP, N_PERMUTATIONS, PermutationOptions, TIE_RTOL, meta_p, statistics};
use super::signs;
use super::slot::Differences;
use super::{CompareOptions, StatsError, check_reachable, permutation_seed};
use crate::scores::ScoreTable;

/// Total risk ε that refinement settles a decision the wrong way (per
/// benchmark, over all its looks).
pub const RISK: f64 = 1e-3;

/// Most sign patterns a sampled meta-p is refined to.
pub const MAX_DRAWS: usize = 1 << 20;

/// Patterns evaluated at once while refining: bounds memory at
/// 65 536 × (⌈n/8⌉ bytes + 8 bytes).
const BATCH: usize = 1 << 16;

/// How far a sampled meta-p may be refined.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RefineOptions {
    /// Total risk ε per benchmark, split evenly over its looks.
    pub risk: f64,
    /// Cap on the number of drawn patterns.
    pub max_draws: usize,
}

impl Default for RefineOptions {
    fn default() -> Self {
        RefineOptions {
            risk: RISK,
            max_draws: MAX_DRAWS,
        }
    }
}

impl RefineOptions {
    /// No refinement: every meta-p stays at the fast path's 4096 draws, so
    /// a family judged with it has exactly pybench 0.1's p values.
    pub fn off() -> Self {
        RefineOptions {
            risk: RISK,
            max_draws: N_PERMUTATIONS,
        }
    }

    /// The draw counts at which a test starting with `first` draws is
    /// looked at: `first, 2·first, …`, the last one capped at `max_draws`.
    pub fn schedule(&self, first: usize) -> Vec<usize> {
        let mut looks = vec![first.max(1)];
        while let Some(&b) = looks.last()
            && b < self.max_draws
        {
            looks.push((2 * b).min(self.max_draws));
        }
        looks
    }

    /// The risk of one look, `ε / K`.
    pub fn look_risk(&self, first: usize) -> f64 {
        self.risk / self.schedule(first).len() as f64
    }
}

/// Where the exact meta-p `p*` lies with respect to a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// `p* < threshold` (FAIL), surely: exact, or the interval's upper end
    /// is below the threshold.
    Below,
    /// `p* ≥ threshold` (PASS), surely.
    Above,
    /// The Monte-Carlo interval contains the threshold.
    Straddles,
}

/// Where `meta`'s exact p lies relative to `threshold`, at `look_risk`.
///
/// `Below` iff `P(X ≤ x | B, threshold) < risk/2`, i.e. the Clopper–Pearson
/// upper bound is below the threshold; `Above` iff `P(X ≥ x | B, threshold)
/// < risk/2`, the lower bound above it. When either holds, the reported
/// `(x+1)/(B+1)` is on the same side (it lies inside the interval).
pub fn side(meta: &MetaP, threshold: f64, look_risk: f64) -> Side {
    if meta.exact {
        return if meta.p < threshold {
            Side::Below
        } else {
            Side::Above
        };
    }
    if threshold >= 1.0 {
        return Side::Below;
    }
    if threshold <= 0.0 {
        return Side::Above;
    }
    let (x, b) = (meta.n_extreme as u64, meta.n_permutations as u64);
    if binomial::cdf(x, b, threshold) < look_risk / 2.0 {
        Side::Below
    } else if binomial::sf(x, b, threshold) < look_risk / 2.0 {
        Side::Above
    } else {
        Side::Straddles
    }
}

/// The Clopper–Pearson interval of a sampled meta-p's exact value at
/// `risk`; `(p, p)` for an exact one.
pub fn interval(meta: &MetaP, risk: f64) -> (f64, f64) {
    if meta.exact {
        return (meta.p, meta.p);
    }
    binomial::clopper_pearson(meta.n_extreme as u64, meta.n_permutations as u64, risk)
}

/// One benchmark's permutation test, able to draw more patterns.
#[derive(Debug, Clone, PartialEq)]
pub struct PermutationTest {
    /// The paired differences.
    pub diffs: Differences,
    /// The slot rule (critical t, `min_effect` gate).
    pub criterion: Criterion,
    /// Statistic, first draw count and RNG seed (as for [`meta_p`]).
    pub options: PermutationOptions,
}

impl PermutationTest {
    /// pybench's verdict test: severity, 4096 patterns, ChaCha20 seeded with
    /// `rng_seed` (see [`super::permutation_seed`]).
    pub fn new(diffs: Differences, criterion: Criterion, rng_seed: u64) -> Self {
        PermutationTest {
            diffs,
            criterion,
            options: PermutationOptions {
                statistic: Statistic::Severity,
                n_permutations: N_PERMUTATIONS,
                rng_seed,
            },
        }
    }

    /// The fast path: [`meta_p`] with the first draw count.
    pub fn meta_p(&self) -> MetaP {
        meta_p(&self.diffs, &self.criterion, &self.options)
    }

    /// `meta` (this test's result at some draw count) at the next look:
    /// twice the draws, capped at `max_draws`, or every pattern when `2^n`
    /// is at most that. `None` if `meta` is exact or already at the cap.
    pub fn extend(&self, meta: &MetaP, max_draws: usize) -> Option<MetaP> {
        let drawn = meta.n_permutations;
        if meta.exact || drawn >= max_draws {
            return None;
        }
        let next = (2 * drawn).min(max_draws);
        let n = self.diffs.n_seeds();
        if n < 63 && (1usize << n) <= next {
            let options = PermutationOptions {
                n_permutations: next,
                ..self.options
            };
            return Some(meta_p(&self.diffs, &self.criterion, &options));
        }
        let cut = meta.observed - TIE_RTOL * meta.observed.abs();
        let mut n_extreme = meta.n_extreme;
        for start in (drawn..next).step_by(BATCH) {
            let count = BATCH.min(next - start);
            let patterns = signs::sample_from(n, start, count, self.options.rng_seed);
            let stats = statistics(
                &self.diffs,
                &self.criterion,
                self.options.statistic,
                &patterns,
            );
            n_extreme += stats.iter().filter(|&&t| t >= cut).count();
        }
        Some(MetaP {
            p: (n_extreme + 1) as f64 / (next + 1) as f64,
            exact: false,
            n_permutations: next,
            n_extreme,
            observed: meta.observed,
        })
    }

    /// Refine `meta` against a fixed `threshold` until it is settled or
    /// capped. Returns the last result and its [`Side`].
    pub fn refine(
        &self,
        mut meta: MetaP,
        threshold: f64,
        options: &RefineOptions,
    ) -> (MetaP, Side) {
        let look_risk = options.look_risk(self.options.n_permutations);
        loop {
            let s = side(&meta, threshold, look_risk);
            if s != Side::Straddles {
                return (meta, s);
            }
            match self.extend(&meta, options.max_draws) {
                Some(next) => meta = next,
                None => return (meta, s),
            }
        }
    }
}

/// One benchmark of a family: its test, its alpha and, if already
/// computed (e.g. by [`super::compare`]'s fast path), its meta-p.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The benchmark's permutation test.
    pub test: PermutationTest,
    /// Its own alpha.
    pub alpha: f64,
    /// Its meta-p at the first draw count, if known (else computed).
    pub meta: Option<MetaP>,
}

impl Member {
    /// The member [`super::compare`] would judge: same differences,
    /// criterion and permutation seed, so its fast-path meta-p is the
    /// comparison's. Errors as `compare` does.
    pub fn from_tables(
        bench: &str,
        seeds: &[u64],
        baseline: &ScoreTable,
        current: &ScoreTable,
        options: &CompareOptions,
    ) -> Result<Member, StatsError> {
        let alpha = options.alpha;
        if !(alpha > 0.0 && alpha < 1.0) {
            return Err(StatsError::InvalidAlpha(alpha));
        }
        let diffs = Differences::from_tables(baseline, current)?;
        let n = diffs.n_seeds();
        check_reachable(alpha, n)?;
        let criterion = Criterion::new(alpha, n, options.min_effect);
        Ok(Member {
            test: PermutationTest::new(diffs, criterion, permutation_seed(bench, seeds)),
            alpha,
            meta: None,
        })
    }
}

/// The refined, corrected verdicts of a family.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FamilyVerdict {
    /// The corrected decisions on the final meta-p values.
    pub decisions: FamilyDecisions,
    /// Each member's final meta-p, in input order.
    pub meta: Vec<MetaP>,
    /// Each member's side of its final threshold: `Straddles` means the
    /// cap was reached and the point estimate decided.
    pub sides: Vec<Side>,
    /// Rounds of (decide, refine the undecided) until nothing changed.
    pub rounds: usize,
}

/// Judge a family: compute every meta-p (fast path), correct, then refine
/// every member whose interval straddles its threshold by one look, and
/// recompute (a BH threshold moves with the others' p), until no member
/// straddles or every straddling member is capped. Deterministic: members
/// are refined in input order and each refinement is thread-count
/// independent.
pub fn judge(
    members: &[Member],
    method: Family,
    options: &RefineOptions,
) -> Result<FamilyVerdict, FamilyError> {
    judge_with_fixed(members, &[], method, options)
}

/// [`judge`] with further members whose p is already final, as `(p,
/// alpha)` (an adaptive check's verdict: 0 for FAIL, 1 for PASS). They are
/// corrected with the others but never refined; their decisions come after
/// the members' in the result.
pub fn judge_with_fixed(
    members: &[Member],
    fixed: &[(f64, f64)],
    method: Family,
    options: &RefineOptions,
) -> Result<FamilyVerdict, FamilyError> {
    let alphas: Vec<f64> = members
        .iter()
        .map(|m| m.alpha)
        .chain(fixed.iter().map(|&(_, alpha)| alpha))
        .collect();
    let mut metas: Vec<MetaP> = members
        .iter()
        .map(|m| m.meta.clone().unwrap_or_else(|| m.test.meta_p()))
        .collect();
    let mut rounds = 0;
    loop {
        rounds += 1;
        let ps: Vec<f64> = metas
            .iter()
            .map(|m| m.p)
            .chain(fixed.iter().map(|&(p, _)| p))
            .collect();
        let decisions = family::adjust(method, &ps, &alphas)?;
        let sides: Vec<Side> = members
            .iter()
            .zip(&metas)
            .zip(&decisions.decisions)
            .map(|((member, meta), d)| {
                let risk = options.look_risk(member.test.options.n_permutations);
                side(meta, d.threshold, risk)
            })
            .collect();
        let mut refined = false;
        for (i, member) in members.iter().enumerate() {
            if sides[i] == Side::Straddles
                && let Some(next) = member.test.extend(&metas[i], options.max_draws)
            {
                metas[i] = next;
                refined = true;
            }
        }
        if !refined {
            return Ok(FamilyVerdict {
                decisions,
                meta: metas,
                sides,
                rounds,
            });
        }
    }
}
