//! `pybench forget NAME...`: remove benchmarks' baselines on purpose, so
//! that a benchmark deleted or renamed is no longer reported MISSING. It
//! writes the baseline file, so it follows `update`'s dirty-tree rule.

use crate::cli::ForgetArgs;
use crate::error::Error;
use crate::exit;
use crate::judge::saving::confirm_dirty;
use crate::report::{self, terminal};
use crate::runner::bench_name_matches;
use crate::store::{self, Store, git};

pub fn run(args: &ForgetArgs) -> Result<i32, Error> {
    let path = args
        .baseline
        .clone()
        .unwrap_or_else(|| crate::runner::workspace::find_project().baseline());
    let _lock = store::lock(&path, !args.write.no_wait)?;
    let mut store = Store::open(&path)?;
    let mut names = Vec::new();
    for wanted in &args.names {
        let stored = store
            .baselines()
            .find(|b| bench_name_matches(wanted, &b.bench))
            .ok_or_else(|| Error::NotStored {
                name: wanted.clone(),
                path: path.clone(),
            })?;
        names.push(stored.bench.clone());
    }
    names.sort();
    names.dedup();
    let repo = git::repo_state(&git::existing_dir(store.path()))?;
    if !confirm_dirty(args.write.yes, repo.as_ref(), &names.join(", "))? {
        return Err(Error::DirtyTree(names.join(", ")));
    }
    store.probe_write()?;
    let mut out = String::new();
    for name in &names {
        let stored = store.get(name).expect("found above, under the lock");
        out.push_str(&format!(
            "forgot {}: {} seeds, {}\n",
            terminal::bench_name(name),
            stored.seeds.len(),
            super::show::measured_at(stored)
        ));
    }
    store.forget(&names)?;
    report::print(&out);
    Ok(exit::OK)
}
