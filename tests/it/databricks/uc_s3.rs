//! Unity Catalog on customer-hosted S3, against a real S3-compatible server that checks
//! signatures and session tokens (moto, started by `scripts/live/s3.sh` from `scripts/test`;
//! `MLGATE_TEST_S3_*` name it and the temporary credentials it issued). The mock workspace
//! answers U9 with an error (counted as false, as MLflow does) and U10 with those credentials
//! for `s3://<bucket>/<prefix>`; mlgate signs each GET with SigV4 plus the session token.
//! Without the server the tests skip, except under `CI=true`, where they fail.

use std::sync::Arc;

use super::mock::{Mock, Options};
use super::uc_storage::check;
use super::uc_storage_mock::{AwsCredentials, UcStorage, PREFIX};

/// The server and its credentials, or `None` (skip) when it is not running here.
fn server() -> Option<(String, String, AwsCredentials)> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let Some(url) = var("MLGATE_TEST_S3_URL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "MLGATE_TEST_S3_URL is not set under CI=true: scripts/test starts the S3 server (scripts/live/s3.sh)"
        );
        eprintln!(
            "skipped: no S3 test server (run scripts/live/s3.sh start DIR and source DIR/env.sh)"
        );
        return None;
    };
    let credentials = AwsCredentials {
        access_key_id: var("MLGATE_TEST_S3_ACCESS_KEY_ID")?,
        secret_access_key: var("MLGATE_TEST_S3_SECRET_ACCESS_KEY")?,
        session_token: var("MLGATE_TEST_S3_SESSION_TOKEN")?,
    };
    Some((url, var("MLGATE_TEST_S3_BUCKET")?, credentials))
}

fn mock(bucket: &str, credentials: AwsCredentials, expire_first_credential: bool) -> Mock {
    Mock::start(Options {
        uc_storage: UcStorage::Aws {
            bucket: bucket.to_string(),
            credentials: Arc::new(credentials),
        },
        expire_first_credential,
        ..Options::default()
    })
}

/// The endpoint as the AWS SDKs take it; a region of our own (the server takes any, and the
/// signature must name the one the request was signed for).
fn env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL_S3", url.to_string()),
        ("AWS_REGION", "eu-central-1".to_string()),
    ]
}

#[test]
fn s3_temporary_credentials_read_the_model_from_a_checking_server() {
    let Some((url, bucket, credentials)) = server() else {
        return;
    };
    let secrets = [
        credentials.secret_access_key.clone(),
        credentials.session_token.clone(),
        credentials.access_key_id.clone(),
    ];
    let mock = mock(&bucket, credentials, false);
    let dir = tempfile::tempdir().unwrap();
    let run = check(&mock, dir.path(), &env(&url));
    run.read_the_model();
    assert_eq!(
        run.snapshot["artifacts"]["uri"],
        format!("s3://{bucket}/{PREFIX}")
    );
    assert_eq!(
        run.snapshot["artifacts"]["size_bytes"],
        std::fs::read_to_string(crate::repo_path(
            "tests/fixtures/databricks/files/churn-MLmodel"
        ))
        .unwrap()
        .len()
            + std::fs::read_to_string(crate::repo_path(
                "tests/fixtures/databricks/files/churn-input_example.json"
            ))
            .unwrap()
            .len()
            + 60,
        "the three files of the version, not its neighbour `{PREFIX}-other/`"
    );
    run.shows_none_of(&secrets.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        mock.requested("generate-temporary-credentials"),
        2,
        "one credential per gather"
    );
}

#[test]
fn a_wrong_secret_is_refused_by_the_server_renewed_once_and_reported() {
    let Some((url, bucket, mut credentials)) = server() else {
        return;
    };
    credentials.secret_access_key = "mlgateWrongSecretCanary0123456789abcdefgh".into();
    let mock = mock(&bucket, credentials, false);
    let dir = tempfile::tempdir().unwrap();
    let run = check(&mock, dir.path(), &env(&url));
    assert_eq!(run.code, 1, "{}", run.everything);
    let errors = run.snapshot["errors"].as_array().unwrap();
    let entry = errors
        .iter()
        .find(|e| e["section"] == "mlflow_model")
        .unwrap_or_else(|| panic!("{errors:?}"));
    assert_eq!(entry["http_status"], 403, "{entry}");
    assert_eq!(entry["error_code"], "SignatureDoesNotMatch", "{entry}");
    assert_eq!(entry["call"], format!("GET s3://{bucket}/{PREFIX}/MLmodel"));
    run.shows_none_of(&["mlgateWrongSecretCanary"]);
    assert_eq!(
        mock.requested("generate-temporary-credentials"),
        4,
        "each gather: one credential, one renewal after the refusal, then the report"
    );
}

#[test]
fn a_credential_past_its_expiration_time_is_renewed_before_use() {
    let Some((url, bucket, credentials)) = server() else {
        return;
    };
    let mock = mock(&bucket, credentials, true);
    let dir = tempfile::tempdir().unwrap();
    check(&mock, dir.path(), &env(&url)).read_the_model();
    assert_eq!(
        mock.requested("generate-temporary-credentials"),
        3,
        "the first credential came expired: asked again once; the second gather's was fresh"
    );
}
