//! The promotion ledger on both Databricks registries: the entry `promote` appends is a
//! registered-model tag (workspace: `registered-models/set-tag`, documented; Unity Catalog:
//! MLflow-UC's `…/unity-catalog/registered-models/set-tag`, inferred), `history` reads it back
//! (Unity Catalog through MLflow-UC's `registered-models/get`, inferred), and `rollback
//! --previous` goes back through the same gate and appends its own entry.

use serde_json::Value;

use super::{churn, promote, workspace};
use crate::databricks::mock::{Mock, Options};
use crate::databricks::registry_state::Registry;
use crate::databricks::with_token;

/// The ledger entries in the registry's model tags, in key order.
fn entries(r: &Registry) -> Vec<(String, Value)> {
    r.model_tags
        .iter()
        .filter(|(k, _)| k.starts_with("mlgate.ledger."))
        .map(|(k, v)| {
            (
                k.clone(),
                serde_json::from_str(v).expect("an entry is JSON"),
            )
        })
        .collect()
}

fn writes_to(mock: &Mock, path: &str) -> Vec<crate::databricks::registry_state::Recorded> {
    mock.writes()
        .into_iter()
        .filter(|w| w.path == path)
        .collect()
}

fn history(mock: &Mock, home: &std::path::Path, target: &str) -> Value {
    let out = with_token(mock, home)
        .args(["history", target, "--json", "--verify"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn unity_catalog_keeps_the_ledger_in_model_tags_and_rolls_back_through_the_gate() {
    let mock = Mock::with_registry(Options::default(), churn());
    let dir = tempfile::tempdir().unwrap();
    promote(
        &mock,
        dir.path(),
        &["models:/main.ml.churn/4", "--to-alias", "champion"],
    )
    .assert()
    .code(0);
    let ledger_writes = writes_to(
        &mock,
        "/api/2.0/mlflow/unity-catalog/registered-models/set-tag",
    );
    assert_eq!(ledger_writes.len(), 1, "{ledger_writes:?}");
    let r = mock.registry();
    let e = entries(&r);
    assert_eq!(e.len(), 1);
    assert!(
        e[0].0.starts_with("mlgate.ledger.alias.champion.00000001."),
        "{}",
        e[0].0
    );
    assert_eq!(
        (e[0].1["from"].as_str(), e[0].1["to"].as_str()),
        (Some("3"), Some("4"))
    );
    assert_eq!(e[0].1["how"], "promote");
    let h = history(&mock, dir.path(), "main.ml.churn@champion");
    assert_eq!(h["holder_now"], "4");
    assert_eq!(h["entries"].as_array().unwrap().len(), 1);
    assert_eq!(h["verify"]["holds"], true);

    with_token(&mock, dir.path())
        .args([
            "rollback",
            "main.ml.churn",
            "--to-alias",
            "champion",
            "--previous",
        ])
        .args(["--no-config", "--policy", super::POLICY])
        .assert()
        .code(0);
    let r = mock.registry();
    assert_eq!(r.aliases["champion"], 3);
    let e = entries(&r);
    assert_eq!(e.len(), 2);
    assert_eq!(
        (e[1].1["from"].as_str(), e[1].1["to"].as_str()),
        (Some("4"), Some("3"))
    );
    assert_eq!(
        (e[1].1["how"].as_str(), e[1].1["seq"].as_u64()),
        (Some("rollback"), Some(2))
    );
    assert_eq!(e[1].1["prev"], e[0].1["id"]);
}

#[test]
fn the_workspace_registry_keeps_a_stage_ledger() {
    let mock = workspace(
        Registry::workspace()
            .version(1, "Production")
            .version(2, "None"),
    );
    let dir = tempfile::tempdir().unwrap();
    promote(
        &mock,
        dir.path(),
        &[
            "models:/dolly3b/2",
            "--to-stage",
            "Production",
            "--archive-existing",
        ],
    )
    .assert()
    .code(0);
    let ledger_writes = writes_to(&mock, "/api/2.0/mlflow/registered-models/set-tag");
    assert_eq!(ledger_writes.len(), 1, "{ledger_writes:?}");
    let e = entries(&mock.registry());
    assert!(
        e[0].0
            .starts_with("mlgate.ledger.stage.production.00000001."),
        "{}",
        e[0].0
    );
    assert_eq!(
        (e[0].1["from"].as_str(), e[0].1["to"].as_str()),
        (Some("1"), Some("2"))
    );
    assert_eq!(e[0].1["target"], "Production");
    let h = history(&mock, dir.path(), "dolly3b/Production");
    assert_eq!(h["holder_now"], "2");
    assert_eq!(h["entries"][0]["how"], "promote");
}
