//! What a run judges against. A run has one [`References`]: the stored
//! baselines, or a revision built beside the working tree (`--against`,
//! and `bisect`); each benchmark gets its [`Reference`] from it.

use std::path::PathBuf;

use crate::result::Revision;
use crate::runner::Benchmark;
use crate::store::{Baseline, Store};

/// What one benchmark is judged against.
#[derive(Clone, Copy)]
pub enum Reference<'a> {
    /// Its stored baseline: the seeds to run and the scores to beat.
    Stored(&'a Baseline),
    /// A revision's build of it, run on the same seeds in the same run,
    /// each seed on both sides back to back (side 0 is the revision's).
    Revision {
        bench: &'a Benchmark,
        revision: &'a Revision,
        /// Seeds to run instead of fresh ones (`--stored-seeds`).
        seeds: Option<&'a [u64]>,
    },
    /// Nothing: the benchmark is NEW.
    None,
}

impl Reference<'_> {
    /// Whether a verdict will be made against it (a revision's library
    /// that failed to load gives an ERROR instead).
    pub fn judges(&self) -> bool {
        match self {
            Reference::Stored(_) => true,
            Reference::Revision { bench, .. } => !bench.library_failed(),
            Reference::None => false,
        }
    }

    /// The stored baseline, if that is the reference.
    pub fn stored(&self) -> Option<&Baseline> {
        match self {
            Reference::Stored(baseline) => Some(baseline),
            _ => None,
        }
    }

    /// The revision, if that is the reference.
    pub fn revision(&self) -> Option<&Revision> {
        match self {
            Reference::Revision { revision, .. } => Some(revision),
            _ => None,
        }
    }
}

/// What a whole run judges against.
pub enum References<'a> {
    /// Each benchmark's stored baseline, NEW without one. A check writes
    /// the NEW baselines, `update` every benchmark's.
    Stored(&'a mut Store),
    /// A revision run beside the working tree: nothing is written.
    Revision(Against<'a>),
}

/// A revision as the reference of a run.
pub struct Against<'a> {
    /// How the revision reads in lines and reports.
    pub revision: Revision,
    /// The revision's selected benchmarks, a library it could not describe
    /// included (as one benchmark named after the library).
    pub benchmarks: &'a [Benchmark],
    /// Benchmarks the working tree has (the run's count).
    pub discovered: usize,
    /// Where the run's git state is read.
    pub repo_dir: PathBuf,
    /// With `--stored-seeds`: the baselines whose seeds the run reuses.
    pub stored_seeds: Option<&'a Store>,
    /// Printed after the lines: the benchmarks only the revision has.
    pub trailer: String,
}

impl References<'_> {
    /// The reference of the benchmark `name`.
    pub fn of(&self, name: &str) -> Reference<'_> {
        match self {
            References::Stored(store) => store.get(name).map_or(Reference::None, Reference::Stored),
            References::Revision(against) => against
                .benchmarks
                .iter()
                .find(|b| b.name == name)
                .map_or(Reference::None, |bench| Reference::Revision {
                    bench,
                    revision: &against.revision,
                    seeds: against
                        .stored_seeds
                        .and_then(|store| store.get(name))
                        .map(|b| b.seeds.as_slice()),
                }),
        }
    }
}
