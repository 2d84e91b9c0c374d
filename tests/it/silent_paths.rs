//! No silent paths: an input that cannot be read is an error naming the file and the reason,
//! never an empty file that passes; a reader that goes away (`mlgate rules | head -1`) never
//! makes mlgate panic or change the exit code the run earned.

use std::fmt::Write as _;
use std::io::Read;
use std::process::{Command, Stdio};

use crate::{mlgate, repo_path};

/// Invalid UTF-8: `read_to_string` refuses it even when running as root, unlike mode 000.
const NOT_UTF8: &[u8] = b"[[case]]\nname = \"\xff\xfe\"\n";

fn baseline_case(snapshot: &str) -> String {
    // Debug-quoted: a TOML basic string for any path without unusual characters.
    let baseline = repo_path("policies/baseline.toml").display().to_string();
    format!(
        "policies = [{baseline:?}]\n\n[[case]]\nname = \"c\"\nsnapshot = {snapshot:?}\n[case.expect]\nempty-params = \"fail\"\n"
    )
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_test_file_that_is_not_utf8_is_exit_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.test.toml");
    std::fs::write(&file, NOT_UTF8).unwrap();
    let out = mlgate().arg("test").arg(&file).output().unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("broken.test.toml"), "names the file: {err}");
    assert!(err.contains("UTF-8"), "gives the reason: {err}");
}

#[cfg(unix)]
#[test]
fn a_dangling_test_file_symlink_in_a_directory_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("good.test.toml"),
        baseline_case("builtin:example"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("gone.toml"),
        dir.path().join("dangling.test.toml"),
    )
    .unwrap();
    let out = mlgate().arg("test").arg(dir.path()).output().unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("dangling.test.toml"), "names the file: {err}");
    assert!(err.contains("No such file"), "gives the OS reason: {err}");
}

#[test]
fn a_snapshot_fixture_that_is_a_directory_is_exit_2_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("fixtures")).unwrap();
    let file = dir.path().join("dir.test.toml");
    std::fs::write(&file, baseline_case("fixtures")).unwrap();
    let out = mlgate().arg("test").arg(&file).output().unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("fixtures"), "names the fixture: {err}");
    assert!(
        err.contains("directory"),
        "gives the OS reason (EISDIR): {err}"
    );
}

#[test]
fn a_snapshot_fixture_that_is_not_utf8_is_exit_2_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.json"), NOT_UTF8).unwrap();
    let file = dir.path().join("bad.test.toml");
    std::fs::write(&file, baseline_case("bad.json")).unwrap();
    let out = mlgate().arg("test").arg(&file).output().unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.json") && err.contains("UTF-8"), "{err}");
}

#[test]
fn a_test_file_without_cases_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty.test.toml");
    std::fs::write(&file, "# nothing yet\n").unwrap();
    let out = mlgate().arg("test").arg(&file).output().unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("empty.test.toml") && err.contains("no `[[case]]`"),
        "{err}"
    );
}

#[test]
fn a_policy_file_that_is_not_utf8_is_exit_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, NOT_UTF8).unwrap();
    let out = mlgate()
        .args(["check", "--example", "--policy"])
        .arg(&file)
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("broken.toml") && err.contains("UTF-8"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn a_dangling_policy_symlink_in_a_policy_directory_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_path("policies/baseline.toml"),
        dir.path().join("baseline.toml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(dir.path().join("gone.toml"), dir.path().join("team.toml")).unwrap();
    let out = mlgate()
        .args(["check", "--example", "--policy"])
        .arg(dir.path())
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("team.toml") && err.contains("No such file"),
        "{err}"
    );
}

/// Runs mlgate with its stdout a pipe whose read end is closed before mlgate writes; returns
/// the exit code and stderr.
fn with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("mlgate"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mlgate");
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), err)
}

#[test]
fn rules_into_a_closed_pipe_exits_0_without_panicking() {
    // More than a pipe buffer (64 KiB) of output, so the write fails whenever the pipe closes.
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("many.toml");
    let mut text = String::new();
    for i in 0..2000 {
        let _ = write!(
            text,
            "[[rule]]\nid = \"rule-{i}\"\ntitle = \"A rule with a long enough title to fill the table {i}\"\nseverity = \"error\"\ndescription = \"d\"\nselect = \"registered_model.description\"\ncheck = {{ non_empty = true }}\n\n"
        );
    }
    std::fs::write(&policy, text).unwrap();
    let (code, err) = with_closed_stdout(&["rules", "--policy", policy.to_str().unwrap()]);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.is_empty(),
        "a closed pipe is not worth a message: {err}"
    );
}

#[test]
fn a_failing_check_into_a_closed_pipe_still_exits_1() {
    for args in [
        &["check", "--example"][..],
        &["check", "--example", "--github"],
    ] {
        let (code, err) = with_closed_stdout(args);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(code, Some(1), "{args:?}: fail closed: {err}");
    }
}

#[test]
fn explain_and_lint_into_a_closed_pipe_exit_0() {
    for args in [
        &["explain", "users-group-can-manage"][..],
        &["lint", "policies/baseline.toml"],
    ] {
        let (code, err) = with_closed_stdout(args);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(code, Some(0), "{args:?}: {err}");
    }
}
