//! Joining shard files: check that they make one whole run (every seed
//! exactly once, one library build, one set of settings) and put each
//! benchmark's outcomes back in seed order. `pybench merge` then judges the
//! joined run through the same pipeline as an unsharded one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{SeedsFrom, Shard, ShardError, ShardFile};
use crate::runner::SeedOutcome;
use crate::settings::{RunMode, compact};
use crate::store::fingerprint::{Environment, StoredSettings};

/// One benchmark, joined from all its shards.
#[derive(Clone, Debug)]
pub struct Joined {
    pub name: String,
    pub mode: RunMode,
    /// Whether the shards ran on a stored baseline's seeds.
    pub on_baseline: bool,
    pub seeds: Vec<u64>,
    pub settings: StoredSettings,
    /// The error of the earliest seed that could not run.
    pub error: Option<String>,
    /// Every seed's outcome, in seed order (empty when `error` is set).
    pub outcomes: Vec<SeedOutcome>,
    /// What the benchmark printed, shard by shard.
    pub output: String,
    /// Where the first shard ran (the fingerprint a baseline records).
    pub environment: Environment,
    /// The pins of its inputs, on which every shard agrees.
    pub inputs: Option<crate::store::inputs::Pins>,
    /// Where the first shard found it, from the project root.
    pub source: Option<String>,
}

/// Whether `name` is a shard file's: `BENCH.shard-K-of-N.json`.
fn is_shard_file(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".json") else {
        return false;
    };
    let Some((_, tail)) = stem.rsplit_once(".shard-") else {
        return false;
    };
    let Some((k, n)) = tail.split_once("-of-") else {
        return false;
    };
    !k.is_empty()
        && !n.is_empty()
        && k.bytes().all(|b| b.is_ascii_digit())
        && n.bytes().all(|b| b.is_ascii_digit())
}

/// Every shard file in `dirs` (not recursive), in a stable order.
pub fn shard_paths(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, ShardError> {
    let mut paths = Vec::new();
    for dir in dirs {
        let entries = std::fs::read_dir(dir).map_err(|source| ShardError::Read {
            path: dir.clone(),
            source,
        })?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_str().is_some_and(is_shard_file))
            .map(|e| e.path())
            .collect();
        found.sort();
        paths.extend(found);
    }
    if paths.is_empty() {
        let shown: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(ShardError::NoShards(shown.join(", ")));
    }
    Ok(paths)
}

/// Read every shard file in `dirs` and join them per benchmark, sorted by
/// name. Any gap, overlap or disagreement is an error naming it.
pub fn collect(dirs: &[PathBuf]) -> Result<Vec<Joined>, ShardError> {
    let paths = shard_paths(dirs)?;
    let files: Vec<(PathBuf, ShardFile)> = paths
        .into_par_iter()
        .map(|path| ShardFile::read(&path).map(|file| (path, file)))
        .collect::<Result<_, _>>()?;
    let mut by_bench: BTreeMap<String, Vec<(PathBuf, ShardFile)>> = BTreeMap::new();
    for (path, file) in files {
        by_bench
            .entry(file.bench.clone())
            .or_default()
            .push((path, file));
    }
    let merged: Vec<Joined> = by_bench
        .into_iter()
        .map(|(name, shards)| join(name, shards))
        .collect::<Result<_, _>>()?;
    if let Some(pair) = merged.windows(2).find(|w| w[0].mode != w[1].mode) {
        return Err(ShardError::Usage(format!(
            "cannot merge {} ({}) with {} ({}): shards of one merge run in one mode",
            pair[0].name, pair[0].mode, pair[1].name, pair[1].mode,
        )));
    }
    Ok(merged)
}

/// `shard 2/3 of dir/bench_x.shard-2-of-3.json`.
fn which(path: &Path, shard: Shard) -> String {
    format!("shard {shard} of {}", path.display())
}

/// Up to ten seeds, then how many more.
fn list(seeds: &[u64]) -> String {
    let shown: Vec<String> = seeds.iter().take(10).map(u64::to_string).collect();
    let mut text = shown.join(", ");
    if seeds.len() > 10 {
        text.push_str(&format!(" and {} more", seeds.len() - 10));
    }
    text
}

/// The settings that differ, as `alpha=0.05` against `alpha=0.1`.
fn settings_text(a: &StoredSettings, b: &StoredSettings) -> (String, String) {
    let effect = |e: Option<f64>| e.map_or_else(|| "none".to_string(), compact);
    let mut left = Vec::new();
    let mut right = Vec::new();
    if a.alpha != b.alpha {
        left.push(format!("alpha={}", compact(a.alpha.get())));
        right.push(format!("alpha={}", compact(b.alpha.get())));
    }
    if a.min_effect != b.min_effect {
        left.push(format!("min_effect={}", effect(a.min_effect)));
        right.push(format!("min_effect={}", effect(b.min_effect)));
    }
    if a.n_seeds != b.n_seeds {
        left.push(format!("n_seeds={}", a.n_seeds));
        right.push(format!("n_seeds={}", b.n_seeds));
    }
    (left.join(" "), right.join(" "))
}

/// A shard file and where it was read from.
pub type Located = (PathBuf, ShardFile);

pub fn join(name: String, mut shards: Vec<Located>) -> Result<Joined, ShardError> {
    shards.sort_by_key(|(_, f)| (f.shard.k, f.shard.n));
    let mismatch = |detail: String, hint: &'static str| ShardError::Merge {
        bench: name.clone(),
        detail,
        hint,
    };
    check_agreement(&shards, &mismatch)?;
    check_coverage(&shards, &mismatch)?;
    // The error of the earliest seed, as one machine running them in order.
    let error = shards
        .iter()
        .filter(|(_, f)| f.error.is_some())
        .min_by_key(|(_, f)| (f.error_index.unwrap_or(usize::MAX), f.shard.k))
        .and_then(|(_, f)| f.error.clone());
    let outcomes = match error {
        Some(_) => Vec::new(),
        None => outcomes_in_seed_order(&mut shards)?,
    };
    let output: String = shards.iter().map(|(_, f)| f.output.as_str()).collect();
    let (_, first) = &shards[0];
    Ok(Joined {
        mode: first.mode,
        on_baseline: first.seeds_from == SeedsFrom::Baseline,
        seeds: first.seeds.clone(),
        settings: first.settings.clone(),
        error,
        outcomes,
        output,
        name,
        environment: first.environment.clone(),
        inputs: first.inputs.clone(),
        source: first.source.clone(),
    })
}

/// Every shard ran in one mode, from one build, with one set of settings,
/// on one list of seeds.
fn check_agreement(
    shards: &[Located],
    mismatch: &impl Fn(String, &'static str) -> ShardError,
) -> Result<(), ShardError> {
    let (first_path, first) = &shards[0];
    for (path, file) in &shards[1..] {
        let pair = |what: &str, a: String, b: String, hint| {
            mismatch(
                format!(
                    "shards {what}: {a} in {} but {b} in {}",
                    which(first_path, first.shard),
                    which(path, file.shard)
                ),
                hint,
            )
        };
        if file.mode != first.mode {
            return Err(pair(
                "ran in different modes",
                first.mode.to_string(),
                file.mode.to_string(),
                "run every shard as `pybench --shard` or every shard as `pybench update --shard`",
            ));
        }
        if file.library_hash != first.library_hash {
            let short = |h: &str| h.chars().take(7 + 12).collect::<String>();
            return Err(pair(
                "come from different library builds",
                short(&first.library_hash),
                short(&file.library_hash),
                "build the benchmark library once and run every shard from that build (pass it as an artifact, with --no-build)",
            ));
        }
        if file.inputs != first.inputs {
            let (a, b) =
                crate::store::inputs::first_difference(first.inputs.as_ref(), file.inputs.as_ref());
            return Err(pair(
                "read different inputs",
                a,
                b,
                "run every shard on the same data: the files each benchmark names in `inputs`",
            ));
        }
        if file.settings != first.settings {
            let (a, b) = settings_text(&first.settings, &file.settings);
            return Err(pair(
                "ran with different settings",
                a,
                b,
                "run every shard with the same --alpha, --min-effect and seeds",
            ));
        }
        if file.seeds != first.seeds || file.seeds_from != first.seeds_from {
            return Err(mismatch(
                format!(
                    "shards ran on different seeds ({} and {})",
                    which(first_path, first.shard),
                    which(path, file.shard)
                ),
                "every shard must read the same baseline file and seed plan; run them again from one commit",
            ));
        }
    }
    Ok(())
}

/// Every seed ran exactly once.
fn check_coverage(
    shards: &[Located],
    mismatch: &impl Fn(String, &'static str) -> ShardError,
) -> Result<(), ShardError> {
    let seeds = &shards[0].1.seeds;
    let n = seeds.len();
    let mut runs: Vec<u32> = vec![0; n];
    let mut owner: Vec<usize> = vec![usize::MAX; n];
    for (position, (path, file)) in shards.iter().enumerate() {
        for &index in &file.indices {
            if index >= n {
                return Err(ShardError::BadFile {
                    path: path.clone(),
                    reason: format!("seed index {index} is out of range ({n} seeds)"),
                });
            }
            runs[index] += 1;
            if runs[index] == 2 {
                let twice = which(&shards[owner[index]].0, shards[owner[index]].1.shard);
                let duplicated: Vec<u64> = (0..n)
                    .filter(|&i| runs_twice(shards, i))
                    .map(|i| seeds[i])
                    .collect();
                return Err(mismatch(
                    format!(
                        "{} seeds are duplicated, run by both {twice} and {}: seeds {}",
                        duplicated.len(),
                        which(path, file.shard),
                        list(&duplicated)
                    ),
                    "give each shard's directory once, and no two shard files with one K/N",
                ));
            }
            owner[index] = position;
        }
    }
    let missing: Vec<usize> = (0..n).filter(|&i| runs[i] == 0).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let shard_n = shards[0].1.shard.n;
    let mut absent: Vec<usize> = missing
        .iter()
        .map(|&i| Shard::of_index(i, shard_n))
        .collect();
    absent.sort_unstable();
    absent.dedup();
    let absent: Vec<String> = absent.iter().map(|k| format!("{k}/{shard_n}")).collect();
    let missing_seeds: Vec<u64> = missing.iter().map(|&i| seeds[i]).collect();
    Err(mismatch(
        format!(
            "{} of {n} seeds are missing (no file for shard {}): seeds {}",
            missing.len(),
            absent.join(", "),
            list(&missing_seeds)
        ),
        "run the missing shard with the same --shard K/N (any shard can be re-run alone), then merge every directory",
    ))
}

/// Each shard's results, checked against the seeds it claims to have run,
/// put back in seed order.
fn outcomes_in_seed_order(shards: &mut [Located]) -> Result<Vec<SeedOutcome>, ShardError> {
    let seeds = shards[0].1.seeds.clone();
    for (path, file) in shards.iter() {
        let listed = file.results.len() == file.indices.len()
            && file
                .results
                .iter()
                .zip(&file.indices)
                .all(|(r, &i)| r.index == i && r.seed == seeds[i]);
        if !listed {
            return Err(ShardError::BadFile {
                path: path.clone(),
                reason: "its results do not match the seeds it ran".into(),
            });
        }
    }
    let mut slots: Vec<Option<SeedOutcome>> = vec![None; seeds.len()];
    for (_, file) in shards.iter_mut() {
        for record in file.results.drain(..) {
            slots[record.index] = Some(record.outcome);
        }
    }
    Ok(slots.into_iter().flatten().collect())
}

fn runs_twice(shards: &[Located], index: usize) -> bool {
    shards
        .iter()
        .filter(|(_, f)| f.indices.binary_search(&index).is_ok())
        .count()
        > 1
}

#[cfg(test)]
pub(crate) mod tests;
