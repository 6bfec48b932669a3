//! The plan of a sequential check: when to look, how much alpha each look
//! may spend, and when to give up early.

use super::super::{N_PERMUTATIONS, StatsError, check_reachable};

/// Default Hwang–Shih–DeCani parameter: spends little alpha early (0.0074,
/// 0.0219, 0.05 cumulative at ⅓, ⅔, 1 for alpha 0.05), so that the last
/// look keeps almost the fixed design's power.
pub const DEFAULT_GAMMA: f64 = -2.0;

/// `z` is clamped to `±Z_CAP` for reports: a prefix whose futility p is 1
/// (no slot's mean dropped) would otherwise have `z = −∞`.
pub const Z_CAP: f64 = 8.0;

/// How the false-alarm rate is spent over the looks.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum Spending {
    /// Hwang–Shih–DeCani (1990): `α(t) = α·(1 − e^{−γt})/(1 − e^{−γ})`
    /// (`α·t` for `γ = 0`); negative `γ` spends less early (γ = −4 is
    /// close to O'Brien–Fleming, γ = 1 to Pocock).
    Hsd { gamma: f64 },
}

impl Default for Spending {
    fn default() -> Self {
        Spending::Hsd {
            gamma: DEFAULT_GAMMA,
        }
    }
}

impl Spending {
    /// Cumulative alpha spent by information fraction `t` (seeds so far /
    /// all seeds): 0 at `t ≤ 0`, exactly `alpha` at `t ≥ 1`.
    pub fn cumulative(&self, alpha: f64, t: f64) -> f64 {
        if t >= 1.0 {
            // Exactly alpha, so that a one-look plan is the fixed design.
            return alpha;
        }
        if t <= 0.0 {
            return 0.0;
        }
        match *self {
            Spending::Hsd { gamma } if gamma.abs() < 1e-9 => alpha * t,
            // 1 − e^{−γt} = −expm1(−γt): accurate for small |γt|.
            Spending::Hsd { gamma } => alpha * ((-gamma * t).exp_m1() / (-gamma).exp_m1()),
        }
    }
}

/// When and how a sequential check judges the seeds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SequentialPlan {
    /// Seeds judged at each look, strictly increasing, the first ≥ 2, the
    /// last = all stored seeds.
    pub looks: Vec<usize>,
    /// The false-alarm rate of the whole check, and each slot's t-test level.
    pub alpha: f64,
    /// Minimum relative goodness drop for a slot to count, if any (≥ 0).
    pub min_effect: Option<f64>,
    /// How alpha is spent over the looks.
    pub spending: Spending,
    /// Futility bounds on `z`, one per look but the last: stop with PASS at
    /// look `k` when `z_k < futility[k]`. `None`: never stop early on PASS.
    pub futility: Option<Vec<f64>>,
    /// Enumerate every sign vector when `2^n_seeds` is at most this, else
    /// draw this many (plus the observed one).
    pub n_permutations: usize,
}

impl SequentialPlan {
    /// The default plan for `n_seeds` stored seeds: looks at ⅓, ⅔ and all
    /// of them, HSD(γ = −2) spending, the default futility bounds, the
    /// engine's number of permutations.
    pub fn new(n_seeds: usize, alpha: f64) -> Self {
        Self::with_looks(default_looks(n_seeds), alpha)
    }

    /// The default plan with the given looks (futility bounds from
    /// [`default_futility`]).
    pub fn with_looks(looks: Vec<usize>, alpha: f64) -> Self {
        SequentialPlan {
            futility: Some(default_futility(&looks)),
            looks,
            alpha,
            min_effect: None,
            spending: Spending::default(),
            n_permutations: N_PERMUTATIONS,
        }
    }

    /// All stored seeds: the last look.
    pub fn n_seeds(&self) -> usize {
        self.looks.last().copied().unwrap_or(0)
    }

    /// Information fraction of look `k` (0-based): `looks[k] / n_seeds`.
    pub fn information(&self, k: usize) -> f64 {
        self.looks[k] as f64 / self.n_seeds() as f64
    }

    /// Cumulative alpha `α(t_k)` of look `k` (0-based).
    pub fn cumulative_alpha(&self, k: usize) -> f64 {
        self.spending.cumulative(self.alpha, self.information(k))
    }

    /// Whether every sign vector is enumerated (`2^n_seeds ≤ n_permutations`,
    /// the rule of [`super::super::meta_p`]).
    pub fn exact(&self) -> bool {
        let n = self.n_seeds();
        n < 63 && (1usize << n) <= self.n_permutations
    }

    /// Check the plan; every error names what to change.
    pub fn validate(&self) -> Result<(), SequentialError> {
        let alpha = self.alpha;
        if !(alpha > 0.0 && alpha < 1.0) {
            return Err(StatsError::InvalidAlpha(alpha).into());
        }
        if let Some(m) = self.min_effect
            && !(m.is_finite() && m >= 0.0)
        {
            return Err(StatsError::InvalidMinEffect(m).into());
        }
        let Some(&first) = self.looks.first() else {
            return Err(SequentialError::NoLooks);
        };
        if first < 2 {
            return Err(SequentialError::FirstLookTooSmall { n: first });
        }
        if self.looks.windows(2).any(|w| w[0] >= w[1]) {
            return Err(SequentialError::LooksNotIncreasing(self.looks.clone()));
        }
        let Spending::Hsd { gamma } = self.spending;
        if !gamma.is_finite() {
            return Err(SequentialError::InvalidGamma(gamma));
        }
        if let Some(bounds) = &self.futility {
            if bounds.len() + 1 != self.looks.len() {
                return Err(SequentialError::FutilityBounds {
                    expected: self.looks.len() - 1,
                    got: bounds.len(),
                });
            }
            if let Some(&b) = bounds.iter().find(|b| !b.is_finite()) {
                return Err(SequentialError::NonFiniteFutility(b));
            }
        }
        if self.n_permutations == 0 {
            return Err(SequentialError::NoPermutations);
        }
        // As the fixed design: the last look must be able to FAIL.
        check_reachable(alpha, self.n_seeds())?;
        Ok(())
    }
}

/// Looks at ⅓, ⅔ and all of `n_seeds` (rounded half up: 10/20/30 of 30,
/// 17/33/50 of 50), dropping looks under 2 seeds and repeats.
pub fn default_looks(n_seeds: usize) -> Vec<usize> {
    let mut looks: Vec<usize> = (1..=3).map(|k| (2 * k * n_seeds + 3) / 6).collect();
    looks.retain(|&n| n >= 2);
    looks.dedup();
    if looks.is_empty() {
        looks.push(n_seeds);
    }
    looks
}

/// Default futility bounds: `b(t) = 1.5·t − 0.5` at each look but the last
/// (0 at ⅓, 0.5 at ⅔). Under no change `z` is about standard normal, so
/// about half the runs stop at ⅓ and a quarter more at ⅔ (17 of 30 seeds
/// on average); a drop of the fixed design's 80 %-power size loses about
/// 2.4 points of power to them (Monte-Carlo, docs/how-it-works.md, section 12).
pub fn default_futility(looks: &[usize]) -> Vec<f64> {
    let Some(&n) = looks.last() else {
        return Vec::new();
    };
    looks[..looks.len() - 1]
        .iter()
        .map(|&k| 1.5 * (k as f64 / n as f64) - 0.5)
        .collect()
}

/// Why a sequential check cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SequentialError {
    /// An input the fixed design refuses too.
    #[error(transparent)]
    Stats(#[from] StatsError),
    /// `looks` is empty.
    #[error("a sequential plan needs at least one look")]
    NoLooks,
    /// The first look has fewer than 2 seeds: no standard deviation.
    #[error("the first look has {n} seed{}: at least 2 are needed", if *n == 1 { "" } else { "s" })]
    FirstLookTooSmall { n: usize },
    /// `looks` is not strictly increasing.
    #[error("looks must be strictly increasing, got {0:?}")]
    LooksNotIncreasing(Vec<usize>),
    /// The last look is not every stored seed.
    #[error("the last look has {last} seeds but {n_seeds} seeds are stored")]
    LastLookNotAllSeeds { last: usize, n_seeds: usize },
    /// A spending parameter that is not a finite number.
    #[error("gamma={0} must be a finite number")]
    InvalidGamma(f64),
    /// Not one futility bound per look but the last.
    #[error("expected {expected} futility bounds (one per look but the last), got {got}")]
    FutilityBounds { expected: usize, got: usize },
    /// A futility bound that is not a finite number.
    #[error("futility bound {0} must be a finite number")]
    NonFiniteFutility(f64),
    /// `n_permutations` is 0.
    #[error("n_permutations must be at least 1")]
    NoPermutations,
    /// The data given to a look does not have that look's seed count.
    #[error("look {look} judges {expected} seeds but {got} were given")]
    WrongLookSize {
        look: usize,
        expected: usize,
        got: usize,
    },
    /// The data of a look does not extend the previous look's.
    #[error(
        "look {look}: the first {n} seeds' differences or slots changed since the previous look"
    )]
    PrefixChanged { look: usize, n: usize },
    /// `next_look` after the check stopped.
    #[error("the check already stopped at look {look}")]
    AlreadyStopped { look: usize },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsd_minus_two_spends_the_documented_alpha() {
        let plan = SequentialPlan::new(30, 0.05);
        assert_eq!(plan.looks, [10, 20, 30]);
        let cum: Vec<f64> = (0..3).map(|k| plan.cumulative_alpha(k)).collect();
        // scipy-free closed form: 0.05·(1 − e^{2t})/(1 − e^2).
        for (c, t) in cum.iter().zip([1.0 / 3.0, 2.0 / 3.0, 1.0f64]) {
            let want = 0.05 * (1.0 - (2.0 * t).exp()) / (1.0 - 2.0f64.exp());
            assert!((c - want).abs() < 1e-15, "{c} {want}");
        }
        assert!((cum[0] - 0.0074).abs() < 5e-5 && (cum[1] - 0.0219).abs() < 5e-5);
        assert_eq!(cum[2], 0.05);
        assert_eq!(plan.futility, Some(vec![0.0, 0.5]));
        let linear = Spending::Hsd { gamma: 0.0 };
        assert!((linear.cumulative(0.05, 0.5) - 0.025).abs() < 1e-15);
    }

    #[test]
    fn default_looks_round_and_stay_valid() {
        assert_eq!(default_looks(50), [17, 33, 50]);
        assert_eq!(default_looks(10), [3, 7, 10]);
        assert_eq!(default_looks(4), [3, 4]);
        assert_eq!(default_looks(2), [2]);
    }

    #[test]
    fn invalid_plans_are_named() {
        let bad = |f: fn(&mut SequentialPlan)| {
            let mut p = SequentialPlan::new(30, 0.05);
            f(&mut p);
            p.validate().unwrap_err()
        };
        assert_eq!(bad(|p| p.looks.clear()), SequentialError::NoLooks);
        assert_eq!(
            bad(|p| p.looks = vec![1, 20, 30]),
            SequentialError::FirstLookTooSmall { n: 1 }
        );
        assert!(matches!(
            bad(|p| p.looks = vec![20, 20, 30]),
            SequentialError::LooksNotIncreasing(_)
        ));
        assert!(matches!(
            bad(|p| p.futility = Some(vec![0.0])),
            SequentialError::FutilityBounds {
                expected: 2,
                got: 1
            }
        ));
        assert!(matches!(
            bad(|p| p.alpha = 1.5),
            SequentialError::Stats(StatsError::InvalidAlpha(_))
        ));
        assert!(matches!(
            bad(|p| {
                p.looks = vec![2, 4];
                p.futility = None;
            }),
            SequentialError::Stats(StatsError::UnreachableAlpha { .. })
        ));
        assert!(SequentialPlan::new(30, 0.05).validate().is_ok());
    }
}
