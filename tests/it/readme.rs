//! The README's example policy and test file are real: they load and their cases pass.

use crate::{mlgate, repo_path};

#[test]
fn readme_policy_and_test_file_work() {
    let readme = std::fs::read_to_string(repo_path("README.md")).unwrap();
    let blocks: Vec<&str> = readme
        .split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    let policy = blocks
        .iter()
        .find(|b| b.starts_with("# policies/team.toml"))
        .expect("example policy");
    let test = blocks
        .iter()
        .find(|b| b.starts_with("# policies/tests/team.test.toml"))
        .expect("example test");
    let dir = tempfile::tempdir().unwrap();
    let fixtures = dir.path().join("policies/tests/fixtures");
    std::fs::create_dir_all(&fixtures).unwrap();
    std::fs::copy(
        repo_path("policies/tests/fixtures/good.snapshot.json"),
        fixtures.join("good.snapshot.json"),
    )
    .unwrap();
    std::fs::write(dir.path().join("policies/team.toml"), policy).unwrap();
    std::fs::write(dir.path().join("policies/tests/team.test.toml"), test).unwrap();
    mlgate()
        .current_dir(dir.path())
        .args(["lint", "policies/team.toml"])
        .assert()
        .code(0);
    mlgate()
        .current_dir(dir.path())
        .args(["test", "policies/tests"])
        .assert()
        .code(0);
}
