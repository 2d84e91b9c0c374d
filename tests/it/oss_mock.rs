//! An open-source MLflow 3.17 server replayed from real captures (`tests/fixtures/mlflow/3.17.2/`,
//! copied from the MLflow lab's capture of a real `mlflow server`), for what a live server
//! cannot be made to do: answer with fields no release sends yet. One model version is served,
//! `models:/lab-credit-model/1` (registered from the logged model `m-fa0d…`), with every call
//! mlgate makes for it; other routes answer as the server did for unknown ones (Flask's HTML
//! 404, which also tells mlgate the basic-auth app is not running).
//!
//! All payloads are **documented by capture** (real responses); only the added unknown fields
//! are ours.

use crate::mock_http::{add_unknown_fields, Request, Response, Server};
use crate::repo_path;

pub const MODEL: &str = "lab-credit-model";
const RUN: &str = "4af956a9ceef4de0a9aea631c9859acf";
const ARTIFACTS: &str = "1/models/m-fa0dd3e2f83542d6a7822ad819764c2e/artifacts";
/// The logged model version 1 was registered from (its source, `models:/m-…`).
pub const LOGGED_MODEL_CALL: &str =
    "/api/2.0/mlflow/logged-models/m-fa0dd3e2f83542d6a7822ad819764c2e";

fn capture(name: &str) -> String {
    std::fs::read_to_string(repo_path(&format!("tests/fixtures/mlflow/3.17.2/{name}")))
        .unwrap_or_else(|e| panic!("capture {name}: {e}"))
}

fn route(r: &Request) -> Response {
    let m = "/api/2.0/mlflow";
    let json = |name: &str| Response::json(200, capture(name));
    match r.path.as_str() {
        p if p == format!("{m}/model-versions/get")
            && r.q("name") == MODEL
            && r.q("version") == "1" =>
        {
            json("model-versions_get_good_v1.json")
        }
        p if p == format!("{m}/model-versions/get") => {
            Response::json(404, capture("ERR_model-versions_get_unknown_model.json"))
        }
        p if p == format!("{m}/registered-models/get") && r.q("name") == MODEL => {
            json("registered-models_get_good.json")
        }
        p if p == format!("{m}/model-versions/get-download-uri") && r.q("name") == MODEL => {
            json("model-versions_get-download-uri_good_v1.json")
        }
        p if p == format!("{m}/runs/get") && r.q("run_id") == RUN => json("runs_get_good_v1.json"),
        p if p == format!("{m}/experiments/get") && r.q("experiment_id") == "1" => {
            json("experiments_get.json")
        }
        "/model-versions/get-artifact" if r.q("name") == MODEL => match r.q("path") {
            "MLmodel" => Response::text(
                200,
                capture("model-versions_get-artifact_good_v1_MLmodel.yaml"),
                "text/plain",
            ),
            "input_example.json" => Response::text(
                200,
                capture("model-versions_get-artifact_good_v1_input_example.json"),
                "text/plain",
            ),
            _ => Response::text(
                404,
                capture("ERR_unknown_endpoint.html"),
                "text/html; charset=utf-8",
            ),
        },
        "/api/2.0/mlflow-artifacts/artifacts" if r.q("path") == ARTIFACTS => {
            json("mlflow-artifacts_list_model.json")
        }
        p if p == LOGGED_MODEL_CALL => json("logged-models_get_good_v1.json"),
        "/version" => Response::text(200, capture("version.txt"), "text/plain"),
        _ => Response::text(
            404,
            capture("ERR_unknown_endpoint.html"),
            "text/html; charset=utf-8",
        ),
    }
}

/// Starts the replay; with `unknown_fields`, every JSON answer carries a field from the future.
pub fn start(unknown_fields: bool) -> Server {
    Server::start(move |request, _| {
        let mut response = route(request);
        if unknown_fields && response.content_type == "application/json" {
            response.body = add_unknown_fields(&response.body);
        }
        response
    })
}

/// Starts the replay with `fault` answering instead wherever it returns a response.
pub fn with_fault(fault: impl Fn(&Request) -> Option<Response> + Send + Sync + 'static) -> Server {
    Server::start(move |request, _| fault(request).unwrap_or_else(|| route(request)))
}

/// The version lookup every gather starts with (a fault there leaves nothing gathered).
pub const VERSION_CALL: &str = "/api/2.0/mlflow/model-versions/get";

/// The registry-wide listing `check --all-models` starts with.
pub const SEARCH_MODELS: &str = "/api/2.0/mlflow/registered-models/search";
/// The listing of one model's versions.
pub const SEARCH_VERSIONS: &str = "/api/2.0/mlflow/model-versions/search";

fn captured(name: &str, field: &str) -> serde_json::Value {
    let all: serde_json::Value =
        serde_json::from_str(&capture(name)).unwrap_or_else(|e| panic!("capture {name}: {e}"));
    all[field].clone()
}

/// `registered-models/search` answering with the one registered model, as captured.
pub fn listed_model() -> Response {
    let model = captured("registered-models_get_good.json", "registered_model");
    Response::json(
        200,
        serde_json::json!({ "registered_models": [model] }).to_string(),
    )
}

/// `model-versions/search` answering with `count` versions, each captured version 1
/// renumbered (aliases are the registered model's, as the server lists them).
pub fn listed_versions(count: usize) -> Response {
    let version = captured("model-versions_get_good_v1.json", "model_version");
    let versions: Vec<serde_json::Value> = (1..=count)
        .map(|n| {
            let mut v = version.clone();
            v["version"] = serde_json::json!(n.to_string());
            if let Some(fields) = v.as_object_mut() {
                fields.remove("aliases");
            }
            v
        })
        .collect();
    Response::json(
        200,
        serde_json::json!({ "model_versions": versions }).to_string(),
    )
}
