//! `promote` on the workspace registry: transition requests approved on green (the stage moved,
//! the others archived with the flag), rejected with the verdict on red, left open on an
//! error verdict, a conflict when gone; a lost answer settled by reading; a stage move.

use predicates::str::contains;
use serde_json::json;

use super::{only_tags, production_request, promote, tag, workspace, APPROVE, REJECT, WS_TAG};
use crate::databricks::mock::{Mock, Options};
use crate::databricks::registry_state::Registry;

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
