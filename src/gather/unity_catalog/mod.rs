//! Unity Catalog models on Databricks: versions and registered models through the 2.1 REST
//! API (converted to MLflow's shapes in `wire`), grants in `grants`, the experiment's ACL from
//! the workspace (experiments of UC models live there), and model files by the route MLflow
//! takes (`storage`: the Files API, presigned URLs for `DEFAULT_STORAGE`, or the cloud storage
//! itself with temporary credentials). UC has no stages: stage references and stage writes are
//! refused, never approximated.

mod files;
mod grants;
mod storage;
mod wire;

use serde::de::IgnoredAny;
use serde::Serialize;
use serde_json::Value;

use super::confine::segment_for;
use super::context::Context;
use super::error::{Asked, ReadError, WriteError};
use super::facts::{AclGathered, AclSubject, ModelSource, RegisteredFacts, Section};
use super::files::{read_mlmodel, FoundModel};
use super::record::failure;
use super::registry::{refused, Capabilities, Registry, Write};
use super::{wire as mlflow, workspace_acl, writes};
use crate::client::{ClientError, Retry, WriteMethod};
use crate::model_ref::ModelRef;
use crate::snapshot::{Backend, GatherError};

/// The 2.1 REST root of UC models.
const UC: &str = "/api/2.1/unity-catalog/models";

/// Unity Catalog, as a model registry.
pub(super) struct UnityCatalog;

impl Registry for UnityCatalog {
    fn backend(&self) -> Backend {
        Backend::UnityCatalog
    }

    /// No stages, so no transition requests; models are not listed registry-wide yet.
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            name: "Unity Catalog models",
            plural: true,
            aliases: true,
            stages: false,
            transition_requests: false,
            listing: false,
            version_tags: true,
        }
    }

    async fn resolve(
        &self,
        cx: &Context,
        reference: &ModelRef,
    ) -> Result<Option<mlflow::ModelVersion>, ReadError> {
        let aliases = [("include_aliases", "true")];
        let seg = |name: &str| segment_for(cx.client(), name);
        let path = match reference {
            ModelRef::Version { name, version } => {
                format!("{UC}/{}/versions/{}", seg(name)?, seg(version)?)
            }
            ModelRef::Alias { name, alias } => {
                format!("{UC}/{}/aliases/{}", seg(name)?, seg(alias)?)
            }
            ModelRef::Latest { name } => {
                let version = latest(cx, name).await?;
                format!("{UC}/{}/versions/{version}", seg(name)?)
            }
            // Refused before gathering (a usage error); a typed refusal here, never a panic.
            ModelRef::Stage { name, stage } => {
                return Err(ReadError::NoStages {
                    asked: Asked {
                        method: "GET",
                        url: cx.client().url(&format!("{UC}/{}", seg(name)?)),
                    },
                    stage: stage.clone(),
                })
            }
            ModelRef::LoggedModel { .. } | ModelRef::Run { .. } => return Ok(None),
        };
        let info: wire::ModelVersionInfo = cx.client().get(&path, &aliases).await?;
        Ok(Some(info.into_mlflow()))
    }

    async fn registered_model(
        &self,
        cx: &Context,
        name: &str,
    ) -> Result<RegisteredFacts, ClientError> {
        let info: wire::RegisteredModelInfo = cx
            .client()
            .get(
                &format!("{UC}/{}", segment_for(cx.client(), name)?),
                &[("include_aliases", "true")],
            )
            .await?;
        Ok(RegisteredFacts {
            owner: info.owner.clone().filter(|o| !o.is_empty()),
            model: info.into_mlflow(),
            id_error: None,
        })
    }

    /// UC's own REST model has no tags: MLflow's UC API (what the MLflow client calls) has
    /// them (**inferred** from MLflow's UC protos; not in the UC REST reference).
    async fn model_tags(
        &self,
        cx: &Context,
        name: &str,
    ) -> Result<Vec<(String, String)>, ClientError> {
        let response: mlflow::RegisteredModelResponse = cx
            .client()
            .get(
                "/api/2.0/mlflow/unity-catalog/registered-models/get",
                &[("name", name)],
            )
            .await?;
        Ok(response
            .registered_model
            .tags
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect())
    }

    /// UC gives the storage location with the version; there is no download-URI call.
    async fn download_uri(
        &self,
        _: &Context,
        version: &mlflow::ModelVersion,
    ) -> Result<Option<String>, ClientError> {
        Ok(version.storage_location.clone())
    }

    /// The route MLflow takes to the version's files (`storage`), then the MLmodel through it.
    async fn mlmodel(
        &self,
        cx: &Context,
        source: &ModelSource<'_>,
    ) -> Result<FoundModel, GatherError> {
        let Some(v) = source.version else {
            return Err(failure(
                "mlflow_model",
                "resolve",
                "only registered model versions are read from Databricks",
            ));
        };
        let route = storage::route(cx, v).await?;
        read_mlmodel(cx.client(), route).await
    }

    async fn permissions(&self, cx: &Context, subject: &AclSubject<'_>) -> AclGathered {
        let owner = subject.registered.and_then(|r| r.owner.as_deref());
        let mut out = match subject.name {
            Some(name) => grants::grants(cx, name, owner).await,
            None => AclGathered::default(),
        };
        let (experiment, errors) =
            workspace_acl::experiment(cx, subject.experiment_id, subject.notebook_id).await;
        out.permissions.experiment = experiment;
        out.errors.extend(errors);
        out
    }

    async fn transition_requests(&self, _: &Context, _: &str, _: &str) -> Section<Vec<Value>> {
        Section::Unavailable("Unity Catalog has no stages, so no transition requests")
    }

    async fn write(&self, cx: &Context, write: &Write<'_>) -> Result<(), WriteError> {
        match *write {
            Write::SetAlias {
                name,
                alias,
                version,
            } => set_alias(cx, name, alias, version).await,
            // Version tags exist only in MLflow's UC API (UC's entity tags do not cover models).
            Write::SetVersionTag {
                name,
                version,
                key,
                value,
            } => writes::set_version_tag(cx, "/unity-catalog", name, version, key, value).await,
            Write::SetModelTag { name, key, value } => {
                writes::set_model_tag(cx, "/unity-catalog", name, key, value).await
            }
            Write::DeleteModelTag { name, key } => {
                writes::delete_model_tag(cx, "/unity-catalog", name, key).await
            }
            Write::TransitionStage { .. }
            | Write::ApproveTransitionRequest { .. }
            | Write::RejectTransitionRequest { .. } => Err(refused(self, write)),
        }
    }
}

/// `PUT …/aliases/{alias}` with the version as a number (an upsert).
async fn set_alias(cx: &Context, name: &str, alias: &str, version: &str) -> Result<(), WriteError> {
    #[derive(Serialize)]
    struct SetAlias {
        version_num: u64,
    }
    let version_num = version.parse().map_err(|_| WriteError::Unsupported {
        backend: Backend::UnityCatalog,
        what: format!("point an alias at `{version}`: UC versions are numbers"),
    })?;
    let _: IgnoredAny = cx
        .client()
        .write(
            WriteMethod::Put,
            &format!(
                "{UC}/{}/aliases/{}",
                segment_for(cx.client(), name)?,
                segment_for(cx.client(), alias)?
            ),
            &SetAlias { version_num },
            // Not resent after a lost answer: it could undo another client's move.
            Retry::Once,
        )
        .await?;
    Ok(())
}

/// The highest version number of a UC model, over every page of its versions.
async fn latest(cx: &Context, name: &str) -> Result<u64, ReadError> {
    let path = format!("{UC}/{}/versions", segment_for(cx.client(), name)?);
    let versions: Vec<wire::VersionNumber> = cx
        .client()
        .get_all_pages(&path, &[("max_results", "1000")], "model_versions")
        .await?;
    let best = versions.iter().filter_map(|v| v.version.parse().ok()).max();
    best.ok_or_else(|| ReadError::NoVersion {
        asked: Asked {
            method: "GET",
            url: cx.client().url(&path),
        },
        model: name.to_string(),
        stage: None,
    })
}
