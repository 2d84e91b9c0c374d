//! The MLflow REST calls every backend shares: runs, experiments and logged models live in the
//! tracking server (or the Databricks workspace, also for Unity Catalog models), and the
//! classic registry calls that open-source MLflow and the Databricks workspace registry both
//! answer.

use super::confine::segment_for;
use super::context::Context;
use super::error::{Asked, ReadError};
use super::wire;
use crate::client::ClientError;
use crate::model_ref::ModelRef;
use crate::snapshot::Backend;

/// The MLflow REST API root.
pub(super) const API: &str = "/api/2.0/mlflow";

pub(super) async fn run(cx: &Context, run_id: &str) -> Result<wire::Run, ClientError> {
    let path = format!("{API}/runs/get");
    let response: wire::RunResponse = cx.client().get(&path, &[("run_id", run_id)]).await?;
    // A run that does not say which it is cannot be told from another.
    if response.run.info.run_id.is_none() && response.run.info.run_uuid.is_none() {
        return Err(ClientError::Shape {
            method: "GET",
            url: cx.client().url(&path),
            message: "`run.info` has neither `run_id` nor `run_uuid`".into(),
        });
    }
    Ok(response.run)
}

/// The experiment, cached: the versions of one model usually share it.
pub(super) async fn experiment(
    cx: &Context,
    backend: Backend,
    id: &str,
) -> Result<wire::Experiment, ClientError> {
    cx.caches
        .experiments
        .get_or_fetch(backend, id, || async {
            let response: wire::ExperimentResponse = cx
                .client()
                .get(&format!("{API}/experiments/get"), &[("experiment_id", id)])
                .await?;
            Ok(response.experiment)
        })
        .await
}

/// An MLflow 3 logged model (`models:/m-…`).
pub(super) async fn logged_model(cx: &Context, id: &str) -> Result<wire::LoggedModel, ClientError> {
    let response: wire::LoggedModelResponse = cx
        .client()
        .get(
            &format!("{API}/logged-models/{}", segment_for(cx.client(), id)?),
            &[],
        )
        .await?;
    Ok(response.model)
}

pub(super) async fn model_version(
    cx: &Context,
    name: &str,
    version: &str,
) -> Result<wire::ModelVersion, ClientError> {
    let response: wire::ModelVersionResponse = cx
        .client()
        .get(
            &format!("{API}/model-versions/get"),
            &[("name", name), ("version", version)],
        )
        .await?;
    Ok(response.model_version)
}

pub(super) async fn version_by_alias(
    cx: &Context,
    name: &str,
    alias: &str,
) -> Result<wire::ModelVersion, ClientError> {
    let response: wire::ModelVersionResponse = cx
        .client()
        .get(
            &format!("{API}/registered-models/alias"),
            &[("name", name), ("alias", alias)],
        )
        .await?;
    Ok(response.model_version)
}

/// The latest version in a stage (or overall), from `get-latest-versions`; a model with none
/// is [`ReadError::NoVersion`] (said in MLflow's words, as `model-versions/get` would).
pub(super) async fn latest_version(
    cx: &Context,
    name: &str,
    stage: Option<&str>,
) -> Result<wire::ModelVersion, ReadError> {
    let mut query = vec![("name", name)];
    if let Some(stage) = stage {
        query.push(("stages", stage));
    }
    let path = format!("{API}/registered-models/get-latest-versions");
    let response: wire::ModelVersionsResponse = cx.client().get(&path, &query).await?;
    response
        .model_versions
        .into_iter()
        .max_by_key(|v| v.version.parse::<u64>().unwrap_or(0))
        .ok_or_else(|| ReadError::NoVersion {
            asked: Asked {
                method: "GET",
                url: cx.client().url(&path),
            },
            model: name.to_string(),
            stage: stage.map(str::to_string),
        })
}

pub(super) async fn registered_model(
    cx: &Context,
    name: &str,
) -> Result<wire::RegisteredModel, ClientError> {
    let response: wire::RegisteredModelResponse = cx
        .client()
        .get(&format!("{API}/registered-models/get"), &[("name", name)])
        .await?;
    Ok(response.registered_model)
}

pub(super) async fn download_uri(
    cx: &Context,
    version: &wire::ModelVersion,
) -> Result<Option<String>, ClientError> {
    let response: wire::DownloadUriResponse = cx
        .client()
        .get(
            &format!("{API}/model-versions/get-download-uri"),
            &[("name", &version.name), ("version", &version.version)],
        )
        .await?;
    Ok(Some(response.artifact_uri).filter(|u| !u.is_empty()))
}

/// The version a reference names, through the classic registry calls (open-source MLflow's and
/// the Databricks workspace registry's): `get-latest-versions` for stages and `latest`.
pub(super) async fn resolve(
    cx: &Context,
    reference: &ModelRef,
) -> Result<Option<wire::ModelVersion>, ReadError> {
    Ok(Some(match reference {
        ModelRef::Version { name, version } => model_version(cx, name, version).await?,
        ModelRef::Alias { name, alias } => version_by_alias(cx, name, alias).await?,
        ModelRef::Stage { name, stage } => latest_version(cx, name, Some(stage)).await?,
        ModelRef::Latest { name } => latest_version(cx, name, None).await?,
        ModelRef::LoggedModel { .. } | ModelRef::Run { .. } => return Ok(None),
    }))
}
