//! The inputs as a revision tracks them: for `--against REV`, which says
//! when REV's copy of the data differs from the working tree's (both sides
//! read the working tree's). Only files git tracks at REV count; an input
//! REV does not track (ignored or untracked data) cannot be compared.

use std::collections::BTreeMap;
use std::path::Path;

use gix::ObjectId;

use super::{Pin, combined, hash_cache};
use crate::settings::inputs::{glob_matcher, is_glob};
use crate::store::git::{GitError, commit_tree, discover, object_err};

/// Each spec's pin at commit `id` (full hex) of the repository holding
/// `dir`, where `prefix` is the project root's path within that repository
/// (`""` at its root); `None` for a spec REV does not track.
pub fn pins_at(
    dir: &Path,
    id: &str,
    prefix: &str,
    specs: &[String],
) -> Result<BTreeMap<String, Option<Pin>>, GitError> {
    let Some(repo) = discover(dir)? else {
        return Ok(BTreeMap::new());
    };
    let tree = commit_tree(&repo, id)?;
    // A traversal error names the tree it could not read.
    let oid = tree.id;
    let mut recorder = gix::traverse::tree::Recorder::default();
    tree.traverse()
        .breadthfirst(&mut recorder)
        .map_err(|e| object_err(&repo, oid, e))?;
    // Every tracked file by its path from the project root.
    let files: Vec<(String, ObjectId)> = recorder
        .records
        .into_iter()
        .filter(|entry| !entry.mode.is_tree() && !entry.mode.is_commit())
        .filter_map(|entry| {
            let path = String::from_utf8(entry.filepath.into()).ok()?;
            let path = match prefix {
                "" => path,
                prefix => path.strip_prefix(&format!("{prefix}/"))?.to_string(),
            };
            Some((path, entry.oid))
        })
        .collect();
    let hash = |oid: ObjectId| -> Result<String, GitError> {
        let blob = repo
            .find_object(oid)
            .map_err(|e| object_err(&repo, oid, e))?;
        Ok(hash_cache::hash_bytes(&blob.data))
    };
    let mut pins = BTreeMap::new();
    for spec in specs {
        let wanted = spec.trim_start_matches("./").trim_end_matches('/');
        let glob = is_glob(spec).then(|| glob_matcher(spec).ok()).flatten();
        let mut matched = BTreeMap::new();
        for (path, oid) in &files {
            let name = if let Some(glob) = &glob {
                glob.is_match(path).then(|| path.clone())
            } else if path == wanted {
                Some(String::new())
            } else {
                path.strip_prefix(&format!("{wanted}/")).map(str::to_string)
            };
            let Some(name) = name.filter(|n| !n.split('/').any(|part| part.starts_with('.')))
            else {
                continue;
            };
            matched.insert(name, hash(*oid)?);
        }
        let pin = match matched.remove("") {
            Some(sha256) => Some(Pin {
                sha256,
                files: None,
            }),
            None if matched.is_empty() => None,
            None => Some(combined(matched)),
        };
        pins.insert(spec.clone(), pin);
    }
    Ok(pins)
}
