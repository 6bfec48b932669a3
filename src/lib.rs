//! pybench: catch regressions in code whose output is a random number.
//!
//! The always-on part of this crate is the authoring API ([`bench!`], [`Record`],
//! [`Metrics`]): what a benchmark crate needs, with no dependencies. The engine
//! (discovery, runner, statistics, store, reports) sits behind the default
//! `engine` feature.

pub mod abi;

#[cfg(feature = "engine")]
pub mod git;
#[cfg(feature = "engine")]
pub mod scores;
#[cfg(feature = "engine")]
pub mod stats;

pub use abi::{Metrics, Record};
