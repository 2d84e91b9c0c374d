//! Small things a user meets first: the top-level help, the order of `lint`'s output, and
//! `snapshot` / `report` saying what they wrote.

use crate::{mlgate, oss_mock};

#[test]
fn the_top_level_help_names_every_output() {
    let out = mlgate().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--report", "--junit", "--json", "SARIF", "--sarif", "--github",
    ] {
        assert!(help.contains(flag), "{flag} missing from\n{help}");
    }
}

#[test]
fn lint_shows_the_problems_before_the_advice() {
    let out = mlgate()
        .args(["lint", "tests/fixtures/policies/unknown-check.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let problem = stderr.find("unknown check `non-empty`").expect(&stderr);
    let summary = stderr.find("1 problem in").expect(&stderr);
    let advice = stderr.find("fix the problems above").expect(&stderr);
    assert!(problem < summary && summary < advice, "{stderr}");
}

#[test]
fn snapshot_and_report_say_what_they_wrote_unless_quiet() {
    let server = oss_mock::start(false);
    let dir = tempfile::tempdir().unwrap();
    let reference = format!("models:/{}/1", oss_mock::MODEL);
    for (command, file, what) in [
        ("snapshot", "s.json", ""),
        ("report", "r.md", "the report of "),
    ] {
        let out = dir.path().join(file);
        let said = format!(
            "mlgate: wrote {what}{reference} (8 sections, 0 errors) to {}\n",
            out.display()
        );
        mlgate()
            .env_remove("MLFLOW_TRACKING_USERNAME")
            .env_remove("MLFLOW_TRACKING_TOKEN")
            .args([command, &reference, "--tracking-uri", &server.url, "-o"])
            .arg(&out)
            .assert()
            .code(0)
            .stdout("")
            .stderr(said);
        mlgate()
            .env_remove("MLFLOW_TRACKING_USERNAME")
            .env_remove("MLFLOW_TRACKING_TOKEN")
            .args([
                command,
                &reference,
                "--tracking-uri",
                &server.url,
                "-q",
                "-o",
            ])
            .arg(&out)
            .assert()
            .code(0)
            .stdout("")
            .stderr("");
    }
}

/// Refreshing a saved snapshot (a test fixture) while the server is down keeps the file as it
/// was: what was read goes beside it, to `FILE.partial`, and the run says so and exits 3.
#[test]
fn a_snapshot_that_gathered_nothing_never_replaces_a_saved_one() {
    let server = crate::oss_mock::with_fault(|r: &crate::mock_http::Request| {
        (r.path == crate::oss_mock::VERSION_CALL).then(|| {
            crate::mock_http::Response::json(
                404,
                r#"{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "gone"}"#,
            )
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fixture.json");
    std::fs::write(&file, "{\"saved\": true}").unwrap();
    let model = format!("models:/{}/1", crate::oss_mock::MODEL);
    let assert = mlgate()
        .args(["snapshot", &model, "--tracking-uri", &server.url, "-o"])
        .arg(&file)
        .assert()
        .code(3);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "{\"saved\": true}");
    let partial = dir.path().join("fixture.json.partial");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&partial).unwrap()).unwrap();
    assert!(!saved["errors"].as_array().unwrap().is_empty(), "{saved}");
    assert!(
        stderr.contains("was kept as it was") && stderr.contains("fixture.json.partial"),
        "{stderr}"
    );
    // A new file is written where it was asked for.
    let fresh = dir.path().join("fresh.json");
    mlgate()
        .args(["snapshot", &model, "--tracking-uri", &server.url, "-o"])
        .arg(&fresh)
        .assert()
        .code(3);
    assert!(fresh.exists());
}

/// Outputs name policy files as a reader of the repository knows them: a bundled pack as
/// `builtin:NAME` (its file is not on the user's machine), a file given by an absolute path
/// under the working directory relative to it (a CI runner's checkout path says nothing).
#[test]
fn policy_files_are_named_as_the_repository_knows_them() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let absolute = crate::repo_path("policies/production.toml");
    mlgate()
        .args([
            "check",
            "--example",
            "--no-config",
            "--policy",
            "builtin:baseline",
        ])
        .arg("--policy")
        .arg(&absolute)
        .arg("--junit")
        .arg(&junit)
        .assert()
        .code(1);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(
            r#"<property name="policy_files" value="builtin:baseline,policies/production.toml"/>"#
        ),
        "{xml}"
    );
    assert!(
        !xml.contains(&crate::repo_path("").display().to_string()),
        "{xml}"
    );
}

/// `-o -` puts the snapshot or the report on standard output, and no file named `-` appears.
#[test]
fn snapshot_and_report_write_to_standard_output() {
    let server = oss_mock::start(false);
    let dir = tempfile::tempdir().unwrap();
    let model = format!("models:/{}/1", oss_mock::MODEL);
    for (command, check) in [
        (
            "snapshot",
            (|out: &str| serde_json::from_str::<serde_json::Value>(out).is_ok())
                as fn(&str) -> bool,
        ),
        ("report", |out: &str| out.contains("Model Audit")),
    ] {
        let assert = mlgate()
            .args([command, &model, "--tracking-uri", &server.url, "-o", "-"])
            .current_dir(dir.path())
            .assert();
        let out = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
        assert!(check(&out), "{command}: {out}");
        assert!(!dir.path().join("-").exists(), "{command}");
    }
}
