//! Which share of the seeds a shard runs, and `--shard auto`'s reading of
//! the CI engine's variables.
//!
//! Shards are 1-based: `K/N` with `1 ≤ K ≤ N`. The seed at index `i` (0-based,
//! in the run's seed order) belongs to shard `i mod N + 1`, so any shard can
//! be re-run alone and gives the same share.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ShardError;

/// The environment variable a CI matrix sets to `K/N` for `--shard auto`.
pub const SHARD_VAR: &str = "PYBENCH_SHARD";

/// Which share of the seeds a run takes: the `k`-th (1-based) of `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub k: usize,
    pub n: usize,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// Why a `K/N` is not a shard.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShardParseError {
    #[error("`{0}` is not K/N (1-based, e.g. 2/3) or `auto`")]
    Syntax(String),
    #[error("the shard count must be at least 1")]
    NoShards,
    #[error("shard {k}/{n} is out of range: shards are numbered 1 to {n}")]
    OutOfRange { k: usize, n: usize },
}

/// `--shard`: `K/N`, or `auto` to read the engine's variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardSpec {
    Fixed(Shard),
    Auto,
}

impl ShardSpec {
    /// Parse `--shard` (for clap).
    pub fn parse(text: &str) -> Result<ShardSpec, ShardParseError> {
        if text.trim() == "auto" {
            return Ok(ShardSpec::Auto);
        }
        Shard::parse(text).map(ShardSpec::Fixed)
    }

    /// The shard to run; `auto` reads the environment through `var`.
    pub fn resolve(
        self,
        count: Option<usize>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Shard, ShardError> {
        match self {
            ShardSpec::Fixed(shard) => Ok(shard),
            ShardSpec::Auto => detect(count, var),
        }
    }
}

impl Shard {
    /// `K/N` with `1 ≤ K ≤ N`.
    pub fn parse(text: &str) -> Result<Shard, ShardParseError> {
        let bad = || ShardParseError::Syntax(text.to_string());
        let (k, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let k: usize = k.trim().parse().map_err(|_| bad())?;
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        Shard::new(k, n)
    }

    pub fn new(k: usize, n: usize) -> Result<Shard, ShardParseError> {
        if n == 0 {
            return Err(ShardParseError::NoShards);
        }
        if k == 0 || k > n {
            return Err(ShardParseError::OutOfRange { k, n });
        }
        Ok(Shard { k, n })
    }

    /// Whether the seed at `index` (0-based) is this shard's.
    pub fn owns(self, index: usize) -> bool {
        index % self.n == self.k - 1
    }

    /// The indices of this shard's seeds among `n_seeds`.
    pub fn indices(self, n_seeds: usize) -> Vec<usize> {
        (self.k - 1..n_seeds).step_by(self.n).collect()
    }

    /// The shard that owns the seed at `index` (0-based).
    pub fn of_index(index: usize, n: usize) -> usize {
        index % n + 1
    }
}

/// Read the engine's variables for `--shard auto`, in this order:
/// `PYBENCH_SHARD=K/N` (a CI matrix), a Slurm job array, a Kubernetes
/// Indexed Job (`JOB_COMPLETION_INDEX`, with `--shard-count`), GitLab's
/// `parallel:` and Buildkite's parallel jobs.
pub fn detect(
    count: Option<usize>,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Shard, ShardError> {
    let number =
        |name: &str| -> Result<Option<usize>, ShardError> {
            match var(name) {
                None => Ok(None),
                Some(text) if text.trim().is_empty() => Ok(None),
                Some(text) => text.trim().parse().map(Some).map_err(|_| {
                    ShardError::Engine(format!("{name}={text:?} is not a whole number"))
                }),
            }
        };
    let checked = |k: usize, n: usize, source: &str| {
        Shard::new(k, n).map_err(|e| ShardError::Engine(format!("{source}: {e}")))
    };
    // A 0-based index made 1-based. `usize::MAX + 1` would wrap to shard 0
    // (or panic), so the index must first be below the count.
    // `what` names the index as the engine set it.
    let one_based = |index: usize, what: String, n: usize, source: &str| {
        if index < n {
            checked(index + 1, n, source)
        } else {
            Err(ShardError::Engine(format!(
                "{source}: {what} is not below the shard count {n} (indices are 0-based)"
            )))
        }
    };
    if let Some(text) = var(SHARD_VAR).filter(|t| !t.trim().is_empty()) {
        return Shard::parse(&text).map_err(|e| ShardError::Engine(format!("{SHARD_VAR}: {e}")));
    }
    if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
        let n = number("SLURM_ARRAY_TASK_COUNT")?.ok_or_else(|| {
            ShardError::Engine(
                "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not".into(),
            )
        })?;
        // `--array=5-7` numbers tasks from 5; `--array=0-10:2` steps by 2.
        let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
        if id < min || (id - min) % step != 0 {
            return Err(ShardError::Engine(format!(
                "SLURM_ARRAY_TASK_ID={id} is not in an array starting at {min} with step {step}"
            )));
        }
        let index = (id - min) / step;
        let what = format!("SLURM_ARRAY_TASK_ID={id} (task index {index})");
        return one_based(index, what, n, "Slurm job array");
    }
    if let Some(index) = number("JOB_COMPLETION_INDEX")? {
        let n = count.ok_or_else(|| {
            ShardError::Engine(
                "JOB_COMPLETION_INDEX is set but the shard count is not: pass --shard-count N (the Job's `completions`)".into(),
            )
        })?;
        let what = format!("JOB_COMPLETION_INDEX={index}");
        return one_based(index, what, n, "Kubernetes Indexed Job");
    }
    if let (Some(k), Some(n)) = (number("CI_NODE_INDEX")?, number("CI_NODE_TOTAL")?) {
        return checked(k, n, "GitLab parallel job");
    }
    if let (Some(k), Some(n)) = (
        number("BUILDKITE_PARALLEL_JOB")?,
        number("BUILDKITE_PARALLEL_JOB_COUNT")?,
    ) {
        let what = format!("BUILDKITE_PARALLEL_JOB={k}");
        return one_based(k, what, n, "Buildkite parallel job");
    }
    Err(ShardError::Engine(format!(
        "--shard auto found no shard variables ({SHARD_VAR}, SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, CI_NODE_INDEX, BUILDKITE_PARALLEL_JOB)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn parse_and_share() {
        assert_eq!(Shard::parse("2/3"), Ok(Shard { k: 2, n: 3 }));
        assert_eq!(ShardSpec::parse("auto"), Ok(ShardSpec::Auto));
        assert!(
            Shard::parse("0/3")
                .unwrap_err()
                .to_string()
                .contains("numbered 1 to 3")
        );
        assert!(Shard::parse("4/3").is_err());
        assert!(Shard::parse("2").is_err());
        assert!(Shard::parse("1/0").is_err());
        let s = Shard { k: 2, n: 3 };
        assert_eq!(s.indices(8), [1, 4, 7]);
        assert!(s.owns(4) && !s.owns(5));
        assert_eq!(Shard { k: 3, n: 3 }.indices(2), Vec::<usize>::new());
        // Every index belongs to exactly one shard.
        for i in 0..20 {
            let owners: Vec<usize> = (1..=3).filter(|&k| Shard { k, n: 3 }.owns(i)).collect();
            assert_eq!(owners, [Shard::of_index(i, 3)]);
        }
    }

    fn ok(pairs: &[(&str, &str)], count: Option<usize>) -> Shard {
        detect(count, env(pairs)).unwrap()
    }

    fn refused(pairs: &[(&str, &str)], count: Option<usize>) -> String {
        detect(count, env(pairs)).unwrap_err().to_string()
    }

    #[test]
    fn pybench_shard_and_slurm_map_to_one_based_shards() {
        assert_eq!(ok(&[("PYBENCH_SHARD", "3/4")], None), Shard { k: 3, n: 4 });
        // Slurm: --array=0-2 and --array=5-7 and --array=0-10:5.
        let slurm = |id, min, count| {
            ok(
                &[
                    ("SLURM_ARRAY_TASK_ID", id),
                    ("SLURM_ARRAY_TASK_MIN", min),
                    ("SLURM_ARRAY_TASK_COUNT", count),
                ],
                None,
            )
        };
        assert_eq!(slurm("0", "0", "3"), Shard { k: 1, n: 3 });
        assert_eq!(slurm("7", "5", "3"), Shard { k: 3, n: 3 });
        let stepped = [
            ("SLURM_ARRAY_TASK_ID", "10"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_STEP", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ];
        assert_eq!(ok(&stepped, None), Shard { k: 3, n: 3 });
        assert!(refused(&[("SLURM_ARRAY_TASK_ID", "x")], None).contains("not a whole number"));
        assert!(refused(&[], None).contains("found no shard variables"));
    }

    #[test]
    fn kubernetes_index_is_zero_based_and_never_wraps() {
        assert_eq!(
            ok(&[("JOB_COMPLETION_INDEX", "0")], Some(4)),
            Shard { k: 1, n: 4 }
        );
        assert!(refused(&[("JOB_COMPLETION_INDEX", "0")], None).contains("--shard-count"));
        assert!(detect(Some(4), env(&[("JOB_COMPLETION_INDEX", "4")])).is_err());
        // The largest index does not wrap around to shard 0 (or overflow).
        let max = usize::MAX.to_string();
        assert_eq!(
            refused(&[("JOB_COMPLETION_INDEX", &max)], Some(2)),
            format!(
                "Kubernetes Indexed Job: JOB_COMPLETION_INDEX={max} is not below the shard count 2 (indices are 0-based)"
            )
        );
    }

    #[test]
    fn gitlab_is_one_based_and_buildkite_zero_based() {
        assert_eq!(
            ok(&[("CI_NODE_INDEX", "2"), ("CI_NODE_TOTAL", "2")], None),
            Shard { k: 2, n: 2 }
        );
        let buildkite = |job| {
            detect(
                None,
                env(&[
                    ("BUILDKITE_PARALLEL_JOB", job),
                    ("BUILDKITE_PARALLEL_JOB_COUNT", "2"),
                ]),
            )
        };
        assert_eq!(buildkite("0").unwrap(), Shard { k: 1, n: 2 });
        assert!(buildkite(&usize::MAX.to_string()).is_err());
    }
}
