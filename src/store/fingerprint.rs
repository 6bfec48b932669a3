//! Where a baseline was measured: machine, build and settings, stored as
//! additive keys (`env`, `settings`) of the baseline line. The Python tool
//! ignores unknown keys, so files stay readable by it.

use std::collections::BTreeMap;
use std::path::Path;

use object::{Object, ObjectSection};
use serde::{Deserialize, Serialize};

pub use super::hash_cache::hash_bytes;
use super::hash_cache::{HashCache, Identity};
use crate::settings::Alpha;

/// The machine and build a benchmark ran on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    pub cpu: String,
    pub cores: usize,
    pub os: String,
    pub arch: String,
    /// The rustc that built the library (from its `.comment` section);
    /// `None` for libraries not built by rustc.
    pub rustc: Option<String>,
    pub pybench: String,
    /// `sha256:` and the hex digest of the library file; for a Python
    /// benchmark, of its code identity (see [`PythonEnvironment`]).
    pub library_hash: String,
    /// The interpreter of a Python benchmark and its workers' environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<PythonEnvironment>,
}

/// What a Python benchmark ran with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PythonEnvironment {
    /// `sys.version`'s first word, e.g. `3.11.2`.
    pub version: String,
    pub interpreter: String,
    /// The variables pybench set for the first worker (`NAME=value`).
    pub worker_env: Vec<String>,
    /// Those of each further worker (`CUDA_VISIBLE_DEVICES` and
    /// `PYBENCH_WORKER` differ between workers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_workers_env: Vec<Vec<String>>,
    /// The versions of the frameworks the benchmark had imported after its
    /// first seed (`numpy`, `torch`, `torch.cuda`, `gpu`, …); nothing is
    /// imported to read them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub frameworks: BTreeMap<String, String>,
}

/// The settings a baseline was measured with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredSettings {
    pub n_seeds: usize,
    pub alpha: Alpha,
    #[serde(default, deserialize_with = "crate::settings::read_min_effect")]
    pub min_effect: Option<f64>,
}

impl Environment {
    /// This machine, and the library at `library`: its hash is read from
    /// the run's `hashes` while the file is unchanged (see
    /// `hash_cache.rs`), else computed.
    pub fn current(hashes: &HashCache, library: &Path) -> Environment {
        let Identity { hash, rustc } =
            hashes
                .identity(library, rustc_of)
                .unwrap_or_else(|| Identity {
                    hash: hash_bytes(&[]),
                    rustc: None,
                });
        Environment::of_code(hash, rustc, None)
    }

    /// This machine, and code whose identity is `hash`, built by `rustc`
    /// or run by `python`.
    pub fn of_code(
        hash: String,
        rustc: Option<String>,
        python: Option<PythonEnvironment>,
    ) -> Environment {
        Environment {
            cpu: cpu_model(),
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            os: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
            rustc,
            pybench: env!("CARGO_PKG_VERSION").to_string(),
            library_hash: hash,
            python,
        }
    }

    /// One `field stored → current` phrase per machine or toolchain field
    /// that differs.
    pub fn differences(&self, current: &Environment) -> Vec<String> {
        let mut out = Vec::new();
        let mut field = |name: &str, was: String, now: String| {
            if was != now {
                out.push(format!("{name} {was} → {now}"));
            }
        };
        field("cpu", quoted(&self.cpu), quoted(&current.cpu));
        field("cores", self.cores.to_string(), current.cores.to_string());
        field("os", self.os.clone(), current.os.clone());
        field("arch", self.arch.clone(), current.arch.clone());
        field(
            "rustc",
            quoted(self.rustc.as_deref().unwrap_or("none")),
            quoted(current.rustc.as_deref().unwrap_or("none")),
        );
        field("pybench", self.pybench.clone(), current.pybench.clone());
        if let (Some(was), Some(now)) = (&self.python, &current.python) {
            field("python", was.version.clone(), now.version.clone());
            for (name, version) in &was.frameworks {
                if let Some(now) = now.frameworks.get(name) {
                    field(name, version.clone(), now.clone());
                }
            }
        }
        // The library hash is left out: a changed library is what a
        // regression check is for. It serves the determinism check instead.
        out
    }
}

fn quoted(text: &str) -> String {
    format!("{text:?}")
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name") || l.starts_with("Model"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// rustc writes `rustc version X.Y.Z (hash date)` into `.comment`. Only
/// the headers and that section are read.
fn rustc_of(file: &std::fs::File) -> Option<String> {
    let data = object::read::ReadCache::new(file);
    let file = object::File::parse(&data).ok()?;
    let comment = file.section_by_name(".comment")?.data().ok()?;
    comment
        .split(|&b| b == 0)
        .filter_map(|entry| std::str::from_utf8(entry).ok())
        .find_map(|entry| entry.strip_prefix("rustc version ").map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment {
        Environment {
            cpu: "A".into(),
            cores: 2,
            os: "linux".into(),
            arch: "x86_64".into(),
            rustc: Some("1.95.0".into()),
            pybench: "0.1.0".into(),
            library_hash: "sha256:00".into(),
            python: None,
        }
    }

    #[test]
    fn differences_name_each_field() {
        assert!(env().differences(&env()).is_empty());
        let other = Environment {
            cpu: "B".into(),
            cores: 8,
            library_hash: "sha256:11".into(),
            ..env()
        };
        assert_eq!(
            env().differences(&other),
            ["cpu \"A\" → \"B\"", "cores 2 → 8"],
            "the library hash is not an environment difference"
        );
    }

    #[test]
    fn python_differences_name_the_version_and_shared_frameworks() {
        let python = |version: &str, frameworks: &[(&str, &str)]| Environment {
            python: Some(PythonEnvironment {
                version: version.into(),
                interpreter: "/usr/bin/python3".into(),
                worker_env: Vec::new(),
                other_workers_env: Vec::new(),
                frameworks: frameworks
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            }),
            ..env()
        };
        let was = python("3.11.2", &[("numpy", "1.26.4"), ("torch", "2.3.0")]);
        let now = python("3.12.1", &[("numpy", "2.0.0"), ("jax", "0.4.30")]);
        assert_eq!(
            was.differences(&now),
            ["python 3.11.2 → 3.12.1", "numpy 1.26.4 → 2.0.0"],
            "a framework only one side imported is no difference"
        );
    }

    #[test]
    fn sha256_matches_a_known_digest() {
        assert_eq!(
            hash_bytes(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
