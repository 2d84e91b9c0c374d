//! Unity Catalog model files by every route MLflow takes (`uc_storage_mock` serves them):
//! `DEFAULT_STORAGE` presigned URLs, ADLS Gen2 with a SAS, GCS with a bearer token, a U10 403,
//! a storage mode mlgate does not read, and expired credentials renewed once. Every credential
//! the mock hands out is a canary that must not appear in any output. S3 is in `uc_s3.rs`,
//! against a real S3-compatible server.

use std::path::Path;

use serde_json::Value;

use super::mock::{Mock, Options};
use super::uc_storage_mock::{sas, UcStorage, GCP_TOKEN, PREFIX, PRESIGNED_TOKEN};
use super::{json, with_token};
use crate::outcomes;

const REFERENCE: &str = "models:/main.ml.churn@champion";

/// What one `check` wrote: its exit code, stdout + stderr, the report, results and snapshot.
pub struct Run {
    pub code: i32,
    pub everything: String,
    pub results: Value,
    pub snapshot: Value,
    pub report: String,
}

/// `mlgate check` writing every output, then `mlgate snapshot`, with `envs` set.
pub fn check(mock: &Mock, dir: &Path, envs: &[(&str, String)]) -> Run {
    let (results, report, snap) = (
        dir.join("results.json"),
        dir.join("report.md"),
        dir.join("snapshot.json"),
    );
    let mut cmd = with_token(mock, dir);
    cmd.args(["check", REFERENCE, "--json"])
        .arg(&results)
        .arg("--report")
        .arg(&report);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let mut snapshot_cmd = with_token(mock, dir);
    snapshot_cmd.args(["snapshot", REFERENCE, "-o"]).arg(&snap);
    for (k, v) in envs {
        snapshot_cmd.env(k, v);
    }
    let snapshot_out = snapshot_cmd.output().unwrap();
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let everything = [
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        String::from_utf8_lossy(&snapshot_out.stdout).into_owned(),
        String::from_utf8_lossy(&snapshot_out.stderr).into_owned(),
        read(&results),
        read(&report),
        read(&snap),
    ]
    .join("\n");
    Run {
        code: out.status.code().unwrap_or(-1),
        everything,
        results: json(&results),
        snapshot: json(&snap),
        report: read(&report),
    }
}

impl Run {
    /// The model was read whole: signature, input example, listing, and the rule passes.
    pub fn read_the_model(&self) {
        let o = outcomes(&self.results);
        assert_eq!(o["missing-signature"], "pass", "{}", self.everything);
        assert_eq!(
            self.code, 1,
            "only the grants rule fails: {}",
            self.everything
        );
        let s = &self.snapshot;
        assert_eq!(s["errors"], serde_json::json!([]), "{}", self.everything);
        assert_eq!(
            s["mlflow_model"]["signature"]["inputs"][0]["name"],
            "tenure"
        );
        assert_eq!(s["input_example"]["columns"][1], "monthly_charges");
        let files: Vec<&str> = s["artifacts"]["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        assert_eq!(files, ["MLmodel", "input_example.json", "model.pkl"]);
        assert!(s["artifacts"]["size_bytes"].as_u64().is_some_and(|n| n > 0));
        for shown in [
            "tenure",
            "monthly_charges",
            "model.pkl",
            "input_example.json",
        ] {
            assert!(self.report.contains(shown), "the report shows {shown}");
        }
    }

    /// None of `secrets` appears in any output.
    pub fn shows_none_of(&self, secrets: &[&str]) {
        for secret in secrets {
            assert!(
                !self.everything.contains(secret),
                "`{secret}` leaked into an output:\n{}",
                self.everything
            );
        }
    }
}

fn mock(uc_storage: UcStorage, expire_first_credential: bool) -> Mock {
    Mock::start(Options {
        uc_storage,
        expire_first_credential,
        ..Options::default()
    })
}

#[test]
fn default_storage_reads_through_presigned_urls_with_their_headers() {
    let mock = mock(UcStorage::DefaultStorage, false);
    let dir = tempfile::tempdir().unwrap();
    let run = check(&mock, dir.path(), &[]);
    run.read_the_model();
    run.shows_none_of(&[PRESIGNED_TOKEN, "X-Amz-Signature=mock"]);
    assert_eq!(
        mock.requested(
            "POST /api/2.0/mlflow/unity-catalog/model-versions/generate-temporary-credentials"
        ),
        2,
        "one U10 per gather"
    );
    assert_eq!(mock.requested("POST /api/2.0/fs/create-download-url"), 4);
    // The mock refuses a presigned GET without the returned header or with a token.
    assert_eq!(mock.requested("GET /_signed/uc/Models/main/ml/churn/3/"), 4);
    assert_eq!(
        mock.requested("GET /api/2.0/fs/directories/Models/main/ml/churn/3/"),
        2
    );
}

#[test]
fn an_expired_presigned_url_is_asked_for_again_once() {
    let mock = mock(UcStorage::DefaultStorage, true);
    let dir = tempfile::tempdir().unwrap();
    check(&mock, dir.path(), &[]).read_the_model();
}

#[test]
fn azure_reads_with_the_sas_as_the_query_and_renews_an_expired_one_once() {
    let mock = mock(UcStorage::Azure, true);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("{}/_azure/{{account}}", mock.url);
    let run = check(
        &mock,
        dir.path(),
        &[("MLGATE_AZURE_STORAGE_ENDPOINT", endpoint)],
    );
    run.read_the_model();
    run.shows_none_of(&["mlgateCanarySas", "skoid=mlgate-oid"]);
    assert_eq!(
        run.snapshot["artifacts"]["uri"],
        format!("abfss://models@ucstore.dfs.core.windows.net/{PREFIX}")
    );
    // The exact request: `Path - Read` on the dfs URL, the SAS token verbatim as the query.
    assert_eq!(
        mock.requested(&format!(
            "GET /_azure/ucstore/models/{PREFIX}/MLmodel?{}",
            sas(2)
        )),
        1,
        "the first gather read the MLmodel with the renewed SAS"
    );
    assert_eq!(
        mock.requested(&format!(
            "GET /_azure/ucstore/models?directory={}&recursive=true&resource=filesystem&{}",
            PREFIX.replace('/', "%2F"),
            sas(2)
        )),
        1,
        "`Path - List` of the version's directory"
    );
    // Credential 1 expired: the first gather asked once more; the second got credential 3.
    assert_eq!(mock.requested("generate-temporary-credentials"), 3);
}

#[test]
fn gcs_reads_with_the_bearer_token() {
    let mock = mock(UcStorage::Gcs, false);
    let dir = tempfile::tempdir().unwrap();
    let run = check(
        &mock,
        dir.path(),
        &[("STORAGE_EMULATOR_HOST", format!("{}/_gcs", mock.url))],
    );
    run.read_the_model();
    run.shows_none_of(&[GCP_TOKEN]);
    let object = format!("{PREFIX}/MLmodel").replace('/', "%2F");
    assert_eq!(
        mock.requested(&format!(
            "GET /_gcs/storage/v1/b/uc-metastore-gcs/o/{object}?alt=media"
        )),
        2
    );
}

#[test]
fn a_gcs_token_refused_twice_is_renewed_once_then_reported() {
    // Storage answers 401/403 to both credentials: renewed once, then an error entry.
    let mock = Mock::start(Options {
        uc_storage: UcStorage::Gcs,
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let run = check(
        &mock,
        dir.path(),
        &[("STORAGE_EMULATOR_HOST", format!("{}/_nowhere", mock.url))],
    );
    assert_eq!(run.code, 1, "{}", run.everything);
    let errors = run.snapshot["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["section"] == "mlflow_model"
            && e["call"] == format!("GET gs://uc-metastore-gcs/{PREFIX}/MLmodel")),
        "{errors:?}"
    );
    run.shows_none_of(&[GCP_TOKEN]);
    assert_eq!(mock.requested("generate-temporary-credentials"), 4);
}

#[test]
fn a_refused_u10_names_the_missing_privilege() {
    let mock = mock(UcStorage::Denied, false);
    let dir = tempfile::tempdir().unwrap();
    let run = check(&mock, dir.path(), &[]);
    // `check` fails closed on the gather error (exit 1 beside the failing grants rule).
    assert_eq!(run.code, 1, "{}", run.everything);
    let errors = run.snapshot["errors"].as_array().unwrap();
    let entry = errors
        .iter()
        .find(|e| e["section"] == "mlflow_model")
        .unwrap_or_else(|| panic!("{errors:?}"));
    assert_eq!(entry["http_status"], 403);
    assert_eq!(entry["error_code"], "PERMISSION_DENIED");
    let message = entry["message"].as_str().unwrap();
    assert!(
        message.contains("EXECUTE privilege on `main.ml.churn`"),
        "{message}"
    );
    assert!(run.report.contains("EXECUTE"), "the report says it too");
    assert_eq!(outcomes(&run.results)["missing-signature"], "error");
}

#[test]
fn a_storage_mode_mlgate_does_not_read_is_named() {
    let mock = mock(UcStorage::R2, false);
    let dir = tempfile::tempdir().unwrap();
    let run = check(&mock, dir.path(), &[]);
    assert_eq!(run.code, 1);
    let errors = run.snapshot["errors"].as_array().unwrap();
    let message = errors
        .iter()
        .find(|e| e["section"] == "mlflow_model")
        .and_then(|e| e["message"].as_str())
        .unwrap_or_else(|| panic!("{errors:?}"));
    assert!(
        message.contains("r2_temp_credentials for storage mode CUSTOMER_HOSTED at r2://"),
        "{message}"
    );
    run.shows_none_of(&["mlgate-r2-secret", "mlgate-r2-token"]);
}
