//! A bulk audit that always finishes and always agrees with itself (issue 21), against the
//! replayed MLflow 3.17 server (`oss_mock`): one model's `model-versions/search` failing is
//! that model's error while the others are audited; names too long for a file system still
//! get their files (and the JSON says which); an empty selection and a registry that cannot be
//! listed are errors in the JSON, the report, the terminal and the exit code alike; `-` is
//! standard output, for one output only.

use std::path::Path;

use serde_json::Value;

use crate::mlgate;
use crate::mock_http::{Request, Response};
use crate::oss_mock::{self, MODEL};

/// The captured registered model, renamed.
fn model_named(name: &str) -> Value {
    let listed: Value = serde_json::from_str(&oss_mock::listed_model().body).unwrap();
    let mut model = listed["registered_models"][0].clone();
    model["name"] = Value::from(name);
    model
}

fn models(names: &[&str]) -> Response {
    let models: Vec<Value> = names.iter().map(|n| model_named(n)).collect();
    Response::json(
        200,
        serde_json::json!({ "registered_models": models }).to_string(),
    )
}

/// A bulk run against `server`, in `dir`, with the given extra arguments.
fn audit(server: &str, dir: &Path, extra: &[&str]) -> std::process::Output {
    mlgate()
        .current_dir(dir)
        .args(["check", "--all-models", "--no-config"])
        .args(["--tracking-uri", server])
        .args(extra)
        // A 503 is retried; without waiting between tries.
        .env("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
        .env_remove("MLFLOW_TRACKING_URI")
        .env_remove("MLFLOW_TRACKING_TOKEN")
        .output()
        .unwrap()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

const BROKEN: &str = "broken-model";

/// Two models; listing the versions of one of them answers 503 every time.
fn one_listing_unavailable(r: &Request) -> Option<Response> {
    if r.path == oss_mock::SEARCH_MODELS {
        return Some(models(&[MODEL, BROKEN]));
    }
    if r.path == oss_mock::SEARCH_VERSIONS {
        if r.q("filter").contains(BROKEN) {
            return Some(Response::json(
                503,
                r#"{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "try later"}"#,
            ));
        }
        return Some(oss_mock::listed_versions(2));
    }
    None
}

#[test]
fn a_model_whose_listing_fails_is_its_error_and_the_others_are_audited() {
    let server = oss_mock::with_fault(one_listing_unavailable);
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let out = audit(
        &server.url,
        dir.path(),
        &["--json", "r.json", "--junit", "j.xml", "--report", "s.md"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stderr}\n{stdout}");
    // The listing was retried before it was given up.
    assert!(server.requested(BROKEN) > 1, "{:#?}", server.requests);

    let json = read_json(&path("r.json"));
    let results = json["results"].as_array().unwrap();
    let by_model = |name: &str| -> Vec<&Value> {
        results
            .iter()
            .filter(|r| r["target"]["name"] == name)
            .collect()
    };
    let audited = by_model(MODEL);
    assert_eq!(audited.len(), 2, "{json}");
    for r in audited {
        assert_eq!(r["verdict"]["status"], "pass", "{r}");
    }
    let broken = by_model(BROKEN);
    assert_eq!(broken.len(), 1, "one entry for the model: {json}");
    assert_eq!(broken[0]["verdict"]["status"], "error");
    let text = broken[0].to_string();
    assert!(
        text.contains("model-versions/search") && text.contains("503"),
        "{text}"
    );
    assert_eq!(json["summary"]["status"], "error", "{json}");
    assert_eq!(json["summary"]["error"], 1, "{json}");
    assert_eq!(json["summary"]["pass"], 2, "{json}");

    let junit = std::fs::read_to_string(path("j.xml")).unwrap();
    let doc = roxmltree::Document::parse(&junit).expect("well-formed JUnit");
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 3, "{junit}");
    let broken_suites: Vec<_> = suites
        .iter()
        .filter(|s| s.attribute("name").is_some_and(|n| n.starts_with(BROKEN)))
        .collect();
    assert_eq!(broken_suites.len(), 1, "{junit}");
    assert_ne!(broken_suites[0].attribute("errors"), Some("0"), "{junit}");

    let report = std::fs::read_to_string(path("s.md")).unwrap();
    assert!(report.starts_with("# mlgate audit: ERROR"), "{report}");
    assert!(
        report
            .lines()
            .any(|l| l.starts_with(&format!("| {BROKEN} |")) && l.contains("503")),
        "{report}"
    );
    assert!(
        stdout.contains("ERROR: 3 versions of 2 models checked"),
        "{stdout}"
    );
}

/// 300 letters, and 40 CJK characters (120 bytes, 360 once %-encoded).
fn long_names() -> [String; 2] {
    ["m".repeat(300), "模".repeat(40)]
}

/// The two long-named models, one version each.
fn long_named(r: &Request) -> Option<Response> {
    let [letters, cjk] = long_names();
    if r.path == oss_mock::SEARCH_MODELS {
        return Some(models(&[&letters, &cjk]));
    }
    if r.path == oss_mock::SEARCH_VERSIONS {
        // Both models' versions, whatever the filter: mlgate keeps those of the model asked.
        let listed: Value = serde_json::from_str(&oss_mock::listed_versions(1).body).unwrap();
        let versions: Vec<Value> = [letters, cjk]
            .iter()
            .map(|name| {
                let mut v = listed["model_versions"][0].clone();
                v["name"] = Value::from(name.as_str());
                v
            })
            .collect();
        return Some(Response::json(
            200,
            serde_json::json!({ "model_versions": versions }).to_string(),
        ));
    }
    None
}

#[test]
fn names_too_long_for_a_file_system_still_get_their_files() {
    let server = oss_mock::with_fault(long_named);
    let dir = tempfile::tempdir().unwrap();
    let out = audit(
        &server.url,
        dir.path(),
        &[
            "--quiet",
            "--json",
            "r.json",
            "--snapshot-dir",
            "snaps",
            "--report-dir",
            "reports",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(2), "{stderr}");
    let json = read_json(&dir.path().join("r.json"));
    assert_eq!(json["summary"]["checked"], 2, "{json}");
    let files = json["files"].as_array().expect("the file of each version");
    assert_eq!(files.len(), 2, "{json}");
    for name in long_names() {
        let entry = files
            .iter()
            .find(|f| f["model"] == name.as_str())
            .unwrap_or_else(|| panic!("{name}: {json}"));
        assert_eq!(entry["version"], "1");
        for kind in ["snapshot", "report"] {
            let file = dir.path().join(entry[kind].as_str().unwrap());
            assert!(file.is_file(), "{}", file.display());
            for part in Path::new(entry[kind].as_str().unwrap()) {
                assert!(part.len() <= 255, "{} bytes: {part:?}", part.len());
            }
            // Shortened: the folder ends with `~` and the hash.
            let folder = file.parent().unwrap().file_name().unwrap();
            assert!(folder.to_string_lossy().contains('~'), "{folder:?}");
        }
        let snapshot = read_json(&dir.path().join(entry["snapshot"].as_str().unwrap()));
        assert_eq!(snapshot["target"]["name"], name.as_str());
    }
}

#[test]
fn an_empty_selection_is_an_error_everywhere() {
    let server = oss_mock::with_fault(|r| {
        (r.path == oss_mock::SEARCH_MODELS).then(|| Response::json(200, "{}"))
    });
    let dir = tempfile::tempdir().unwrap();
    // The JSON on standard output; the terminal summary then goes to standard error.
    let out = audit(
        &server.url,
        dir.path(),
        &["--json", "-", "--report", "s.md"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let json: Value = serde_json::from_slice(&out.stdout).expect("only JSON on stdout");
    assert_eq!(json["summary"]["status"], "error", "{json}");
    assert_eq!(json["summary"]["problem"], "no versions selected", "{json}");
    assert!(
        stderr.contains("ERROR: 0 versions of 0 models checked")
            && stderr.contains("no versions selected"),
        "{stderr}"
    );
    let report = std::fs::read_to_string(dir.path().join("s.md")).unwrap();
    assert!(report.starts_with("# mlgate audit: ERROR"), "{report}");
    assert!(!dir.path().join("-").exists(), "no file named -");

    // Without `-`, the headline is on standard output.
    let out = audit(&server.url, dir.path(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stdout.starts_with("ERROR: 0 versions") && !stdout.contains("PASS"),
        "{stdout}"
    );
}

#[test]
fn a_registry_that_cannot_be_listed_still_gets_its_outputs() {
    let server = oss_mock::with_fault(|r| {
        (r.path == oss_mock::SEARCH_MODELS).then(|| {
            Response::json(
                500,
                r#"{"error_code": "INTERNAL_ERROR", "message": "boom"}"#,
            )
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let out = audit(
        &server.url,
        dir.path(),
        &["--quiet", "--json", "r.json", "--junit", "j.xml"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let json = read_json(&dir.path().join("r.json"));
    assert_eq!(json["summary"]["status"], "error", "{json}");
    let problem = json["summary"]["problem"].as_str().unwrap();
    assert!(
        problem.contains("registered models could not be listed")
            && problem.contains("registered-models/search"),
        "{problem}"
    );
    let junit = std::fs::read_to_string(dir.path().join("j.xml")).unwrap();
    roxmltree::Document::parse(&junit).expect("well-formed JUnit");
}

#[test]
fn dash_is_standard_output_for_one_output_only() {
    let out = mlgate()
        .args(["check", "--example", "--json", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the example fails");
    let json: Value = serde_json::from_slice(&out.stdout).expect("only JSON on stdout");
    assert_eq!(json["schema"], "mlgate.results/v1");
    // The terminal summary still reaches the reader, on standard error.
    assert!(String::from_utf8_lossy(&out.stderr).contains("FAIL"));

    // Every output flag: standard output holds exactly what the file would.
    let dir = tempfile::tempdir().unwrap();
    for flag in ["--json", "--junit", "--report", "--sarif", "--codequality"] {
        let run = |to: &str| {
            mlgate()
                .current_dir(dir.path())
                .args(["check", "--example", flag, to])
                .output()
                .unwrap()
        };
        let (to_file, to_stdout) = (run("out"), run("-"));
        assert_eq!(to_stdout.status.code(), Some(1), "{flag}");
        let file = std::fs::read(dir.path().join("out")).unwrap();
        assert!(!file.is_empty(), "{flag}");
        assert_eq!(
            String::from_utf8_lossy(&to_stdout.stdout),
            String::from_utf8_lossy(&file),
            "{flag}"
        );
        assert!(!to_file.stdout.is_empty(), "{flag}: the terminal summary");
        assert!(!dir.path().join("-").exists(), "{flag}: no file named -");
    }

    let out = mlgate()
        .args(["check", "--example", "--json", "-", "--junit", "-"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--json -")
            && stderr.contains("--junit -")
            && stderr.contains("standard output"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn mlgate_test_writes_junit_to_standard_output_for_dash() {
    let out = mlgate()
        .args(["test", "policies/tests", "--junit", "-"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc = roxmltree::Document::parse(&stdout).expect("only JUnit on stdout");
    assert!(doc.descendants().any(|n| n.has_tag_name("testcase")));
    // The case table still reaches the reader, on standard error.
    assert!(!stderr.is_empty());
    assert!(!crate::repo_path("-").exists(), "no file named -");
}

#[test]
fn a_snapshot_dir_that_cannot_be_written_is_no_pass() {
    let server = oss_mock::with_fault(|r| {
        if r.path == oss_mock::SEARCH_MODELS {
            return Some(oss_mock::listed_model());
        }
        (r.path == oss_mock::SEARCH_VERSIONS).then(|| oss_mock::listed_versions(2))
    });
    let dir = tempfile::tempdir().unwrap();
    // A file where the model's folder goes.
    std::fs::create_dir(dir.path().join("snaps")).unwrap();
    std::fs::write(dir.path().join("snaps").join(MODEL), "").unwrap();
    let out = audit(
        &server.url,
        dir.path(),
        &["--json", "r.json", "--snapshot-dir", "snaps"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an output not written: {stderr}"
    );
    let json = read_json(&dir.path().join("r.json"));
    assert_eq!(json["summary"]["status"], "error", "{json}");
    assert!(
        json["summary"]["problem"]
            .as_str()
            .is_some_and(|p| p.contains("the run stopped") && p.contains("snaps")),
        "{json}"
    );
    assert!(
        stdout.contains("ERROR: ") && !stdout.contains("PASS"),
        "{stdout}"
    );
}
