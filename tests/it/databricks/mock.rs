//! An in-process Databricks workspace on loopback for the Databricks tests: it replays the
//! payloads of `tests/fixtures/databricks/` for the routes mlgate calls, checks the bearer
//! token, issues OAuth tokens, and serves "signed URLs" that point back at itself (refusing any
//! request that carries a Databricks token, as cloud storage would).
//!
//! Which payloads are documented and which inferred (see `../shared` reference notes §0–§8 and
//! §7 "Gaps", copied into the fixture names below):
//!
//! | route | fixture | provenance |
//! | --- | --- | --- |
//! | `GET /api/2.0/mlflow/databricks/registered-models/get` (D5) | `workspace/databricks-registered-models-get.json` | documented shape (SDK `GetModelResponse`), values of the seed report |
//! | `GET /api/2.0/mlflow/model-versions/get`, `runs/get`, `experiments/get`, `model-versions/get-download-uri` (M2, M5, M6, M8) | `workspace/*.json` | documented (MLflow REST), values of the seed report |
//! | `GET /api/2.0/permissions/registered-models/{id}` + `/permissionLevels` (D1, D2) | `workspace/permission*-registered-model.json` | documented; the ACL is the seed's own capture |
//! | `GET /api/2.0/permissions/experiments/{id}` → 400 "not a experiment" (D3) | `workspace/permissions-experiment-not-an-experiment.json` | observed in the seed report (real capture) |
//! | `GET /api/2.0/permissions/experiments/{id}/permissionLevels` (D4) | `workspace/permission-levels-experiment.json` | documented; the seed's own capture |
//! | `GET /api/2.0/permissions/notebooks/{id}` | `workspace/permissions-notebook*.json` | **inferred**: `notebooks` is a documented object type, the bodies are ours |
//! | `GET /api/2.0/mlflow/transition-requests/list` (D6) | `workspace/transition-requests-list.json` (`{}`) | documented route; the empty body as `{}` is **inferred** (§2.3) |
//! | `GET /api/2.0/mlflow/model-versions/list-artifacts` (W1), `get-signed-download-uri` (W2) | `workspace/list-artifacts-*.json`, generated signed URLs | **inferred** from MLflow's client constants and unit tests (not in the Databricks reference) |
//! | `GET /api/2.1/unity-catalog/models/{name}` and `/versions/{v}` (U1, U2) | `uc/model.json`, `uc/version-3.json` | documented (UC REST reference) |
//! | `GET /api/2.1/unity-catalog/models/{name}/aliases/{alias}` (U3) | `uc/version-3.json` | documented |
//! | `GET /api/2.1/unity-catalog/(effective-)permissions/function/{name}` (U4, U5), paginated | `uc/*permissions-page-*.json` | documented shapes (SDK `GrantsAPI`); the paging tokens are ours |
//! | `GET …/registered-models:is-databricks-sdk-models-artifact-repository-enabled` (U9) | `uc/sdk-models-artifact-repository-enabled.json` (true); `false` or a 404 per [`Options::uc_storage`] | **inferred** (proto, PUBLIC_UNDOCUMENTED) |
//! | `GET /api/2.0/fs/directories/Models/…`, `/api/2.0/fs/files/Models/…` (F1, F3) | `uc/fs-directories.json`, `files/churn-MLmodel`, `files/churn-input_example.json` | **inferred**: the Files API is documented for `/Volumes` only |
//! | `POST …/unity-catalog/model-versions/generate-temporary-credentials` (U10), `POST /api/2.0/fs/create-download-url` (F4), and the storage they open (`/_signed/uc/…`, `/_azure/…`, `/_gcs/…`) | built in `uc_storage_mock.rs` (its own table) | **inferred** (protos, PUBLIC_UNDOCUMENTED); the ADLS and GCS shapes are the clouds' documented APIs |
//! | `GET /api/2.1/unity-catalog/models/…/versions/3` with another `storage_location` (`s3://`, `abfss://`, `gs://`, `r2://`) per storage mode | `uc/version-3.json`, the location replaced | documented field; the locations are ours |
//! | `POST /oidc/v1/token` (A2) | `oauth-token.json` | documented (SDK OAuth client credentials) |
//! | `POST /api/2.0/mlflow/artifacts/credentials-for-read` (R1), `GET …/artifacts/list` (R3) on the dolly3b run; 403 with `run_artifacts_refused` | generated signed URLs; the W1 listings with `dolly3b/` prefixed | R1 body and answer **inferred** from the proto and issue #4839 (§8.2); R3 documented (§6.1); the 403 message is the KB's (§8.6) |
//! | any route with a wrong token → 403 `{"error_code": 403, …}` | `error-invalid-token.json` | documented (sdk-go #873/#917) |
//!
//! The stateful registry mode ([`Mock::with_registry`], `registry_state/`) answers these
//! routes from its state (payloads built on the fixtures above) and leaves every other route
//! to the replay. References are `databricks-api.md` (DA) and `promotion-and-events.md` (PE):
//!
//! | route | provenance |
//! | --- | --- |
//! | `GET …/mlflow/databricks/registered-models/get`, `…/registered-models/get` (D5, M1): `latest_versions` = highest version of each stage | documented (DA §2.1, §6.2); every stage listed, `Archived` and `None` too, is MLflow's store behaviour, **inferred** for Databricks |
//! | `GET …/mlflow/model-versions/get` (M2): `current_stage`, `description`, `status`, `tags` from the state | documented (DA §6.2) |
//! | `GET …/mlflow/transition-requests/list` (D6): open requests as `Activity` (`REQUESTED_TRANSITION`, `to_stage`), none → `{}` | documented shape (DA §2.3 Example D6); `{}` **inferred** (DA §2.3) |
//! | `POST …/mlflow/model-versions/set-tag` `{name, version, key, value}` → `{}` | documented (PE §1.1, §7.3) |
//! | `POST …/mlflow/databricks/model-versions/transition-stage` (D8) `{…, archive_existing_versions, comment}` → `{"model_version_databricks"}` | documented (DA §2.2); archiving only from Staging/Production as MLflow does (PE §1.1) |
//! | `POST …/mlflow/transition-requests/approve` `{name, version, stage, archive_existing_versions, comment}` → `{"activity"}` (`APPROVED_REQUEST`): moves the stage, archives the stage's others with the flag, closes the request | documented body and answer (DA §2.3, PE §3: the flag is required); that approving moves and archives is **inferred** (PE §3); without an open request → 400 `INVALID_PARAMETER_VALUE` is **inferred** (PE §7.6 item 2) |
//! | `POST …/mlflow/transition-requests/reject` `{name, version, stage, comment}` → `{"activity"}` (`REJECTED_REQUEST`): closes the request | documented (DA §2.3); no open request → 400 **inferred** |
//! | `GET /api/2.1/unity-catalog/models/{name}?include_aliases=true` (U1), `…/versions/{v}` (U2), `…/aliases/{alias}` (U3): `aliases` as `{alias_name, version_num}` | documented (DA §3.1); an unknown alias → 404 as in the replay above (**inferred**) |
//! | `PUT /api/2.1/unity-catalog/models/{name}/aliases/{alias}` `{"version_num": N}` → `RegisteredModelAlias` | documented (PE §4.1, §7.3; DA §3.1 shapes); a non-integer `version_num` → 400 is **inferred** |
//! | `POST /api/2.0/mlflow/unity-catalog/model-versions/set-tag` `{name, version, key, value}` → `{}` | documented from MLflow's UC protos (PE §4.1, DA §3.3: `PUBLIC_UNDOCUMENTED`) |
//! | `GET /api/2.0/fs/directories|files/Models/…/{v}/…` for every version of the state | **inferred**, as F1/F3 above (version 3's fixtures, paths moved) |
//! | any other write → recorded, then the replay's 404 `ENDPOINT_NOT_FOUND` | ours |

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::registry_state::{Recorded, Registry};
use super::uc_storage_mock::{self, UcStorage};

use crate::mock_http::{add_unknown_fields, Request, Response, Server};
use crate::repo_path;

/// The token the mock accepts, and the OAuth client it knows.
pub const TOKEN: &str = "dapi-mock-0123456789";
pub const CLIENT_ID: &str = "6f2c1d0e-1a2b-4c3d-8e9f-0a1b2c3d4e5f";
pub const CLIENT_SECRET: &str = "dose-mock-secret";
const OAUTH_TOKEN: &str = "eyJraWQiOiJtb2NrIiwiYWxnIjoiUlMyNTYifQ.mock.sig";

/// Behaviour switches for one mock workspace (independent switches, so plain bools).
#[derive(Clone, Default)]
#[allow(clippy::struct_excessive_bools)]
pub struct Options {
    /// The notebook ACL of the dolly3b notebook experiment is readable (else 403).
    pub notebook_acl_readable: bool,
    /// Every JSON answer carries a field no Databricks release sends (see `mock_http`).
    pub unknown_fields: bool,
    /// Signed-URL downloads break off mid-body.
    pub cut_signed_downloads: bool,
    /// How Unity Catalog stores the churn model's files (`uc_storage_mock`).
    pub uc_storage: UcStorage,
    /// Storage refuses the first temporary credential (or presigned URL) as expired.
    pub expire_first_credential: bool,
    /// The workspace registry's file routes (W1, W2) answer 404 `ENDPOINT_NOT_FOUND`.
    pub registry_files_missing: bool,
    /// The run-artifact routes (R1, R3) answer 403: no read access to the experiment.
    pub run_artifacts_refused: bool,
    /// Every MLmodel served names this (YAML, as written) as its input example's
    /// `artifact_path`: a hostile version's file.
    pub input_example_path: Option<String>,
}

/// A running mock.
pub struct Mock {
    pub url: String,
    pub token_requests: Arc<AtomicUsize>,
    server: Server,
    registry: Option<Arc<Mutex<Registry>>>,
}

pub(super) fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo_path(&format!("tests/fixtures/databricks/{name}")))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn ok(name: &str) -> Response {
    Response::json(200, fixture(name))
}

fn err(status: u16, code: &str, message: &str) -> Response {
    Response::json(
        status,
        serde_json::json!({ "error_code": code, "message": message }).to_string(),
    )
}

impl Mock {
    /// The replay mock: every answer comes from the fixtures.
    pub fn start(options: Options) -> Self {
        Self::serve(options, None)
    }

    /// The replay mock with `registry` answering (and recording) the registry calls of its
    /// model.
    pub fn with_registry(options: Options, registry: Registry) -> Self {
        Self::serve(options, Some(Arc::new(Mutex::new(registry))))
    }

    fn serve(options: Options, registry: Option<Arc<Mutex<Registry>>>) -> Self {
        let token_requests = Arc::new(AtomicUsize::new(0));
        let tokens = Arc::clone(&token_requests);
        let issued = Arc::new(AtomicUsize::new(0));
        let state = registry.clone();
        let server = Server::start(move |request, base| {
            if let Some(state) = &state {
                state.lock().unwrap().record(request);
            }
            let mut response = uc_storage_mock::storage(request, &options).unwrap_or_else(|| {
                route(request, &options, base, &tokens, &issued, state.as_deref())
            });
            // API answers only: the model's own files are served as they were written.
            let file = ["/_signed/", "/api/2.0/fs/files", "/_azure/", "/_gcs/"]
                .iter()
                .any(|p| request.path.starts_with(p));
            if options.unknown_fields && !file {
                response.body = add_unknown_fields(&response.body);
            }
            if let Some(path) = &options.input_example_path {
                response.body = response.body.replace(
                    "artifact_path: input_example.json",
                    &format!("artifact_path: {path}"),
                );
            }
            if options.cut_signed_downloads && request.path.starts_with("/_signed/") {
                response.cut_short = true;
            }
            response
        });
        Mock {
            url: server.url.clone(),
            token_requests,
            server,
            registry,
        }
    }

    pub fn requested(&self, fragment: &str) -> usize {
        self.server.requested(fragment)
    }

    /// Every request so far, as `METHOD /path?query`.
    pub fn requests(&self) -> Vec<String> {
        self.server.requests.lock().unwrap().clone()
    }

    /// The registry state now (stateful mode only).
    pub fn registry(&self) -> Registry {
        let state = self
            .registry
            .as_ref()
            .expect("a mock started with_registry");
        state.lock().unwrap().clone()
    }

    /// Every write received so far (stateful mode only).
    pub fn writes(&self) -> Vec<Recorded> {
        self.registry().writes
    }
}

fn route(
    r: &Request,
    options: &Options,
    base: &str,
    tokens: &AtomicUsize,
    issued: &AtomicUsize,
    registry: Option<&Mutex<Registry>>,
) -> Response {
    let q = |k: &str| r.q(k);
    // Signed URLs: cloud storage, which must never see the workspace token.
    if let Some(file) = r.path.strip_prefix("/_signed/") {
        if r.headers.contains_key("authorization") {
            return Response::text(400, "<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>", "application/xml");
        }
        return match file.strip_prefix("run/").unwrap_or(file) {
            "dolly3b/MLmodel" => ok("files/dolly3b-MLmodel"),
            "dolly3b/input_example.json" => ok("files/dolly3b-input_example.json"),
            _ => Response::text(
                404,
                "<Error><Code>NoSuchKey</Code></Error>",
                "application/xml",
            ),
        };
    }
    if r.method == "POST" && r.path == "/oidc/v1/token" {
        let expected = format!("Basic {}", base64(&format!("{CLIENT_ID}:{CLIENT_SECRET}")));
        if r.headers.get("authorization") != Some(&expected) {
            return Response::json(
                401,
                r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
            );
        }
        tokens.fetch_add(1, Ordering::SeqCst);
        return ok("oauth-token.json");
    }
    let auth = r.headers.get("authorization").map_or("", String::as_str);
    if auth != format!("Bearer {TOKEN}") && auth != format!("Bearer {OAUTH_TOKEN}") {
        return Response::json(403, fixture("error-invalid-token.json"));
    }
    if let Some(answer) = registry.and_then(|state| state.lock().unwrap().route(r)) {
        return answer;
    }
    if let Some(answer) = uc_storage_mock::api(r, options, base, issued) {
        return answer;
    }
    let m = "/api/2.0/mlflow";
    match r.path.as_str() {
        p if p == format!("{m}/databricks/registered-models/get") && q("name") == "dolly3b" => ok("workspace/databricks-registered-models-get.json"),
        p if p == format!("{m}/model-versions/get") && q("name") == "dolly3b" && q("version") == "1" => ok("workspace/model-versions-get.json"),
        p if p == format!("{m}/model-versions/get") && q("name") == "dolly3b" => {
            err(404, "RESOURCE_DOES_NOT_EXIST", &format!("Model Version (name=dolly3b, version={}) not found", q("version")))
        }
        p if p == format!("{m}/model-versions/get") || p == format!("{m}/databricks/registered-models/get") => {
            err(404, "RESOURCE_DOES_NOT_EXIST", &format!("Registered Model with name={} not found.", q("name")))
        }
        p if p == format!("{m}/model-versions/get-download-uri") => ok("workspace/get-download-uri.json"),
        p if p == format!("{m}/runs/get") && q("run_id") == "abbe441c4d9f4b69a9943e4beb71ce89" => ok("workspace/runs-get.json"),
        p if p == format!("{m}/runs/get") && q("run_id") == "8217f29c1e5f4488a8fddaf9245d33bb" => ok("uc/runs-get.json"),
        p if p == format!("{m}/experiments/get") && q("experiment_id") == "3336498746257830" => ok("workspace/experiments-get.json"),
        p if p == format!("{m}/experiments/get") && q("experiment_id") == "2668333326915882" => ok("uc/experiments-get.json"),
        p if p == format!("{m}/transition-requests/list") => ok("workspace/transition-requests-list.json"),
        p if (p == format!("{m}/model-versions/list-artifacts") || p == format!("{m}/model-versions/get-signed-download-uri")) && options.registry_files_missing => {
            err(404, "ENDPOINT_NOT_FOUND", &format!("No API found for '{} {}'", r.method, r.path))
        }
        p if p.starts_with(&format!("{m}/artifacts/")) && options.run_artifacts_refused => err(
            403,
            "PERMISSION_DENIED",
            "User alice@example.com does not have permission to 'View' experiment with id 3336498746257830",
        ),
        p if p == format!("{m}/artifacts/credentials-for-read") && r.method == "POST" => run_credentials(r, base),
        p if p == format!("{m}/artifacts/list") && q("run_id") == "abbe441c4d9f4b69a9943e4beb71ce89" => run_listing(q("path")),
        p if p == format!("{m}/model-versions/list-artifacts") => match q("path") {
            "" => ok("workspace/list-artifacts-root.json"),
            "components" => ok("workspace/list-artifacts-components.json"),
            "components/tokenizer" => ok("workspace/list-artifacts-components-tokenizer.json"),
            "pipeline" => ok("workspace/list-artifacts-pipeline.json"),
            _ => Response::json(200, "{}"),
        },
        p if p == format!("{m}/model-versions/get-signed-download-uri") => Response::json(
            200,
            serde_json::json!({ "signed_uri": format!("{base}/_signed/{}/{}?X-Amz-Expires=900&X-Amz-Signature=mock", q("name"), q("path")) }).to_string(),
        ),
        "/api/2.0/permissions/registered-models/ce7fcc248bfd446ea1c644985d1fb14c" => ok("workspace/permissions-registered-model.json"),
        "/api/2.0/permissions/registered-models/ce7fcc248bfd446ea1c644985d1fb14c/permissionLevels" => ok("workspace/permission-levels-registered-model.json"),
        "/api/2.0/permissions/experiments/3336498746257830" => Response::json(400, fixture("workspace/permissions-experiment-not-an-experiment.json")),
                "/api/2.0/permissions/notebooks/3336498746257830" if options.notebook_acl_readable => ok("workspace/permissions-notebook.json"),
        "/api/2.0/permissions/notebooks/3336498746257830" => Response::json(403, fixture("workspace/permissions-notebook-denied.json")),
        "/api/2.0/permissions/experiments/3336498746257830/permissionLevels"
        | "/api/2.0/permissions/notebooks/3336498746257830/permissionLevels"
        | "/api/2.0/permissions/experiments/2668333326915882/permissionLevels" => {
            ok("workspace/permission-levels-experiment.json")
        }
        "/api/2.0/permissions/experiments/2668333326915882" => ok("uc/permissions-experiment.json"),
                "/api/2.1/unity-catalog/models/main.ml.churn" => ok("uc/model.json"),
        "/api/2.1/unity-catalog/models/main.ml.churn/versions/3" | "/api/2.1/unity-catalog/models/main.ml.churn/aliases/champion" => {
            match options.uc_storage.storage_location() {
                Some(location) => {
                    let mut version: serde_json::Value = serde_json::from_str(&fixture("uc/version-3.json")).unwrap();
                    version["storage_location"] = location.into();
                    Response::json(200, version.to_string())
                }
                None => ok("uc/version-3.json"),
            }
        }
        p if p.starts_with("/api/2.1/unity-catalog/models/main.ml.churn/aliases/") => {
            err(404, "RESOURCE_DOES_NOT_EXIST", "Registered model alias not found.")
        }
        "/api/2.1/unity-catalog/permissions/function/main.ml.churn" => match q("page_token") {
            "" => ok("uc/permissions-page-1.json"),
            _ => ok("uc/permissions-page-2.json"),
        },
        "/api/2.1/unity-catalog/effective-permissions/function/main.ml.churn" => match q("page_token") {
            "" => ok("uc/effective-permissions-page-1.json"),
            "e2" => ok("uc/effective-permissions-page-2.json"),
            _ => ok("uc/effective-permissions-page-3.json"),
        },
        "/api/2.0/mlflow/unity-catalog/registered-models:is-databricks-sdk-models-artifact-repository-enabled" => {
            ok("uc/sdk-models-artifact-repository-enabled.json")
        }
        "/api/2.0/fs/directories/Models/main/ml/churn/3/" => ok("uc/fs-directories.json"),
        "/api/2.0/fs/files/Models/main/ml/churn/3/MLmodel" => ok("files/churn-MLmodel"),
        "/api/2.0/fs/files/Models/main/ml/churn/3/input_example.json" => ok("files/churn-input_example.json"),
        _ => err(404, "ENDPOINT_NOT_FOUND", &format!("No API found for '{} {}'", r.method, r.path)),
    }
}

/// R1: a signed URL for every path asked (existing or not, as the real server does).
fn run_credentials(r: &Request, base: &str) -> Response {
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
    if body["run_id"] != "abbe441c4d9f4b69a9943e4beb71ce89" {
        return err(404, "RESOURCE_DOES_NOT_EXIST", "Run not found");
    }
    let infos: Vec<serde_json::Value> = body["path"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
        .map(|path| {
            serde_json::json!({
                "run_id": body["run_id"],
                "path": path,
                "signed_uri": format!("{base}/_signed/run/{path}?X-Amz-Expires=900&X-Amz-Signature=mock"),
                "type": "AWS_PRESIGNED_URL",
            })
        })
        .collect();
    Response::json(
        200,
        serde_json::json!({ "credential_infos": infos }).to_string(),
    )
}

/// R3 on the dolly3b run: the registry's listing (W1) of the same files, paths relative to the
/// run's artifact root (`dolly3b/…`).
fn run_listing(path: &str) -> Response {
    let name = match path {
        "dolly3b" => "workspace/list-artifacts-root.json",
        "dolly3b/components" => "workspace/list-artifacts-components.json",
        "dolly3b/components/tokenizer" => "workspace/list-artifacts-components-tokenizer.json",
        "dolly3b/pipeline" => "workspace/list-artifacts-pipeline.json",
        _ => return Response::json(200, "{}"),
    };
    let mut listing: serde_json::Value = serde_json::from_str(&fixture(name)).unwrap();
    for file in listing["files"].as_array_mut().unwrap() {
        file["path"] = format!("dolly3b/{}", file["path"].as_str().unwrap()).into();
    }
    Response::json(200, listing.to_string())
}

fn base64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}
