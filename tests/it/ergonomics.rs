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
