//! `mlgate promote` against the mock's stateful registry (`registry_state/`): the workspace
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

mod ledger;
mod unity_catalog;
mod workspace;

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

/// Every write is a tag of `version` through `path`, and every `mlgate.*` tag was written;
/// after a move, the ledger's entry (a registered-model tag, asserted in `ledger.rs`) comes
/// last.
fn only_tags(writes: &[Recorded], path: &str, name: &str, version: &str) {
    let model_tags = path.replace("model-versions/set-tag", "registered-models/set-tag");
    let ledger = |w: &Recorded| {
        w.path == model_tags
            && w.body["key"]
                .as_str()
                .is_some_and(|k| k.starts_with("mlgate.ledger."))
    };
    let writes: Vec<Recorded> = match writes.iter().position(ledger) {
        Some(i) => {
            assert!(writes[i..].iter().all(ledger), "{writes:?}");
            writes[..i].to_vec()
        }
        None => writes.to_vec(),
    };
    let writes = &writes;
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
    // Sent at once, so in no particular order: each key exactly once.
    let mut keys: Vec<&str> = writes
        .iter()
        .filter_map(|w| w.body["key"].as_str())
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "mlgate.evaluated_at",
            "mlgate.incumbent",
            "mlgate.policy_digest",
            "mlgate.report",
            "mlgate.summary",
            "mlgate.target",
            "mlgate.verdict",
        ]
    );
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
fn a_holder_that_changes_while_gathering_stops_the_move() {
    // Another client points @champion at v5 while mlgate reads the candidate's files.
    let mock = Mock::with_registry(
        Options::default(),
        churn()
            .version(5, "None")
            .race("GET /api/2.0/fs/files/", |r| {
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
    .stderr(contains("changed while mlgate was checking"))
    .stderr(contains(
        "held by version 3 when it started, by version 5 now",
    ));
    assert!(mock.writes().is_empty(), "{:?}", mock.writes());
    // The workspace registry: v3 enters Production while the requests are read.
    let mock = workspace(production_request().version(3, "None").race(
        "GET /api/2.0/mlflow/transition-requests/list",
        |r| {
            r.versions.get_mut(&3).unwrap().stage = "Production".into();
        },
    ));
    promote(
        &mock,
        dir.path(),
        &["models:/dolly3b/2", "--approve-request", "Production"],
    )
    .assert()
    .code(4)
    .stderr(contains("by version 3 now"));
    assert!(mock.writes().is_empty(), "{:?}", mock.writes());
    assert_eq!(mock.registry().requests[&2], ["Production"], "still open");
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
