//! The JUnit file: well-formed XML, consistent counts, stable unique names.

use crate::mlgate;

fn junit_of(snapshot: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    mlgate()
        .args(["check", "--quiet", "--snapshot", snapshot, "--junit"])
        .arg(&path)
        .assert()
        .code(1);
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn junit_parses_and_counts_agree() {
    let xml = junit_of("examples/dolly3b.snapshot.json");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1, "one testsuite per model version");
    let suite = suites[0];
    assert_eq!(suite.attribute("name"), Some("dolly3b/1"));
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let count = |tag: &str| {
        cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name(tag)))
            .count()
    };
    let attr = |name: &str| suite.attribute(name).unwrap().parse::<usize>().unwrap();
    assert_eq!(attr("tests"), cases.len());
    assert_eq!(attr("failures"), count("failure"));
    assert_eq!(attr("errors"), count("error"));
    assert_eq!(attr("skipped"), count("skipped"));
    // Two errors fail; the failing `no-metrics` is a warning, below the default --fail-on.
    assert_eq!(count("failure"), 2);
    // The experiment rule was blocked by the failed call: said once, by the gather case,
    // and its own case is skipped as `blocked` (issue 19: one outage, one error).
    assert_eq!(count("error"), 1, "the gather itself");
    let blocked = cases
        .iter()
        .find(|c| c.attribute("name") == Some("experiment-users-group-can-manage"))
        .and_then(|c| c.children().find(|n| n.has_tag_name("skipped")))
        .unwrap();
    assert_eq!(blocked.attribute("type"), Some("blocked"));
    assert!(cases.iter().any(|c| c.attribute("name") == Some("gather")));
    let mut names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    let total = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), total, "testcase names are unique");
    let failure = cases
        .iter()
        .find(|c| c.attribute("name") == Some("users-group-can-manage"))
        .and_then(|c| c.children().find(|n| n.has_tag_name("failure")))
        .unwrap();
    let message = failure.attribute("message").unwrap();
    assert!(
        failure.text().unwrap_or_default().contains(message),
        "message in attribute and body"
    );
    let property = |name: &str| {
        suite
            .descendants()
            .find(|n| n.has_tag_name("property") && n.attribute("name") == Some(name))
            .and_then(|n| n.attribute("value"))
            .map(str::to_string)
    };
    assert_eq!(property("model").as_deref(), Some("dolly3b"));
    assert_eq!(property("version").as_deref(), Some("1"));
    assert_eq!(
        property("run_id").as_deref(),
        Some("abbe441c4d9f4b69a9943e4beb71ce89")
    );
    assert!(property("policy_digest").unwrap().starts_with("sha256:"));
}

#[test]
fn junit_is_identical_across_runs() {
    let first = junit_of("examples/dolly3b.snapshot.json");
    let second = junit_of("examples/dolly3b.snapshot.json");
    assert_eq!(first, second);
    insta::assert_snapshot!("dolly3b_junit", first);
}

#[test]
fn junit_stays_well_formed_with_hostile_server_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = crate::patched_fixture(dir.path(), "examples/dolly3b.snapshot.json", |s| {
        s["errors"][0]["message"] = "ends ]]> here \u{0001}\u{0008} and\n::error::forged".into();
        s["registered_model"]["name"] = "x]]>y\u{000b}".into();
    });
    let xml_path = dir.path().join("j.xml");
    let out = mlgate()
        .args(["check", "--snapshot"])
        .arg(&path)
        .arg("--junit")
        .arg(&xml_path)
        .output()
        .unwrap();
    let xml = std::fs::read_to_string(xml_path).unwrap();
    roxmltree::Document::parse(&xml).expect("well-formed XML whatever the server said");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        !stdout.lines().any(|l| l.starts_with("::")),
        "no line of server text can become a workflow command:\n{stdout}"
    );
}

/// The JUnit file of a check with `args`, after checking the exit code.
fn junit_with(args: &[&str], code: i32) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    mlgate()
        .args(["check", "--quiet", "--junit"])
        .arg(&path)
        .args(args)
        .assert()
        .code(code);
    crate::schemas::assert_valid_junit(&path);
    let xml = std::fs::read_to_string(&path).unwrap();
    (dir, xml)
}

fn suite_attr(xml: &str, name: &str) -> String {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    suite.attribute(name).unwrap().to_string()
}

#[test]
fn a_warning_below_fail_on_passes_the_run_and_the_test_view() {
    let dir = tempfile::tempdir().unwrap();
    // The good fixture with no metrics: only `no-metrics` (a warning) fails.
    let snapshot = crate::patched_fixture(
        dir.path(),
        "policies/tests/fixtures/good.snapshot.json",
        |s| s["run"]["metrics"] = serde_json::json!({}),
    );
    let snapshot = snapshot.to_str().unwrap();
    let (_d, xml) = junit_with(&["--snapshot", snapshot], 0);
    assert_eq!(suite_attr(&xml, "failures"), "0", "{xml}");
    assert_eq!(suite_attr(&xml, "errors"), "0", "{xml}");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("no-metrics"))
        .unwrap();
    // Still visible: in the case's output and as a suite property.
    let out = case
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .and_then(|n| n.text())
        .unwrap();
    assert!(
        out.starts_with("not blocking: fail at severity warning, below --fail-on error\n")
            && out.contains("logged no metrics"),
        "{out}"
    );
    assert!(
        doc.descendants().any(|n| n.has_tag_name("property")
            && n.attribute("name") == Some("not_blocking.no-metrics")
            && n.attribute("value")
                .is_some_and(|v| v.starts_with("fail (warning): "))),
        "{xml}"
    );
    // At --fail-on warning the same finding blocks: exit 1 and a failure.
    let (_d, xml) = junit_with(&["--snapshot", snapshot, "--fail-on", "warning"], 1);
    assert_eq!(suite_attr(&xml, "failures"), "1", "{xml}");
    assert!(!xml.contains("not_blocking."), "{xml}");
}

#[test]
fn the_test_view_is_red_exactly_when_the_exit_code_is_not_0() {
    let dir = tempfile::tempdir().unwrap();
    let scoped = dir.path().join("scoped.toml");
    std::fs::write(
        &scoped,
        "[[rule]]\nid = \"prod-only\"\ntitle = \"t\"\nseverity = \"error\"\ndescription = \"d\"\nselect = \"run.metrics\"\ncheck = { non_empty = true }\nwhen = { target = [\"Production\"] }\n",
    )
    .unwrap();
    let scoped = scoped.to_str().unwrap();
    let good = "policies/tests/fixtures/good.snapshot.json";
    let example = "examples/dolly3b.snapshot.json";
    for (args, code) in [
        (vec!["--snapshot", good], 0),
        (vec!["--snapshot", example], 1),
        // The failed call allowed; the failures remain.
        (vec!["--snapshot", example, "--allow-gather-errors"], 1),
        // Every rule out of scope judged nothing: exit 3, and an error case says why.
        (vec!["--snapshot", good, "--policy", scoped], 3),
        (
            vec![
                "--snapshot",
                good,
                "--policy",
                scoped,
                "--allow-all-skipped",
            ],
            0,
        ),
    ] {
        let (_d, xml) = junit_with(&args, code);
        let red = suite_attr(&xml, "failures") != "0" || suite_attr(&xml, "errors") != "0";
        assert_eq!(red, code != 0, "{args:?} exit {code}: {xml}");
    }
}
