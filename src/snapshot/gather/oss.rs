//! Open-source MLflow specifics: `latest` / stage resolution through `get-latest-versions`, and
//! the MLmodel location resolved as the MLflow lab documents it (registry route first, then
//! logged model → run artifacts → the artifact proxy).

use serde_json::{Map, Value};

use super::artifacts::Access;
use super::{get, API};
use crate::mlflow::{convert, ClientError, Http};
use crate::model_ref::ModelRef;
use crate::snapshot::GatherError;

/// The latest version in a stage (or overall), from `get-latest-versions`.
pub async fn latest(http: &Http, name: &str, stage: Option<&str>) -> Result<Value, ClientError> {
    let mut query = vec![("name", name)];
    if let Some(stage) = stage {
        query.push(("stages", stage));
    }
    let path = "registered-models/get-latest-versions";
    let response = get(http, path, &query).await?;
    response
        .get("model_versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .max_by_key(|v| {
            v.get("version")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0)
        })
        .cloned()
        .ok_or_else(|| ClientError::Http {
            method: "GET",
            path: format!("{API}/{path}"),
            status: 404,
            error_code: Some("RESOURCE_DOES_NOT_EXIST".into()),
            message: match stage {
                Some(s) => format!("registered model `{name}` has no version in stage {s}"),
                None => format!("registered model `{name}` has no versions"),
            },
        })
}

/// The MLmodel file, trying the registry's own route first, then resolving the source as
/// the MLflow lab documents (logged model → run artifacts → mlflow-artifacts proxy). Returns
/// the parsed file and the logged model met on the way.
pub async fn fetch_mlmodel(
    http: &Http,
    reference: &ModelRef,
    version: Option<&Value>,
    logged_model: Option<&Value>,
) -> Result<(Map<String, Value>, Option<Value>, Access), GatherError> {
    let section = "mlflow_model";
    let parse = |text: String, call: String| {
        convert::mlmodel(&text).map_err(|message| GatherError {
            section: section.into(),
            call,
            message,
            ..GatherError::default()
        })
    };
    let mut first_error = None;
    if let Some(v) = version {
        let name = v.get("name").and_then(Value::as_str).unwrap_or_default();
        let number = v.get("version").and_then(Value::as_str).unwrap_or_default();
        let access = Access::Registry {
            name: name.to_string(),
            version: number.to_string(),
        };
        match access.read(http, "MLmodel").await {
            Ok(text) => {
                return parse(text, "GET /model-versions/get-artifact".into())
                    .map(|m| (m, None, access));
            }
            Err(e) => first_error = Some(e),
        }
    }
    // Resolve the artifact location ourselves.
    let source = match (reference, version) {
        (ModelRef::Run { run_id, path }, _) => format!("runs:/{run_id}/{path}"),
        (_, Some(v)) => v
            .get("source")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        (ModelRef::LoggedModel { id }, None) => format!("models:/{id}"),
        _ => String::new(),
    };
    let mut found_logged_model = None;
    // Candidate artifact locations, best first. A `runs:/` source in MLflow 3 may point at a
    // run whose model lives in a logged model (`run.outputs.model_outputs[].model_id`).
    let mut candidates: Vec<String> = Vec::new();
    let mut last_error = first_error.clone();
    if let Some(id) = source
        .strip_prefix("models:/m-")
        .map(|rest| format!("m-{rest}"))
    {
        let lm = match logged_model {
            Some(lm) => Ok(serde_json::json!({ "model": lm })),
            None => {
                http.get_json(&format!("{API}/logged-models/{id}"), &[])
                    .await
            }
        };
        match lm {
            Ok(lm) => {
                candidates.extend(
                    lm.pointer("/model/info/artifact_uri")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                );
                found_logged_model = lm.get("model").cloned();
            }
            Err(e) => last_error = Some(e),
        }
    } else if let Some(rest) = source.strip_prefix("runs:/") {
        let (rid, path) = rest.split_once('/').unwrap_or((rest, ""));
        match get(http, "runs/get", &[("run_id", rid)]).await {
            Ok(run) => {
                let base = run
                    .pointer("/run/info/artifact_uri")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                candidates.push(format!(
                    "{}/{}",
                    base.trim_end_matches('/'),
                    path.trim_matches('/')
                ));
                for output in run
                    .pointer("/run/outputs/model_outputs")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let Some(id) = output.get("model_id").and_then(Value::as_str) else {
                        continue;
                    };
                    if let Ok(lm) = http
                        .get_json(&format!("{API}/logged-models/{id}"), &[])
                        .await
                    {
                        candidates.extend(
                            lm.pointer("/model/info/artifact_uri")
                                .and_then(Value::as_str)
                                .map(str::to_string),
                        );
                        found_logged_model =
                            found_logged_model.or_else(|| lm.get("model").cloned());
                    }
                }
            }
            Err(e) => last_error = Some(e),
        }
    } else if !source.is_empty() {
        candidates.push(source.clone());
    }
    let mut location = source.clone();
    for candidate in &candidates {
        location.clone_from(candidate);
        let Some(rest) = candidate.strip_prefix("mlflow-artifacts:/") else {
            continue;
        };
        let path = format!(
            "/api/2.0/mlflow-artifacts/artifacts/{}/MLmodel",
            rest.trim_matches('/')
        );
        match http.get_text(&path, &[]).await {
            Ok(text) => {
                let access = Access::Proxy {
                    prefix: rest.trim_matches('/').to_string(),
                };
                return parse(text, format!("GET {path}")).map(|m| (m, found_logged_model, access));
            }
            Err(e) => last_error = Some(e),
        }
    }
    let first_error = last_error;
    let reason = match &first_error {
        Some(ClientError::Http { status: 404, message, .. }) if candidates.iter().any(|c| c.starts_with("mlflow-artifacts:/")) => {
            format!("the MLmodel file is missing from `{location}`: {message}")
        }
        Some(e) if location.is_empty() || location.starts_with("mlflow-artifacts:/") => e.message(),
        _ => format!("the model's artifacts are at `{location}`, which cannot be read through the tracking server"),
    };
    Err(GatherError {
        section: section.into(),
        call: first_error
            .as_ref()
            .map_or_else(|| "resolve artifact location".into(), ClientError::call),
        http_status: first_error.as_ref().and_then(ClientError::status),
        error_code: first_error
            .as_ref()
            .and_then(|e| e.error_code().map(str::to_string)),
        message: reason,
    })
}
