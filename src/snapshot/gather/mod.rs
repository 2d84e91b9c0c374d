//! Gathering a snapshot from a tracking server — open-source MLflow, a Databricks workspace
//! registry or Unity Catalog. The only code that calls the client.
//!
//! The chain of dependent calls is short: resolve the version; then, concurrently, the
//! registered model, download URI, run → experiment, MLmodel and server facts; then,
//! concurrently, the input example, the file listing, the ACLs and transition requests. A
//! failure to resolve the version is fatal (exit 3); any later failure is recorded in `errors`
//! and left for the rules to see.

mod artifacts;
mod databricks_permissions;
mod oss;
mod oss_permissions;
mod registry;

use serde_json::{Map, Value};

use super::{
    Artifacts, GatherError, Manifest, Permissions, Snapshot, Target, Unavailable, SCHEMA_VERSION,
};
use crate::mlflow::{convert, ClientError, Http};
use crate::model_ref::ModelRef;
use artifacts::Access;

const API: &str = "/api/2.0/mlflow";

/// Which registry the model lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An open-source `mlflow server`.
    Oss,
    /// The Databricks workspace model registry (stages, transition requests, workspace ACLs).
    Workspace,
    /// Unity Catalog models (aliases, UC grants; no stages).
    UnityCatalog,
}

impl Backend {
    /// The snapshot's `manifest.backend`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Oss => "mlflow-oss",
            Backend::Workspace => "databricks-workspace",
            Backend::UnityCatalog => "databricks-uc",
        }
    }
}

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
    backend: Backend,
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
    match reference {
        ModelRef::Alias { alias, .. } => target.reference_alias = Some(alias.clone()),
        ModelRef::Stage { stage, .. } => target.reference_stage = Some(stage.clone()),
        _ => {}
    }
    let version_json = registry::resolve(http, backend, reference)
        .await
        .map_err(fail)?;
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

    // Second stage, all concurrent.
    let name = target.name.clone();
    let version = target.version.clone();
    let registered = async {
        match &name {
            Some(n) if version_json.is_some() => {
                Some(registry::registered_model(http, backend, n).await)
            }
            _ => None,
        }
    };
    let download_uri = async {
        match (&name, &version, backend) {
            (_, _, Backend::UnityCatalog) => version_json
                .as_ref()
                .and_then(|v| v.get("storage_location"))
                .and_then(Value::as_str)
                .map(|s| Ok(s.to_string())),
            (Some(n), Some(v), _) => Some(
                get(
                    http,
                    "model-versions/get-download-uri",
                    &[("name", n), ("version", v)],
                )
                .await
                .map(|r| {
                    r.get("artifact_uri")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                }),
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
    let mlmodel = async {
        match backend {
            Backend::Oss => {
                oss::fetch_mlmodel(
                    http,
                    reference,
                    version_json.as_ref(),
                    logged_model.as_ref(),
                )
                .await
            }
            Backend::Workspace | Backend::UnityCatalog => {
                registry::databricks_mlmodel(http, backend, version_json.as_ref()).await
            }
        }
    };
    let server_version = async {
        match backend {
            Backend::Oss => http.get_text("/version", &[]).await.ok(),
            _ => None,
        }
    };
    let (registered, download_uri, run_and_experiment, mlmodel, server_version) = tokio::join!(
        registered,
        download_uri,
        run_and_experiment,
        mlmodel,
        server_version
    );

    // Every call that failed, and every answer that did not have the expected shape, is
    // recorded against the section it leaves empty.
    let (registered_model, databricks_id_error) = match registered {
        Some(Ok((v, id_error))) => (
            keep(
                convert::registered_model(&v),
                "registered_model",
                &mut errors,
            ),
            id_error,
        ),
        Some(Err(e)) => {
            errors.push(error_entry("registered_model", &e));
            (None, None)
        }
        None => (None, None),
    };
    let download = match download_uri {
        Some(Ok(uri)) => Some(uri).filter(|u| !u.is_empty()),
        Some(Err(e)) => {
            errors.push(error_entry("model_version.download_uri", &e));
            None
        }
        None => None,
    };
    let model_version = version_json.as_ref().and_then(|v| {
        keep(
            convert::model_version(v, download.clone()),
            "model_version",
            &mut errors,
        )
    });
    let (run, experiment) = match run_and_experiment {
        Some((run, experiment)) => {
            let run = match run {
                Ok(v) => keep(convert::run(&v["run"]), "run", &mut errors),
                Err(e) => {
                    errors.push(error_entry("run", &e));
                    None
                }
            };
            let experiment = match experiment {
                Some(Ok(v)) => keep(
                    convert::experiment(&v["experiment"]),
                    "experiment",
                    &mut errors,
                ),
                Some(Err(e)) => {
                    errors.push(error_entry("experiment", &e));
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

    // Third and last stage, all concurrent: the input example and the file listing (both need
    // the MLmodel's location), the ACLs (need the model id / experiment id) and, on the
    // workspace registry, the open transition requests.
    let example_path = mlflow_model
        .as_ref()
        .and_then(|m| m.get("saved_input_example_info"))
        .and_then(|i| i.get("artifact_path"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let listing_access = match backend {
        Backend::Oss => download
            .as_deref()
            .and_then(Access::proxy)
            .or_else(|| access.clone().filter(|a| matches!(a, Access::Proxy { .. }))),
        _ => access.clone(),
    };
    let example = async {
        match (&access, &example_path) {
            (Some(a), Some(p)) => Some((a.describe(p), a.read(http, p).await)),
            _ => None,
        }
    };
    let listing = async {
        match &listing_access {
            Some(a) => a.list(http).await,
            None => None,
        }
    };
    let notebook_id = run
        .as_ref()
        .and_then(|r| r.tags.get("mlflow.databricks.notebookID"))
        .cloned();
    let acl = async {
        match backend {
            Backend::Oss => {
                let g = oss_permissions::gather(
                    http,
                    registered_model.as_ref().map(|m| m.name.as_str()),
                    experiment.as_ref().map(|e| e.experiment_id.as_str()),
                    http.username(),
                )
                .await;
                (g.permissions, g.errors, g.unavailable)
            }
            Backend::Workspace => {
                let g = databricks_permissions::workspace(
                    http,
                    registered_model
                        .as_ref()
                        .and_then(|m| m.id.as_deref())
                        .ok_or_else(|| databricks_id_error.clone()),
                    experiment.as_ref().map(|e| e.experiment_id.as_str()),
                    notebook_id.as_deref(),
                )
                .await;
                (g.permissions, g.errors, Vec::new())
            }
            Backend::UnityCatalog => {
                let owner = registered_model
                    .as_ref()
                    .and_then(|m| m.extra.get("owner"))
                    .and_then(Value::as_str);
                let mut g = match &name {
                    Some(n) => databricks_permissions::unity_catalog(http, n, owner).await,
                    None => databricks_permissions::Gathered::default(),
                };
                // Experiments of UC models live in the workspace and keep workspace ACLs.
                if let Some(eid) = experiment.as_ref().map(|e| e.experiment_id.as_str()) {
                    let w = databricks_permissions::workspace(
                        http,
                        Err(None),
                        Some(eid),
                        notebook_id.as_deref(),
                    )
                    .await;
                    g.permissions.experiment = w.permissions.experiment;
                    g.errors.extend(
                        w.errors
                            .into_iter()
                            .filter(|e| e.section != "permissions.registered_model"),
                    );
                }
                (g.permissions, g.errors, Vec::new())
            }
        }
    };
    let transitions = async {
        match (backend, &name, &version) {
            (Backend::Workspace, Some(n), Some(v)) => Some(
                get(
                    http,
                    "transition-requests/list",
                    &[("name", n), ("version", v)],
                )
                .await,
            ),
            _ => None,
        }
    };
    let (example, listing, (permissions, acl_errors, acl_unavailable), transitions) =
        tokio::join!(example, listing, acl, transitions);

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
    let (files, truncated) = match listing {
        Some(Ok(listing)) => listing,
        Some(Err(e)) => {
            errors.push(error_entry("artifacts.files", &e));
            (Vec::new(), false)
        }
        None => (Vec::new(), false),
    };
    errors.extend(acl_errors);
    let mut unavailable = acl_unavailable;
    let transition_requests = match transitions {
        Some(Ok(v)) => Some(
            v.get("requests")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        ),
        Some(Err(e)) => {
            errors.push(error_entry("transition_requests", &e));
            None
        }
        None => {
            unavailable.push(Unavailable {
                section: "transition_requests".into(),
                reason: match backend {
                    Backend::UnityCatalog => {
                        "Unity Catalog has no stages, so no transition requests".into()
                    }
                    _ => "open-source MLflow has no stage-transition requests".into(),
                },
            });
            None
        }
    };
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
    // A partial listing or a file without a size gives no total: a size rule must not pass on
    // part of the model.
    let size = if files.is_empty() {
        mlflow_model
            .as_ref()
            .and_then(|m| m.get("model_size_bytes"))
            .and_then(Value::as_u64)
    } else if truncated || files.iter().any(|f| f.size_bytes.is_none()) {
        errors.push(GatherError {
            section: "artifacts.size_bytes".into(),
            call: "list artifacts".into(),
            message: if truncated {
                format!("the listing stopped after {} directory reads; the model is larger than what was listed", artifacts::MAX_LISTINGS)
            } else {
                "the server gave no size for some files".into()
            },
            ..GatherError::default()
        });
        None
    } else {
        Some(
            files
                .iter()
                .filter_map(|f| f.size_bytes)
                .fold(0u64, u64::saturating_add),
        )
    };
    let artifacts_uri = download.or_else(|| model_version.as_ref().and_then(|v| v.source.clone()));
    if let Some(lm) = logged_model_info {
        extra.insert("logged_model".into(), lm);
    }
    let mut manifest_extra = Map::new();
    manifest_extra.insert("ui_url".into(), Value::String(http.base_url().to_string()));
    let mut snapshot = Snapshot {
        schema_version: SCHEMA_VERSION,
        manifest: Manifest {
            gathered_by: concat!("mlgate ", env!("CARGO_PKG_VERSION")).to_string(),
            gathered_at: now,
            tracking_uri: Some(http.tracking_uri().to_string()),
            registry_uri: match backend {
                Backend::Oss => None,
                Backend::Workspace => Some("databricks".into()),
                Backend::UnityCatalog => Some("databricks-uc".into()),
            },
            backend: Some(backend.as_str().into()),
            server_version: server_version.map(|v| v.trim().to_string()),
            extra: manifest_extra,
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
        permissions: Permissions { ..permissions },
        transition_requests,
        errors,
        unavailable,
        extra,
    };
    snapshot.errors.sort_by(|a, b| a.section.cmp(&b.section));
    Ok(snapshot)
}

/// The converted section, or `None` with the reason recorded.
fn keep<T>(
    converted: Result<T, String>,
    section: &str,
    errors: &mut Vec<GatherError>,
) -> Option<T> {
    converted
        .map_err(|m| errors.push(record_shape(section, &m)))
        .ok()
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
