//! What a run does with its NEW benchmarks' scores, and the one question
//! before writing baselines on a dirty tree.

use std::io::IsTerminal;

use crate::error::Error;
use crate::result::{BenchResult, Outcome};
use crate::store::Baseline;
use crate::store::git::RepoState;

/// Why a check on a dirty tree saved no NEW baseline.
pub const DIRTY: &str = "working tree dirty (commit, or pass --yes)";

/// What a run does with a NEW benchmark's scores.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Saving {
    /// Save them as its baseline.
    On,
    /// The user declined writing on a dirty tree: say so.
    Declined,
    /// The reference is a revision: nothing is ever written.
    Off,
}

impl Saving {
    /// `result` as it will be shown, its baseline added to `updates` when
    /// it is one to write.
    pub fn keep(
        self,
        result: BenchResult,
        updates: &mut Vec<Baseline>,
        repo: Option<&RepoState>,
    ) -> BenchResult {
        match (&result.outcome, self) {
            (Outcome::New(_), Saving::Declined) => BenchResult {
                not_saved: Some(DIRTY),
                ..result
            },
            (Outcome::New(Some(table)), Saving::On) => {
                updates.push(Baseline {
                    bench: result.name.clone(),
                    timestamp: now_utc(),
                    git_commit: repo.and_then(|r| r.short_commit.clone()),
                    git_dirty: repo.is_some_and(|r| r.dirty),
                    seeds: result.seeds.clone(),
                    scores: table.clone(),
                    env: result.env.clone(),
                    settings: Some(result.stored_settings()),
                    inputs: result.inputs.clone(),
                    source: result.source.clone(),
                });
                BenchResult {
                    saved: true,
                    ..result
                }
            }
            _ => result,
        }
    }
}

/// Whether the baselines of `names` may be written: yes on a clean tree or
/// with `--yes`; on a dirty one, only when a terminal is there to ask and
/// the answer is yes.
pub fn confirm_dirty(yes: bool, repo: Option<&RepoState>, names: &str) -> Result<bool, Error> {
    if yes || !repo.is_some_and(|r| r.dirty) {
        return Ok(true);
    }
    Ok(std::io::stdin().is_terminal() && {
        eprint!("The git working tree is dirty. Write baselines for {names} anyway? [y/N] ");
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(Error::Prompt)?;
        matches!(answer.trim(), "y" | "Y" | "yes")
    })
}

fn now_utc() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
