//! Outputs valid against the schemas their consumers check: SARIF against the SARIF 2.1.0 JSON
//! schema, JUnit against the Jenkins JUnit XSD. Both are vendored in `tests/fixtures/schemas/`
//! (its README says which package each came from). Other tests call the two `assert_valid_*`
//! helpers on what they write (hostile text, failed gathers).

use std::path::Path;
use std::process::Command;

use crate::{mlgate, patched_fixture, repo_path};

/// Fails with every schema error when `text` is not valid SARIF 2.1.0.
///
/// boon (a small pure-Rust validator, see Cargo.toml) with format assertions on, so a URI
/// that is not one fails too.
pub fn assert_valid_sarif(text: &str) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_path("tests/fixtures/schemas/sarif-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let instance: serde_json::Value = serde_json::from_str(text).expect("SARIF is JSON");
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    let url = "file:///mlgate/tests/fixtures/schemas/sarif-2.1.0.json";
    compiler.add_resource(url, schema).unwrap();
    let index = compiler
        .compile(url, &mut schemas)
        .unwrap_or_else(|e| panic!("{e:#}"));
    if let Err(e) = schemas.validate(&instance, index) {
        panic!("SARIF not valid against the 2.1.0 schema: {e}\n{text}");
    }
}

/// Fails with xmllint's errors when the file is not valid against the Jenkins JUnit XSD.
///
/// xmllint (libxml2) validates: there is no maintained pure-Rust XSD validator, and libxml2's
/// Rust bindings would put bindgen and libxml2-dev into every build for one test, where a single
/// Debian package (libxml2-utils, which scripts/test installs) serves it. Without xmllint the
/// check is skipped locally, and fails under CI=true, where it must run.
pub fn assert_valid_junit(path: &Path) {
    let xsd = repo_path("tests/fixtures/schemas/junit-10.xsd");
    let out = match Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&xsd)
        .arg(path)
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "xmllint not found: CI must validate JUnit (scripts/test installs libxml2-utils)"
            );
            eprintln!(
                "skipped: JUnit schema validation needs xmllint (apt-get install libxml2-utils)"
            );
            return;
        }
        Err(e) => panic!("xmllint: {e}"),
    };
    assert!(
        out.status.success(),
        "JUnit not valid against the Jenkins XSD:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(path).unwrap_or_default()
    );
}

/// Writes the JUnit and SARIF of one check into `dir` and validates both; returns the exit code.
fn check_valid(dir: &Path, args: &[&str]) -> i32 {
    let (junit, sarif) = (dir.join("junit.xml"), dir.join("results.sarif"));
    let out = mlgate()
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("GITHUB_WORKFLOW_REF")
        .args(["check", "-q"])
        .args(args)
        .arg("--junit")
        .arg(&junit)
        .arg("--sarif")
        .arg(&sarif)
        .output()
        .unwrap();
    assert_valid_junit(&junit);
    assert_valid_sarif(&std::fs::read_to_string(&sarif).unwrap());
    out.status.code().unwrap()
}

#[test]
fn outputs_match_their_schemas_in_every_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let example = "examples/dolly3b.snapshot.json";
    // Failures, an evaluation error and a failed call; results with no file (bundled rules,
    // no config) and results at their rule's line (the same rules as a file of this repo).
    assert_eq!(check_valid(dir.path(), &["--example", "--no-config"]), 1);
    assert_eq!(
        check_valid(
            dir.path(),
            &["--snapshot", example, "--policy", "policies/baseline.toml"]
        ),
        1
    );
    // The failed call allowed: the gather case is skipped.
    assert_eq!(
        check_valid(
            dir.path(),
            &["--example", "--allow-gather-errors", "--fail-on", "info"]
        ),
        1
    );
    // Every rule out of scope.
    let scoped = dir.path().join("scoped.toml");
    std::fs::write(
        &scoped,
        "[[rule]]\nid = \"prod-only\"\ntitle = \"t\"\nseverity = \"error\"\ndescription = \"d\"\nselect = \"run.metrics\"\ncheck = { non_empty = true }\nwhen = { target = [\"Production\"] }\n",
    )
    .unwrap();
    assert_eq!(
        check_valid(
            dir.path(),
            &[
                "--snapshot",
                "policies/tests/fixtures/good.snapshot.json",
                "--policy",
                scoped.to_str().unwrap()
            ]
        ),
        3
    );
    // A pass with a warning below --fail-on.
    let warned = patched_fixture(
        dir.path(),
        "policies/tests/fixtures/good.snapshot.json",
        |s| {
            s["run"]["metrics"] = serde_json::json!({});
        },
    );
    assert_eq!(
        check_valid(dir.path(), &["--snapshot", warned.to_str().unwrap()]),
        0
    );
}

#[test]
fn policy_test_junit_matches_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("tests.xml");
    mlgate()
        .args(["test", "policies/tests", "--junit"])
        .arg(&junit)
        .assert()
        .code(0);
    assert_valid_junit(&junit);
}

#[test]
fn the_validators_reject_what_the_schemas_forbid() {
    let sarif = r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "mlgate"}}, "results": [{"message": {"text": "m"}, "level": "fatal"}]}]}"#;
    assert!(std::panic::catch_unwind(|| assert_valid_sarif(sarif)).is_err());
    assert_valid_sarif(&sarif.replace("fatal", "error"));
    if Command::new("xmllint").arg("--version").output().is_err() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.xml");
    let case = r#"<testsuites><testsuite name="m/1" tests="1" failures="0" errors="0"><testcase name="r" classname="mlgate.m" file="policies/p.toml"/></testsuite></testsuites>"#;
    std::fs::write(&path, case).unwrap();
    assert!(std::panic::catch_unwind(|| assert_valid_junit(&path)).is_err());
    std::fs::write(&path, case.replace(r#" file="policies/p.toml""#, "")).unwrap();
    assert_valid_junit(&path);
}
