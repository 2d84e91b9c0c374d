//! Open-source MLflow (2.x and 3.x): references resolved through the registry's own calls
//! (`get-latest-versions` for stages and `latest`), and the MLmodel found as the MLflow lab
//! documents it: the registry's `get-artifact` route first, then the source resolved by hand
//! (logged model → run artifacts → the `mlflow-artifacts` proxy).

mod files;
mod permissions;

use std::sync::Arc;

use serde_json::Value;

use super::confine::{confine, SafePath};
use super::context::Context;
use super::error::{ReadError, WriteError};
use super::facts::{AclGathered, AclSubject, ModelSource, RegisteredFacts, Section};
use super::files::{parse_mlmodel, FoundModel, Route};
use super::record::{error_entry, failure, refused_entry};
use super::registry::{refused, Capabilities, Registry, Write};
use super::{logged_model, mlmodel, tracking, wire, writes};
use crate::client::ClientError;
use crate::model_ref::ModelRef;
use crate::snapshot::{Backend, GatherError};

/// An open-source `mlflow server`.
pub(super) struct Oss;

impl Registry for Oss {
    fn backend(&self) -> Backend {
        Backend::MlflowOss
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            name: "open-source MLflow",
            plural: false,
            aliases: true,
            stages: true,
            transition_requests: false,
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

    /// Measured identical to `model-versions/get` but for the aliases on MLflow 2.22 and 3.17.
    fn listed_version_is_whole(&self) -> bool {
        true
    }

    async fn registered_model(
        &self,
        cx: &Context,
        name: &str,
    ) -> Result<RegisteredFacts, ClientError> {
        Ok(RegisteredFacts {
            model: tracking::registered_model(cx, name).await?,
            owner: None,
            id_error: None,
        })
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
        find_mlmodel(cx, source).await
    }

    /// MLflow 3 keeps a logged model's files at `<experiment artifact location>/models/<model
    /// id>/artifacts` (`SqlAlchemyStore.create_logged_model`), and a version registered from
    /// `models:/<model id>` answers that location as its download URI (`create_model_version`
    /// stores it). Trusted only when the MLmodel read there names the same model id; anything
    /// else (another layout, a store the proxy does not serve, an older file) asks the server.
    async fn located_without_asking(
        &self,
        cx: &Context,
        version: &wire::ModelVersion,
        experiment: &wire::Experiment,
    ) -> Option<(String, FoundModel)> {
        let id = version.source.as_deref()?.strip_prefix("models:/")?;
        if !id.starts_with("m-") || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return None;
        }
        let location = experiment
            .artifact_location
            .as_deref()?
            .trim_end_matches('/');
        let uri = format!("{location}/models/{id}/artifacts");
        let route: Route = Arc::new(files::Proxy::at(&uri)?);
        let text = route.read(cx.client(), &SafePath::mlmodel()).await.ok()?;
        let mlmodel = mlmodel::parse(&text).ok()?;
        (mlmodel.get("model_id").and_then(Value::as_str) == Some(id)).then(|| {
            let found = FoundModel {
                mlmodel,
                logged_model: None,
                route,
            };
            (uri, found)
        })
    }

    /// The proxy lists files; the registry route cannot (its `list` is `None`). A
    /// `mlflow-artifacts:/` download URI is listed even when the MLmodel came through the
    /// registry route.
    fn listing_route(&self, download_uri: Option<&str>, mlmodel: Option<&Route>) -> Option<Route> {
        match download_uri.and_then(files::Proxy::at) {
            Some(proxy) => Some(Arc::new(proxy)),
            None => mlmodel.cloned(),
        }
    }

    async fn server_version(&self, cx: &Context) -> Section<String> {
        // One server, one version: read once per run, however many versions it checks.
        let answer = cx
            .caches
            .server
            .get_or_fetch(Backend::MlflowOss, "/version", || async {
                cx.client()
                    .get_text("/version", &[])
                    .await
                    .map(Value::String)
            })
            .await;
        Section::Read(answer.map(|v| v.as_str().unwrap_or_default().to_string()))
    }

    async fn permissions(&self, cx: &Context, subject: &AclSubject<'_>) -> AclGathered {
        permissions::gather(cx, subject.name, subject.experiment_id).await
    }

    async fn transition_requests(&self, _: &Context, _: &str, _: &str) -> Section<Vec<Value>> {
        Section::Unavailable("open-source MLflow has no stage-transition requests")
    }

    async fn write(&self, cx: &Context, write: &Write<'_>) -> Result<(), WriteError> {
        match *write {
            Write::SetAlias {
                name,
                alias,
                version,
            } => writes::set_alias(cx, "", name, alias, version).await,
            Write::TransitionStage {
                name,
                version,
                stage,
                archive_existing,
            } => {
                writes::transition_stage(cx, "", name, version, stage, archive_existing, None).await
            }
            Write::SetVersionTag {
                name,
                version,
                key,
                value,
            } => writes::set_version_tag(cx, "", name, version, key, value).await,
            Write::SetModelTag { name, key, value } => {
                writes::set_model_tag(cx, "", name, key, value).await
            }
            Write::DeleteModelTag { name, key } => {
                writes::delete_model_tag(cx, "", name, key).await
            }
            Write::ApproveTransitionRequest { .. } | Write::RejectTransitionRequest { .. } => {
                Err(refused(self, write))
            }
        }
    }
}

/// The MLmodel file: the registry's own route first, then the source resolved as the MLflow
/// lab documents it. A `runs:/RUN/PATH` source names one model: the run's artifacts at PATH,
/// or (MLflow 3) the run's logged model *named* PATH; never some other model of the run.
async fn find_mlmodel(cx: &Context, source: &ModelSource<'_>) -> Result<FoundModel, GatherError> {
    let section = "mlflow_model";
    let client = cx.client();
    let parse = |text: String, call: String| {
        mlmodel::parse(&text).map_err(|message| super::record::failure(section, call, message))
    };
    let mut last_error = None;
    // Known first in bulk runs: the proxy's read costs the server less than the registry
    // route's, which resolves the version again.
    let mlmodel = SafePath::mlmodel();
    if let Some(proxy) = source.download_uri.and_then(files::Proxy::at) {
        let route: Route = Arc::new(proxy);
        match route.read(client, &mlmodel).await {
            Ok(text) => return parse_mlmodel(route, &text),
            Err(e) => last_error = Some(e),
        }
    }
    if let Some(v) = source.version {
        let route: Route = Arc::new(files::GetArtifact {
            name: v.name.clone(),
            version: v.version.clone(),
        });
        match route.read(client, &mlmodel).await {
            Ok(text) => {
                return parse(text, "GET /model-versions/get-artifact".into()).map(|mlmodel| {
                    FoundModel {
                        mlmodel,
                        logged_model: None,
                        route,
                    }
                });
            }
            Err(e) => last_error = Some(e),
        }
    }
    let location = match (source.reference, source.version) {
        (ModelRef::Run { run_id, path }, _) => format!("runs:/{run_id}/{path}"),
        (_, Some(v)) => v.source.clone().unwrap_or_default(),
        (ModelRef::LoggedModel { id }, None) => format!("models:/{id}"),
        _ => String::new(),
    };
    let candidates = candidates(cx, source, &location, &mut last_error).await?;
    let mut tried = location.clone();
    for (candidate, logged_model) in candidates {
        tried.clone_from(&candidate);
        let proxy = match files::Proxy::of(&candidate) {
            Ok(Some(proxy)) => proxy,
            Ok(None) => continue,
            Err(refused) => return Err(refused_entry(section, &refused)),
        };
        let route: Route = Arc::new(proxy);
        match route.read(client, &mlmodel).await {
            Ok(text) => {
                return parse_mlmodel(route, &text).map(|found| FoundModel {
                    logged_model,
                    ..found
                })
            }
            Err(e) => last_error = Some(e),
        }
    }
    Err(not_found(section, &location, &tried, last_error.as_ref()))
}

/// Candidate artifact locations of the model at `location`, best first, with the logged
/// model each belongs to. A failed look-up is left in `last_error` and the search goes on; a
/// `runs:/` path that leaves the run's artifact root is refused.
async fn candidates(
    cx: &Context,
    source: &ModelSource<'_>,
    location: &str,
    last_error: &mut Option<ClientError>,
) -> Result<Vec<(String, Option<wire::LoggedModel>)>, GatherError> {
    let mut candidates: Vec<(String, Option<wire::LoggedModel>)> = Vec::new();
    let logged_model_id = location
        .strip_prefix("models:/m-")
        .map(|rest| format!("m-{rest}"))
        .or_else(|| source.version.and_then(|v| v.model_id.clone()));
    if let Some(id) = logged_model_id {
        // The facts stage asks for the same logged model: one call between them.
        match logged_model::by_id(cx, source.logged_model, &id).await {
            Ok(lm) => candidates.extend(lm.info.artifact_uri.clone().map(|uri| (uri, Some(lm)))),
            Err(e) => *last_error = Some(e),
        }
    } else if let Some(rest) = location.strip_prefix("runs:/") {
        let (run_id, path) = rest.split_once('/').unwrap_or((rest, ""));
        let path = path.trim_matches('/');
        // The path is the version's source (a server's word) or the reference's: either way
        // it must stay under the run's artifacts.
        if !path.is_empty() {
            if let Err(refused) = confine(path) {
                return Err(refused_entry("mlflow_model", &refused));
            }
        }
        match tracking::run(cx, run_id).await {
            Ok(run) => {
                // As MLflow 3 resolves `runs:/` URIs: the run's logged model of that name
                // first, then the run's own artifacts at that path.
                let outputs = run.outputs.map(|o| o.model_outputs).unwrap_or_default();
                for output in outputs {
                    match logged_model::by_id(cx, source.logged_model, &output.model_id).await {
                        Ok(lm) if lm.info.name.as_deref() == Some(path) => {
                            candidates
                                .extend(lm.info.artifact_uri.clone().map(|uri| (uri, Some(lm))));
                        }
                        Ok(_) => {}
                        Err(e) => *last_error = Some(e),
                    }
                }
                if let Some(base) = &run.info.artifact_uri {
                    candidates.push((format!("{}/{path}", base.trim_end_matches('/')), None));
                }
            }
            Err(e) => *last_error = Some(e),
        }
    } else if !location.is_empty() {
        candidates.push((location.to_string(), None));
    }
    Ok(candidates)
}

/// The error for an MLmodel file found at none of the places tried (`tried` the last).
fn not_found(
    section: &str,
    location: &str,
    tried: &str,
    last_error: Option<&ClientError>,
) -> GatherError {
    let reason = match last_error {
        Some(ClientError::Http {
            status: 404,
            message,
            ..
        }) if tried.starts_with("mlflow-artifacts:/") => {
            format!("the MLmodel file is missing from `{tried}`: {message}")
        }
        Some(e) if tried.is_empty() || tried.starts_with("mlflow-artifacts:/") => e.what(),
        None if location.starts_with("runs:/") => {
            format!("no model at `{location}`: the run has no such artifact path and no logged model of that name")
        }
        _ => format!(
            "the model's artifacts are at `{tried}`, which cannot be read through the tracking server"
        ),
    };
    match last_error {
        Some(e) => GatherError {
            message: reason,
            ..error_entry(section, e)
        },
        None => failure(section, "resolve artifact location", reason),
    }
}
