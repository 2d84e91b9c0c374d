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
    assert_eq!(count("failure"), 3);
    assert_eq!(
        count("error"),
        2,
        "the unevaluable experiment rule, and the gather itself"
    );
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
