//! The evidence of a verdict: the engine's tests of the current scores
//! against a reference's, and where they were measured.

use crate::result::{Evidence, Outcome, Plan};
use crate::scores::ScoreTable;
use crate::stats::{self, CompareOptions};
use crate::store::Baseline;
use crate::store::fingerprint::Environment;

/// Judge `current` against `reference` (same seeds, same slots) with the
/// engine, and with the mirror test on `−d` (a significant improvement)
/// from the same permutation pass when `mirrored`: the evidence, or an
/// ERROR when the engine refuses.
pub fn compare(plan: &Plan, reference: ScoreTable, current: ScoreTable, mirrored: bool) -> Outcome {
    let options = CompareOptions {
        alpha: plan.alpha.get(),
        min_effect: plan.min_effect,
    };
    let (name, seeds) = (&plan.name, &plan.seeds);
    match stats::compare_mirrored(name, seeds, &reference, &current, &options, mirrored) {
        Ok((comparison, improvement)) => Outcome::Judged(Box::new(Evidence {
            reference,
            current,
            comparison,
            improvement,
            sequential: None,
        })),
        Err(e) => Outcome::Error {
            message: e.to_string(),
            current: Some(current),
        },
    }
}

/// `plan` measured in `env`, with how that differs from where its baseline
/// was.
pub fn fingerprinted(plan: Plan, env: Environment, stored: Option<&Baseline>) -> Plan {
    let env_differences = match stored.and_then(|b| b.env.as_ref()) {
        Some(stored_env) => stored_env.differences(&env),
        None => Vec::new(),
    };
    Plan {
        env: Some(env),
        env_differences,
        ..plan
    }
}
