//! `mlgate check --all-models` against the real MLflow 3.17 server: a registry of 200+ versions
//! registered for this test (five good models of 40 versions, two bad models of 3 — one without
//! a description, one from an unsigned quick hack — and one version whose model files do not
//! exist), selected by `--filter` so other tests' models stay out.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};

use crate::live::{clean, server, Server};

const GOOD_MODELS: usize = 5;
const VERSIONS: usize = 40;

/// The test registry: its name prefix, and the versions expected to fail or err.
struct Registry {
    prefix: String,
    /// No description: fails `missing-description`.
    bad: String,
    /// Described, but registered from the lab's quick-hack run: no signature, no params.
    unsigned: String,
    broken: (String, String),
}

/// Registers the test models concurrently over REST (a few seconds for 200+ versions).
fn populate(s: &Server, test: &str) -> Registry {
    // Unique per test and run (a server may outlive many runs); no `_` or `%`, which LIKE
    // would take for wildcards.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let prefix = format!("bulk-{test}-{}-{nanos}", std::process::id());
    let good_run = &s.ids["promotion"]["good"];
    let version_of = |name: &str| {
        json!({
            "name": name,
            "source": good_run["source"],
            "run_id": good_run["run_id"],
            "model_id": good_run["model_id"],
        })
    };
    let mut models = Vec::new();
    let mut versions = Vec::new();
    for m in 0..GOOD_MODELS {
        let name = format!("{prefix}-good-{m}");
        models.push(
            json!({ "name": name, "description": "A good model, registered by the bulk test." }),
        );
        versions.extend((0..VERSIONS).map(|_| version_of(&name)));
    }
    // No description: every version fails `missing-description`.
    let bad = format!("{prefix}-bad");
    models.push(json!({ "name": bad }));
    versions.extend((0..3).map(|_| version_of(&bad)));
    let unsigned = format!("{prefix}-unsigned");
    models.push(json!({ "name": unsigned, "description": "Registered from a quick hack." }));
    let hack = &s.ids["models"][s.ids["bad_model"].as_str().unwrap()]["versions"]["1"];
    versions.extend((0..3).map(|_| {
        let mut v = json!({ "name": unsigned, "source": hack["source"], "run_id": hack["run_id"] });
        if let Some(id) = hack["logged_model_id"].as_str() {
            v["model_id"] = json!(id);
        }
        v
    }));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let post = |path: &'static str, body: Value| {
        let client = client.clone();
        let url = format!("{}/api/2.0/mlflow/{path}", s.uri);
        async move {
            let response = client
                .post(&url)
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .expect("server answers");
            let status = response.status();
            let answer = response.text().await.unwrap_or_default();
            assert!(status.is_success(), "POST {path} {body}: {status} {answer}");
        }
    };
    runtime.block_on(async {
        stream::iter(
            models
                .into_iter()
                .map(|m| post("registered-models/create", m)),
        )
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;
        // Versions of one model are numbered in creation order; the order across models
        // does not matter.
        stream::iter(
            versions
                .into_iter()
                .map(|v| post("model-versions/create", v)),
        )
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;
        // Its model files do not exist: the MLmodel cannot be read, the rules that need it
        // cannot be evaluated (an error, no failure).
        post(
            "model-versions/create",
            json!({
                "name": format!("{prefix}-good-0"),
                "source": format!("runs:/{}/no-such-model", good_run["run_id"].as_str().unwrap()),
                "run_id": good_run["run_id"],
            }),
        )
        .await;
    });
    Registry {
        broken: (format!("{prefix}-good-0"), (VERSIONS + 1).to_string()),
        prefix,
        bad,
        unsigned,
    }
}

/// Runs `check --all-models` with `args`; returns (exit code, JSON, JUnit text, summary).
pub(super) fn audit(s: &Server, args: &[&str]) -> (i32, Value, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let (json, junit, report) = (
        dir.path().join("r.json"),
        dir.path().join("j.xml"),
        dir.path().join("s.md"),
    );
    let out = clean()
        .args([
            "check",
            "--all-models",
            "--no-config",
            "--tracking-uri",
            &s.uri,
        ])
        .args(args)
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let read = |p: &std::path::Path| {
        std::fs::read_to_string(p)
            .unwrap_or_else(|e| panic!("{}: {e}; stderr: {stderr}", p.display()))
    };
    let results = serde_json::from_str(&read(&json)).expect("bulk JSON");
    (
        out.status.code().unwrap(),
        results,
        read(&junit),
        read(&report),
    )
}

pub(super) type Key = (String, String);

/// (model, version) → verdict status, from the bulk JSON.
fn statuses(results: &Value) -> BTreeMap<Key, String> {
    results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                (
                    r["target"]["name"].as_str().unwrap().to_string(),
                    r["target"]["version"].as_str().unwrap().to_string(),
                ),
                r["verdict"]["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn with(statuses: &BTreeMap<Key, String>, status: &str) -> BTreeSet<Key> {
    statuses
        .iter()
        .filter(|(_, s)| *s == status)
        .map(|(k, _)| k.clone())
        .collect()
}

fn key(model: &str, version: &str) -> Key {
    (model.to_string(), version.to_string())
}

#[test]
fn mlflow3_all_models_finds_exactly_the_bad_versions() {
    let Some(s) = server("MLFLOW3") else { return };
    let r = populate(&s, "all");
    let filter = format!("name LIKE '{}-%'", r.prefix);
    // An alias, which the listing the audit reads versions from does not carry.
    let aliased = key(&format!("{}-good-3", r.prefix), "17");
    crate::promote_live::call(
        &s,
        "POST",
        "registered-models/alias",
        &json!({ "name": aliased.0, "alias": "champion", "version": aliased.1 }),
    );
    let snapshots = tempfile::tempdir().unwrap();
    let snapshot_dir = snapshots.path().to_str().unwrap();
    let (code, results, junit, summary) = audit(
        &s,
        &[
            "--filter",
            &filter,
            "--quiet",
            "--snapshot-dir",
            snapshot_dir,
        ],
    );
    let by_version = statuses(&results);
    let total = GOOD_MODELS * VERSIONS + 3 + 3 + 1;
    assert_eq!(by_version.len(), total, "one result per version");
    let bad: BTreeSet<Key> = (1..=3)
        .flat_map(|v| {
            [
                key(&r.bad, &v.to_string()),
                key(&r.unsigned, &v.to_string()),
            ]
        })
        .collect();
    assert_eq!(
        with(&by_version, "fail"),
        bad,
        "exactly the bad versions fail"
    );
    let broken: BTreeSet<Key> = [r.broken.clone()].into();
    assert_eq!(
        with(&by_version, "error"),
        broken,
        "the broken version is an error"
    );
    assert_eq!(code, 1, "a failure beats an error");
    assert_eq!(results["summary"]["fail"], 6);
    assert_eq!(results["summary"]["error"], 1);
    assert_eq!(results["summary"]["pass"], total - 7);

    // JUnit says the same: one testsuite per version, failures exactly in the bad ones.
    let doc = roxmltree::Document::parse(&junit).expect("well-formed JUnit");
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), total);
    let count =
        |n: &roxmltree::Node, a: &str| n.attribute(a).unwrap_or("0").parse::<usize>().unwrap();
    let junit_status: BTreeMap<Key, String> = suites
        .iter()
        .map(|n| {
            let (m, v) = n.attribute("name").unwrap().rsplit_once('/').unwrap();
            let status = if count(n, "failures") > 0 {
                "fail"
            } else if count(n, "errors") > 0 {
                "error"
            } else {
                "pass"
            };
            (key(m, v), status.to_string())
        })
        .collect();
    assert_eq!(junit_status, by_version, "JUnit and JSON agree");

    // The summary names every failing version with its rule, and the unreachable one.
    assert!(summary.starts_with("# mlgate audit: FAIL"), "{summary}");
    for v in 1..=3 {
        assert!(
            summary.contains(&format!("| {} | {v} | `missing-description` |", r.bad)),
            "{summary}"
        );
        assert!(
            summary.contains(&format!("| {} | {v} | ", r.unsigned)),
            "{summary}"
        );
    }
    assert!(
        summary.contains(&format!("| {} | {} |", r.broken.0, r.broken.1)),
        "{summary}"
    );
    assert!(summary.contains("| PASS | 200 |"), "{summary}");

    // Single checks of the same versions give the same verdicts and findings.
    for (k, expected_code) in [
        (key(&r.bad, "2"), 1),
        (key(&r.unsigned, "3"), 1),
        (r.broken.clone(), 3),
        (key(&format!("{}-good-3", r.prefix), "17"), 0),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("one.json");
        let out = clean()
            .args(["check", "--no-config", "--quiet", "--tracking-uri", &s.uri])
            .arg(format!("models:/{}/{}", k.0, k.1))
            .arg("--json")
            .arg(&json)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(expected_code), "{k:?}");
        let single: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let bulk = results["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["target"]["name"] == k.0.as_str() && d["target"]["version"] == k.1.as_str())
            .unwrap();
        assert_eq!(single["verdict"], bulk["verdict"], "{k:?}");
        assert_eq!(single["findings"], bulk["findings"], "{k:?}");
    }

    // The audit's snapshot of a version is the single `snapshot` of it, aliases and all, though
    // the audit took the version from the listing and its files through the artifact proxy.
    let dir = tempfile::tempdir().unwrap();
    let single_path = dir.path().join("single.json");
    let out = clean()
        .args(["snapshot", "--tracking-uri", &s.uri])
        .arg(format!("models:/{}/{}", aliased.0, aliased.1))
        .arg("-o")
        .arg(&single_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let without_time = |path: &std::path::Path| {
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        v["manifest"].as_object_mut().unwrap().remove("gathered_at");
        // The shared logged model lists every version registered from it, and the other live
        // tests register theirs while this one runs: that list (and the model's update time)
        // changes between the two gatherings, whatever mlgate does.
        forget_shared_listing(&mut v["logged_model"]);
        v
    };
    let bulk_snapshot = without_time(
        &snapshots
            .path()
            .join(&aliased.0)
            .join(format!("{}.snapshot.json", aliased.1)),
    );
    assert_eq!(
        bulk_snapshot["model_version"]["aliases"],
        json!(["champion"])
    );
    let differences = crate::json_differences(&bulk_snapshot, &without_time(&single_path));
    assert!(
        differences.is_empty(),
        "the audit's snapshot differs from the single one at:\n{}",
        differences.join("\n")
    );

    // --shard: three shards together check every version exactly once.
    let mut seen: Vec<Key> = Vec::new();
    for i in 1..=3 {
        let (_, shard, _, _) = audit(
            &s,
            &["--filter", &filter, "--quiet", "--shard", &format!("{i}/3")],
        );
        seen.extend(statuses(&shard).into_keys());
    }
    seen.sort();
    assert_eq!(seen, by_version.keys().cloned().collect::<Vec<_>>());
}

#[test]
fn mlflow3_filter_and_versions_select_what_they_say() {
    let Some(s) = server("MLFLOW3") else { return };
    let r = populate(&s, "sel");
    let filter = format!("name LIKE '{}-%'", r.prefix);
    // --filter: only the bad model.
    let (code, results, _, _) = audit(&s, &["--filter", &format!("name = '{}'", r.bad), "-q"]);
    assert_eq!(code, 1);
    let expected: BTreeSet<Key> = (1..=3).map(|v| key(&r.bad, &v.to_string())).collect();
    assert_eq!(
        statuses(&results).into_keys().collect::<BTreeSet<_>>(),
        expected
    );

    // --versions latest: the highest version of each model.
    let (_, results, _, _) = audit(&s, &["--filter", &filter, "--versions", "latest", "-q"]);
    let mut expected: BTreeSet<Key> = (0..GOOD_MODELS)
        .map(|m| key(&format!("{}-good-{m}", r.prefix), &VERSIONS.to_string()))
        .collect();
    expected.insert(r.broken.clone());
    expected.remove(&key(&r.broken.0, &VERSIONS.to_string()));
    expected.insert(key(&r.bad, "3"));
    expected.insert(key(&r.unsigned, "3"));
    assert_eq!(
        statuses(&results).into_keys().collect::<BTreeSet<_>>(),
        expected
    );

    // --versions aliased: the versions an alias points at, and the latest in each stage.
    let call = |path: &str, body: Value| {
        crate::promote_live::call(&s, "POST", path, &body);
    };
    let g1 = format!("{}-good-1", r.prefix);
    let g2 = format!("{}-good-2", r.prefix);
    call(
        "registered-models/alias",
        json!({ "name": g1, "alias": "champion", "version": "5" }),
    );
    call(
        "registered-models/alias",
        json!({ "name": g1, "alias": "challenger", "version": "6" }),
    );
    for v in ["7", "9"] {
        call(
            "model-versions/transition-stage",
            json!({ "name": g2, "version": v, "stage": "Staging", "archive_existing_versions": false }),
        );
    }
    call(
        "model-versions/transition-stage",
        json!({ "name": g2, "version": "3", "stage": "Archived", "archive_existing_versions": false }),
    );
    let (code, results, _, _) = audit(&s, &["--filter", &filter, "--versions", "aliased", "-q"]);
    assert_eq!(code, 0, "{results}");
    let expected: BTreeSet<Key> = [key(&g1, "5"), key(&g1, "6"), key(&g2, "9")].into();
    assert_eq!(
        statuses(&results).into_keys().collect::<BTreeSet<_>>(),
        expected
    );
}

#[test]
fn mlflow3_target_alias_gathers_each_versions_incumbent() {
    let Some(s) = server("MLFLOW3") else { return };
    let r = populate(&s, "tgt");
    // good-1 has 40 versions; @champion on v1, and the audit checks each latest version as the
    // candidate for @champion (good-2 has no champion: its first promotion).
    let (g1, g2) = (
        format!("{}-good-1", r.prefix),
        format!("{}-good-2", r.prefix),
    );
    crate::promote_live::call(
        &s,
        "POST",
        "registered-models/alias",
        &json!({ "name": g1, "alias": "champion", "version": "1" }),
    );
    let snapshots = tempfile::tempdir().unwrap();
    let filter = format!("name LIKE '{}-good-%'", r.prefix);
    let (code, results, _, _) = audit(
        &s,
        &[
            "--filter",
            &filter,
            "--versions",
            "latest",
            "--target-alias",
            "champion",
            "-q",
            "--snapshot-dir",
            snapshots.path().to_str().unwrap(),
        ],
    );
    let by_version = statuses(&results);
    assert!(by_version.contains_key(&key(&g1, "40")), "{results}");
    assert!(by_version.contains_key(&key(&g2, "40")), "{results}");
    assert_ne!(code, 2, "{results}");
    let snapshot = |model: &str| -> Value {
        let path = snapshots.path().join(model).join("40.snapshot.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let with_champion = snapshot(&g1);
    assert_eq!(with_champion["target"]["alias"], "champion");
    assert_eq!(with_champion["incumbent"]["holds"], "@champion");
    assert_eq!(with_champion["incumbent"]["version"], "1");
    assert_eq!(
        with_champion["incumbent"]["model_version"]["aliases"],
        json!(["champion"])
    );
    assert!(with_champion["incumbent"]["run"].is_object());
    let first = snapshot(&g2);
    assert_eq!(first["incumbent"]["holds"], "@champion");
    assert!(first["incumbent"].get("version").is_none(), "{first}");
}

/// Drops `mlflow.modelVersions` (as a map entry or a `{key, value}` tag) and the update time
/// from a logged model section, wherever they appear in it.
fn forget_shared_listing(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("mlflow.modelVersions");
            map.remove("last_updated_timestamp_ms");
            map.values_mut().for_each(forget_shared_listing);
        }
        Value::Array(items) => {
            items.retain(|t| t["key"] != "mlflow.modelVersions");
            items.iter_mut().for_each(forget_shared_listing);
        }
        _ => {}
    }
}
