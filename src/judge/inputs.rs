//! The input check, a step before any seed runs: a benchmark whose inputs
//! are not the ones its baseline pinned is an ERROR naming each input and
//! what happened to it, because a verdict would describe new data, not the
//! code change. Without a baseline (NEW, `update`) it pins them instead.

use std::collections::{BTreeMap, BTreeSet};

use crate::settings::Settings;
use crate::store::inputs::{self, InputError, Pin, Pins};
use crate::store::{Baseline, Project};

/// The most file names one message lists.
const NAMED: usize = 3;

/// Check a benchmark's inputs (its `settings.inputs`, under the project
/// root `root`) before anything runs: their pins, or its ERROR message
/// when they are not what `stored` pinned.
pub fn pin(
    project: &Project,
    settings: &Settings,
    stored: Option<&Baseline>,
) -> Result<Option<Pins>, String> {
    let pinned = stored.and_then(|b| b.inputs.as_ref());
    if settings.inputs.is_empty() && pinned.is_none_or(|p| p.is_empty()) {
        return Ok(None);
    }
    check(project, &settings.inputs, stored)
}

/// The pins of `specs` under `root` for this run (`None` when it names no
/// input and its baseline pinned none), or the ERROR message: an input
/// that cannot be hashed, or, against `stored`, one that changed.
pub fn check(
    project: &Project,
    specs: &[String],
    stored: Option<&Baseline>,
) -> Result<Option<Pins>, String> {
    let pinned = stored.and_then(|b| b.inputs.clone()).unwrap_or_default();
    if specs.is_empty() && pinned.is_empty() {
        return Ok(None);
    }
    let Some(baseline) = stored else {
        return inputs::pin_all(project, specs)
            .map(Some)
            .map_err(|e| format!("{e}; {}", hint(&e)));
    };
    against(baseline, specs, |spec| inputs::pin(project, spec)).map(Some)
}

/// `specs` as `pin` finds them, against what `baseline` pinned: their pins,
/// or the ERROR message naming each input that changed. A merge passes the
/// pins its shards recorded; a check hashes the files.
pub fn against(
    baseline: &Baseline,
    specs: &[String],
    pin: impl Fn(&str) -> Result<Pin, InputError>,
) -> Result<Pins, String> {
    let pinned = baseline.inputs.clone().unwrap_or_default();
    let mut current = Pins::new();
    let mut changes = Vec::new();
    for spec in specs {
        match (pin(spec), pinned.get(spec)) {
            (Ok(now), Some(was)) => {
                changes.extend(change(spec, was, &now));
                current.insert(spec.clone(), now);
            }
            (Ok(_), None) => changes.push(format!("input {spec} was added to the settings")),
            (Err(InputError::Missing { .. }), Some(_)) => {
                changes.push(format!("input {spec} went missing"));
            }
            (Err(e), _) => return Err(format!("{e}; {}", hint(&e))),
        }
    }
    for spec in pinned.keys().filter(|s| !specs.contains(s)) {
        changes.push(format!("input {spec} was removed from the settings"));
    }
    if changes.is_empty() {
        return Ok(current);
    }
    let measured = match &baseline.git_commit {
        Some(commit) => format!(" (measured at {commit})"),
        None => String::new(),
    };
    Err(format!(
        "{} since the baseline{measured}; if intended, run `pybench update`",
        changes.join(", ")
    ))
}

/// Pins recorded by shards against what `baseline` pinned (for `merge`).
pub fn recorded_against(baseline: &Baseline, recorded: Option<&Pins>) -> Result<Pins, String> {
    let recorded = recorded.cloned().unwrap_or_default();
    let specs: Vec<String> = recorded.keys().cloned().collect();
    against(baseline, &specs, |spec| Ok(recorded[spec].clone()))
}

fn hint(error: &InputError) -> &'static str {
    match error {
        InputError::Missing { .. } => "create it, or fix the benchmark's `inputs`",
        _ => "name a readable file or directory in `inputs`",
    }
}

/// What happened to one input, if anything: `changed` for a file; for a
/// directory or a glob, which files came, went or changed.
fn change(spec: &str, was: &Pin, now: &Pin) -> Option<String> {
    if was.sha256 == now.sha256 {
        return None;
    }
    let (Some(before), Some(after)) = (&was.files, &now.files) else {
        return Some(format!("input {spec} changed"));
    };
    let parts: Vec<String> = [
        ("gained", names(after, |f| !before.contains_key(f))),
        ("lost", names(before, |f| !after.contains_key(f))),
        (
            "changed",
            names(after, |f| before.get(f).is_some_and(|h| *h != after[f])),
        ),
    ]
    .into_iter()
    .filter(|(_, files)| !files.is_empty())
    .map(|(verb, files)| format!("{verb} {}", listed(&files)))
    .collect();
    if parts.is_empty() {
        return Some(format!("input {spec} changed"));
    }
    Some(format!("input {spec} {}", parts.join(" and ")))
}

fn names(files: &BTreeMap<String, String>, keep: impl Fn(&String) -> bool) -> BTreeSet<&str> {
    files
        .keys()
        .filter(|f| keep(f))
        .map(String::as_str)
        .collect()
}

/// `1 file (c.txt)`, `4 files (a, b, c, …)`.
fn listed(files: &BTreeSet<&str>) -> String {
    let mut shown: Vec<&str> = files.iter().take(NAMED).copied().collect();
    if files.len() > NAMED {
        shown.push("…");
    }
    let noun = if files.len() == 1 { "file" } else { "files" };
    format!("{} {noun} ({})", files.len(), shown.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(files: &[(&str, &str)]) -> Pin {
        Pin {
            sha256: format!("sha256:{files:?}"),
            files: Some(
                files
                    .iter()
                    .map(|(f, h)| (f.to_string(), h.to_string()))
                    .collect(),
            ),
        }
    }

    #[test]
    fn a_directory_change_names_what_came_went_and_changed() {
        let was = pin(&[("a.txt", "1"), ("b.txt", "2")]);
        assert_eq!(change("d", &was, &was), None);
        let now = pin(&[("a.txt", "1"), ("b.txt", "2"), ("c.txt", "3")]);
        assert_eq!(
            change("data/corpus", &was, &now).unwrap(),
            "input data/corpus gained 1 file (c.txt)"
        );
        let now = pin(&[
            ("b.txt", "9"),
            ("c", "3"),
            ("d", "4"),
            ("e", "5"),
            ("f", "6"),
        ]);
        assert_eq!(
            change("d", &was, &now).unwrap(),
            "input d gained 4 files (c, d, e, …) and lost 1 file (a.txt) and changed 1 file (b.txt)"
        );
    }

    #[test]
    fn a_file_change_says_changed() {
        let was = Pin {
            sha256: "sha256:1".into(),
            files: None,
        };
        let now = Pin {
            sha256: "sha256:2".into(),
            files: None,
        };
        assert_eq!(change("x.csv", &was, &now).unwrap(), "input x.csv changed");
    }
}
