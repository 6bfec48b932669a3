//! The layer order of docs/architecture.md, checked: every `crate::…` path
//! in a top-level module of `src/` must name a module of a lower layer, and
//! the files of one folder must not use each other in a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::util::workspace;

/// The layers, top first, as docs/architecture.md draws them. A module may
/// use only modules of the layers after its own.
const LAYERS: &[&[&str]] = &[
    &["main", "bin"],
    &["commands"],
    &["cli"],
    &["judge"],
    &["error"],
    &["report", "scaleout"],
    &["runner"],
    &["result"],
    &["store", "stats"],
    &["scores", "settings", "exit", "bisection"],
];

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|layer| layer.contains(&module))
        .unwrap_or_else(|| panic!("src/{module} is in no layer of tests/layers.rs"))
}

/// Every `.rs` file under `dir`, sorted.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The code of `file` without its comments (doc comments name modules
/// freely).
fn code(file: &Path) -> String {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The identifiers that follow `prefix` in `text` (`crate::` → `judge`).
fn named_after(text: &str, prefix: &str) -> BTreeSet<String> {
    text.match_indices(prefix)
        .filter(|(at, _)| {
            // `crate::x`, not `pybench_crate::x`.
            !text[..*at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .flat_map(|(at, _)| {
            let rest = &text[at + prefix.len()..];
            // `super::{a, b::c}` names `a` and `b`.
            let list = match rest.strip_prefix('{') {
                Some(inner) => &inner[..inner.find('}').unwrap_or(inner.len())],
                None => rest,
            };
            let names: Vec<String> = list
                .split(',')
                .map(|item| {
                    item.trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect()
                })
                .collect();
            if rest.starts_with('{') {
                names
            } else {
                names.into_iter().take(1).collect()
            }
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// `(file, module it uses)` for every use of a module of a layer above
/// (or beside) the file's own.
fn upward_uses(src: &Path) -> Vec<String> {
    let mut wrong = Vec::new();
    for file in sources(src) {
        let relative = file.strip_prefix(src).unwrap();
        let top = relative.components().next().unwrap();
        let top = top.as_os_str().to_str().unwrap().trim_end_matches(".rs");
        if top == "lib" || top == "authoring" {
            continue;
        }
        let own = layer_of(top);
        for used in named_after(&code(&file), "crate::") {
            if used != top && layer_of(&used) <= own {
                wrong.push(format!(
                    "src/{} uses crate::{used}, which is not below {top}",
                    relative.display()
                ));
            }
        }
    }
    wrong
}

/// The circles among the files of each folder of `src` (`super::x` uses).
fn circles(src: &Path) -> Vec<String> {
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for file in sources(src) {
        if file.starts_with(src.join("authoring")) || file.ends_with("tests.rs") {
            continue;
        }
        // In a `mod.rs`, `super::` is the folder's parent, not a sibling.
        if file.ends_with("mod.rs") {
            continue;
        }
        let folder = file.parent().unwrap().to_path_buf();
        let sibling = |name: &str| {
            let flat = folder.join(format!("{name}.rs"));
            if flat.exists() {
                flat
            } else {
                folder.join(name).join("mod.rs")
            }
        };
        let used: BTreeSet<PathBuf> = named_after(&code(&file), "super::")
            .into_iter()
            .map(|name| sibling(&name))
            .filter(|path| path.exists() && path != &file)
            .collect();
        edges.insert(file, used);
    }
    let mut found = Vec::new();
    for (file, used) in &edges {
        for other in used {
            let back = edges.get(other).is_some_and(|u| u.contains(file));
            if back && file < other {
                found.push(format!(
                    "{} and {} use each other",
                    file.strip_prefix(src).unwrap().display(),
                    other.strip_prefix(src).unwrap().display()
                ));
            }
        }
    }
    found
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let wrong = upward_uses(&workspace().join("src"));
    assert!(
        wrong.is_empty(),
        "the layer order of docs/architecture.md is broken:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_two_files_of_a_folder_use_each_other() {
    let found = circles(&workspace().join("src"));
    assert!(
        found.is_empty(),
        "import circles between files of one folder:\n{}",
        found.join("\n")
    );
}

/// The check itself: an upward use is caught, a downward one is not.
#[test]
fn an_upward_use_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("stats")).unwrap();
    std::fs::write(src.join("stats/mod.rs"), "use crate::scores::X;\n").unwrap();
    std::fs::write(src.join("exit.rs"), "// crate::judge in a comment\n").unwrap();
    assert!(upward_uses(src).is_empty());
    std::fs::write(src.join("stats/up.rs"), "fn f() { crate::judge::run(); }\n").unwrap();
    assert_eq!(
        upward_uses(src),
        ["src/stats/up.rs uses crate::judge, which is not below stats"]
    );
}

/// The `static` items of `src` whose value can change (interior
/// mutability: a lock, an atomic, a cell), as `file: line`.
fn mutable_statics(src: &Path) -> Vec<String> {
    const MUTABLE: &[&str] = &[
        "Mutex",
        "RwLock",
        "Atomic",
        "Cell",
        "OnceLock",
        "LazyLock",
        "OnceCell",
        "static mut ",
    ];
    let mut found = Vec::new();
    for file in sources(src) {
        if file.starts_with(src.join("authoring")) {
            continue;
        }
        for line in code(&file).lines() {
            let line = line.trim();
            let item = line
                .strip_prefix("pub ")
                .or_else(|| line.strip_prefix("pub(crate) "))
                .unwrap_or(line);
            let is_static = item.starts_with("static ") || item.starts_with("static mut ");
            if (is_static && MUTABLE.iter().any(|m| item.contains(m)))
                || item.starts_with("thread_local!")
            {
                found.push(format!(
                    "{}: {line}",
                    file.strip_prefix(src).unwrap().display()
                ));
            }
        }
    }
    found
}

/// No process-wide mutable state but what a signal handler needs (one
/// atomic) and the registry that `emit` callbacks find their seed by.
#[test]
fn the_only_process_wide_state_is_the_signal_and_the_call_registry() {
    let found = mutable_statics(&workspace().join("src"));
    assert_eq!(
        found,
        [
            "runner/call.rs: static CALLS: Mutex<BTreeMap<usize, Emitted>> = Mutex::new(BTreeMap::new());",
            "runner/call.rs: static NEXT_TOKEN: AtomicUsize = AtomicUsize::new(1);",
            "runner/context.rs: static CAUGHT: AtomicI32 = AtomicI32::new(0);",
        ],
        "process-wide mutable state: pass a value down instead (see docs/architecture.md)"
    );
}
