//! `mlgate promote` against the mock's stateful registry (`registry_state.rs`): the workspace
//! registry's transition requests (approved on green, rejected on red, left alone when the
//! verdict is an error, refused when gone), Unity Catalog aliases (the documented PUT, the
//! `--expect-incumbent` guard), usage refusals, and `--dry-run`: each run is the real binary,
//! and each test asserts the writes the registry received, in full.

use std::path::Path;

use predicates::str::contains;
use serde_json::json;

use super::mock::{Mock, Options};
use super::registry_state::{Recorded, Registry};
use super::with_token;

/// Green when the candidate is READY and described; red when its description is empty.
const POLICY: &str = "tests/fixtures/policies/promote.toml";
const WS_TAG: &str = "/api/2.0/mlflow/model-versions/set-tag";
const UC_TAG: &str = "/api/2.0/mlflow/unity-catalog/model-versions/set-tag";
const APPROVE: &str = "/api/2.0/mlflow/transition-requests/approve";
const REJECT: &str = "/api/2.0/mlflow/transition-requests/reject";
const UC_CHAMPION: &str = "/api/2.1/unity-catalog/models/main.ml.churn/aliases/champion";

/// A workspace whose gathers are complete (the notebook's ACL readable): no call fails, so
/// the policy alone decides the verdict.
fn workspace(registry: Registry) -> Mock {
    Mock::with_registry(
        Options {
            notebook_acl_readable: true,
            ..Options::default()
        },
        registry,
    )
}

fn promote(mock: &Mock, home: &Path, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = with_token(mock, home);
    cmd.args(["promote", "--no-config", "--policy", POLICY])
        .args(args);
    cmd
}

/// v1 in Production, v2 in Staging with an open request to Production.
fn production_request() -> Registry {
    Registry::workspace()
        .version(1, "Production")
        .version(2, "Staging")
        .request(2, "Production")
}

fn tag<'a>(registry: &'a Registry, version: u64, key: &str) -> &'a str {
    registry
        .tags_of(version)
        .get(key)
        .unwrap_or_else(|| panic!("tag {key} not set on v{version}"))
}

/// Every write is a tag of `version` through `path`, and every `mlgate.*` tag was written.
fn only_tags(writes: &[Recorded], path: &str, name: &str, version: &str) {
    for w in writes {
        assert_eq!(
            (w.method.as_str(), w.path.as_str()),
            ("POST", path),
            "{w:?}"
        );
        assert_eq!(
            (&w.body["name"], &w.body["version"]),
            (&json!(name), &json!(version))
        );
    }
    let keys: Vec<&str> = writes
        .iter()
        .filter_map(|w| w.body["key"].as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "mlgate.verdict",
            "mlgate.target",
            "mlgate.incumbent",
            "mlgate.policy_digest",
            "mlgate.evaluated_at",
            "mlgate.summary",
            "mlgate.report",
        ]
    );
}

#[test]
fn a_green_candidate_has_its_request_approved_and_the_verdict_recorded() {
    let mock = workspace(production_request());
    let dir = tempfile::tempdir().unwrap();
    promote(
        &mock,
        dir.path(),
        &["models:/dolly3b/2", "--approve-request", "Production"],
    )
    .args([
        "--archive-existing",
        "--report-url",
        "https://ci.example/runs/7",
    ])
    .assert()
    .code(0)
    .stderr(contains(
        "promoted models:/dolly3b/2 to Production (was version 1)",
    ));
    let writes = mock.writes();
    let (approve, tags) = writes.split_first().expect("writes");
    assert_eq!(
        (approve.method.as_str(), approve.path.as_str()),
        ("POST", APPROVE)
    );
    let comment = approve.body["comment"].as_str().unwrap();
    assert!(comment.starts_with("mlgate: pass"), "{comment}");
    assert!(
        comment.ends_with(" · https://ci.example/runs/7"),
        "{comment}"
    );
    assert_eq!(
        approve.body,
        json!({"name": "dolly3b", "version": "2", "stage": "Production",
               "archive_existing_versions": true, "comment": comment})
    );
    only_tags(tags, WS_TAG, "dolly3b", "2");
    let r = mock.registry();
    assert_eq!((r.stage_of(2), r.stage_of(1)), ("Production", "Archived"));
    assert!(r.requests[&2].is_empty(), "the request is closed");
    assert_eq!(tag(&r, 2, "mlgate.verdict"), "pass");
    assert_eq!(tag(&r, 2, "mlgate.target"), "request:Production");
    assert_eq!(tag(&r, 2, "mlgate.incumbent"), "1");
    assert_eq!(tag(&r, 2, "mlgate.report"), "https://ci.example/runs/7");
    assert!(tag(&r, 2, "mlgate.policy_digest").starts_with("sha256:"));
    assert!(tag(&r, 2, "mlgate.summary").starts_with("pass at --fail-on "));
    assert!(r.tags_of(1).is_empty(), "the incumbent is not tagged");
}

#[test]
fn approving_into_an_empty_stage_records_no_incumbent_and_sends_the_flag_as_given() {
    let mock = workspace(
        Registry::workspace()
            .version(1, "Archived")
            .version(3, "None")
            .request(3, "Production"),
    );
    let dir = tempfile::tempdir().unwrap();
    promote(
        &mock,
        dir.path(),
        &["models:/dolly3b/3", "--approve-request", "production"],
    )
    .assert()
    .code(0);
    let approve = mock.registry().writes_to("/approve")[0].clone();
    assert_eq!(approve.body["archive_existing_versions"], json!(false));
    assert_eq!(
        approve.body["stage"], "Production",
        "the stage as the API spells it"
    );
    let r = mock.registry();
    assert_eq!(r.stage_of(3), "Production");
    assert_eq!(tag(&r, 3, "mlgate.incumbent"), "none");
    assert_eq!(tag(&r, 3, "mlgate.report"), "none");
    assert!(tag(&r, 3, "mlgate.summary").ends_with("no version held Production"));
}

#[test]
fn a_red_candidate_has_its_request_rejected_with_the_verdict() {
    let mock = workspace(production_request().describe(2, ""));
    let dir = tempfile::tempdir().unwrap();
    promote(
        &mock,
        dir.path(),
        &["models:/dolly3b/2", "--approve-request", "Production"],
    )
    .arg("--archive-existing")
    .assert()
    .code(1)
    .stderr(contains("was not promoted to Production: nothing moved"));
    let writes = mock.writes();
    let (reject, tags) = writes.split_first().expect("writes");
    assert_eq!(
        (reject.method.as_str(), reject.path.as_str()),
        ("POST", REJECT)
    );
    let r = mock.registry();
    let (summary, digest) = (
        tag(&r, 2, "mlgate.summary"),
        tag(&r, 2, "mlgate.policy_digest"),
    );
    assert!(summary.starts_with("fail at --fail-on "), "{summary}");
    assert!(summary.contains("1 failed"), "{summary}");
    assert_eq!(
        reject.body,
        json!({"name": "dolly3b", "version": "2", "stage": "Production",
               "comment": format!("mlgate: {summary} · policy {digest}")}),
        "the verdict summary as comment, and no archive flag"
    );
    only_tags(tags, WS_TAG, "dolly3b", "2");
    assert_eq!(tag(&r, 2, "mlgate.verdict"), "fail");
    assert_eq!(tag(&r, 2, "mlgate.target"), "request:Production");
    assert_eq!(tag(&r, 2, "mlgate.incumbent"), "1");
    assert_eq!(
        (r.stage_of(2), r.stage_of(1)),
        ("Staging", "Production"),
        "nothing moved"
    );
    assert!(r.requests[&2].is_empty(), "the request is closed");
}

#[test]
fn an_error_verdict_leaves_the_request_open() {
    // The notebook's ACL is refused (as in the seed): a call failed, so the verdict is an
    // error, not a fail; an outage must not reject a request as if the model were bad.
    let mock = Mock::with_registry(Options::default(), production_request());
    let dir = tempfile::tempdir().unwrap();
    promote(
        &mock,
        dir.path(),
        &["models:/dolly3b/2", "--approve-request", "Production"],
    )
    .assert()
    .code(3);
    let writes = mock.writes();
    only_tags(&writes, WS_TAG, "dolly3b", "2");
    let r = mock.registry();
    assert_eq!(tag(&r, 2, "mlgate.verdict"), "error");
    assert_eq!(r.requests[&2], ["Production"], "still open");
    assert_eq!(r.stage_of(2), "Staging");
}

#[test]
fn a_request_gone_by_the_move_is_a_conflict_and_nothing_is_written() {
    // Open to Staging only: there is nothing to approve for Production.
    let mock = workspace(
        Registry::workspace()
            .version(1, "Production")
            .version(2, "None")
            .request(2, "Staging"),
    );
    let dir = tempfile::tempdir().unwrap();
    promote(
        &mock,
        dir.path(),
        &["models:/dolly3b/2", "--approve-request", "Production"],
    )
    .assert()
    .code(4)
    .stderr(contains(
        "models:/dolly3b/2 has no open request to Production",
    ));
    let writes = mock.writes();
    assert!(writes.is_empty(), "no approve, no tags: {writes:?}");
    assert_eq!(mock.registry().stage_of(2), "None");
}

#[test]
fn a_red_candidate_whose_request_is_gone_is_still_red_and_recorded() {
    let mock = workspace(
        Registry::workspace()
            .version(1, "Production")
            .version(2, "Staging")
            .describe(2, ""),
    );
    let dir = tempfile::tempdir().unwrap();
    promote(
        &mock,
        dir.path(),
        &["models:/dolly3b/2", "--approve-request", "Production"],
    )
    .assert()
    .code(1)
    .stderr(contains("rejecting the request to Production failed"));
    let writes = mock.writes();
    let (reject, tags) = writes.split_first().expect("writes");
    assert_eq!(reject.path, REJECT, "tried, and refused: no open request");
    only_tags(tags, WS_TAG, "dolly3b", "2");
    assert_eq!(tag(&mock.registry(), 2, "mlgate.verdict"), "fail");
}

#[test]
fn an_approval_whose_answer_is_lost_is_settled_by_reading_the_registry() {
    let mock = workspace(production_request().lose_answer("/transition-requests/approve"));
    let dir = tempfile::tempdir().unwrap();
    promote(
        &mock,
        dir.path(),
        &["models:/dolly3b/2", "--approve-request", "Production"],
    )
    .assert()
    .code(0)
    .stderr(contains("the registry shows it was made"));
    let writes = mock.writes();
    let (approve, tags) = writes.split_first().expect("writes");
    assert_eq!(approve.path, APPROVE, "sent once, never again");
    only_tags(tags, WS_TAG, "dolly3b", "2");
    assert_eq!(mock.registry().stage_of(2), "Production");
}

#[test]
fn a_green_stage_move_on_the_workspace_registry() {
    let mock = workspace(
        Registry::workspace()
            .version(1, "Staging")
            .version(2, "None"),
    );
    let dir = tempfile::tempdir().unwrap();
    promote(
        &mock,
        dir.path(),
        &["models:/dolly3b/2", "--to-stage", "Staging"],
    )
    .args(["--archive-existing", "--expect-incumbent", "1"])
    .assert()
    .code(0);
    let writes = mock.writes();
    let (moved, tags) = writes.split_first().expect("writes");
    assert_eq!(
        moved.path,
        "/api/2.0/mlflow/databricks/model-versions/transition-stage"
    );
    assert_eq!(
        (
            &moved.body["version"],
            &moved.body["stage"],
            &moved.body["archive_existing_versions"]
        ),
        (&json!("2"), &json!("Staging"), &json!(true))
    );
    only_tags(tags, WS_TAG, "dolly3b", "2");
    let r = mock.registry();
    assert_eq!((r.stage_of(2), r.stage_of(1)), ("Staging", "Archived"));
    assert_eq!(tag(&r, 2, "mlgate.target"), "stage:Staging");
}

/// v3 holds @champion, v4 @challenger.
fn churn() -> Registry {
    Registry::unity_catalog()
        .version(3, "None")
        .version(4, "None")
        .alias("champion", 3)
        .alias("challenger", 4)
}

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
fn what_a_backend_cannot_do_is_refused_as_usage_without_a_write() {
    let cases: [(Registry, &[&str], &str); 3] = [
        (
            production_request(),
            &["models:/dolly3b/2", "--to-alias", "champion"],
            "the Databricks workspace registry has no aliases",
        ),
        (
            churn(),
            &["models:/main.ml.churn/4", "--to-stage", "Production"],
            "Unity Catalog models have no stages: use --to-alias",
        ),
        (
            churn(),
            &["models:/main.ml.churn/4", "--approve-request", "Production"],
            "only the Databricks workspace registry has transition requests",
        ),
    ];
    for (registry, args, message) in cases {
        let mock = workspace(registry);
        let dir = tempfile::tempdir().unwrap();
        promote(&mock, dir.path(), args)
            .assert()
            .code(2)
            .stderr(contains(message));
        assert!(mock.writes().is_empty(), "{args:?}: {:?}", mock.writes());
    }
}

#[test]
fn a_dry_run_writes_nothing_green_or_red() {
    let cases: [(Registry, &[&str], i32); 3] = [
        (
            production_request(),
            &["models:/dolly3b/2", "--approve-request", "Production"],
            0,
        ),
        (
            production_request().describe(2, ""),
            &["models:/dolly3b/2", "--approve-request", "Production"],
            1,
        ),
        (
            churn(),
            &["models:/main.ml.churn/4", "--to-alias", "champion"],
            0,
        ),
    ];
    for (registry, args, code) in cases {
        let before = registry.clone();
        let mock = workspace(registry);
        let dir = tempfile::tempdir().unwrap();
        promote(&mock, dir.path(), args)
            .arg("--dry-run")
            .assert()
            .code(code)
            .stderr(contains("dry run: "));
        assert!(mock.writes().is_empty(), "{args:?}: {:?}", mock.writes());
        let after = mock.registry();
        assert_eq!(after.requests, before.requests, "{args:?}");
        assert_eq!(after.aliases, before.aliases, "{args:?}");
        let stages = |r: &Registry| -> Vec<String> {
            r.versions.values().map(|v| v.stage.clone()).collect()
        };
        assert_eq!(stages(&after), stages(&before), "{args:?}");
    }
}
