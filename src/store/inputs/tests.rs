use std::fs;

use sha2::{Digest, Sha256};

use super::*;

/// SHA-256 as the pins write it, computed here, not by the code under test.
fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

fn specs(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A project with a file, a directory (with a hidden file, an ignored file
/// and a nested one) and files for a glob; in a git repository so that its
/// `.gitignore` applies.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join(".git")).unwrap();
    fs::create_dir_all(root.join("data/corpus/sub")).unwrap();
    fs::write(root.join("data/train.csv"), "a,b\n1,2\n").unwrap();
    fs::write(root.join("data/corpus/a.txt"), "alpha").unwrap();
    fs::write(root.join("data/corpus/sub/b.txt"), "beta").unwrap();
    fs::write(root.join("data/corpus/.hidden"), "not data").unwrap();
    fs::write(root.join("data/corpus/scratch.tmp"), "ignored").unwrap();
    fs::write(root.join(".gitignore"), "*.tmp\n").unwrap();
    fs::write(root.join("data/x.parquet"), "x").unwrap();
    fs::write(root.join("data/y.parquet"), "y").unwrap();
    dir
}

#[test]
fn a_file_pins_the_sha256_of_its_bytes() {
    let dir = project();
    let pin = pin(&Project::at(dir.path().into()), "data/train.csv").unwrap();
    assert_eq!(pin.sha256, sha256(b"a,b\n1,2\n"));
    assert_eq!(pin.files, None);
}

#[test]
fn a_directory_pins_its_sorted_visible_files() {
    let dir = project();
    let pin = pin(&Project::at(dir.path().into()), "data/corpus").unwrap();
    let files = pin.files.clone().unwrap();
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["a.txt", "sub/b.txt"],
        "hidden and ignored files left out"
    );
    // The hash over names and file hashes, computed here by hand.
    let text = format!(
        "a.txt\0{}\nsub/b.txt\0{}\n",
        sha256(b"alpha"),
        sha256(b"beta")
    );
    assert_eq!(pin.sha256, sha256(text.as_bytes()));
}

#[test]
fn a_glob_pins_each_match_by_its_path() {
    let dir = project();
    let pin = pin(&Project::at(dir.path().into()), "data/*.parquet").unwrap();
    let files = pin.files.unwrap();
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        ["data/x.parquet", "data/y.parquet"]
    );
    assert_eq!(files["data/x.parquet"], sha256(b"x"));
    let none = super::pin(&Project::at(dir.path().into()), "data/*.arrow").unwrap();
    assert_eq!(
        none.files,
        Some(BTreeMap::new()),
        "a glob may match nothing"
    );
}

#[test]
fn a_missing_path_and_a_fifo_are_errors_naming_them() {
    let dir = project();
    assert_eq!(
        pin_all(
            &Project::at(dir.path().into()),
            &specs(&["data/train.csv", "data/gone.csv"])
        )
        .unwrap_err()
        .to_string(),
        "input data/gone.csv is missing"
    );
    let fifo = dir.path().join("data/corpus/pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let err = pin(&Project::at(dir.path().into()), "data/corpus")
        .unwrap_err()
        .to_string();
    assert!(err.contains("pipe is not a regular file"), "{err}");
}

#[test]
fn a_symlink_to_a_directory_is_pinned_as_a_link_not_followed() {
    let dir = project();
    std::os::unix::fs::symlink("/", dir.path().join("data/corpus/root")).unwrap();
    let files = pin(&Project::at(dir.path().into()), "data/corpus")
        .unwrap()
        .files
        .unwrap();
    assert_eq!(files["root"], sha256(b"symlink:/"));
    assert_eq!(files.len(), 3);
}
