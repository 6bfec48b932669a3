//! Adaptive seed counts: judge the stored seeds in looks (by default at ⅓,
//! ⅔ and all of them) and stop as soon as the verdict is clear, with the
//! false-alarm rate held at alpha.
//!
//! Each look judges the first `n_k` seeds with the fixed design's severity
//! (`t_crit` at `n_k − 1` df). Its FAIL threshold is calibrated by within-seed
//! sign flips *conditionally on not having stopped earlier*: every sign
//! vector is followed along its prefixes, and the threshold lets at most
//! `α(t_k)` (error spending) of all vectors have crossed by look `k`. Under
//! no change the signs of the first `n_k` seeds are fair coins given `|d|`,
//! whatever the correlation between slots, so the check FAILs with
//! probability < alpha. Early PASS (futility) is non-binding: the FAIL
//! thresholds ignore it, so alpha holds whether or not a runner honours it.
//!
//! A runner calls [`SequentialTest::next_look`] with the differences of the
//! first `n_k` seeds and gets [`Step::Continue`] or [`Step::Stop`];
//! [`judge_sequential`] does all looks on complete data.

mod calibrate;
mod data;
mod futility;
mod plan;

pub use data::prefix;
pub use plan::{
    DEFAULT_GAMMA, SequentialError, SequentialPlan, Spending, Z_CAP, default_futility,
    default_looks,
};

use self::calibrate::calibrate;
use self::data::extends;
use self::futility::futility_z;
use super::{
    Criterion, Differences, Statistic, check_reachable, permutation_seed, signs, statistics,
};

/// What a look decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LookDecision {
    /// Not clear yet: run the seeds of the next look.
    Continue,
    /// The severity crossed this look's threshold: FAIL, stop.
    Fail,
    /// No drop worth more seeds (`z < ` the futility bound): PASS, stop.
    Futility,
    /// The last look did not cross: PASS.
    Pass,
}

/// A sequential check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SequentialVerdict {
    /// A look's severity crossed its threshold.
    Fail,
    /// Stopped early by the futility rule.
    PassFutility,
    /// The last look did not cross.
    Pass,
}

/// One look's numbers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LookResult {
    /// Look number, 1-based.
    pub look: usize,
    /// Seeds judged (the first `n_seeds` stored seeds).
    pub n_seeds: usize,
    /// Information fraction `n_seeds / all seeds`.
    pub information: f64,
    /// Observed severity of the prefix (`t_crit` at `n_seeds − 1` df).
    pub severity: f64,
    /// FAIL iff `severity > threshold`: the largest severity of a sign
    /// vector that survives this look.
    pub threshold: f64,
    /// Whether this look could FAIL at all: false when `2^n_seeds·α(t_k)
    /// ≤ 1` (the prefix is too short to reach its alpha).
    pub can_fail: bool,
    /// Nominal alpha of this look, `α(t_k) − α(t_{k−1})`.
    pub alpha_spent: f64,
    /// `α(t_k)`.
    pub cumulative_alpha: f64,
    /// Share of sign vectors that first cross at this look. With the share
    /// that crossed earlier it stays below `cumulative_alpha`; alpha that
    /// discreteness left unspent earlier carries forward.
    pub crossed_share: f64,
    /// Stage-wise p: share of sign vectors that crossed earlier or reach
    /// this look with a severity ≥ the observed one. FAIL iff `p <
    /// cumulative_alpha`.
    pub p: f64,
    /// Futility z (looks before the last, when the plan has futility):
    /// `Φ⁻¹(1 − p₀)`, clamped to `±Z_CAP`; `p₀` is the smaller sign-flip p
    /// of the sum and of the maximum over slots of `max(0, −t_s)` (see
    /// `futility`). Positive means a drop.
    pub z: Option<f64>,
    /// The futility bound `z` was compared with.
    pub futility_bound: Option<f64>,
    /// What the look decided.
    pub decision: LookDecision,
}

/// A sequential check's outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SequentialOutcome {
    /// Every look made, in order.
    pub looks: Vec<LookResult>,
    /// The look the check stopped at, 1-based.
    pub stopped_at: usize,
    /// The verdict.
    pub verdict: SequentialVerdict,
    /// Seeds that had to run: the stopping look's `n_seeds`.
    pub seeds_run: usize,
    /// The stopping look's stage-wise p. FAIL iff it is below that look's
    /// `cumulative_alpha` (≤ alpha); at the last look it is the ordinary
    /// stage-wise ordering p-value, and a one-look plan gives `compare`'s
    /// meta-p.
    pub meta_p: f64,
    /// Whether every sign vector was enumerated.
    pub exact: bool,
    /// Sign vectors of the stopping look: `2^seeds_run` when exact, else
    /// the number drawn (the observed vector comes on top), as `compare`'s.
    pub n_permutations: usize,
    /// The plan's alpha.
    pub alpha: f64,
}

impl SequentialOutcome {
    /// PASS, early or not.
    pub fn passed(&self) -> bool {
        self.verdict != SequentialVerdict::Fail
    }
}

/// What [`SequentialTest::next_look`] tells the runner.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Run seeds up to `next_seeds` and call `next_look` again.
    Continue { look: LookResult, next_seeds: usize },
    /// The check is over.
    Stop(SequentialOutcome),
}

/// The sign vectors ("rows") a look is judged over.
#[derive(Debug, Clone)]
enum Rows {
    /// All `2^n_k` vectors at look `k`; row `r`'s prefix at an earlier
    /// look is row `r mod 2^n_j`, row 0 is the observed data.
    Exact,
    /// `count` vectors drawn over every seed, plus the observed (all zero)
    /// last; each look uses the same rows' prefixes.
    Sampled { patterns: Vec<u8>, count: usize },
}

/// A sequential check in progress: feed it the looks' data one by one.
#[derive(Debug, Clone)]
pub struct SequentialTest {
    plan: SequentialPlan,
    rows: Rows,
    /// Per look made: which rows survived it.
    alive: Vec<Vec<bool>>,
    looks: Vec<LookResult>,
    previous: Option<Differences>,
    outcome: Option<SequentialOutcome>,
}

impl SequentialTest {
    /// A check of a benchmark whose stored seeds are `seeds` (all of them,
    /// in stored order): its sign vectors are seeded like `compare`'s.
    pub fn new(bench: &str, seeds: &[u64], plan: SequentialPlan) -> Result<Self, SequentialError> {
        plan.validate()?;
        if plan.n_seeds() != seeds.len() {
            return Err(SequentialError::LastLookNotAllSeeds {
                last: plan.n_seeds(),
                n_seeds: seeds.len(),
            });
        }
        Self::with_rng_seed(plan, permutation_seed(bench, seeds))
    }

    /// A check whose sampled sign vectors come from ChaCha20 seeded with
    /// `rng_seed` (studies; a runner uses [`SequentialTest::new`]).
    pub fn with_rng_seed(plan: SequentialPlan, rng_seed: u64) -> Result<Self, SequentialError> {
        plan.validate()?;
        let rows = if plan.exact() {
            Rows::Exact
        } else {
            let n = plan.n_seeds();
            let mut patterns = signs::sample(n, plan.n_permutations, rng_seed);
            patterns.resize(patterns.len() + signs::n_chunks(n), 0);
            Rows::Sampled {
                patterns,
                count: plan.n_permutations,
            }
        };
        Ok(SequentialTest {
            plan,
            rows,
            alive: Vec::new(),
            looks: Vec::new(),
            previous: None,
            outcome: None,
        })
    }

    /// The plan.
    pub fn plan(&self) -> &SequentialPlan {
        &self.plan
    }

    /// Seeds the next look judges, `None` once the check has stopped.
    pub fn next_seeds(&self) -> Option<usize> {
        match self.outcome {
            Some(_) => None,
            None => Some(self.plan.looks[self.looks.len()]),
        }
    }

    /// The outcome, once the check has stopped.
    pub fn outcome(&self) -> Option<&SequentialOutcome> {
        self.outcome.as_ref()
    }

    /// Judge the next look. `diffs` holds the first `n_k` seeds'
    /// differences (see [`Differences::from_prefix`]) and must extend the
    /// previous look's data unchanged.
    pub fn next_look(&mut self, diffs: &Differences) -> Result<Step, SequentialError> {
        if let Some(o) = &self.outcome {
            return Err(SequentialError::AlreadyStopped { look: o.stopped_at });
        }
        let k = self.looks.len();
        let n = self.plan.looks[k];
        if diffs.n_seeds() != n {
            return Err(SequentialError::WrongLookSize {
                look: k + 1,
                expected: n,
                got: diffs.n_seeds(),
            });
        }
        if let Some(prev) = &self.previous
            && !extends(diffs, prev)
        {
            return Err(SequentialError::PrefixChanged {
                look: k + 1,
                n: prev.n_seeds(),
            });
        }
        let result = self.judge_look(k, diffs);
        self.previous = Some(diffs.clone());
        self.looks.push(result.clone());
        if result.decision == LookDecision::Continue {
            return Ok(Step::Continue {
                look: result,
                next_seeds: self.plan.looks[k + 1],
            });
        }
        let verdict = match result.decision {
            LookDecision::Fail => SequentialVerdict::Fail,
            LookDecision::Futility => SequentialVerdict::PassFutility,
            _ => SequentialVerdict::Pass,
        };
        let outcome = SequentialOutcome {
            looks: self.looks.clone(),
            stopped_at: k + 1,
            verdict,
            seeds_run: n,
            meta_p: result.p,
            exact: matches!(self.rows, Rows::Exact),
            n_permutations: match self.rows {
                Rows::Exact => 1usize << n,
                Rows::Sampled { count, .. } => count,
            },
            alpha: self.plan.alpha,
        };
        self.outcome = Some(outcome.clone());
        Ok(Step::Stop(outcome))
    }

    /// Calibrate look `k` (0-based) on `diffs` and decide.
    fn judge_look(&mut self, k: usize, diffs: &Differences) -> LookResult {
        let plan = &self.plan;
        let n = plan.looks[k];
        let last = k + 1 == plan.looks.len();
        let patterns = self.patterns(n);
        let rows = patterns.len() / signs::n_chunks(n);
        let observed = match self.rows {
            Rows::Exact => 0,
            Rows::Sampled { count, .. } => count,
        };
        let criterion = Criterion::new(plan.alpha, n, plan.min_effect);
        let severity = statistics(diffs, &criterion, Statistic::Severity, &patterns);
        let survived: Vec<bool> = (0..rows).map(|r| self.survived(k, r)).collect();
        let cumulative_alpha = plan.cumulative_alpha(k);
        let previous_alpha = if k == 0 {
            0.0
        } else {
            plan.cumulative_alpha(k - 1)
        };
        // Neither enumerated nor drawn vectors can give a p below 1/2^n.
        let can_fail =
            check_reachable(cumulative_alpha, n).is_ok() && cumulative_alpha * rows as f64 > 1.0;
        let cal = calibrate(&severity, &survived, observed, cumulative_alpha, can_fail);
        let bound = plan.futility.as_ref().and_then(|b| b.get(k).copied());
        let z = bound.map(|_| futility_z(diffs, plan.min_effect, &patterns, observed));
        let decision = if cal.fail {
            LookDecision::Fail
        } else if last {
            LookDecision::Pass
        } else if z.zip(bound).is_some_and(|(z, b)| z < b) {
            LookDecision::Futility
        } else {
            LookDecision::Continue
        };
        self.alive.push(cal.alive);
        LookResult {
            look: k + 1,
            n_seeds: n,
            information: plan.information(k),
            severity: severity[observed],
            threshold: cal.threshold,
            can_fail,
            alpha_spent: cumulative_alpha - previous_alpha,
            cumulative_alpha,
            crossed_share: cal.crossed_now as f64 / rows as f64,
            p: cal.p,
            z,
            futility_bound: bound,
            decision,
        }
    }

    /// The sign vectors of a look over the first `n` seeds, one chunk
    /// byte per 8 seeds (the engine's layout).
    fn patterns(&self, n: usize) -> Vec<u8> {
        match &self.rows {
            Rows::Exact => signs::enumerate(n),
            Rows::Sampled { patterns, .. } => {
                let full = signs::n_chunks(self.plan.n_seeds());
                let nc = signs::n_chunks(n);
                // The engine's subset-sum tables only hold the first n
                // seeds' bits: clear the rest.
                let mask = if n.is_multiple_of(signs::CHUNK) {
                    0xFF
                } else {
                    (1u8 << (n % signs::CHUNK)) - 1
                };
                let mut out = Vec::with_capacity(patterns.len() / full * nc);
                for row in patterns.chunks_exact(full) {
                    out.extend_from_slice(&row[..nc]);
                    *out.last_mut().expect("n ≥ 2 gives a chunk") &= mask;
                }
                out
            }
        }
    }

    /// Whether row `r` of look `k` crossed no earlier look.
    fn survived(&self, k: usize, r: usize) -> bool {
        if k == 0 {
            return true;
        }
        let prefix = match self.rows {
            Rows::Exact => r & ((1usize << self.plan.looks[k - 1]) - 1),
            Rows::Sampled { .. } => r,
        };
        self.alive[k - 1][prefix]
    }
}

/// Every look of a check on complete data (`diffs` over all stored seeds
/// `seeds`): what an incremental runner would have decided, look by look.
pub fn judge_sequential(
    bench: &str,
    seeds: &[u64],
    diffs: &Differences,
    plan: SequentialPlan,
) -> Result<SequentialOutcome, SequentialError> {
    run_all(SequentialTest::new(bench, seeds, plan)?, diffs)
}

/// [`judge_sequential`] with an explicit sign-vector seed (studies).
pub fn judge_sequential_with_seed(
    diffs: &Differences,
    plan: SequentialPlan,
    rng_seed: u64,
) -> Result<SequentialOutcome, SequentialError> {
    run_all(SequentialTest::with_rng_seed(plan, rng_seed)?, diffs)
}

fn run_all(
    mut test: SequentialTest,
    diffs: &Differences,
) -> Result<SequentialOutcome, SequentialError> {
    if diffs.n_seeds() != test.plan.n_seeds() {
        return Err(SequentialError::LastLookNotAllSeeds {
            last: test.plan.n_seeds(),
            n_seeds: diffs.n_seeds(),
        });
    }
    while let Some(n) = test.next_seeds() {
        if let Step::Stop(outcome) = test.next_look(&prefix(diffs, n)?)? {
            return Ok(outcome);
        }
    }
    unreachable!("the last look always stops")
}
