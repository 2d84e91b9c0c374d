//! `promote` on Unity Catalog: the alias moved with the documented PUT and the verdict tagged
//! through MLflow's UC API, a red candidate tagged with the alias left alone, the
//! `--expect-incumbent` guard, and an alias moved by another client right after the PUT.

use predicates::str::contains;
use serde_json::json;

use super::{churn, only_tags, promote, tag, UC_CHAMPION, UC_TAG};
use crate::databricks::mock::{Mock, Options};

#[test]
fn unity_catalog_moves_the_alias_with_the_documented_put_and_tags_through_mlflow_uc() {
    let mock = Mock::with_registry(Options::default(), churn());
    let dir = tempfile::tempdir().unwrap();
    promote(
        &mock,
        dir.path(),
        &["models:/main.ml.churn/4", "--to-alias", "champion"],
    )
    .args(["--expect-incumbent", "3"])
    .assert()
    .code(0)
    .stderr(contains(
        "promoted models:/main.ml.churn/4 to @champion (was version 3)",
    ));
    let writes = mock.writes();
    let (put, tags) = writes.split_first().expect("writes");
    assert_eq!(
        (put.method.as_str(), put.path.as_str()),
        ("PUT", UC_CHAMPION)
    );
    assert_eq!(put.body, json!({"version_num": 4}));
    assert!(put.body["version_num"].is_u64(), "a number, not a string");
    only_tags(tags, UC_TAG, "main.ml.churn", "4");
    let r = mock.registry();
    assert_eq!(r.aliases["champion"], 4);
    assert_eq!(r.aliases["challenger"], 4, "other aliases untouched");
    assert_eq!(tag(&r, 4, "mlgate.verdict"), "pass");
    assert_eq!(tag(&r, 4, "mlgate.target"), "alias:champion");
    assert_eq!(tag(&r, 4, "mlgate.incumbent"), "3");
}

#[test]
fn a_red_unity_catalog_candidate_is_tagged_and_the_alias_stays() {
    let mock = Mock::with_registry(Options::default(), churn().describe(4, ""));
    let dir = tempfile::tempdir().unwrap();
    promote(
        &mock,
        dir.path(),
        &["models:/main.ml.churn/4", "--to-alias", "champion"],
    )
    .assert()
    .code(1);
    only_tags(&mock.writes(), UC_TAG, "main.ml.churn", "4");
    let r = mock.registry();
    assert_eq!(r.aliases["champion"], 3);
    assert_eq!(tag(&r, 4, "mlgate.verdict"), "fail");
    assert_eq!(tag(&r, 4, "mlgate.target"), "alias:champion");
}

#[test]
fn unity_catalog_refuses_a_wrong_expected_incumbent_before_any_write() {
    let mock = Mock::with_registry(Options::default(), churn());
    let dir = tempfile::tempdir().unwrap();
    promote(
        &mock,
        dir.path(),
        &["models:/main.ml.churn/4", "--to-alias", "champion"],
    )
    .args(["--expect-incumbent", "2"])
    .assert()
    .code(4)
    .stderr(contains("held by version 3, not version 2"));
    assert!(mock.writes().is_empty(), "{:?}", mock.writes());
    assert_eq!(mock.registry().aliases["champion"], 3);
}

#[test]
fn an_alias_moved_right_after_the_put_is_a_conflict_and_not_recorded() {
    let mock = Mock::with_registry(
        Options::default(),
        churn()
            .version(5, "None")
            .race(&format!("PUT {UC_CHAMPION}"), |r| {
                r.aliases.insert("champion".into(), 5);
            }),
    );
    let dir = tempfile::tempdir().unwrap();
    promote(
        &mock,
        dir.path(),
        &["models:/main.ml.churn/4", "--to-alias", "champion"],
    )
    .assert()
    .code(4)
    .stderr(contains(
        "is held by version 5, not models:/main.ml.churn/4",
    ));
    let writes = mock.writes();
    assert_eq!(writes.len(), 1, "the PUT, and no tags: {writes:?}");
    assert_eq!(writes[0].path, UC_CHAMPION);
}

#[test]
fn tags_refused_after_the_move_are_exit_5_and_the_promotion_stands() {
    let mock = Mock::with_registry(
        Options::default(),
        churn().lose_answer("/unity-catalog/model-versions/set-tag"),
    );
    let dir = tempfile::tempdir().unwrap();
    promote(
        &mock,
        dir.path(),
        &["models:/main.ml.churn/4", "--to-alias", "champion"],
    )
    .assert()
    .code(5)
    .stderr(contains(
        "the promotion stands, but recording the verdict failed",
    ));
    let writes = mock.writes();
    assert_eq!(writes[0].path, UC_CHAMPION);
    // The record's tags are sent at once; with the record failed, no ledger entry follows.
    assert!(
        writes[1..].iter().all(|w| w.body["key"]
            .as_str()
            .is_some_and(|k| k.starts_with("mlgate.") && !k.starts_with("mlgate.ledger."))),
        "only the record's tags after the move: {writes:?}"
    );
    assert_eq!(mock.registry().aliases["champion"], 4);
}

#[test]
fn a_promotion_conflict_prints_its_code() {
    let mock = Mock::with_registry(Options::default(), churn());
    let dir = tempfile::tempdir().unwrap();
    let out = promote(
        &mock,
        dir.path(),
        &[
            "models:/main.ml.churn/4",
            "--to-alias",
            "champion",
            "--quiet",
        ],
    )
    .args(["--expect-incumbent", "2"])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(4));
    insta::assert_snapshot!(String::from_utf8(out.stderr).unwrap());
}
