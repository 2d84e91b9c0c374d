//! Gathering from real MLflow servers (3.17 and 2.22, plain and with basic-auth), started by
//! `scripts/live/servers.sh` and named in the environment (`MLGATE_TEST_*`). Without them the
//! tests are skipped locally and fail under `CI=true`.

use predicates::str::contains;
use serde_json::Value;

use crate::{mlgate, outcomes};

/// A live server: its URI and what the populate script wrote to it.
pub struct Server {
    pub uri: String,
    pub ids: Value,
}

pub fn server(key: &str) -> Option<Server> {
    let uri = std::env::var(format!("MLGATE_TEST_{key}_URI")).ok();
    let ids = std::env::var(format!("MLGATE_TEST_{key}_IDS")).ok();
    match (uri, ids) {
        (Some(uri), Some(ids)) => {
            let ids = serde_json::from_str(&std::fs::read_to_string(&ids).expect("ids file"))
                .expect("ids json");
            Some(Server { uri, ids })
        }
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("MLGATE_TEST_{key}_URI is not set: under CI the live MLflow servers must run (scripts/test starts them)")
        }
        _ => {
            eprintln!("skipping: MLGATE_TEST_{key}_URI not set (run through scripts/test to start real MLflow servers)");
            None
        }
    }
}

/// `mlgate` with no MLflow credentials inherited from the caller.
pub fn clean() -> assert_cmd::Command {
    let mut cmd = mlgate();
    for var in [
        "MLFLOW_TRACKING_URI",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
        "MLFLOW_TRACKING_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `check` and returns (exit code, results JSON).
fn check(uri: &str, reference: &str, extra: &[(&str, &str)]) -> (i32, Value) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let mut cmd = clean();
    cmd.envs(extra.iter().copied())
        .args([
            "check",
            "--quiet",
            reference,
            "--tracking-uri",
            uri,
            "--json",
        ])
        .arg(&json);
    let out = cmd.output().unwrap();
    let text = std::fs::read_to_string(&json).unwrap_or_else(|_| {
        panic!(
            "no results for {reference}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let results = serde_json::from_str(&text).unwrap();
    (out.status.code().unwrap(), results)
}

fn good_and_bad(key: &str) {
    let Some(s) = server(key) else { return };
    let good = s.ids["good_model"].as_str().unwrap();
    let bad = s.ids["bad_model"].as_str().unwrap();
    let (code, by_version) = check(&s.uri, &format!("models:/{good}/2"), &[]);
    assert_eq!(
        code,
        0,
        "the good model passes: {:?}",
        outcomes(&by_version)
    );
    for reference in [
        format!("models:/{good}@champion"),
        format!("models:/{good}/Production"),
    ] {
        let (code, results) = check(&s.uri, &reference, &[]);
        assert_eq!(code, 0);
        assert_eq!(
            results["target"]["version"], "2",
            "{reference} resolves to version 2"
        );
        assert_eq!(
            outcomes(&results),
            outcomes(&by_version),
            "{reference} gives the same findings"
        );
        assert_eq!(results["findings"], by_version["findings"]);
    }
    let (code, results) = check(&s.uri, &format!("models:/{bad}/1"), &[]);
    assert_eq!(code, 1);
    let o = outcomes(&results);
    for rule in [
        "missing-description",
        "missing-signature",
        "empty-params",
        "missing-input-example",
    ] {
        assert_eq!(o[rule], "fail", "{rule} fails on the bad model: {o:?}");
    }
    // v2 was registered from s3:// with no run: its artifacts cannot be read, so the MLmodel
    // rules cannot be evaluated — an error, never a pass.
    let (code, results) = check(&s.uri, &format!("models:/{bad}/2"), &[]);
    assert_eq!(code, 1);
    let o = outcomes(&results);
    assert_eq!(o["missing-signature"], "error", "{o:?}");
    assert_eq!(o["missing-source-run"], "fail", "{o:?}");
    assert_eq!(
        o["users-group-can-manage"], "skipped",
        "no auth app: ACL rules are not applicable"
    );
}

#[test]
fn mlflow3_good_model_passes_bad_model_fails() {
    good_and_bad("MLFLOW3");
}

#[test]
fn mlflow2_good_model_passes_bad_model_fails() {
    good_and_bad("MLFLOW2");
}

/// Every param, metric, tag, alias and dataset input written by the populate script is in the
/// snapshot and in the report.
fn nothing_lost(key: &str) {
    let Some(s) = server(key) else { return };
    let dir = tempfile::tempdir().unwrap();
    let good = s.ids["good_model"].as_str().unwrap();
    for version in ["1", "2"] {
        let snap_path = dir.path().join(format!("v{version}.json"));
        let report_path = dir.path().join(format!("v{version}.md"));
        let reference = format!("models:/{good}/{version}");
        clean()
            .args(["snapshot", &reference, "--tracking-uri", &s.uri, "-o"])
            .arg(&snap_path)
            .assert()
            .code(0);
        clean()
            .args(["report", &reference, "--tracking-uri", &s.uri, "-o"])
            .arg(&report_path)
            .assert()
            .code(0);
        let snap: Value =
            serde_json::from_str(&std::fs::read_to_string(&snap_path).unwrap()).unwrap();
        let report = std::fs::read_to_string(&report_path).unwrap();
        let has_row = |key: &str, value: &str| {
            let value = value.replace('|', "\\|");
            report
                .lines()
                .any(|l| l.starts_with(&format!("|{key}|{value}|")))
        };
        let expected = &s.ids["models"][good]["versions"][version];
        let run = &s.ids["runs"][expected["run_id"].as_str().unwrap()];
        for (k, v) in run["params"].as_object().unwrap() {
            assert_eq!(snap["run"]["params"][k], *v, "param {k}");
            assert!(has_row(k, v.as_str().unwrap()), "param {k} in the report");
        }
        for (k, v) in run["metrics"].as_object().unwrap() {
            let got = snap["run"]["metrics"][k]["value"].as_f64().unwrap();
            assert!((got - v.as_f64().unwrap()).abs() < 1e-12, "metric {k}");
            assert!(
                report.lines().any(|l| l.starts_with(&format!("|{k}|"))),
                "metric {k} in the report"
            );
        }
        for (k, v) in run["tags"].as_object().unwrap() {
            assert_eq!(snap["run"]["tags"][k], *v, "run tag {k}");
            assert!(has_row(k, v.as_str().unwrap()), "run tag {k} in the report");
        }
        for (k, v) in expected["tags"].as_object().unwrap() {
            assert_eq!(snap["model_version"]["tags"][k], *v, "version tag {k}");
            assert!(
                has_row(k, v.as_str().unwrap()),
                "version tag {k} in the report"
            );
        }
        for (k, v) in s.ids["models"][good]["tags"].as_object().unwrap() {
            assert_eq!(snap["registered_model"]["tags"][k], *v, "model tag {k}");
        }
        let aliases: Vec<&str> = expected["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(snap["model_version"]["aliases"], serde_json::json!(aliases));
        assert!(
            has_row("aliases", &aliases.join(", ")),
            "aliases in the report"
        );
        assert_eq!(snap["model_version"]["current_stage"], expected["stage"]);
        for (alias, v) in s.ids["models"][good]["aliases"].as_object().unwrap() {
            let listed = snap["registered_model"]["aliases"].as_array().unwrap();
            assert!(
                listed
                    .iter()
                    .any(|a| a["alias"] == alias.as_str() && a["version"] == *v),
                "alias {alias}"
            );
        }
        let datasets = snap["run"]["inputs"]["dataset_inputs"].as_array().unwrap();
        for d in run["datasets"].as_array().unwrap() {
            let name = d["name"].as_str().unwrap();
            let got = datasets
                .iter()
                .find(|g| g["dataset"]["name"] == name)
                .unwrap_or_else(|| panic!("dataset {name}"));
            assert_eq!(got["dataset"]["digest"], d["digest"]);
            assert_eq!(got["tags"]["mlflow.data.context"], d["context"]);
            let source: Value = serde_json::from_str(d["source"].as_str().unwrap()).unwrap();
            assert_eq!(got["dataset"]["source"], source, "dataset source decoded");
            assert!(
                report
                    .lines()
                    .any(|l| l.starts_with(&format!("|{name}|{}|", d["digest"].as_str().unwrap()))),
                "dataset {name} in the report"
            );
        }
        for (k, v) in s.ids["experiments"][run["experiment_id"].as_str().unwrap()]["tags"]
            .as_object()
            .unwrap()
        {
            assert_eq!(snap["experiment"]["tags"][k], *v, "experiment tag {k}");
        }
        assert!(
            snap["input_example"]["columns"].is_array(),
            "input example gathered"
        );
        assert!(report.contains("## Input example"));
        let files = snap["artifacts"]["files"]
            .as_array()
            .expect("artifact listing");
        assert!(files.iter().any(|f| f["path"] == "MLmodel"), "{files:?}");
        assert!(snap["artifacts"]["size_bytes"].as_u64().unwrap() > 1000);
        assert!(snap["mlflow_model"]["signature"]["inputs"]
            .as_array()
            .is_some_and(|i| !i.is_empty()));
    }
}

#[test]
fn mlflow3_every_fact_lands_in_snapshot_and_report() {
    nothing_lost("MLFLOW3");
}

#[test]
fn mlflow2_every_fact_lands_in_snapshot_and_report() {
    nothing_lost("MLFLOW2");
}

#[test]
fn live_check_and_replayed_snapshot_agree() {
    let Some(s) = server("MLFLOW3") else { return };
    let dir = tempfile::tempdir().unwrap();
    let reference = format!("models:/{}@champion", s.ids["good_model"].as_str().unwrap());
    let snap = dir.path().join("s.json");
    clean()
        .args(["snapshot", &reference, "--tracking-uri", &s.uri, "-o"])
        .arg(&snap)
        .assert()
        .code(0);
    let (live_md, replay_md) = (dir.path().join("live.md"), dir.path().join("replay.md"));
    clean()
        .args([
            "check",
            "-q",
            &reference,
            "--tracking-uri",
            &s.uri,
            "--report",
        ])
        .arg(&live_md)
        .assert()
        .code(0);
    clean()
        .args(["check", "-q", "--snapshot"])
        .arg(&snap)
        .arg("--report")
        .arg(&replay_md)
        .assert()
        .code(0);
    let strip = |p: &std::path::Path| {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("|report_time|") && !l.starts_with("|gathered_at|"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&live_md), strip(&replay_md));
}

#[test]
fn mlflow3_logged_model_and_runs_uri_sources_resolve() {
    let Some(s) = server("MLFLOW3") else { return };
    let good = s.ids["good_model"].as_str().unwrap();
    let lm = s.ids["models"][good]["versions"]["2"]["logged_model_id"]
        .as_str()
        .unwrap();
    let (_, results) = check(&s.uri, &format!("models:/{lm}"), &[]);
    assert_eq!(
        outcomes(&results)["missing-signature"],
        "pass",
        "the logged model's MLmodel was read"
    );
    // A `runs:/` source (server answers 500 on get-artifact): resolved through the run's outputs.
    let runs_model = s.ids["runs_uri_model"].as_str().unwrap();
    let (_, results) = check(&s.uri, &format!("models:/{runs_model}/1"), &[]);
    assert_eq!(outcomes(&results)["missing-signature"], "pass", "{results}");
}

#[test]
fn basic_auth_acl_is_gathered_on_mlflow3() {
    let Some(s) = server("MLFLOW3_AUTH") else {
        return;
    };
    let admin = std::env::var("MLGATE_TEST_AUTH_ADMIN_PASSWORD").unwrap();
    let creds = [
        ("MLFLOW_TRACKING_USERNAME", "admin"),
        ("MLFLOW_TRACKING_PASSWORD", admin.as_str()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("s.json");
    clean()
        .envs(creds)
        .args([
            "snapshot",
            &format!("models:/{}/1", s.ids["bad_model"].as_str().unwrap()),
            "--tracking-uri",
            &s.uri,
            "-o",
        ])
        .arg(&snap)
        .assert()
        .code(0);
    let snap: Value = serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    let entries = snap["permissions"]["registered_model"]["entries"]
        .as_array()
        .expect("ACL entries");
    assert!(
        entries.iter().any(|e| e["principal"] == "manager"
            && e["level"] == "MANAGE"
            && e["rank"] == "manage"),
        "{entries:?}"
    );
    assert!(entries
        .iter()
        .any(|e| e["principal"] == "admin" && e["inherited_from"][0] == "admin"));
}

#[test]
fn basic_auth_acl_on_mlflow2_cannot_be_listed_and_says_so() {
    let Some(s) = server("MLFLOW2_AUTH") else {
        return;
    };
    let admin = std::env::var("MLGATE_TEST_AUTH_ADMIN_PASSWORD").unwrap();
    let creds = [
        ("MLFLOW_TRACKING_USERNAME", "admin"),
        ("MLFLOW_TRACKING_PASSWORD", admin.as_str()),
    ];
    let (code, results) = check(
        &s.uri,
        &format!("models:/{}/2", s.ids["good_model"].as_str().unwrap()),
        &creds,
    );
    assert_eq!(
        code, 3,
        "an ACL that cannot be read is never a pass, nor a policy failure"
    );
    assert_eq!(outcomes(&results)["users-group-can-manage"], "error");
}

// ---- error classes: each a clear message and exit 3 -------------------------------------

fn gather_error(uri: &str, reference: &str, env: &[(&str, &str)], expected: &[&str]) {
    let mut cmd = clean();
    cmd.envs(env.iter().copied())
        .args(["check", reference, "--tracking-uri", uri]);
    let mut assert = cmd
        .assert()
        .code(3)
        .stderr(contains(format!("could not gather {reference}")));
    for text in expected {
        assert = assert.stderr(contains(*text));
    }
}

#[test]
fn unknown_model_version_and_alias_are_exit_3() {
    let Some(s) = server("MLFLOW3") else { return };
    gather_error(
        &s.uri,
        "models:/no-such-model/1",
        &[],
        &["HTTP 404 RESOURCE_DOES_NOT_EXIST", "no-such-model"],
    );
    gather_error(
        &s.uri,
        "models:/lab-credit-model/99",
        &[],
        &["HTTP 404", "version=99"],
    );
    // MLflow answers an unknown alias with 400, not 404.
    gather_error(
        &s.uri,
        "models:/lab-credit-model@nope",
        &[],
        &["HTTP 400 INVALID_PARAMETER_VALUE", "alias nope not found"],
    );
    gather_error(
        &s.uri,
        "models:/lab-bad-model/Archived",
        &[],
        &["has no version in stage Archived"],
    );
}

#[test]
fn auth_failures_are_exit_3() {
    let Some(s) = server("MLFLOW3_AUTH") else {
        return;
    };
    gather_error(
        &s.uri,
        "models:/lab-credit-model/1",
        &[],
        &["HTTP 401", "You are not authenticated"],
    );
    let nogrant = std::env::var("MLGATE_TEST_AUTH_NOGRANT_PASSWORD").unwrap();
    gather_error(
        &s.uri,
        "models:/lab-credit-model/1",
        &[
            ("MLFLOW_TRACKING_USERNAME", "nogrant"),
            ("MLFLOW_TRACKING_PASSWORD", nogrant.as_str()),
        ],
        &["HTTP 403", "Permission denied"],
    );
}

#[test]
fn server_down_is_exit_3() {
    // Bind and drop a listener: the port is free and nothing answers.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    gather_error(
        &format!("http://127.0.0.1:{port}"),
        "models:/m/1",
        &[],
        &["cannot reach", "connection refused", "after 2 attempts"],
    );
}

#[test]
fn html_500_and_truncated_json_are_exit_3() {
    let html = "HTTP/1.1 500 INTERNAL SERVER ERROR\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<!doctype html><title>500 Internal Server Error</title><h1>Internal Server Error</h1>";
    let uri = one_shot_server(html);
    gather_error(
        &uri,
        "models:/m/1",
        &[],
        &["HTTP 500", "Internal Server Error"],
    );
    let truncated = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"model_version\": {\"name\": \"m\", \"vers";
    let uri = one_shot_server(truncated);
    gather_error(
        &uri,
        "models:/m/1",
        &[],
        &["invalid JSON", "EOF while parsing", "line 1 column"],
    );
}

/// A loopback server answering every connection with the same raw HTTP response.
fn one_shot_server(response: &'static str) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(16) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    uri
}

#[test]
fn malformed_reference_is_a_usage_error() {
    clean()
        .args([
            "check",
            "models:/churn",
            "--tracking-uri",
            "http://127.0.0.1:9",
        ])
        .assert()
        .code(2)
        .stderr(contains("accepted forms"));
    clean()
        .args(["snapshot", "models:/churn/1", "-o", "/dev/null"])
        .assert()
        .code(2)
        .stderr(contains("MLFLOW_TRACKING_URI"));
}

/// The registry writes a promotion needs, made through the client on real servers and read
/// back by a fresh gather: alias (upsert), version tag, stage transition.
#[test]
fn registry_writes_land_on_real_servers() {
    use mlgate::client::{Client, Config};
    use mlgate::gather::{self, Context, Write};
    use mlgate::model_ref::ModelRef;
    use mlgate::snapshot::Backend;

    for key in ["MLFLOW3", "MLFLOW2"] {
        let Some(s) = server(key) else { continue };
        // A model no other live test reads aliases, tags or stages of.
        let name = s.ids["runs_uri_model"].as_str().unwrap();
        let cx = Context::new(Client::new(Config::mlflow(s.uri.clone(), &|_| None)).unwrap());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let snapshot = runtime.block_on(async {
            for write in [
                Write::SetAlias {
                    name,
                    alias: "mlgate-write-test",
                    version: "1",
                },
                Write::SetVersionTag {
                    name,
                    version: "1",
                    key: "mlgate.verdict",
                    value: "pass",
                },
                Write::TransitionStage {
                    name,
                    version: "1",
                    stage: "Staging",
                    archive_existing: false,
                },
            ] {
                gather::write(&cx, Backend::MlflowOss, &write)
                    .await
                    .unwrap_or_else(|e| panic!("{key} {write:?}: {e}"));
            }
            let reference = ModelRef::parse(&format!("models:/{name}@mlgate-write-test")).unwrap();
            gather::gather(&cx, Backend::MlflowOss, &reference, "t".into())
                .await
                .unwrap()
        });
        let version = snapshot.model_version.expect("version");
        assert_eq!(
            version.version, "1",
            "{key}: the alias resolves to the version"
        );
        assert!(version.aliases.iter().any(|a| a == "mlgate-write-test"));
        assert_eq!(version.tags["mlgate.verdict"], "pass", "{key}");
        assert_eq!(version.current_stage.as_deref(), Some("Staging"), "{key}");
    }
}

/// A run holding two models: `runs:/RUN/NAME` audits the model of that name, and a name the run
/// does not hold is a gather error — never the run's other model.
#[test]
fn runs_uri_audits_the_named_model_of_a_run_with_two() {
    for key in ["MLFLOW3", "MLFLOW2"] {
        let Some(s) = server(key) else { continue };
        let run = s.ids["two_models_run"].as_str().expect("two_models_run");
        let (_, good) = check(&s.uri, &format!("runs:/{run}/good"), &[]);
        assert_eq!(
            outcomes(&good)["missing-signature"],
            "pass",
            "{key}: {good}"
        );
        let (code, bad) = check(&s.uri, &format!("runs:/{run}/bad"), &[]);
        assert_eq!(outcomes(&bad)["missing-signature"], "fail", "{key}: {bad}");
        assert_eq!(code, 1, "{key}");
        let (code, missing) = check(&s.uri, &format!("runs:/{run}/nonexistent"), &[]);
        assert_eq!(
            outcomes(&missing)["missing-signature"],
            "error",
            "{key}: {missing}"
        );
        assert!(
            missing["gather_errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["section"] == "mlflow_model"),
            "{key}: {missing}"
        );
        assert_ne!(code, 0, "{key}");
    }
}
