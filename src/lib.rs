//! pybench: catch regressions in code whose output is a random number.
//!
//! The always-on part of this crate is the authoring API ([`bench!`],
//! [`Record`], [`Metrics`]): what a benchmark crate needs, with no
//! dependencies. The engine (discovery, runner, statistics, store, reports)
//! sits behind the default `engine` feature. Data flows one way:
//! cli → discover/build → library → run → scores → stats → store/report.

pub mod abi;

#[cfg(feature = "engine")]
pub mod against;
#[cfg(feature = "engine")]
pub mod app;
#[cfg(feature = "engine")]
pub mod build;
#[cfg(feature = "engine")]
pub mod cli;
#[cfg(feature = "engine")]
pub mod discover;
#[cfg(feature = "engine")]
pub mod error;
#[cfg(feature = "engine")]
pub mod fingerprint;
#[cfg(feature = "engine")]
pub mod git;
#[cfg(feature = "engine")]
pub mod isolate;
#[cfg(feature = "engine")]
pub mod json_report;
#[cfg(feature = "engine")]
pub mod library;
#[cfg(feature = "engine")]
pub mod merge;
#[cfg(feature = "engine")]
pub mod report;
#[cfg(feature = "engine")]
pub mod run;
#[cfg(feature = "engine")]
pub mod scores;
#[cfg(feature = "engine")]
pub mod seed_plan;
#[cfg(feature = "engine")]
pub mod settings;
#[cfg(feature = "engine")]
pub mod shard;
#[cfg(feature = "engine")]
pub mod show;
#[cfg(feature = "engine")]
pub mod stats;
#[cfg(feature = "engine")]
pub mod store;

#[cfg(feature = "engine")]
pub mod bmf;
#[cfg(feature = "engine")]
pub mod color;
#[cfg(feature = "engine")]
pub mod compare;
#[cfg(feature = "engine")]
pub mod github;
#[cfg(feature = "engine")]
pub mod junit;
#[cfg(feature = "engine")]
pub mod outputs;
#[cfg(feature = "engine")]
pub mod plot;
#[cfg(feature = "engine")]
pub mod progress;

pub use abi::{BenchOutput, Json, Metrics, Record};
