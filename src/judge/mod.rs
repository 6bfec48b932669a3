//! Where verdicts are made. [`verdict`] turns one benchmark's outcomes into
//! its PASS / FAIL / NEW / ERROR; [`pipeline`] takes every benchmark of a
//! run through it, writes the baselines and the reports, and picks the exit
//! code; [`compare`] judges two stored runs against each other.

pub mod adaptive;
pub mod compare;
pub mod evidence;
pub mod execution;
pub mod family;
pub mod inputs;
pub mod pipeline;
pub mod reference;
pub mod saving;
pub mod verdict;

pub use execution::Execution;
pub use pipeline::Pipeline;
pub use reference::{Against, Reference, References};
