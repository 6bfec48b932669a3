//! The seed plan: seeds drawn once, before a sharded run, so that every
//! shard of a NEW benchmark or of `update` uses the same seeds.
//!
//! `pybench seeds [PATH...]` writes it (by default next to the baseline
//! file, `.pybench/seed-plan.json`); shards read it (`--seed-plan FILE`, or
//! that default when it exists). A benchmark with a stored baseline is
//! checked on its stored seeds and does not need the plan.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cli::RunArgs;
use crate::error::Error;
use crate::library::Benchmark;
use crate::run::{self, SeedSource};
use crate::settings::Overrides;
use crate::shard::ShardError;

pub const FORMAT_VERSION: u32 = 1;

/// One benchmark's planned seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Planned {
    pub n_seeds: usize,
    pub seeds: Vec<u64>,
}

/// The whole plan, by benchmark name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SeedPlan {
    pub format_version: u32,
    pub benchmarks: BTreeMap<String, Planned>,
}

impl SeedPlan {
    /// `seed-plan.json` next to the baseline file.
    pub fn default_path(baseline: &Path) -> PathBuf {
        match baseline.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join("seed-plan.json"),
            _ => PathBuf::from("seed-plan.json"),
        }
    }

    pub fn get(&self, bench: &str) -> Option<&[u64]> {
        self.benchmarks.get(bench).map(|p| p.seeds.as_slice())
    }

    /// Read and check a plan: each entry's seeds are distinct, at least 2,
    /// and as many as its `n_seeds`.
    pub fn read(path: &Path) -> Result<SeedPlan, ShardError> {
        let text = std::fs::read_to_string(path).map_err(|source| ShardError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|reason| ShardError::BadPlan {
            path: path.to_path_buf(),
            reason,
        })
    }

    pub fn parse(text: &str) -> Result<SeedPlan, String> {
        let plan: SeedPlan = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if plan.format_version != FORMAT_VERSION {
            return Err(format!(
                "format_version {} (this pybench reads version {FORMAT_VERSION})",
                plan.format_version
            ));
        }
        for (name, planned) in &plan.benchmarks {
            if planned.seeds.len() != planned.n_seeds {
                return Err(format!(
                    "{name}: n_seeds is {} but there are {} seeds",
                    planned.n_seeds,
                    planned.seeds.len()
                ));
            }
            if planned.seeds.len() < 2 {
                return Err(format!("{name}: at least 2 seeds are needed"));
            }
            let mut seen = HashSet::with_capacity(planned.seeds.len());
            if let Some(twice) = planned.seeds.iter().find(|s| !seen.insert(**s)) {
                return Err(format!("{name}: seed {twice} appears twice"));
            }
        }
        Ok(plan)
    }

    /// Atomically write the plan (one benchmark per line, readable in a diff).
    pub fn write(&self, path: &Path) -> Result<(), ShardError> {
        let write_error = |source| ShardError::Write {
            path: path.to_path_buf(),
            source,
        };
        let mut text = format!(
            "{{\"format_version\": {}, \"benchmarks\": {{",
            self.format_version
        );
        for (i, (name, planned)) in self.benchmarks.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&format!(
                "\n  {}: {}",
                serde_json::to_string(name).expect("a name serialises"),
                serde_json::to_string(planned).expect("a plan serialises")
            ));
        }
        text.push_str("\n}}\n");
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir).map_err(write_error)?;
        let mut file = tempfile::Builder::new()
            .prefix(".seed-plan.")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(write_error)?;
        file.write_all(text.as_bytes()).map_err(write_error)?;
        file.persist(path).map_err(|e| write_error(e.error))?;
        Ok(())
    }
}

/// `pybench seeds [PATH...]`: draw `n_seeds` fresh seeds for every selected
/// benchmark (as a first run or `update` would) and write them to the plan,
/// keeping other benchmarks' entries.
pub fn command(args: &RunArgs, n_seeds: Option<usize>) -> Result<i32, Error> {
    let source = SeedSource::from_env().map_err(Error::Environment)?;
    let benchmarks = crate::app::discover_benchmarks(args)?;
    seeds(args, n_seeds, &benchmarks, source)
}

fn seeds(
    args: &RunArgs,
    n_seeds: Option<usize>,
    benchmarks: &[Benchmark],
    source: SeedSource,
) -> Result<i32, Error> {
    let path = args
        .seed_plan
        .clone()
        .unwrap_or_else(|| SeedPlan::default_path(&args.store.baseline));
    let mut plan = if path.exists() {
        SeedPlan::read(&path)?
    } else {
        SeedPlan {
            format_version: FORMAT_VERSION,
            benchmarks: BTreeMap::new(),
        }
    };
    let overrides = Overrides {
        n_seeds,
        ..Overrides::default()
    };
    let mut out = std::io::stdout().lock();
    for bench in benchmarks {
        let settings = bench.resolve_settings(&overrides);
        match settings {
            Ok(settings) => {
                let seeds = run::fresh_seeds(settings.n_seeds, source, &bench.name);
                let _ = writeln!(out, "{:<18} {} seeds", bench.name, seeds.len());
                plan.benchmarks.insert(
                    bench.name.clone(),
                    Planned {
                        n_seeds: seeds.len(),
                        seeds,
                    },
                );
            }
            // Its shards report the same error; there is nothing to plan.
            Err(message) => {
                let _ = writeln!(out, "{:<18} skipped: {message}", bench.name);
            }
        }
    }
    plan.write(&path)?;
    let _ = writeln!(out, "seed plan written to {}", path.display());
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_checks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let mut plan = SeedPlan {
            format_version: FORMAT_VERSION,
            benchmarks: BTreeMap::new(),
        };
        plan.benchmarks.insert(
            "bench_a".into(),
            Planned {
                n_seeds: 3,
                seeds: vec![5, 1, 4294967295],
            },
        );
        plan.benchmarks.insert(
            "bench_b".into(),
            Planned {
                n_seeds: 2,
                seeds: vec![0, 9],
            },
        );
        plan.write(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 4, "{text}");
        assert_eq!(SeedPlan::read(&path).unwrap(), plan);
        assert_eq!(plan.get("bench_a"), Some(&[5, 1, 4294967295][..]));
        let twice = r#"{"format_version":1,"benchmarks":{"bench_a":{"n_seeds":2,"seeds":[3,3]}}}"#;
        assert_eq!(
            SeedPlan::parse(twice).unwrap_err(),
            "bench_a: seed 3 appears twice"
        );
        let short = r#"{"format_version":1,"benchmarks":{"bench_a":{"n_seeds":3,"seeds":[3,4]}}}"#;
        assert!(SeedPlan::parse(short).unwrap_err().contains("n_seeds is 3"));
        assert!(SeedPlan::parse(r#"{"format_version":2,"benchmarks":{}}"#).is_err());
        assert_eq!(
            SeedPlan::default_path(Path::new(".pybench/baselines.jsonl")),
            Path::new(".pybench/seed-plan.json")
        );
    }
}
