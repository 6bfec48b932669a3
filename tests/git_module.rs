//! `pybench_cli::store::git` against real repositories built in temporary directories.

use std::path::Path;

use pybench_cli::store::git::{FileVersion, file_history, repo_state};

use crate::util::{TestDir, TestRepo, copy_dir};

/// The history of `path`, absolute.
fn history(path: &Path) -> Vec<FileVersion> {
    history_from(Path::new("/"), path)
}

/// The history of `path`, relative to `base` as to a current directory.
fn history_from(base: &Path, path: &Path) -> Vec<FileVersion> {
    file_history(base, path)
        .expect("file_history")
        .expect("inside a repository")
}

fn contents(versions: &[FileVersion]) -> Vec<&[u8]> {
    versions.iter().map(|v| v.contents.as_slice()).collect()
}

fn commits(versions: &[FileVersion]) -> Vec<&str> {
    versions.iter().map(|v| v.short_commit.as_str()).collect()
}

pbtest!(outside_a_repository_both_are_none, |dir: TestDir| {
    std::fs::write(dir.path().join("baselines.jsonl"), b"{}\n").unwrap();

    assert_eq!(repo_state(dir.path()).unwrap(), None);
    assert_eq!(
        file_history(Path::new("/"), &dir.path().join("baselines.jsonl")).unwrap(),
        None
    );
    // A file that does not exist (nor its directory) is still "no repository".
    assert_eq!(
        file_history(Path::new("/"), &dir.path().join(".pybench/baselines.jsonl")).unwrap(),
        None
    );
});

pbtest!(
    unborn_repository_has_no_commit_and_no_history,
    |repo: TestRepo| {
        repo.write("untracked.txt", b"scratch");

        let state = repo_state(repo.path()).unwrap().expect("a repository");
        assert_eq!(state.short_commit, None);
        assert!(!state.dirty, "an untracked file alone is not dirty");
        assert_eq!(history(&repo.path().join("untracked.txt")), vec![]);
        assert_eq!(
            history(&repo.path().join(".pybench/baselines.jsonl")),
            vec![]
        );
    }
);

pbtest!(
    short_commit_is_the_first_seven_hex_digits_of_head,
    |repo: TestRepo| {
        repo.write("a.txt", b"one");
        let first = repo.commit_all("first");
        assert_eq!(first.len(), 40);

        let state = repo_state(repo.path()).unwrap().unwrap();
        assert_eq!(state.short_commit.as_deref(), Some(&first[..7]));

        repo.write("a.txt", b"two");
        let second = repo.commit_all("second");
        assert_ne!(first, second);
        let state = repo_state(repo.path()).unwrap().unwrap();
        assert_eq!(state.short_commit.as_deref(), Some(&second[..7]));
    }
);

pbtest!(
    repo_state_searches_upwards_from_a_nested_directory,
    |repo: TestRepo| {
        repo.write("examples/synthetic/src/lib.rs", b"// code");
        let id = repo.commit_all("first");

        let state = repo_state(&repo.path().join("examples/synthetic/src"))
            .unwrap()
            .unwrap();
        assert_eq!(state.short_commit.as_deref(), Some(&id[..7]));
        assert!(!state.dirty);
    }
);

pbtest!(
    dirty_tracks_changes_to_tracked_files_only,
    |repo: TestRepo| {
        repo.write("src/lib.rs", b"fn main() {}");
        repo.write("README.md", b"readme");
        repo.commit_all("first");
        let dirty = || repo_state(repo.path()).unwrap().unwrap().dirty;
        assert!(!dirty(), "clean right after a commit");

        repo.write("notes.txt", b"untracked");
        assert!(!dirty(), "an untracked file does not count");

        repo.write("src/lib.rs", b"fn main() { changed() }");
        assert!(dirty(), "a modified tracked file counts");

        repo.commit_all("second");
        assert!(!dirty(), "clean again after committing");

        std::fs::remove_file(repo.path().join("README.md")).unwrap();
        assert!(dirty(), "a deleted tracked file counts");
    }
);

pbtest!(
    build_output_under_target_is_not_committed,
    |repo: TestRepo| {
        repo.write("src/lib.rs", b"// code");
        repo.write("target/debug/libx.so", b"binary");
        repo.commit_all("first");

        assert_eq!(history(&repo.path().join("target/debug/libx.so")), vec![]);
        assert_eq!(history(&repo.path().join("src/lib.rs")).len(), 1);
    }
);

pbtest!(
    history_lists_only_the_commits_that_changed_the_file_oldest_first,
    |repo: TestRepo| {
        // Commits made within the same second: the order must come from the
        // graph, not from the (equal) times.
        repo.write("baselines.jsonl", b"v1\n");
        repo.write("other.txt", b"a");
        let c1 = repo.commit_all("one");
        repo.write("other.txt", b"b");
        let _c2 = repo.commit_all("two: file unchanged");
        repo.write("baselines.jsonl", b"v3\n");
        let c3 = repo.commit_all("three");

        let versions = history(&repo.path().join("baselines.jsonl"));
        assert_eq!(commits(&versions), [&c1[..7], &c3[..7]]);
        assert_eq!(contents(&versions), [b"v1\n".as_slice(), b"v3\n"]);
        assert!(versions[0].commit_time <= versions[1].commit_time);
    }
);

pbtest!(
    history_follows_every_parent_and_counts_merges_only_when_they_change_the_file,
    |repo: TestRepo| {
        repo.write("baselines.jsonl", b"v1\n");
        repo.write("other.txt", b"a");
        let root = repo.commit_all("root");
        repo.write("baselines.jsonl", b"side\n");
        let side = repo.commit_all("side branch: new baseline");
        repo.write("baselines.jsonl", b"v1\n");
        repo.write("other.txt", b"b");
        let main = repo.commit_all_with_parents("main branch: code only", &[&root]);
        // The merge takes the side branch's baseline as it is: not a change of
        // its own, and the side commit is reachable only through its second
        // parent.
        repo.write("baselines.jsonl", b"side\n");
        let merge = repo.commit_all_with_parents("merge", &[&main, &side]);

        let versions = history(&repo.path().join("baselines.jsonl"));
        assert_eq!(commits(&versions), [&root[..7], &side[..7]]);
        assert_eq!(contents(&versions), [b"v1\n".as_slice(), b"side\n"]);

        // A merge whose result differs from every parent (a resolved conflict)
        // is a change.
        repo.write("baselines.jsonl", b"resolved\n");
        let resolved = repo.commit_all_with_parents("merge again", &[&merge, &side]);
        let versions = history(&repo.path().join("baselines.jsonl"));
        assert_eq!(commits(&versions), [&root[..7], &side[..7], &resolved[..7]]);
    }
);

pbtest!(history_reports_committer_times, |repo: TestRepo| {
    repo.write("baselines.jsonl", b"v1\n");
    let c1 = repo.commit_all_at("one", 1_700_000_000);
    repo.write("baselines.jsonl", b"v2\n");
    let c2 = repo.commit_all_at("two", 1_700_086_400);

    let versions = history(&repo.path().join("baselines.jsonl"));
    assert_eq!(
        versions,
        vec![
            FileVersion {
                short_commit: c1[..7].to_string(),
                commit_time: 1_700_000_000,
                contents: b"v1\n".to_vec(),
            },
            FileVersion {
                short_commit: c2[..7].to_string(),
                commit_time: 1_700_086_400,
                contents: b"v2\n".to_vec(),
            },
        ]
    );
});

pbtest!(
    history_skips_deletions_and_works_for_a_file_gone_from_the_work_tree,
    |repo: TestRepo| {
        repo.write(".pybench/baselines.jsonl", b"first\n");
        repo.write("keep.txt", b"keep");
        let c1 = repo.commit_all("add");
        std::fs::remove_dir_all(repo.path().join(".pybench")).unwrap();
        repo.commit_all("delete");
        repo.write(".pybench/baselines.jsonl", b"again\n");
        let c3 = repo.commit_all("re-add");
        std::fs::remove_dir_all(repo.path().join(".pybench")).unwrap();

        let versions = history(&repo.path().join(".pybench/baselines.jsonl"));
        assert_eq!(commits(&versions), [&c1[..7], &c3[..7]]);
        assert_eq!(contents(&versions), [b"first\n".as_slice(), b"again\n"]);
    }
);

pbtest!(
    history_of_a_file_in_a_subdirectory_from_absolute_and_relative_paths,
    |repo: TestRepo| {
        repo.write(".pybench/baselines.jsonl", b"{\"n\": 1}\n");
        repo.write("examples/synthetic/src/lib.rs", b"// code");
        let c1 = repo.commit_all("baseline");
        repo.write("examples/synthetic/src/lib.rs", b"// more code");
        repo.commit_all("code only");
        repo.write(".pybench/baselines.jsonl", b"{\"n\": 2}\n");
        let c3 = repo.commit_all("new baseline");

        let expected_commits = [&c1[..7], &c3[..7]];
        let expected_contents = [b"{\"n\": 1}\n".as_slice(), b"{\"n\": 2}\n"];

        let absolute = history(&repo.path().join(".pybench/baselines.jsonl"));
        assert_eq!(commits(&absolute), expected_commits);
        assert_eq!(contents(&absolute), expected_contents);

        // `..` through a directory of the work tree resolves like the shell would.
        let dotted = history(
            &repo
                .path()
                .join("examples/synthetic/../../.pybench/./baselines.jsonl"),
        );
        assert_eq!(dotted, absolute);

        let below = repo.path().join("examples/synthetic/src");
        let relative = history_from(&below, Path::new("../../../.pybench/baselines.jsonl"));
        assert_eq!(relative, absolute);

        let beside = repo.path().join(".pybench");
        assert_eq!(
            history_from(&beside, Path::new("baselines.jsonl")),
            absolute
        );
        let state = repo_state(&beside).unwrap().unwrap();
        assert_eq!(state.short_commit.as_deref(), Some(&c3[..7]));
    }
);

pbtest!(copy_dir_skips_target_directories, |repo: TestRepo| {
    let from = TestDir::new("from");
    std::fs::create_dir_all(from.path().join("src")).unwrap();
    std::fs::create_dir_all(from.path().join("target/release")).unwrap();
    std::fs::write(from.path().join("Cargo.toml"), b"[package]").unwrap();
    std::fs::write(from.path().join("src/lib.rs"), b"// code").unwrap();
    std::fs::write(from.path().join("target/release/lib.so"), b"bin").unwrap();

    let dest = repo.path().join("examples/copied");
    copy_dir(from.path(), &dest);
    assert_eq!(std::fs::read(dest.join("src/lib.rs")).unwrap(), b"// code");
    assert!(dest.join("Cargo.toml").is_file());
    assert!(!dest.join("target").exists());

    let id = repo.commit_all("copied");
    let state = repo_state(&dest).unwrap().unwrap();
    assert_eq!(state.short_commit.as_deref(), Some(&id[..7]));
    assert!(!state.dirty);
});

pbtest!(
    a_broken_repository_is_an_error_naming_it,
    |repo: TestRepo| {
        repo.write("baselines.jsonl", b"v1\n");
        repo.commit_all("one");
        let repo_name = repo
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        // The branch now points at a commit that does not exist.
        let head = std::fs::read_to_string(repo.path().join(".git/HEAD")).unwrap();
        let branch = head.trim().strip_prefix("ref: ").expect("HEAD on a branch");
        std::fs::write(
            repo.path().join(".git").join(branch),
            "1111111111111111111111111111111111111111\n",
        )
        .unwrap();

        let err = repo_state(repo.path()).unwrap_err().to_string();
        assert!(err.contains(&repo_name), "{err}");
        let err = file_history(Path::new("/"), &repo.path().join("baselines.jsonl"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(&repo_name), "{err}");
    }
);

pbtest!(a_missing_directory_is_an_error_naming_it, |dir: TestDir| {
    let missing = dir.path().join("no/such/dir");
    let err = repo_state(&missing).unwrap_err().to_string();
    assert!(err.contains("no/such/dir"), "{err}");
});
