//! `pybench merge DIR...`: join the shard files that `pybench --shard K/N
//! --out DIR` wrote, check that they make one whole run (every seed exactly
//! once, one library build, one set of settings), then judge, report and
//! write baselines through the same path as an unsharded run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use crate::app::{self, Mode};
use crate::cli::{RunArgs, bench_name_matches};
use crate::error::Error;
use crate::report::BenchResult;
use crate::run::SeedOutcome;
use crate::shard::{Shard, ShardError, ShardFile, ShardSettings};
use crate::store::{self, Baseline, Store};

/// One benchmark, joined from all its shards.
#[derive(Clone, Debug)]
pub struct MergedBench {
    pub name: String,
    pub mode: Mode,
    /// Whether the shards ran on a stored baseline's seeds.
    pub on_baseline: bool,
    pub seeds: Vec<u64>,
    pub settings: ShardSettings,
    /// The error of the lowest-numbered shard that could not run it.
    pub error: Option<String>,
    /// Every seed's outcome, in seed order (empty when `error` is set).
    pub outcomes: Vec<SeedOutcome>,
    /// What the benchmark printed, shard by shard.
    pub output: String,
    /// Where the first shard ran (the fingerprint a baseline records).
    pub environment: crate::fingerprint::Environment,
}

impl MergedBench {
    /// Judge exactly as an unsharded run judges its outcomes.
    pub fn judge(&self, stored: Option<&Baseline>) -> BenchResult {
        let mut result =
            app::blank_result(&self.name, self.settings.alpha, self.settings.min_effect);
        result.seeds = self.seeds.clone();
        result.output = self.output.clone();
        result.settings = Some(self.settings.clone());
        app::fingerprint(&mut result, self.environment.clone(), stored);
        let outcomes = match &self.error {
            Some(error) => Err(error.clone()),
            None => Ok(self.outcomes.clone()),
        };
        app::judge(result, stored, outcomes)
    }
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
pub fn collect(dirs: &[PathBuf]) -> Result<Vec<MergedBench>, ShardError> {
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
    let merged: Vec<MergedBench> = by_bench
        .into_iter()
        .map(|(name, shards)| join(name, shards))
        .collect::<Result<_, _>>()?;
    if let Some(pair) = merged.windows(2).find(|w| w[0].mode != w[1].mode) {
        return Err(ShardError::Usage(format!(
            "cannot merge {} ({}) with {} ({}): shards of one merge run in one mode",
            pair[0].name,
            crate::shard::mode_name(pair[0].mode),
            pair[1].name,
            crate::shard::mode_name(pair[1].mode),
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
fn settings_text(a: &ShardSettings, b: &ShardSettings) -> (String, String) {
    let effect = |e: Option<f64>| e.map_or_else(|| "none".to_string(), |e| e.to_string());
    let mut left = Vec::new();
    let mut right = Vec::new();
    if a.alpha != b.alpha {
        left.push(format!("alpha={}", a.alpha));
        right.push(format!("alpha={}", b.alpha));
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

fn join(name: String, mut shards: Vec<(PathBuf, ShardFile)>) -> Result<MergedBench, ShardError> {
    shards.sort_by_key(|(_, f)| (f.shard.k, f.shard.n));
    let mismatch = |detail: String, hint: &'static str| ShardError::Merge {
        bench: name.clone(),
        detail,
        hint,
    };
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
                first.mode.clone(),
                file.mode.clone(),
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
    let seeds = first.seeds.clone();
    let n = seeds.len();
    // Every seed exactly once.
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
                    .filter(|&i| runs_twice(&shards, i))
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
    if !missing.is_empty() {
        let shard_n = first.shard.n;
        let mut absent: Vec<usize> = missing
            .iter()
            .map(|&i| Shard::of_index(i, shard_n))
            .collect();
        absent.dedup();
        absent.sort_unstable();
        absent.dedup();
        let absent: Vec<String> = absent.iter().map(|k| format!("{k}/{shard_n}")).collect();
        let missing_seeds: Vec<u64> = missing.iter().map(|&i| seeds[i]).collect();
        return Err(mismatch(
            format!(
                "{} of {n} seeds are missing (no file for shard {}): seeds {}",
                missing.len(),
                absent.join(", "),
                list(&missing_seeds)
            ),
            "run the missing shard with the same --shard K/N (any shard can be re-run alone), then merge every directory",
        ));
    }
    // The error of the earliest seed, as one machine running them in order.
    let error = shards
        .iter()
        .filter(|(_, f)| f.error.is_some())
        .min_by_key(|(_, f)| (f.error_index.unwrap_or(usize::MAX), f.shard.k))
        .and_then(|(_, f)| f.error.clone());
    let mut slots: Vec<Option<SeedOutcome>> = vec![None; n];
    if error.is_none() {
        for (path, file) in &shards {
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
        for (_, file) in &mut shards {
            for record in file.results.drain(..) {
                slots[record.index] = Some(record.outcome);
            }
        }
    }
    let output: String = shards.iter().map(|(_, f)| f.output.as_str()).collect();
    let (_, first) = &shards[0];
    Ok(MergedBench {
        mode: if first.mode == "update" {
            Mode::Update { n_seeds: None }
        } else {
            Mode::Check
        },
        on_baseline: first.seeds_from == "baseline",
        seeds,
        settings: first.settings.clone(),
        error,
        outcomes: slots.into_iter().flatten().collect(),
        output,
        name,
        environment: first.environment.clone(),
    })
}

fn runs_twice(shards: &[(PathBuf, ShardFile)], index: usize) -> bool {
    shards
        .iter()
        .filter(|(_, f)| f.indices.binary_search(&index).is_ok())
        .count()
        > 1
}

/// `pybench merge DIR...`: the verdict, report, `--json`, baseline writes
/// and exit code an unsharded run would have given.
pub fn run(args: &RunArgs) -> Result<i32, Error> {
    let started = Instant::now();
    for (given, flag) in [
        (args.alpha.is_some(), "--alpha"),
        (args.min_effect.is_some(), "--min-effect"),
        (args.shard.is_some(), "--shard"),
        (args.out.is_some(), "--out"),
    ] {
        if given {
            return Err(ShardError::Usage(format!(
                "merge takes no {flag}: the shards' settings decide the verdict"
            ))
            .into());
        }
    }
    if args.paths.is_empty() {
        return Err(ShardError::Usage("merge needs the shards' --out directories".into()).into());
    }
    let mut merged = collect(&args.paths)?;
    if let Some(unknown) = args
        .store
        .benches
        .iter()
        .find(|wanted| !merged.iter().any(|m| bench_name_matches(wanted, &m.name)))
    {
        return Err(Error::UnknownBench(unknown.clone()));
    }
    merged.retain(|m| args.store.selects(&m.name));
    let mode = merged[0].mode;
    let _lock = store::lock(&args.store.baseline, !args.no_wait)?;
    let mut store = Store::open(&args.store.baseline)?;
    if mode == Mode::Check {
        for bench in &merged {
            match store.get(&bench.name) {
                Some(baseline) if baseline.seeds != bench.seeds && bench.error.is_none() => {
                    return Err(ShardError::Merge {
                        bench: bench.name.clone(),
                        detail: format!(
                            "its baseline in {} has other seeds than its shards ran; it changed since they ran",
                            args.store.baseline.display()
                        ),
                        hint: "run the shards again on the current baseline file",
                    }
                    .into());
                }
                None if bench.on_baseline => {
                    return Err(ShardError::Merge {
                        bench: bench.name.clone(),
                        detail: format!(
                            "its shards ran against a baseline, but {} has none",
                            args.store.baseline.display()
                        ),
                        hint: "merge with the --baseline file the shards read",
                    }
                    .into());
                }
                _ => {}
            }
        }
    }
    let names: Vec<&str> = merged.iter().map(|m| m.name.as_str()).collect();
    app::judge_and_report(args, mode, started, &names, &mut store, |index, stored| {
        merged[index].judge(stored)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard::{Environment, SeedRecord};

    const SEEDS: [u64; 5] = [50, 10, 40, 20, 30];

    /// Shard `k` of `n` of a 5-seed benchmark whose score is `seed / 100`.
    fn file(k: usize, n: usize) -> (PathBuf, ShardFile) {
        let shard = Shard { k, n };
        let indices = shard.indices(SEEDS.len());
        let results = indices
            .iter()
            .map(|&index| SeedRecord {
                index,
                seed: SEEDS[index],
                outcome: SeedOutcome {
                    code: 0,
                    text: Ok(format!("{}", SEEDS[index] as f64 / 100.0)),
                },
            })
            .collect();
        let file = ShardFile {
            format_version: crate::shard::FORMAT_VERSION,
            pybench_version: "0.1.0".into(),
            bench: "bench_x".into(),
            shard,
            mode: "check".into(),
            seeds_from: "plan".into(),
            seeds: SEEDS.to_vec(),
            indices,
            settings: ShardSettings {
                n_seeds: SEEDS.len(),
                alpha: 0.05,
                min_effect: None,
            },
            library: "libx.so".into(),
            library_hash: "sha256:aa".into(),
            environment: Environment::current(std::path::Path::new("/nonexistent")),
            error: None,
            error_index: None,
            results,
            output: format!("shard {k}\n"),
        };
        (PathBuf::from(format!("d{k}/x.json")), file)
    }

    fn refusal(files: Vec<(PathBuf, ShardFile)>) -> String {
        join("bench_x".into(), files).unwrap_err().to_string()
    }

    #[test]
    fn joins_in_seed_order() {
        let merged = join("bench_x".into(), vec![file(2, 2), file(1, 2)]).unwrap();
        let texts: Vec<&str> = merged
            .outcomes
            .iter()
            .map(|o| o.text.as_deref().unwrap())
            .collect();
        assert_eq!(texts, ["0.5", "0.1", "0.4", "0.2", "0.3"]);
        assert_eq!(merged.output, "shard 1\nshard 2\n");
        let result = merged.judge(None);
        assert_eq!(result.status, crate::report::Status::New);
        assert_eq!(result.current.unwrap().column(0), [0.5, 0.1, 0.4, 0.2, 0.3]);
    }

    #[test]
    fn refuses_gaps_overlaps_and_disagreement() {
        assert_eq!(
            refusal(vec![file(1, 3), file(3, 3)]),
            "cannot merge bench_x: 2 of 5 seeds are missing (no file for shard 2/3): seeds 10, 30"
        );
        assert!(
            refusal(vec![file(1, 2), file(2, 2), file(2, 2)])
                .starts_with("cannot merge bench_x: 2 seeds are duplicated, run by both shard 2/2 of d2/x.json and shard 2/2 of d2/x.json: seeds 10, 20")
        );
        // Shards of two different N overlap.
        assert!(
            refusal(vec![file(1, 2), file(1, 3), file(2, 3), file(3, 3)]).contains("duplicated")
        );
        let (path, mut other) = file(2, 2);
        other.library_hash = "sha256:bb".into();
        assert_eq!(
            refusal(vec![file(1, 2), (path.clone(), other)]),
            "cannot merge bench_x: shards come from different library builds: sha256:aa in shard 1/2 of d1/x.json but sha256:bb in shard 2/2 of d2/x.json"
        );
        let (_, mut other) = file(2, 2);
        other.settings.min_effect = Some(0.02);
        assert!(
            refusal(vec![file(1, 2), (path.clone(), other)])
                .ends_with("different settings: min_effect=none in shard 1/2 of d1/x.json but min_effect=0.02 in shard 2/2 of d2/x.json")
        );
        let (_, mut other) = file(2, 2);
        other.mode = "update".into();
        assert!(refusal(vec![file(1, 2), (path.clone(), other)]).contains("different modes"));
        let (_, mut other) = file(2, 2);
        other.seeds[0] = 99;
        assert!(refusal(vec![file(1, 2), (path.clone(), other)]).contains("different seeds"));
        let (_, mut other) = file(2, 2);
        other.results.pop();
        assert!(refusal(vec![file(1, 2), (path, other)]).contains("do not match the seeds"));
    }

    #[test]
    fn reports_the_earliest_seeds_error() {
        let (p1, mut one) = file(1, 2);
        one.error = Some("timed out after 2 s on seed 40".into());
        one.error_index = Some(2);
        one.results.clear();
        let (p2, mut two) = file(2, 2);
        two.error = Some("timed out after 2 s on seed 10".into());
        two.error_index = Some(1);
        two.results.clear();
        let merged = join("bench_x".into(), vec![(p1, one), (p2, two)]).unwrap();
        assert_eq!(
            merged.error.as_deref(),
            Some("timed out after 2 s on seed 10")
        );
        let result = merged.judge(None);
        assert_eq!(result.status, crate::report::Status::Error);
        assert_eq!(
            result.error.as_deref(),
            Some("timed out after 2 s on seed 10")
        );
    }

    #[test]
    fn shard_files_round_trip_and_are_found() {
        let dir = tempfile::tempdir().unwrap();
        for k in 1..=2 {
            file(k, 2).1.write(dir.path()).unwrap();
        }
        std::fs::write(dir.path().join("notes.json"), "{}").unwrap();
        let merged = collect(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].outcomes.len(), 5);
        let path = dir.path().join("bench_x.shard-1-of-2.json");
        assert_eq!(ShardFile::read(&path).unwrap(), file(1, 2).1);
        std::fs::write(&path, r#"{"format_version": 9}"#).unwrap();
        assert!(
            ShardFile::read(&path)
                .unwrap_err()
                .to_string()
                .ends_with("format_version 9 (this pybench reads version 1)")
        );
    }

    #[test]
    fn shard_file_names() {
        assert!(is_shard_file("bench_x.shard-2-of-3.json"));
        assert!(is_shard_file("bench_a.b.shard-10-of-12.json"));
        assert!(!is_shard_file("bench_x.shard-2-of-3.json.tmp"));
        assert!(!is_shard_file("bench_x.shard--of-3.json"));
        assert!(!is_shard_file("bench_x.json"));
        assert!(!is_shard_file(".shard.abc.tmp"));
    }
}
