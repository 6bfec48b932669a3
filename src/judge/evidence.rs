//! The evidence of a verdict: the engine's tests of the current scores
//! against a reference's.

use crate::result::{Evidence, Outcome, Plan};
use crate::scores::ScoreTable;
use crate::stats::{self, CompareOptions};

/// Judge `current` against `reference` (same seeds, same slots) with the
/// engine, and with the mirror test on `−d` (a significant improvement)
/// from the same permutation pass when `mirrored`: the evidence, or an
/// ERROR when the engine refuses.
pub fn compare(plan: &Plan, reference: ScoreTable, current: ScoreTable, mirrored: bool) -> Outcome {
    let options = CompareOptions {
        alpha: plan.alpha,
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
