//! The mock workspace's Unity Catalog storage routes (databricks-api.md §8.2, §8.5): U9, U10
//! for each storage mode, F4 `create-download-url`, and the "cloud storage" the credentials
//! open — presigned URLs (`/_signed/uc/…`), ADLS Gen2 with a SAS (`/_azure/<account>/…`, reached
//! through `MLGATE_AZURE_STORAGE_ENDPOINT`) and the GCS JSON API (`/_gcs/…`, through
//! `STORAGE_EMULATOR_HOST`). S3 is a real S3-compatible server (moto, `scripts/storage`), so
//! for S3 the mock only hands out the credentials it is given.
//!
//! Every credential is a canary: a value shaped like the real one that tests look for in every
//! output. Credential number `n` (1-based, one per U10 call) ends in `-n`; with
//! `expire_first_credential` storage refuses credential 1 the way its cloud says "expired".
//!
//! | route | provenance |
//! | --- | --- |
//! | U9 `false` / error | documented shape (§8.2); the error case is MLflow's handling (§8.3) |
//! | U10 `{"credentials": {…}}` per mode, 403 `PERMISSION_DENIED` | **inferred** from the protos and §8.2's invented values; the 403 message is ours |
//! | F4 `POST /api/2.0/fs/create-download-url {path}` → `{url, headers}` | **inferred** (proto, PUBLIC_UNDOCUMENTED; the header name is illustrative) |
//! | ADLS `Path - List` JSON (`paths`, string `contentLength`), `Path - Read` | documented by Azure; expiry body per §8.6 |
//! | GCS JSON API `o?prefix=` (`items`, string `size`), `o/<name>?alt=media` | documented by Google; 401 body shape **inferred** |

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::mock_http::{Request, Response};

use super::mock::{fixture, Options};

/// The version's storage root in every mode (the fixture's ids).
pub const PREFIX: &str =
    "b169b504-4c54-49f2-bc3a-adf4b128f36d/models/07ed8e06-e5d4-4015-85f7-3ac30b09a5d0/versions/e882ef11-67fa-40f1-8511-57e4f095782b";
/// Canary credentials: the `-n` suffix is the U10 call that issued them.
pub const GCP_TOKEN: &str = "ya29.c.mlgate-canary-gcp-token";
pub const PRESIGNED_TOKEN: &str = "IQoJb3JpZ2luX2VjEMLGATECANARYpresigned";
pub const ENCRYPTION_HEADER: &str = "x-amz-server-side-encryption-customer-algorithm";

/// AWS credentials the mock hands out (from the S3 test server).
#[derive(Clone)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

/// How the version's files are stored.
#[derive(Clone, Default)]
pub enum UcStorage {
    /// U9 true: the Files API (the replay's default).
    #[default]
    FilesApi,
    /// U9 false, U10 `DEFAULT_STORAGE`.
    DefaultStorage,
    /// U9 answers an error, U10 `aws_temp_credentials` for `s3://<bucket>/<PREFIX>`.
    Aws {
        bucket: String,
        credentials: Arc<AwsCredentials>,
    },
    /// U9 false, U10 `azure_user_delegation_sas` for `abfss://models@ucstore.dfs.…/<PREFIX>`.
    Azure,
    /// U9 false, U10 `gcp_oauth_token` for `gs://uc-metastore-gcs/<PREFIX>`.
    Gcs,
    /// U10 `r2_temp_credentials`, which mlgate does not read.
    R2,
    /// U10 refused: no EXECUTE on the model.
    Denied,
}

impl UcStorage {
    /// The version's `storage_location` in this mode; `None` keeps the fixture's.
    pub fn storage_location(&self) -> Option<String> {
        match self {
            UcStorage::Aws { bucket, .. } => Some(format!("s3://{bucket}/{PREFIX}")),
            UcStorage::Azure => Some(format!(
                "abfss://models@ucstore.dfs.core.windows.net/{PREFIX}"
            )),
            UcStorage::Gcs => Some(format!("gs://uc-metastore-gcs/{PREFIX}")),
            UcStorage::R2 => Some(format!("r2://uc-metastore-r2/{PREFIX}")),
            _ => None,
        }
    }
}

fn err(status: u16, code: &str, message: &str) -> Response {
    Response::json(
        status,
        serde_json::json!({ "error_code": code, "message": message }).to_string(),
    )
}

/// The model's files, relative to the version root.
fn file(path: &str) -> Option<String> {
    match path {
        "MLmodel" => Some(fixture("files/churn-MLmodel")),
        "input_example.json" => Some(fixture("files/churn-input_example.json")),
        "model.pkl" => Some("pickle".repeat(10)),
        _ => None,
    }
}

/// The authenticated API routes of this module, or `None` for the replay to answer.
pub fn api(r: &Request, options: &Options, base: &str, issued: &AtomicUsize) -> Option<Response> {
    let storage = &options.uc_storage;
    match r.path.as_str() {
        "/api/2.0/mlflow/unity-catalog/registered-models:is-databricks-sdk-models-artifact-repository-enabled" => {
            match storage {
                UcStorage::FilesApi => None,
                UcStorage::Aws { .. } => Some(err(404, "ENDPOINT_NOT_FOUND", "No API found")),
                _ => Some(Response::json(200, r#"{"is_databricks_sdk_models_artifact_repository_enabled": false}"#)),
            }
        }
        "/api/2.0/mlflow/unity-catalog/model-versions/generate-temporary-credentials" if r.method == "POST" => {
            Some(credentials(r, options, issued))
        }
        "/api/2.0/fs/create-download-url" if r.method == "POST" => {
            let body: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
            let path = body["path"].as_str().unwrap_or_default();
            let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
            Some(Response::json(200, serde_json::json!({
                "url": format!("{base}/_signed/uc{path}?X-Amz-Expires=900&X-Amz-Security-Token={PRESIGNED_TOKEN}-{n}&X-Amz-Signature=mock{n}"),
                "headers": [{ "name": ENCRYPTION_HEADER, "value": "AES256" }],
            }).to_string()))
        }
        _ => None,
    }
}

/// U10: checks the request as MLflow sends it, then answers for the mode.
fn credentials(r: &Request, options: &Options, issued: &AtomicUsize) -> Response {
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
    if body["operation"] != "MODEL_VERSION_OPERATION_READ"
        || body["name"] != "main.ml.churn"
        || body["version"] != "3"
    {
        return err(
            400,
            "INVALID_PARAMETER_VALUE",
            &format!("unexpected request {}", r.body),
        );
    }
    let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
    // With `expire_first_credential` on a clock-checked mode, the first one is already past.
    let expiration = if options.expire_first_credential && n == 1 {
        1_000
    } else {
        4_102_444_800_000_i64
    };
    let credentials = match &options.uc_storage {
        UcStorage::Denied => {
            return err(
                403,
                "PERMISSION_DENIED",
                "User does not have EXECUTE on Function 'main.ml.churn'.",
            )
        }
        UcStorage::DefaultStorage => serde_json::json!({ "storage_mode": "DEFAULT_STORAGE" }),
        UcStorage::Aws { credentials: c, .. } => serde_json::json!({
            "aws_temp_credentials": {
                "access_key_id": c.access_key_id,
                "secret_access_key": c.secret_access_key,
                "session_token": c.session_token,
            },
            "storage_mode": "CUSTOMER_HOSTED",
        }),
        UcStorage::Azure => serde_json::json!({
            "azure_user_delegation_sas": { "sas_token": sas(n) },
        }),
        UcStorage::Gcs => {
            serde_json::json!({ "gcp_oauth_token": { "oauth_token": format!("{GCP_TOKEN}-{n}") } })
        }
        UcStorage::R2 | UcStorage::FilesApi => serde_json::json!({
            "r2_temp_credentials": { "access_key_id": "mlgate-r2-key", "secret_access_key": "mlgate-r2-secret", "session_token": "mlgate-r2-token" },
            "storage_mode": "CUSTOMER_HOSTED",
        }),
    };
    let mut credentials = credentials;
    credentials["expiration_time"] = serde_json::json!(expiration.to_string());
    Response::json(
        200,
        serde_json::json!({ "credentials": credentials }).to_string(),
    )
}

/// Credential `n`'s SAS token (a directory-scoped user-delegation SAS, §8.2), as sent.
pub fn sas(n: usize) -> String {
    format!("sv=2023-11-03&se=2026-01-01T13%3A00%3A00Z&sr=d&sp=rl&sdd=6&skoid=mlgate-oid&sig=mlgateCanarySas{n}x0123456789abcdef%3D")
}

/// The credential number a canary (`…Sas7x…`, `…token-7`) carries.
fn number(text: &str, after: &str) -> usize {
    text.split_once(after)
        .map(|(_, rest)| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Storage routes (no workspace token allowed); `None` when the path is not storage.
pub fn storage(r: &Request, options: &Options) -> Option<Response> {
    if r.headers.contains_key("authorization") && !r.path.starts_with("/_gcs/") {
        if r.path.starts_with("/_signed/uc/") || r.path.starts_with("/_azure/") {
            return Some(Response::text(400, "<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>", "application/xml"));
        }
        return None;
    }
    if let Some(path) = r.path.strip_prefix("/_signed/uc/Models/main/ml/churn/3/") {
        let n = number(r.q("X-Amz-Security-Token"), &format!("{PRESIGNED_TOKEN}-"));
        if options.expire_first_credential && n == 1 {
            return Some(Response::text(
                403,
                "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
                "application/xml",
            ));
        }
        if r.headers.get(ENCRYPTION_HEADER).map(String::as_str) != Some("AES256") {
            return Some(Response::text(403, "<Error><Code>AccessDenied</Code><Message>missing the required encryption header</Message></Error>", "application/xml"));
        }
        return Some(served(file(path)));
    }
    if let Some(rest) = r.path.strip_prefix("/_azure/ucstore/models") {
        return Some(azure(r, rest, options));
    }
    if let Some(rest) = r.path.strip_prefix("/_gcs/storage/v1/b/uc-metastore-gcs/o") {
        return Some(gcs(r, rest, options));
    }
    None
}

fn served(body: Option<String>) -> Response {
    body.map_or_else(
        || {
            Response::text(
                404,
                "<Error><Code>NoSuchKey</Code></Error>",
                "application/xml",
            )
        },
        |b| Response::text(200, b, "application/octet-stream"),
    )
}

/// ADLS Gen2: the SAS must be exactly credential `n`'s; `n == 1` is expired when asked.
fn azure(r: &Request, rest: &str, options: &Options) -> Response {
    let n = number(r.q("sig"), "mlgateCanarySas");
    // Decoded by the mock's query parser: `%3D` is `=` here.
    let sig_ok = r.q("sig") == format!("mlgateCanarySas{n}x0123456789abcdef=");
    let form_ok = r.q("sv") == "2023-11-03"
        && r.q("sr") == "d"
        && r.q("sp") == "rl"
        && r.q("sdd") == "6"
        && sig_ok;
    if !form_ok || !r.headers.contains_key("x-ms-version") {
        return Response::text(403, "<Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.</Message></Error>", "application/xml");
    }
    if options.expire_first_credential && n == 1 {
        return Response::text(403, "<Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.</Message><AuthenticationErrorDetail>Signature not valid in the specified time frame</AuthenticationErrorDetail></Error>", "application/xml");
    }
    if rest.is_empty() && r.q("resource") == "filesystem" {
        if r.q("directory") != PREFIX || r.q("recursive") != "true" {
            return Response::json(
                404,
                r#"{"error":{"code":"PathNotFound","message":"The specified path does not exist."}}"#,
            );
        }
        let paths: Vec<serde_json::Value> = ["MLmodel", "input_example.json", "model.pkl"]
            .iter()
            .map(|f| serde_json::json!({ "name": format!("{PREFIX}/{f}"), "contentLength": file(f).unwrap().len().to_string() }))
            .chain([serde_json::json!({ "name": PREFIX, "isDirectory": "true", "contentLength": "0" })])
            .collect();
        return Response::json(200, serde_json::json!({ "paths": paths }).to_string());
    }
    let path = rest
        .trim_start_matches('/')
        .strip_prefix(PREFIX)
        .unwrap_or_default()
        .trim_start_matches('/');
    served(file(path))
}

/// GCS JSON API: the bearer token must be credential `n`'s.
fn gcs(r: &Request, rest: &str, options: &Options) -> Response {
    let auth = r.headers.get("authorization").map_or("", String::as_str);
    let n = number(auth, &format!("{GCP_TOKEN}-"));
    if auth != format!("Bearer {GCP_TOKEN}-{n}") || (options.expire_first_credential && n == 1) {
        return Response::json(
            401,
            r#"{"error":{"code":401,"message":"Invalid Credentials"}}"#,
        );
    }
    if rest.is_empty() {
        if r.q("prefix") != format!("{PREFIX}/") {
            return Response::json(200, "{}");
        }
        let items: Vec<serde_json::Value> = ["MLmodel", "input_example.json", "model.pkl"]
            .iter()
            .map(|f| serde_json::json!({ "name": format!("{PREFIX}/{f}"), "size": file(f).unwrap().len().to_string() }))
            .collect();
        return Response::json(
            200,
            serde_json::json!({ "kind": "storage#objects", "items": items }).to_string(),
        );
    }
    if r.q("alt") != "media" {
        return Response::json(
            400,
            r#"{"error":{"code":400,"message":"metadata not served"}}"#,
        );
    }
    let name = rest.trim_start_matches('/');
    let path = name
        .strip_prefix(PREFIX)
        .unwrap_or_default()
        .trim_start_matches('/');
    served(file(path))
}
