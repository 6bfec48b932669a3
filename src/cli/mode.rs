//! A run's mode, resolved once from its flags.

use std::path::Path;

use super::flags::{CheckArgs, RunArgs};
use super::subcommands::UpdateArgs;
use crate::scaleout::ShardSpec;
use crate::settings::RunMode;

/// What a run of the benchmarks is, resolved once from its flags: the
/// commands branch on this, never on the flags again.
#[derive(Clone, Copy, Debug)]
pub enum Mode<'a> {
    /// `pybench [PATH...]`: judge against the stored baselines.
    Check(&'a CheckArgs),
    /// `pybench --against REV`: judge against REV, built beside.
    Against(&'a CheckArgs, &'a str),
    /// `pybench update`: fresh seeds, baselines rewritten.
    Update(&'a UpdateArgs),
    /// `--list`: what a check or an update would run, nothing run.
    List(&'a RunArgs),
    /// `--shard K/N --out DIR` (clap requires `--out`): one shard's files.
    Shard {
        run: &'a RunArgs,
        mode: RunMode,
        shard: ShardSpec,
        out: &'a Path,
    },
}

impl CheckArgs {
    /// The mode these flags ask for.
    pub fn mode(&self) -> Mode<'_> {
        if let Some(rev) = &self.against {
            return Mode::Against(self, rev);
        }
        self.run.mode(RunMode::Check).unwrap_or(Mode::Check(self))
    }
}

impl UpdateArgs {
    /// The mode these flags ask for (`--against` is refused elsewhere).
    pub fn mode(&self) -> Mode<'_> {
        self.run.mode(RunMode::Update).unwrap_or(Mode::Update(self))
    }
}

impl RunArgs {
    /// `--list` or `--shard`, which run as their own modes.
    fn mode(&self, mode: RunMode) -> Option<Mode<'_>> {
        if self.list {
            return Some(Mode::List(self));
        }
        match (self.shard.shard, self.shard.out.as_deref()) {
            (Some(shard), Some(out)) => Some(Mode::Shard {
                run: self,
                mode,
                shard,
                out,
            }),
            _ => None,
        }
    }
}
