//! `mlgate promote` against the real MLflow 3.17 and 2.22 servers. Each test registers its
//! own model from the lab's promotion runs (champion, good, worse, drops-column: see
//! `scripts/live/populate.py`), so tests that move aliases and stages never see each other.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};

use crate::live::{clean, server, Server};
use crate::race_proxy::{Interlude, Proxy};

const POLICY: &str = "tests/fixtures/promote/promotion.toml";

/// A fresh registered model whose versions 1.. come from the named promotion runs.
fn register(s: &Server, key: &str, test: &str, versions: &[&str]) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "promote-{test}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    call(
        s,
        "POST",
        "registered-models/create",
        &json!({ "name": name }),
    );
    for label in versions {
        let run = &s.ids["promotion"][label];
        let mut body = json!({
            "name": name,
            "source": run["source"],
            "run_id": run["run_id"],
        });
        if let Some(id) = run["model_id"].as_str() {
            body["model_id"] = json!(id);
        }
        call(s, "POST", "model-versions/create", &body);
    }
    let _ = key;
    name
}

/// One REST call to the server; panics unless it answers 200.
fn call(s: &Server, method: &str, path: &str, body: &Value) -> Value {
    let url = format!("{}/api/2.0/mlflow/{path}", s.uri);
    let out = std::process::Command::new("curl")
        .args([
            "-sS",
            "-X",
            method,
            "-H",
            "Content-Type: application/json",
            "-w",
            "\n%{http_code}",
            "--data",
        ])
        .arg(body.to_string())
        .arg(&url)
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (answer, status) = text.rsplit_once('\n').unwrap_or((&text, ""));
    assert_eq!(status, "200", "{method} {path} {body}: {answer}");
    serde_json::from_str(answer).unwrap_or(Value::Null)
}

fn get(s: &Server, path: &str, query: &[(&str, &str)]) -> Value {
    let mut url = format!("{}/api/2.0/mlflow/{path}?", s.uri);
    for (k, v) in query {
        let _ = write!(url, "{k}={v}&");
    }
    let out = std::process::Command::new("curl")
        .args(["-sS", "--fail-with-body"])
        .arg(&url)
        .output()
        .expect("curl");
    assert!(
        out.status.success(),
        "GET {url}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn set_alias(s: &Server, name: &str, alias: &str, version: &str) {
    call(
        s,
        "POST",
        "registered-models/alias",
        &json!({ "name": name, "alias": alias, "version": version }),
    );
}

fn alias_holder(s: &Server, name: &str, alias: &str) -> Option<String> {
    let model = get(s, "registered-models/get", &[("name", name)]);
    model["registered_model"]["aliases"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["alias"] == alias)
        .map(|a| a["version"].as_str().unwrap().to_string())
}

fn version(s: &Server, name: &str, v: &str) -> Value {
    get(s, "model-versions/get", &[("name", name), ("version", v)])["model_version"].clone()
}

/// The version's tags as a map.
fn tags(s: &Server, name: &str, v: &str) -> serde_json::Map<String, Value> {
    version(s, name, v)["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| (t["key"].as_str().unwrap().to_string(), t["value"].clone()))
        .collect()
}

/// Runs `promote` with the test policy; returns (exit code, results JSON, stderr).
fn promote(uri: &str, reference: &str, args: &[&str]) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = clean()
        .args([
            "promote",
            reference,
            "--tracking-uri",
            uri,
            "--policy",
            POLICY,
            "--quiet",
            "--json",
        ])
        .arg(&json)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let results = std::fs::read_to_string(&json)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    (out.status.code().unwrap(), results, stderr)
}

fn finding<'a>(results: &'a Value, rule: &str) -> &'a Value {
    results["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["rule_id"] == rule))
        .unwrap_or_else(|| panic!("no finding for {rule} in {results}"))
}

const SERVERS: [&str; 2] = ["MLFLOW3", "MLFLOW2"];

#[test]
fn a_candidate_worse_than_the_champion_is_refused_and_says_so_in_the_registry() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "worse", &["champion", "worse"]);
        set_alias(&s, &name, "champion", "1");
        let (code, results, stderr) = promote(
            &s.uri,
            &format!("models:/{name}/2"),
            &["--to-alias", "champion"],
        );
        assert_eq!(code, 1, "{key}: {stderr}");
        assert_eq!(
            finding(&results, "auc-not-worse")["outcome"],
            "fail",
            "{key}"
        );
        assert_eq!(
            alias_holder(&s, &name, "champion").as_deref(),
            Some("1"),
            "{key}: the alias stays"
        );
        let t = tags(&s, &name, "2");
        assert_eq!(t["mlgate.verdict"], "fail", "{key}");
        assert_eq!(t["mlgate.target"], "alias:champion", "{key}");
        assert_eq!(t["mlgate.incumbent"], "1", "{key}");
    }
}

#[test]
fn a_candidate_that_drops_an_input_column_is_refused_naming_it() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "drops", &["champion", "drops-column"]);
        set_alias(&s, &name, "champion", "1");
        let (code, results, stderr) = promote(
            &s.uri,
            &format!("models:/{name}/2"),
            &["--to-alias", "champion"],
        );
        assert_eq!(code, 1, "{key}: {stderr}");
        let f = finding(&results, "signature-compatible");
        assert_eq!(f["outcome"], "fail", "{key}");
        assert!(
            f["message"].as_str().unwrap().contains("income"),
            "{key}: {f}"
        );
        assert_eq!(
            finding(&results, "auc-not-worse")["outcome"],
            "pass",
            "{key}: better AUC"
        );
        assert_eq!(
            alias_holder(&s, &name, "champion").as_deref(),
            Some("1"),
            "{key}"
        );
    }
}

#[test]
fn a_good_candidate_moves_the_alias_and_carries_the_record() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "good", &["champion", "good"]);
        set_alias(&s, &name, "champion", "1");
        let (code, results, stderr) = promote(
            &s.uri,
            &format!("models:/{name}/2"),
            &[
                "--to-alias",
                "champion",
                "--report-url",
                "https://ci.example.com/run/7",
            ],
        );
        assert_eq!(code, 0, "{key}: {stderr}");
        assert_eq!(
            finding(&results, "auc-not-worse")["outcome"],
            "pass",
            "{key}"
        );
        assert_eq!(
            finding(&results, "signature-compatible")["outcome"],
            "pass",
            "{key}: an optional input is compatible"
        );
        assert_eq!(
            alias_holder(&s, &name, "champion").as_deref(),
            Some("2"),
            "{key}"
        );
        let t = tags(&s, &name, "2");
        assert_eq!(t["mlgate.verdict"], "pass", "{key}");
        assert_eq!(t["mlgate.incumbent"], "1", "{key}");
        assert_eq!(t["mlgate.report"], "https://ci.example.com/run/7", "{key}");
        assert!(
            t["mlgate.policy_digest"]
                .as_str()
                .unwrap()
                .starts_with("sha256:"),
            "{key}"
        );
        assert!(
            t["mlgate.evaluated_at"].as_str().unwrap().ends_with('Z'),
            "{key}"
        );
        assert!(
            t["mlgate.summary"].as_str().unwrap().starts_with("pass"),
            "{key}"
        );
    }
}

#[test]
fn a_good_candidate_moves_the_stage_and_archives_the_old_one() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "stage", &["champion", "good"]);
        call(
            &s,
            "POST",
            "model-versions/transition-stage",
            &json!({"name": name, "version": "1", "stage": "Production", "archive_existing_versions": false}),
        );
        let (code, _, stderr) = promote(
            &s.uri,
            &format!("models:/{name}/2"),
            &[
                "--to-stage",
                "Production",
                "--archive-existing",
                "--expect-incumbent",
                "1",
            ],
        );
        assert_eq!(code, 0, "{key}: {stderr}");
        assert_eq!(
            version(&s, &name, "2")["current_stage"],
            "Production",
            "{key}"
        );
        assert_eq!(
            version(&s, &name, "1")["current_stage"],
            "Archived",
            "{key}"
        );
        let t = tags(&s, &name, "2");
        assert_eq!(t["mlgate.target"], "stage:Production", "{key}");
        assert_eq!(t["mlgate.verdict"], "pass", "{key}");
    }
}

#[test]
fn dry_run_moves_nothing_and_writes_no_tag() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "dry", &["champion", "good", "worse"]);
        set_alias(&s, &name, "champion", "1");
        for (v, expected) in [("2", 0), ("3", 1)] {
            let (code, _, stderr) = promote(
                &s.uri,
                &format!("models:/{name}/{v}"),
                &["--to-alias", "champion", "--dry-run"],
            );
            assert_eq!(code, expected, "{key} v{v}: {stderr}");
            assert!(
                tags(&s, &name, v).keys().all(|k| !k.starts_with("mlgate.")),
                "{key} v{v}: a dry run writes no tag"
            );
        }
        assert_eq!(
            alias_holder(&s, &name, "champion").as_deref(),
            Some("1"),
            "{key}"
        );
    }
}

#[test]
fn the_wrong_expected_incumbent_exits_4_and_moves_nothing() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "expect", &["champion", "good"]);
        set_alias(&s, &name, "champion", "1");
        for expected in ["2", "none"] {
            let (code, _, stderr) = promote(
                &s.uri,
                &format!("models:/{name}/2"),
                &["--to-alias", "champion", "--expect-incumbent", expected],
            );
            assert_eq!(code, 4, "{key} --expect-incumbent {expected}: {stderr}");
            assert!(stderr.contains("held by version 1"), "{key}: {stderr}");
        }
        assert_eq!(
            alias_holder(&s, &name, "champion").as_deref(),
            Some("1"),
            "{key}"
        );
        assert!(
            tags(&s, &name, "2")
                .keys()
                .all(|k| !k.starts_with("mlgate.")),
            "{key}"
        );
    }
}

#[test]
fn the_first_promotion_skips_the_comparisons_and_lets_the_rest_decide() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "first", &["good"]);
        let (code, results, stderr) = promote(
            &s.uri,
            &format!("models:/{name}/1"),
            &["--to-alias", "champion", "--expect-incumbent", "none"],
        );
        assert_eq!(code, 0, "{key}: {stderr}");
        for rule in ["auc-not-worse", "signature-compatible"] {
            let f = finding(&results, rule);
            assert_eq!(f["outcome"], "skipped", "{key} {rule}");
            assert!(
                f["message"]
                    .as_str()
                    .unwrap()
                    .contains("no version holds @champion"),
                "{key}: {f}"
            );
        }
        assert_eq!(finding(&results, "has-params")["outcome"], "pass", "{key}");
        assert_eq!(
            alias_holder(&s, &name, "champion").as_deref(),
            Some("1"),
            "{key}"
        );
        assert_eq!(tags(&s, &name, "1")["mlgate.incumbent"], "none", "{key}");
    }
}

/// Another client moves the alias after mlgate gathered and judged, before it moves: mlgate
/// must see it on its re-read, move nothing and exit 4. The proxy counts mlgate's reads of
/// the registered model in a dry run first, so the interlude lands on the re-read whatever
/// the gather reads.
#[test]
fn an_alias_moved_by_another_client_mid_promotion_is_not_overwritten() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "race", &["champion", "good", "worse"]);
        set_alias(&s, &name, "champion", "1");
        let counted = "/registered-models/get?";
        let probe = Proxy::start(&s.uri, None);
        let (code, _, stderr) = promote(
            &probe.uri,
            &format!("models:/{name}/2"),
            &["--to-alias", "champion", "--dry-run"],
        );
        assert_eq!(code, 0, "{key}: {stderr}");
        let reads = probe
            .requests()
            .iter()
            .filter(|r| r.contains(counted))
            .count();
        assert!(reads >= 1, "{key}: {:?}", probe.requests());
        let proxy = Proxy::start(
            &s.uri,
            Some(Interlude {
                fragment: counted.into(),
                nth: reads + 1,
                method: "POST",
                path: "/api/2.0/mlflow/registered-models/alias".into(),
                body: json!({"name": name, "alias": "champion", "version": "3"}).to_string(),
            }),
        );
        let (code, _, stderr) = promote(
            &proxy.uri,
            &format!("models:/{name}/2"),
            &["--to-alias", "champion"],
        );
        assert!(
            proxy.matched() > reads,
            "{key}: the interlude ran ({:?})",
            proxy.requests()
        );
        assert_eq!(code, 4, "{key}: {stderr}");
        assert!(
            stderr.contains("version 3"),
            "{key} names who holds it now: {stderr}"
        );
        assert_eq!(
            alias_holder(&s, &name, "champion").as_deref(),
            Some("3"),
            "{key}: the other client's move stands"
        );
        assert!(
            !proxy
                .requests()
                .iter()
                .any(|r| r.starts_with("POST") && r.contains("registered-models/alias")),
            "{key}: mlgate sent no alias write: {:?}",
            proxy.requests()
        );
    }
}

/// The move lands but the record is refused: exit 5, and the message says the promotion stands.
#[test]
fn a_promotion_whose_record_is_refused_exits_5_and_stands() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "record", &["champion", "good"]);
        set_alias(&s, &name, "champion", "1");
        let proxy = Proxy::refusing(&s.uri, None, Some("model-versions/set-tag"));
        let (code, _, stderr) = promote(
            &proxy.uri,
            &format!("models:/{name}/2"),
            &["--to-alias", "champion"],
        );
        assert_eq!(code, 5, "{key}: {stderr}");
        assert!(stderr.contains("promotion stands"), "{key}: {stderr}");
        assert_eq!(
            alias_holder(&s, &name, "champion").as_deref(),
            Some("2"),
            "{key}"
        );
    }
}

/// `check --target-alias` is the dry run of a promotion: it gathers the incumbent too, and a
/// snapshot saved with `--target-alias` replays with it, to the same findings.
#[test]
fn a_check_with_a_target_compares_with_the_incumbent_live_and_replayed() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "check", &["champion", "worse"]);
        set_alias(&s, &name, "champion", "1");
        let reference = format!("models:/{name}/2");
        let dir = tempfile::tempdir().unwrap();
        let (live, replayed, saved) = (
            dir.path().join("live.json"),
            dir.path().join("replayed.json"),
            dir.path().join("snapshot.json"),
        );
        let out = clean()
            .args([
                "check",
                &reference,
                "--tracking-uri",
                &s.uri,
                "--policy",
                POLICY,
            ])
            .args(["--target-alias", "champion", "--quiet", "--json"])
            .arg(&live)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{key}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = clean()
            .args([
                "snapshot",
                &reference,
                "--tracking-uri",
                &s.uri,
                "--target-alias",
                "champion",
                "-o",
            ])
            .arg(&saved)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{key}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = clean()
            .args(["check", "--policy", POLICY, "--quiet", "--snapshot"])
            .arg(&saved)
            .arg("--json")
            .arg(&replayed)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{key}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let outcomes = |path: &std::path::Path| -> Vec<(String, String)> {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| (f["rule_id"].to_string(), f["outcome"].to_string()))
                .collect()
        };
        assert_eq!(outcomes(&live), outcomes(&replayed), "{key}");
        assert!(
            outcomes(&live).contains(&("\"auc-not-worse\"".into(), "\"fail\"".into())),
            "{key}"
        );
    }
}
