//! Finding the model version and its registered model on each backend, and the MLmodel on
//! Databricks. Unity Catalog answers in its own shapes (2.1 REST); they are converted to
//! MLflow's shapes here, so everything downstream sees one.

use serde_json::{Map, Value};

use super::artifacts::Access;
use super::{error_entry, get, oss, Backend};
use crate::mlflow::{convert, ClientError, Http};
use crate::model_ref::ModelRef;
use crate::snapshot::GatherError;

const UC: &str = "/api/2.1/unity-catalog/models";

/// The model version the reference names, in MLflow's shape; `None` for references that are
/// not registry versions (`runs:/`, logged models).
pub async fn resolve(
    http: &Http,
    backend: Backend,
    reference: &ModelRef,
) -> Result<Option<Value>, ClientError> {
    if backend == Backend::UnityCatalog {
        return resolve_uc(http, reference).await;
    }
    Ok(match reference {
        ModelRef::Version { name, version } => Some(member(
            get(
                http,
                "model-versions/get",
                &[("name", name), ("version", version)],
            )
            .await?,
            "model_version",
            "model-versions/get",
        )?),
        ModelRef::Alias { name, alias } => Some(member(
            get(
                http,
                "registered-models/alias",
                &[("name", name), ("alias", alias)],
            )
            .await?,
            "model_version",
            "registered-models/alias",
        )?),
        ModelRef::Stage { name, stage } => Some(oss::latest(http, name, Some(stage)).await?),
        ModelRef::Latest { name } => Some(oss::latest(http, name, None).await?),
        ModelRef::LoggedModel { .. } | ModelRef::Run { .. } => None,
    })
}

async fn resolve_uc(http: &Http, reference: &ModelRef) -> Result<Option<Value>, ClientError> {
    let aliases = [("include_aliases", "true")];
    let info = match reference {
        ModelRef::Version { name, version } => {
            http.get_json(&format!("{UC}/{name}/versions/{version}"), &aliases)
                .await?
        }
        ModelRef::Alias { name, alias } => {
            http.get_json(&format!("{UC}/{name}/aliases/{alias}"), &aliases)
                .await?
        }
        ModelRef::Latest { name } => {
            let version = latest_uc(http, name).await?;
            http.get_json(&format!("{UC}/{name}/versions/{version}"), &aliases)
                .await?
        }
        // Refused before gathering (a usage error); unreachable here, but never a panic.
        ModelRef::Stage { name, stage } => {
            return Err(ClientError::Http {
                method: "GET",
                path: format!("{UC}/{name}"),
                status: 400,
                error_code: Some("INVALID_PARAMETER_VALUE".into()),
                message: format!(
                    "Unity Catalog models have no stages (asked for {stage}); use an alias"
                ),
            })
        }
        ModelRef::LoggedModel { .. } | ModelRef::Run { .. } => return Ok(None),
    };
    Ok(Some(convert::uc_model_version(&info)))
}

/// The highest version number of a UC model, over every page of its versions.
async fn latest_uc(http: &Http, name: &str) -> Result<u64, ClientError> {
    let path = format!("{UC}/{name}/versions");
    let versions = http
        .get_all_pages(&path, &[("max_results", "1000")], "model_versions")
        .await?;
    let best = versions
        .iter()
        .filter_map(|v| {
            v.get("version")
                .and_then(|n| n.as_u64().or_else(|| n.as_str()?.parse().ok()))
        })
        .max();
    best.ok_or_else(|| ClientError::Http {
        method: "GET",
        path,
        status: 404,
        error_code: Some("RESOURCE_DOES_NOT_EXIST".into()),
        message: format!("registered model `{name}` has no versions"),
    })
}

/// The registered model, in MLflow's shape, and (workspace registry) why its Databricks id is
/// unknown. On the workspace registry the Databricks variant adds the model's `id` (needed for
/// its ACL) and the caller's `permission_level`; if it is refused, the plain MLflow call still
/// gives the facts, and the refusal is kept for the ACL section to report.
pub async fn registered_model(
    http: &Http,
    backend: Backend,
    name: &str,
) -> Result<(Value, Option<ClientError>), ClientError> {
    match backend {
        Backend::UnityCatalog => {
            let info = http
                .get_json(&format!("{UC}/{name}"), &[("include_aliases", "true")])
                .await?;
            Ok((convert::uc_registered_model(&info), None))
        }
        Backend::Workspace => {
            match get(http, "databricks/registered-models/get", &[("name", name)]).await {
                Ok(v) => Ok((
                    member(
                        v,
                        "registered_model_databricks",
                        "databricks/registered-models/get",
                    )?,
                    None,
                )),
                Err(e) => {
                    let v = get(http, "registered-models/get", &[("name", name)]).await?;
                    Ok((
                        member(v, "registered_model", "registered-models/get")?,
                        Some(e),
                    ))
                }
            }
        }
        Backend::Oss => {
            let v = get(http, "registered-models/get", &[("name", name)]).await?;
            Ok((
                member(v, "registered_model", "registered-models/get")?,
                None,
            ))
        }
    }
}

/// The object under `key` of a response; a 200 without it is a malformed answer, not a fact.
pub fn member(mut response: Value, key: &str, endpoint: &str) -> Result<Value, ClientError> {
    match response.get_mut(key).map(Value::take) {
        Some(v @ Value::Object(_)) => Ok(v),
        _ => Err(ClientError::Decode {
            method: "GET",
            path: format!("/api/2.0/mlflow/{endpoint}"),
            message: format!("the response has no `{key}` object"),
            snippet: crate::mlflow::error::snippet(&response.to_string()),
        }),
    }
}

/// The MLmodel of a Databricks model version: the registry's signed-URL route on the workspace
/// registry; the Files API on Unity Catalog when the workspace enables it. (UC's other route
/// hands out temporary cloud-storage credentials, which mlgate does not use: it records why.)
pub async fn databricks_mlmodel(
    http: &Http,
    backend: Backend,
    version: Option<&Value>,
) -> Result<(Map<String, Value>, Option<Value>, Access), GatherError> {
    let section = "mlflow_model";
    let Some(v) = version else {
        return Err(GatherError {
            section: section.into(),
            call: "resolve".into(),
            message: "only registered model versions are read from Databricks".into(),
            ..GatherError::default()
        });
    };
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let number = v
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let access = if backend == Backend::UnityCatalog {
        let flag = http
            .get_json("/api/2.0/mlflow/unity-catalog/registered-models:is-databricks-sdk-models-artifact-repository-enabled", &[])
            .await
            .ok()
            .and_then(|v| v.get("is_databricks_sdk_models_artifact_repository_enabled").and_then(Value::as_bool))
            .unwrap_or(false);
        if !flag {
            return Err(GatherError {
                section: section.into(),
                call: "GET /api/2.0/mlflow/unity-catalog/registered-models:is-databricks-sdk-models-artifact-repository-enabled".into(),
                message: "this workspace serves UC model files only through temporary cloud-storage credentials, which mlgate does not use; the MLmodel was not read".into(),
                ..GatherError::default()
            });
        }
        Access::UcFiles {
            root: format!("/Models/{}/{number}", name.replace('.', "/")),
        }
    } else {
        Access::Workspace {
            name,
            version: number,
        }
    };
    match access.read(http, "MLmodel").await {
        Ok(text) => convert::mlmodel(&text)
            .map(|m| (m, None, access.clone()))
            .map_err(|message| GatherError {
                section: section.into(),
                call: access.describe("MLmodel"),
                message,
                ..GatherError::default()
            }),
        Err(e) => Err(GatherError {
            call: access.describe("MLmodel"),
            ..error_entry(section, &e)
        }),
    }
}
