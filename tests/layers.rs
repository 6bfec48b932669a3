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

/// The items a folder's `mod.rs` brings in from its files with `use`
/// (`pub use isolate::{Job, WORKER_ARG};`): item name → the file. A file
/// that names `super::Job` uses `isolate.rs`.
fn reexports(
    mod_rs: &Path,
    sibling: &dyn Fn(&str) -> Option<PathBuf>,
) -> BTreeMap<String, PathBuf> {
    let mut items = BTreeMap::new();
    let text = code(mod_rs);
    for statement in text.split(';') {
        let statement = statement.trim();
        let Some(at) = statement.find("use ") else {
            continue;
        };
        let before = statement[..at].trim();
        if !(before.is_empty() || before.starts_with("pub")) {
            continue;
        }
        let path = statement[at + 4..].trim().trim_start_matches("self::");
        let Some((module, rest)) = path.split_once("::") else {
            continue;
        };
        let Some(file) = sibling(module.trim()) else {
            continue;
        };
        let list = rest.trim().trim_start_matches('{').trim_end_matches('}');
        for item in list.split(',') {
            // `a::B as C` names `C`; `a::B` names `B`.
            let item = item.trim();
            let name = item.rsplit(" as ").next().unwrap_or(item);
            let name = name.rsplit("::").next().unwrap_or(name).trim();
            if !name.is_empty() && name != "self" && name != "*" {
                items.insert(name.to_string(), file.clone());
            }
        }
    }
    items
}

/// Which files of its folder each file of `src` uses: by `super::x`, by
/// the folder's full path (`crate::runner::x`), or through an item the
/// folder's `mod.rs` re-exports from another file (`super::Job`).
fn sibling_uses(src: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for file in sources(src) {
        if file.starts_with(src.join("authoring")) || file.ends_with("tests.rs") {
            continue;
        }
        // A folder's `mod.rs` is a file of the folder above it (its
        // `super::` is there); the top-level modules are the layers' business.
        let mut folder = file.parent().unwrap().to_path_buf();
        if file.ends_with("mod.rs") {
            folder.pop();
        }
        if folder == src {
            continue;
        }
        let sibling = |name: &str| {
            let flat = folder.join(format!("{name}.rs"));
            let nested = folder.join(name).join("mod.rs");
            [flat, nested].into_iter().find(|path| path.exists())
        };
        // The folder's module: `x/mod.rs`, or `x.rs` beside the folder.
        let module = [folder.join("mod.rs"), folder.with_extension("rs")]
            .into_iter()
            .find(|path| path.exists());
        let exported = module.map_or_else(BTreeMap::new, |m| reexports(&m, &sibling));
        let module_path = folder
            .strip_prefix(src)
            .unwrap()
            .components()
            .map(|c| c.as_os_str().to_str().unwrap())
            .collect::<Vec<_>>()
            .join("::");
        let text = code(&file);
        let named = named_after(&text, "super::")
            .into_iter()
            .chain(named_after(&text, &format!("crate::{module_path}::")));
        let used: BTreeSet<PathBuf> = named
            .filter_map(|name| sibling(&name).or_else(|| exported.get(&name).cloned()))
            .filter(|path| path != &file)
            .collect();
        edges.insert(file, used);
    }
    edges
}

/// The circles among the files of each folder of `src`, of any length:
/// each set of files that reach one another (a strongly connected
/// component of [`sibling_uses`]), named with one circle through it.
fn circles(src: &Path) -> Vec<String> {
    let edges = sibling_uses(src);
    let reach = |from: &PathBuf| {
        let mut seen = BTreeSet::new();
        let mut pending = vec![from.clone()];
        while let Some(file) = pending.pop() {
            for next in edges.get(&file).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    pending.push(next.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&PathBuf, BTreeSet<PathBuf>> =
        edges.keys().map(|file| (file, reach(file))).collect();
    let name = |file: &Path| file.strip_prefix(src).unwrap().display().to_string();
    let mut found = Vec::new();
    let mut reported = BTreeSet::new();
    for (file, from_here) in &reached {
        if !from_here.contains(*file) || reported.contains(*file) {
            continue;
        }
        // The circle: walk from `file` along files that lead back to it.
        let mut circle = vec![(*file).clone()];
        while let Some(next) = edges[circle.last().unwrap()]
            .iter()
            .find(|n| !circle.contains(n) && reached.get(n).is_some_and(|r| r.contains(*file)))
        {
            circle.push(next.clone());
        }
        reported.extend(circle.iter().cloned());
        let mut names: Vec<String> = circle.iter().map(|f| name(f)).collect();
        names.push(name(file));
        found.push(format!("{} use each other in a circle", names.join(" → ")));
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

/// The circle check itself: circles of three files, through a re-export
/// of the folder's `mod.rs`, and by the folder's full path are caught;
/// a chain that does not come back is not.
#[test]
fn circles_of_any_length_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    let runner = src.join("runner");
    std::fs::create_dir_all(&runner).unwrap();
    let write = |file: &str, text: &str| std::fs::write(runner.join(file), text).unwrap();
    write(
        "mod.rs",
        "mod a;\nmod b;\nmod c;\npub use c::{Job, Frame as F};\n",
    );
    write("a.rs", "use super::b::X;\n");
    write("b.rs", "use crate::runner::c::Y;\n");
    write("c.rs", "pub struct Job;\n");
    assert!(circles(src).is_empty(), "{:?}", circles(src));
    write("c.rs", "use super::{a, d};\npub struct Job;\n");
    assert_eq!(
        circles(src),
        ["runner/a.rs → runner/b.rs → runner/c.rs → runner/a.rs use each other in a circle"]
    );
    write("c.rs", "pub struct Job;\n");
    write("b.rs", "fn f() -> super::Job { todo!() }\n");
    write("c.rs", "use super::b::f;\npub struct Job;\n");
    assert_eq!(
        circles(src),
        ["runner/b.rs → runner/c.rs → runner/b.rs use each other in a circle"]
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
