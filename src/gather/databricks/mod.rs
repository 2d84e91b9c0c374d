//! The Databricks workspace model registry: MLflow's registry calls plus the Databricks ones
//! (`databricks/registered-models/get` for the model's id and the caller's level, transition
//! requests, the Permissions API), and model files through signed URLs fetched without our
//! token (`files`) — or, when those fail, from the source run's artifacts (`run_artifacts`).
//! The Permissions API it shares with Unity Catalog is the leaf `workspace_acl`.

mod files;
mod run_artifacts;

use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::confine::{confine, SafePath};
use super::context::Context;
use super::error::{ReadError, WriteError};
use super::facts::{AclGathered, AclSubject, ModelSource, RegisteredFacts, Section};
use super::files::{parse_mlmodel, read_mlmodel, FoundModel, Route};
use super::record::{error_entry, failure};
use super::registry::{refused, Capabilities, Registry, Write};
use super::tracking::{self, API};
use super::{wire, workspace_acl, writes};
use crate::client::ClientError;
use crate::model_ref::ModelRef;
use crate::snapshot::{Backend, GatherError};

/// The workspace registry of a Databricks workspace.
pub(super) struct Workspace;

/// `{"requests": [...]}`, left out (or `{}`) when there are none.
#[derive(Deserialize)]
struct TransitionRequests {
    #[serde(default)]
    requests: Vec<Value>,
}

impl Registry for Workspace {
    fn backend(&self) -> Backend {
        Backend::DatabricksWorkspace
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            name: "the Databricks workspace registry",
            plural: false,
            aliases: false,
            stages: true,
            transition_requests: true,
            listing: true,
            version_tags: true,
        }
    }

    async fn resolve(
        &self,
        cx: &Context,
        reference: &ModelRef,
    ) -> Result<Option<wire::ModelVersion>, ReadError> {
        tracking::resolve(cx, reference).await
    }

    /// The Databricks variant adds the model's `id` (needed for its ACL) and the caller's
    /// `permission_level`; if it is refused, the plain MLflow call still gives the facts, and
    /// the refusal is kept for the ACL section to report.
    async fn registered_model(
        &self,
        cx: &Context,
        name: &str,
    ) -> Result<RegisteredFacts, ClientError> {
        let databricks: Result<wire::DatabricksRegisteredModelResponse, _> = cx
            .client()
            .get(
                &format!("{API}/databricks/registered-models/get"),
                &[("name", name)],
            )
            .await;
        match databricks {
            Ok(r) => Ok(RegisteredFacts {
                model: r.registered_model_databricks,
                owner: None,
                id_error: None,
            }),
            Err(e) => Ok(RegisteredFacts {
                model: tracking::registered_model(cx, name).await?,
                owner: None,
                id_error: Some(e),
            }),
        }
    }

    async fn download_uri(
        &self,
        cx: &Context,
        version: &wire::ModelVersion,
    ) -> Result<Option<String>, ClientError> {
        tracking::download_uri(cx, version).await
    }

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
        let registry: Route = Arc::new(files::SignedDownload {
            name: v.name.clone(),
            version: v.version.clone(),
        });
        let mlmodel = SafePath::mlmodel();
        let refused = match registry.read(cx.client(), &mlmodel).await {
            Ok(text) => return parse_mlmodel(registry, &text),
            Err(e) => GatherError {
                call: registry.describe(&mlmodel),
                ..error_entry("mlflow_model", &e)
            },
        };
        // MLflow reads a version registered from a run through the run's artifacts too
        // (databricks-api.md §8.4 (a) 2); elsewhere there is no second route.
        let Some((run_id, root)) = v.source.as_deref().and_then(run_artifacts::source_run) else {
            return Err(GatherError {
                message: format!(
                    "{}; the version's source ({}) is not a run of this workspace, so the files were not read another way",
                    refused.message,
                    v.source.as_deref().unwrap_or("none")
                ),
                ..refused
            });
        };
        let root = confine(&root).map_err(|r| GatherError {
            message: format!(
                "{}; then from the source run's artifacts: {r}",
                refused.message
            ),
            ..refused.clone()
        })?;
        let fallback: Route = Arc::new(run_artifacts::RunArtifacts { run_id, root });
        match read_mlmodel(cx.client(), fallback).await {
            Ok(found) => Ok(found),
            Err(fallback) => Err(GatherError {
                message: format!(
                    "{}; then from the source run's artifacts: {}",
                    refused.message,
                    fallback.describe()
                ),
                ..refused
            }),
        }
    }

    async fn permissions(&self, cx: &Context, subject: &AclSubject<'_>) -> AclGathered {
        let model_id = match subject.registered {
            Some(facts) => match (&facts.model.id, &facts.id_error) {
                (Some(id), _) => Ok(id.as_str()),
                (None, error) => Err(error.clone()),
            },
            None => Err(None),
        };
        workspace_acl::workspace(cx, model_id, subject.experiment_id, subject.notebook_id).await
    }

    async fn transition_requests(
        &self,
        cx: &Context,
        name: &str,
        version: &str,
    ) -> Section<Vec<Value>> {
        let answer: Result<TransitionRequests, _> = cx
            .client()
            .get(
                &format!("{API}/transition-requests/list"),
                &[("name", name), ("version", version)],
            )
            .await;
        Section::Read(answer.map(|a| a.requests))
    }

    async fn write(&self, cx: &Context, write: &Write<'_>) -> Result<(), WriteError> {
        match *write {
            // The workspace registry's own variant, which records who moved it and why.
            Write::TransitionStage {
                name,
                version,
                stage,
                archive_existing,
            } => {
                let comment = Some("moved by mlgate");
                writes::transition_stage(
                    cx,
                    "/databricks",
                    name,
                    version,
                    stage,
                    archive_existing,
                    comment,
                )
                .await
            }
            Write::SetVersionTag {
                name,
                version,
                key,
                value,
            } => writes::set_version_tag(cx, "", name, version, key, value).await,
            Write::ApproveTransitionRequest {
                name,
                version,
                stage,
                archive_existing,
                comment,
            } => {
                writes::approve_transition_request(
                    cx,
                    name,
                    version,
                    stage,
                    archive_existing,
                    comment,
                )
                .await
            }
            Write::RejectTransitionRequest {
                name,
                version,
                stage,
                comment,
            } => writes::reject_transition_request(cx, name, version, stage, comment).await,
            Write::SetModelTag { name, key, value } => {
                writes::set_model_tag(cx, "", name, key, value).await
            }
            Write::DeleteModelTag { name, key } => {
                writes::delete_model_tag(cx, "", name, key).await
            }
            Write::SetAlias { .. } => Err(refused(self, write)),
        }
    }
}
