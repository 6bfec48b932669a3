use std::os::unix::fs::PermissionsExt;

use super::*;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn replaces_the_file_and_leaves_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/file.txt");
    write(&path, "file", b"one").unwrap();
    write(&path, "file", b"two").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"two");
    let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["file.txt"]);
    assert_eq!(parent_dir(Path::new("x.json")), Path::new("."));
}

#[test]
fn symlinked_file_is_written_through_and_stays_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    std::fs::create_dir(dir.path().join("link")).unwrap();
    let target = dir.path().join("real/data.jsonl");
    std::fs::write(&target, "old\n").unwrap();
    let link = dir.path().join("link/data.jsonl");
    std::os::unix::fs::symlink("../real/data.jsonl", &link).unwrap();
    replace(&link, "data", b"new\n").unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"new\n");
    assert_eq!(
        std::fs::read_dir(dir.path().join("link")).unwrap().count(),
        1
    );
    // A dangling link creates its target.
    let dangling = dir.path().join("link/new.jsonl");
    std::os::unix::fs::symlink("../real/new.jsonl", &dangling).unwrap();
    replace(&dangling, "data", b"x\n").unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("real/new.jsonl")).unwrap(),
        b"x\n"
    );
}

#[test]
fn replaced_file_keeps_its_mode_and_a_new_one_is_not_0600() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.jsonl");
    std::fs::write(&path, "old\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).unwrap();
    replace(&path, "data", b"new\n").unwrap();
    assert_eq!(mode(&path), 0o664);
    let fresh = dir.path().join("fresh.jsonl");
    replace(&fresh, "data", b"new\n").unwrap();
    assert_ne!(
        mode(&fresh) & 0o044,
        0,
        "readable by others as umask allows"
    );
}

#[test]
fn read_only_file_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.jsonl");
    std::fs::write(&path, "old\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let err = replace(&path, "data", b"new\n").unwrap_err();
    assert_eq!(err.to_string(), "it is read-only (mode 0444)");
    assert_eq!(probe(&path).unwrap_err().to_string(), err.to_string());
    assert_eq!(std::fs::read(&path).unwrap(), b"old\n");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let read = read_regular(&fifo).unwrap_err().to_string();
    assert_eq!(read, "it is a FIFO, not a regular file");
    assert_eq!(replace(&fifo, "data", b"x").unwrap_err().to_string(), read);
    assert_eq!(probe(&fifo).unwrap_err().to_string(), read);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    let dir_err = read_regular(dir.path()).unwrap_err().to_string();
    assert_eq!(dir_err, "it is a directory, not a regular file");
    assert!(read_regular(&dir.path().join("missing")).unwrap().is_none());
}

#[test]
fn probe_accepts_a_missing_file_in_a_missing_directory() {
    let dir = tempfile::tempdir().unwrap();
    probe(&dir.path().join("a/b/c.jsonl")).unwrap();
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "touches nothing"
    );
    std::fs::write(dir.path().join("file"), "").unwrap();
    assert!(probe(&dir.path().join("file/c.jsonl")).is_err());
}

#[test]
fn stale_temporaries_are_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        ".baselines.abc123.tmp",
        ".report.abc123.tmp",
        "baselines.jsonl",
    ] {
        std::fs::write(dir.path().join(name), "").unwrap();
    }
    clean_stale(dir.path(), "baselines");
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [".report.abc123.tmp", "baselines.jsonl"]);
}
