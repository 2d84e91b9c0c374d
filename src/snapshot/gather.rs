//! Gathering a snapshot from an open-source MLflow tracking server: the only code that calls
//! the client.
//!
//! The chain of dependent calls is short — resolve the version, then (concurrently) the
//! registered model, download URI, run → experiment, MLmodel (via the logged model or run when
//! the direct route fails) and server version. A failure to resolve the version is fatal
//! (exit 3); any later failure is recorded in `errors` and left for the rules to see.

use serde_json::{Map, Value};

use super::gather_artifacts::{self, Access};
use super::{Artifacts, GatherError, Manifest, Snapshot, Target, Unavailable, SCHEMA_VERSION};
use crate::mlflow::{convert, ClientError, Http};
use crate::model_ref::ModelRef;

const API: &str = "/api/2.0/mlflow";

/// Why a snapshot could not be gathered at all.
#[derive(Debug, thiserror::Error)]
#[error("could not gather {reference} from {tracking_uri}: {error}")]
pub struct GatherFailure {
    pub reference: String,
    pub tracking_uri: String,
    pub error: ClientError,
}

/// Gathers the snapshot of one model reference; `now` is the RFC 3339 gather time.
pub async fn gather(
    http: &Http,
    reference: &ModelRef,
    now: String,
) -> Result<Snapshot, GatherFailure> {
    let fail = |error: ClientError| GatherFailure {
        reference: reference.to_string(),
        tracking_uri: http.tracking_uri().to_string(),
        error,
    };
    let mut errors = Vec::new();
    let mut target = Target {
        reference: reference.to_string(),
        kind: reference.kind().to_string(),
        name: reference.name().map(str::to_string),
        ..Target::default()
    };
    let version_json = match reference {
        ModelRef::Version { name, version } => Some(
            get(
                http,
                "model-versions/get",
                &[("name", name), ("version", version)],
            )
            .await
            .map_err(fail)?["model_version"]
                .clone(),
        ),
        ModelRef::Alias { name, alias } => {
            target.reference_alias = Some(alias.clone());
            Some(
                get(
                    http,
                    "registered-models/alias",
                    &[("name", name), ("alias", alias)],
                )
                .await
                .map_err(fail)?["model_version"]
                    .clone(),
            )
        }
        ModelRef::Stage { name, stage } => {
            target.reference_stage = Some(stage.clone());
            Some(latest(http, name, Some(stage)).await.map_err(fail)?)
        }
        ModelRef::Latest { name } => Some(latest(http, name, None).await.map_err(fail)?),
        ModelRef::LoggedModel { .. } | ModelRef::Run { .. } => None,
    };
    let (mut run_id, artifact_path) = match reference {
        ModelRef::Run { run_id, path } => (Some(run_id.clone()), Some(path.clone())),
        _ => (None, None),
    };
    let mut logged_model = None;
    if let ModelRef::LoggedModel { id } = reference {
        let lm = http
            .get_json(&format!("{API}/logged-models/{id}"), &[])
            .await
            .map_err(fail)?;
        run_id = lm
            .pointer("/model/info/source_run_id")
            .and_then(Value::as_str)
            .map(str::to_string);
        logged_model = lm.get("model").cloned();
    }
    if let Some(v) = &version_json {
        target.name = v.get("name").and_then(Value::as_str).map(str::to_string);
        target.version = v.get("version").and_then(Value::as_str).map(str::to_string);
        run_id = v
            .get("run_id")
            .and_then(Value::as_str)
            .filter(|r| !r.is_empty())
            .map(str::to_string);
    }
    target.run_id.clone_from(&run_id);
    target.artifact_path = artifact_path;

    let name = target.name.clone();
    let version = target.version.clone();
    let registered = async {
        match &name {
            Some(n) if version_json.is_some() => {
                Some(get(http, "registered-models/get", &[("name", n)]).await)
            }
            _ => None,
        }
    };
    let download_uri = async {
        match (&name, &version) {
            (Some(n), Some(v)) => Some(
                get(
                    http,
                    "model-versions/get-download-uri",
                    &[("name", n), ("version", v)],
                )
                .await,
            ),
            _ => None,
        }
    };
    let run_and_experiment = async {
        let Some(id) = &run_id else { return None };
        let run = get(http, "runs/get", &[("run_id", id)]).await;
        let experiment = match run
            .as_ref()
            .ok()
            .and_then(|r| r.pointer("/run/info/experiment_id"))
            .and_then(Value::as_str)
        {
            Some(eid) => Some(get(http, "experiments/get", &[("experiment_id", eid)]).await),
            None => None,
        };
        Some((run, experiment))
    };
    let mlmodel = fetch_mlmodel(
        http,
        reference,
        version_json.as_ref(),
        logged_model.as_ref(),
        run_id.as_deref(),
    );
    let server_version = async { http.get_text("/version", &[]).await.ok() };
    let (registered, download_uri, run_and_experiment, mlmodel, server_version) = tokio::join!(
        registered,
        download_uri,
        run_and_experiment,
        mlmodel,
        server_version
    );

    let mut record = |section: &str, e: &ClientError| errors.push(error_entry(section, e));
    let registered_model = match registered {
        Some(Ok(v)) => convert::registered_model(&v["registered_model"])
            .map_err(|m| record_shape("registered_model", &m))
            .ok(),
        Some(Err(e)) => {
            record("registered_model", &e);
            None
        }
        None => None,
    };
    let download = match download_uri {
        Some(Ok(v)) => v
            .get("artifact_uri")
            .and_then(Value::as_str)
            .map(str::to_string),
        Some(Err(e)) => {
            record("model_version.download_uri", &e);
            None
        }
        None => None,
    };
    let model_version = version_json
        .as_ref()
        .and_then(|v| convert::model_version(v, download.clone()).ok());
    let (run, experiment) = match run_and_experiment {
        Some((run, experiment)) => {
            let run = match run {
                Ok(v) => convert::run(&v["run"]).ok(),
                Err(e) => {
                    record("run", &e);
                    None
                }
            };
            let experiment = match experiment {
                Some(Ok(v)) => convert::experiment(&v["experiment"]).ok(),
                Some(Err(e)) => {
                    record("experiment", &e);
                    None
                }
                None => None,
            };
            (run, experiment)
        }
        None => (None, None),
    };
    let (mlflow_model, logged_model_info, access) = match mlmodel {
        Ok((m, lm, access)) => (Some(m), lm.or(logged_model), Some(access)),
        Err(e) => {
            errors.push(e);
            (None, logged_model, None)
        }
    };
    // Third and last stage, all concurrent: the input example and the file listing (both
    // need the MLmodel's location) and the ACL (needs the experiment id).
    let example_path = mlflow_model
        .as_ref()
        .and_then(|m| m.get("saved_input_example_info"))
        .and_then(|i| i.get("artifact_path"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let list_prefix = download
        .as_deref()
        .and_then(Access::proxy)
        .or_else(|| access.clone().filter(|a| matches!(a, Access::Proxy { .. })));
    let example = async {
        match (&access, &example_path) {
            (Some(a), Some(p)) => Some((a.describe(p), a.read(http, p).await)),
            _ => None,
        }
    };
    let listing = async {
        match &list_prefix {
            Some(Access::Proxy { prefix }) => Some(gather_artifacts::list(http, prefix).await),
            _ => None,
        }
    };
    let acl = super::oss_permissions::gather(
        http,
        registered_model.as_ref().map(|m| m.name.as_str()),
        experiment.as_ref().map(|e| e.experiment_id.as_str()),
        http.username(),
    );
    let (example, listing, acl) = tokio::join!(example, listing, acl);
    let mut extra = Map::new();
    match example {
        Some((_, Ok(text))) => {
            let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
            extra.insert("input_example".into(), value);
        }
        Some((call, Err(e))) => errors.push(GatherError {
            call,
            ..error_entry("input_example", &e)
        }),
        None => {}
    }
    let files = match listing {
        Some(Ok(files)) => files,
        Some(Err(e)) => {
            errors.push(error_entry("artifacts.files", &e));
            Vec::new()
        }
        None => Vec::new(),
    };
    errors.extend(acl.errors);
    let mut unavailable = vec![Unavailable {
        section: "transition_requests".into(),
        reason: "open-source MLflow has no stage-transition requests".into(),
    }];
    unavailable.extend(acl.unavailable);
    if run_id.is_none() && !matches!(reference, ModelRef::Run { .. }) {
        let reason =
            "the model version has no source run (it was registered from an external source)";
        for section in ["run", "experiment"] {
            unavailable.push(Unavailable {
                section: section.into(),
                reason: reason.into(),
            });
        }
    }
    if version_json.is_none() {
        let reason = "the reference is not a registered model version";
        for section in ["registered_model", "model_version"] {
            unavailable.push(Unavailable {
                section: section.into(),
                reason: reason.into(),
            });
        }
    }
    // The listed files are the truth; the MLmodel's own `model_size_bytes` (MLflow >= 2.9)
    // stands in when the artifacts cannot be listed.
    let size = if files.is_empty() {
        mlflow_model
            .as_ref()
            .and_then(|m| m.get("model_size_bytes"))
            .and_then(Value::as_u64)
    } else {
        Some(files.iter().filter_map(|f| f.size_bytes).sum())
    };
    let artifacts_uri = download.or_else(|| model_version.as_ref().and_then(|v| v.source.clone()));
    if let Some(lm) = logged_model_info {
        extra.insert("logged_model".into(), lm);
    }
    let mut snapshot = Snapshot {
        schema_version: SCHEMA_VERSION,
        manifest: Manifest {
            gathered_by: concat!("mlgate ", env!("CARGO_PKG_VERSION")).to_string(),
            gathered_at: now,
            tracking_uri: Some(http.tracking_uri().to_string()),
            registry_uri: None,
            backend: Some("mlflow-oss".into()),
            server_version: server_version.map(|v| v.trim().to_string()),
            extra: Map::new(),
        },
        target,
        registered_model,
        model_version,
        run,
        experiment,
        mlflow_model,
        artifacts: Some(Artifacts {
            uri: artifacts_uri,
            size_bytes: size,
            files,
            extra: Map::new(),
        }),
        permissions: acl.permissions,
        transition_requests: None,
        errors,
        unavailable,
        extra,
    };
    snapshot.errors.sort_by(|a, b| a.section.cmp(&b.section));
    Ok(snapshot)
}

fn record_shape(section: &str, message: &str) -> GatherError {
    GatherError {
        section: section.into(),
        call: "decode".into(),
        message: message.into(),
        ..GatherError::default()
    }
}

fn error_entry(section: &str, e: &ClientError) -> GatherError {
    GatherError {
        section: section.to_string(),
        call: e.call(),
        http_status: e.status(),
        error_code: e.error_code().map(str::to_string),
        message: e.message(),
    }
}

async fn get(http: &Http, endpoint: &str, query: &[(&str, &str)]) -> Result<Value, ClientError> {
    http.get_json(&format!("{API}/{endpoint}"), query).await
}

/// The latest version in a stage (or overall), from `get-latest-versions`.
async fn latest(http: &Http, name: &str, stage: Option<&str>) -> Result<Value, ClientError> {
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
async fn fetch_mlmodel(
    http: &Http,
    reference: &ModelRef,
    version: Option<&Value>,
    logged_model: Option<&Value>,
    run_id: Option<&str>,
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
    let _ = run_id;
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
