//! The candidate against the incumbent (issue 11, item 6): the report's "Candidate vs
//! incumbent" section and the job summary's copy of it, for a promotion with an incumbent, a
//! vacant target, an incumbent that could not be gathered, and no promotion at all.

use crate::{mlgate, patched_fixture};

const PROMOTION: &str = "tests/fixtures/snapshots/dolly3b-promotion.snapshot.json";
const HEADING: &str = "# Candidate vs incumbent";

/// The report, job summary and stdout of `check --snapshot`, whatever its exit code.
pub fn outputs(snapshot: &std::path::Path, extra: &[&str]) -> (String, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let (report, summary) = (dir.path().join("report.md"), dir.path().join("summary.md"));
    let out = mlgate()
        .args(["check", "--snapshot"])
        .arg(snapshot)
        .args(extra)
        .arg("--report")
        .arg(&report)
        .arg("--github")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", dir.path().join("outputs"))
        .output()
        .unwrap();
    (
        std::fs::read_to_string(report).unwrap(),
        std::fs::read_to_string(summary).unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// The report's comparison section: from its heading to the next top-level heading.
pub fn section(report: &str) -> &str {
    let start = report
        .find(&format!("\n{HEADING}\n"))
        .expect("the comparison section")
        + 1;
    let end = report[start + 1..]
        .find("\n# ")
        .map_or(report.len(), |at| start + 1 + at);
    &report[start..end]
}

#[test]
fn the_report_compares_the_candidate_with_the_incumbent() {
    let (report, summary, stdout) = outputs(std::path::Path::new(PROMOTION), &[]);
    // After the verdict and its findings, before the fact sections.
    let at = |text: &str| report.find(text).unwrap_or_else(|| panic!("{text}"));
    assert!(at("\n# Verdict") < at(HEADING) && at(HEADING) < at("\n# Overview"));
    assert!(at("Policy: ") < at(HEADING));
    insta::assert_snapshot!("promotion_section", section(&report));
    insta::assert_snapshot!("promotion_summary", summary);
    assert!(
        stdout.contains(
            "  compared: models:/dolly3b/2 vs version 1 (holds @champion): 6 shared metrics (1 higher, 3 lower), 1 param changed, 3 signature differences\n"
        ),
        "{stdout}"
    );
}

#[test]
fn a_vacant_target_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = patched_fixture(dir.path(), PROMOTION, |s| {
        s["incumbent"] = serde_json::json!({ "holds": "@champion" });
        s["unavailable"].as_array_mut().unwrap().push(
            serde_json::json!({ "section": "incumbent", "reason": "no version holds @champion" }),
        );
    });
    let (report, summary, stdout) = outputs(&snapshot, &[]);
    let line = "No version holds @champion: this is the first promotion; rules that compare with the incumbent were skipped.";
    assert_eq!(section(&report).trim_end(), format!("{HEADING}\n\n{line}"));
    assert!(
        summary.contains(&format!("#### Candidate vs incumbent\n\n{line}\n")),
        "{summary}"
    );
    assert!(!summary.contains("Metrics compared"), "{summary}");
    assert!(
        stdout.contains(
            "compared: no version holds @champion: models:/dolly3b/2 is the first promotion"
        ),
        "{stdout}"
    );
}

#[test]
fn an_incumbent_that_could_not_be_gathered_is_said_with_its_errors_and_no_table() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = patched_fixture(dir.path(), PROMOTION, |s| {
        s["incumbent"] = serde_json::json!({ "holds": "@champion", "version": "1" });
        s["errors"] = serde_json::json!([{
            "section": "incumbent",
            "call": "GET /api/2.0/mlflow/model-versions/get",
            "http_status": 503,
            "message": "temporarily | unavailable"
        }]);
    });
    let (report, summary, _) = outputs(&snapshot, &["--allow-gather-errors"]);
    let expected = format!(
        "{HEADING}\n\nThe incumbent (version 1, holds @champion) could not be gathered, so it is not compared:\n\n- `incumbent`: GET /api/2.0/mlflow/model-versions/get failed (HTTP 503: temporarily \\| unavailable)"
    );
    assert_eq!(section(&report).trim_end(), expected);
    assert!(
        summary.contains("could not be gathered, so it is not compared:"),
        "{summary}"
    );
    assert!(!summary.contains("|Metric|"), "{summary}");
}

#[test]
fn without_an_incumbent_there_is_no_comparison() {
    let (report, summary, stdout) = outputs(
        std::path::Path::new("tests/fixtures/snapshots/dolly3b-remediated.snapshot.json"),
        &[],
    );
    for (what, text) in [
        ("report", &report),
        ("summary", &summary),
        ("stdout", &stdout),
    ] {
        assert!(!text.contains("incumbent"), "{what}: {text}");
    }
}

#[test]
fn the_job_summary_clips_a_long_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = patched_fixture(dir.path(), PROMOTION, |s| {
        let params = s["run"]["params"].as_object_mut().unwrap();
        for n in 0..40 {
            params.insert(format!("p{n:02}"), "x".repeat(500).into());
        }
    });
    let (report, summary, _) = outputs(&snapshot, &[]);
    // The report has every row in full; the summary the first ones, cut, and says so.
    assert!(report.contains(&format!("|p39|{}|—|", "x".repeat(500))));
    assert!(
        summary.contains(&format!("|p00|{}…|—|", "x".repeat(99))),
        "{summary}"
    );
    assert!(!summary.contains("|p39|"));
    assert!(
        summary.contains("_… and 18 more rows: see the full report._"),
        "{summary}"
    );
}
