//! The `inputs` setting: the data a benchmark reads besides its code, as
//! paths, directories or globs relative to the project root. One
//! validator serves the `bench!` macro's companion, a C companion's JSON,
//! Python keyword defaults and the project config.

use std::path::{Component, Path};

/// Why one entry of `inputs` is unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InputSpecError {
    #[error("an entry is empty: each names a file, a directory or a glob")]
    Empty,
    #[error("{0:?} holds a control character")]
    Control(String),
    #[error(
        "`{0}` leaves the project root: name data inside the project, or give an absolute path"
    )]
    Escapes(String),
    #[error("`{path}` is not a valid glob: {reason}")]
    Glob { path: String, reason: String },
    #[error("`{0}` is listed twice")]
    Twice(String),
}

/// Whether `spec` is a glob rather than a path: it holds a glob
/// metacharacter.
pub fn is_glob(spec: &str) -> bool {
    spec.contains(['*', '?', '[', '{'])
}

/// The glob matcher of `spec`: `*` and `?` stay within one path component,
/// `**` crosses them.
pub fn glob_matcher(spec: &str) -> Result<globset::GlobMatcher, InputSpecError> {
    globset::GlobBuilder::new(spec)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map(|glob| glob.compile_matcher())
        .map_err(|e| InputSpecError::Glob {
            path: spec.to_string(),
            reason: e.kind().to_string(),
        })
}

/// Check one list of inputs: every entry a non-empty path or glob without
/// control characters, listed once, and — unless absolute — staying inside
/// the project root (`data/../x` is fine, `../x` is not).
pub fn validate(specs: &[String]) -> Result<(), InputSpecError> {
    for (index, spec) in specs.iter().enumerate() {
        if spec.is_empty() {
            return Err(InputSpecError::Empty);
        }
        if spec.chars().any(char::is_control) {
            return Err(InputSpecError::Control(spec.clone()));
        }
        if escapes_root(Path::new(spec)) {
            return Err(InputSpecError::Escapes(spec.clone()));
        }
        if is_glob(spec) {
            glob_matcher(spec)?;
        }
        if specs[..index].contains(spec) {
            return Err(InputSpecError::Twice(spec.clone()));
        }
    }
    Ok(())
}

/// Whether a relative `path` climbs above where it starts, read as text
/// (a symlink inside the project is the project's business).
fn escapes_root(path: &Path) -> bool {
    if path.is_absolute() {
        return false;
    }
    let mut depth = 0usize;
    for component in path.components() {
        match component {
            Component::ParentDir if depth == 0 => return true,
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(specs: &[&str]) -> Result<(), String> {
        let specs: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
        validate(&specs).map_err(|e| e.to_string())
    }

    #[test]
    fn paths_directories_globs_and_absolute_paths_are_accepted() {
        assert_eq!(
            check(&["data/train.csv", "data/corpus", "data/*.parquet", "/srv/d"]),
            Ok(())
        );
        assert_eq!(check(&["data/../other/x", "./a/**/b.txt"]), Ok(()));
    }

    #[test]
    fn a_path_leaving_the_root_is_refused_unless_absolute() {
        assert_eq!(
            check(&["../shared/x.csv"]).unwrap_err(),
            "`../shared/x.csv` leaves the project root: name data inside the project, or give an absolute path"
        );
        assert!(check(&["data/../../x"]).is_err());
        assert!(check(&["/data/../x"]).is_ok());
    }

    #[test]
    fn empty_control_bad_glob_and_repeated_entries_are_named() {
        assert!(check(&[""]).unwrap_err().contains("empty"));
        assert!(check(&["a\nb"]).unwrap_err().contains("control character"));
        assert_eq!(
            check(&["data/[x"]).unwrap_err(),
            "`data/[x` is not a valid glob: unclosed character class; missing ']'"
        );
        assert_eq!(check(&["a", "b", "a"]).unwrap_err(), "`a` is listed twice");
    }

    #[test]
    fn a_star_stays_in_its_component() {
        let glob = glob_matcher("data/*.csv").unwrap();
        assert!(glob.is_match("data/a.csv"));
        assert!(!glob.is_match("data/sub/a.csv"));
        assert!(
            glob_matcher("data/**/*.csv")
                .unwrap()
                .is_match("data/s/t/a.csv")
        );
    }
}
