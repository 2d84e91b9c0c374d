//! The read chain of one snapshot: resolve the version; then, concurrently, the registered
//! model, download URI, run → experiment, MLmodel and server facts; then, concurrently, the
//! input example, the file listing, the ACLs and transition requests. A failure to resolve the
//! version is fatal (exit 3); any later failure is recorded in `errors` and left for the rules
//! to see. Bulk runs (`Context::bulk`) trade that short chain for fewer and cheaper calls: a
//! listed version is not read again, and the files are found after the run (see
//! `Registry::located_without_asking`).

use serde_json::{Map, Value};

use super::backends::on_registry;
use super::context::Context;
use super::error::ReadError;
use super::facts::{AclSubject, ModelSource, RegisteredFacts, Section};
use super::files::{Listing, MAX_LISTINGS};
use super::record::{error_entry, failure, read_entry};
use super::registry::Registry;
use super::{convert, mlmodel, tracking, wire};
use crate::client::ClientError;
use crate::model_ref::ModelRef;
use crate::snapshot::{
    Artifacts, Backend, GatherError, Manifest, Snapshot, Target, Unavailable, SCHEMA_VERSION,
};

/// Why a snapshot could not be gathered at all.
#[derive(Debug, thiserror::Error)]
#[error("could not gather {reference} from {server}: {error}")]
pub struct GatherFailure {
    pub reference: String,
    /// The server as shown to people: its URL (no credentials), and the tracking URI as the
    /// user named it when that differs (`https://adb-1.azuredatabricks.net (databricks://prod)`).
    pub server: String,
    pub backend: Backend,
    pub error: ReadError,
}

impl GatherFailure {
    /// The snapshot's error entry: nothing beyond the reference was gathered.
    pub fn entry(&self) -> GatherError {
        read_entry(crate::snapshot::NOTHING_GATHERED, &self.error)
    }
}

/// The error entry of a client that could not even be set up (a bad certificate file).
pub fn failure_entry(error: &ClientError) -> GatherError {
    error_entry(crate::snapshot::NOTHING_GATHERED, error)
}

/// What the reference asks for, before anything is resolved.
pub fn target_of(reference: &ModelRef) -> Target {
    let mut target = Target {
        reference: reference.to_string(),
        kind: reference.kind().to_string(),
        name: reference.name().map(str::to_string),
        ..Target::default()
    };
    match reference {
        ModelRef::Alias { alias, .. } => target.reference_alias = Some(alias.clone()),
        ModelRef::Stage { stage, .. } => target.reference_stage = Some(stage.clone()),
        ModelRef::Run { path, .. } => target.artifact_path = Some(path.clone()),
        _ => {}
    }
    target
}

/// The server as errors name it.
pub fn server_label(client: &crate::client::Client) -> String {
    let url = crate::url::shown(client.base_url());
    let named = crate::url::shown(client.tracking_uri());
    if named.trim_end_matches('/') == url.trim_end_matches('/') {
        url
    } else {
        format!("{url} ({named})")
    }
}

/// Gathers the snapshot of one model reference; `now` is the RFC 3339 gather time.
pub async fn gather(
    cx: &Context,
    backend: Backend,
    reference: &ModelRef,
    now: String,
) -> Result<Snapshot, GatherFailure> {
    // Boxed: the whole gather is one large state machine, better on the heap than on the
    // caller's stack.
    on_registry!(backend, |r| Box::pin(gather_from(
        r, cx, reference, None, now
    ))
    .await)
}

/// Gathers the snapshot of a version already listed by `model-versions/search` (bulk runs):
/// the listing is the version's own answer but for its aliases, which the registered model
/// (read once per model) names; so the version is not read again.
pub async fn gather_listed(
    cx: &Context,
    backend: Backend,
    listed: wire::ModelVersion,
    now: String,
) -> Result<Snapshot, GatherFailure> {
    let reference = ModelRef::Version {
        name: listed.name.clone(),
        version: listed.version.clone(),
    };
    on_registry!(backend, |r| Box::pin(gather_from(
        r,
        cx,
        &reference,
        Some(listed),
        now
    ))
    .await)
}

/// A listed version with its aliases from the registered model; `None` when that model cannot
/// be read (the version is then read on its own, aliases and all).
async fn with_aliases<R: Registry>(
    registry: &R,
    cx: &Context,
    mut listed: wire::ModelVersion,
) -> Option<wire::ModelVersion> {
    let facts = cx
        .caches
        .registered_models
        .get_or_fetch(registry.backend(), &listed.name, || {
            registry.registered_model(cx, &listed.name)
        })
        .await
        .ok()?;
    listed.aliases = facts
        .model
        .aliases
        .iter()
        .filter(|a| a.version == listed.version)
        .map(|a| a.alias.clone())
        .collect();
    Some(listed)
}

async fn gather_from<R: Registry>(
    registry: &R,
    cx: &Context,
    reference: &ModelRef,
    listed: Option<wire::ModelVersion>,
    now: String,
) -> Result<Snapshot, GatherFailure> {
    let backend = registry.backend();
    let client = cx.client();
    let fail = |error: ReadError| GatherFailure {
        reference: reference.to_string(),
        server: server_label(client),
        backend,
        error,
    };
    let mut errors = Vec::new();
    let mut unavailable = Vec::new();
    let mut target = target_of(reference);

    // First stage: what the reference names. Nothing else can be asked without it.
    let listed = match listed {
        Some(v) => with_aliases(registry, cx, v).await,
        None => None,
    };
    let version = match listed {
        Some(v) => Some(v),
        None => registry.resolve(cx, reference).await.map_err(fail)?,
    };
    let mut run_id = match reference {
        ModelRef::Run { run_id, .. } => Some(run_id.clone()),
        _ => None,
    };
    let mut logged_model = None;
    if let ModelRef::LoggedModel { id } = reference {
        let lm = tracking::logged_model(cx, id)
            .await
            .map_err(|e| fail(e.into()))?;
        run_id.clone_from(&lm.info.source_run_id);
        logged_model = Some(lm);
    }
    if let Some(v) = &version {
        target.name = Some(v.name.clone());
        target.version = Some(v.version.clone());
        run_id = v.source_run().map(str::to_string);
    }
    target.run_id.clone_from(&run_id);

    // Second stage, all concurrent.
    let registered = async {
        let v = version.as_ref()?;
        Some(
            cx.caches
                .registered_models
                .get_or_fetch(backend, &v.name, || registry.registered_model(cx, &v.name))
                .await,
        )
    };
    let download_uri = async {
        let v = version.as_ref()?;
        Some(registry.download_uri(cx, v).await)
    };
    let source = |download_uri| ModelSource {
        reference,
        version: version.as_ref(),
        logged_model: logged_model.as_ref(),
        download_uri,
    };
    let run_and_experiment = async {
        let id = run_id.as_deref()?;
        let run = tracking::run(cx, id).await;
        let experiment = match run
            .as_ref()
            .ok()
            .and_then(|r| r.info.experiment_id.as_deref())
        {
            Some(eid) => Some(tracking::experiment(cx, backend, eid).await),
            None => None,
        };
        Some((run, experiment))
    };
    let server_version = registry.server_version(cx);
    let (registered, (download_uri, found), run_and_experiment, server_version) = if cx.bulk {
        // Bulk: the server is the limit, so fewer calls beat a shorter chain. The run and its
        // experiment first, which may tell where the files are without asking; else the
        // download URI, then the MLmodel through the route it names.
        let (registered, run_and_experiment, server_version) =
            tokio::join!(registered, run_and_experiment, server_version);
        let experiment = run_and_experiment
            .as_ref()
            .and_then(|(_, e)| e.as_ref())
            .and_then(|e| e.as_ref().ok());
        let located = match (version.as_ref(), experiment) {
            (Some(v), Some(e)) => registry.located_without_asking(cx, v, e).await,
            _ => None,
        };
        let files = if let Some((uri, found)) = located {
            drop(download_uri);
            (Some(Ok(Some(uri))), Ok(found))
        } else {
            let download = download_uri.await;
            let uri = match &download {
                Some(Ok(uri)) => uri.as_deref(),
                _ => None,
            };
            let found = registry.mlmodel(cx, &source(uri)).await;
            (download, found)
        };
        (registered, files, run_and_experiment, server_version)
    } else {
        let source = source(None);
        let files = async { tokio::join!(download_uri, registry.mlmodel(cx, &source)) };
        tokio::join!(registered, files, run_and_experiment, server_version)
    };

    // Every call that failed is recorded against the section it leaves empty.
    let registered: Option<RegisteredFacts> = match registered {
        Some(Ok(facts)) => Some(facts),
        Some(Err(e)) => {
            errors.push(error_entry("registered_model", &e));
            None
        }
        None => None,
    };
    let download = match download_uri {
        Some(Ok(uri)) => uri,
        Some(Err(e)) => {
            errors.push(error_entry("model_version.download_uri", &e));
            None
        }
        None => None,
    };
    let (run, experiment) = match run_and_experiment {
        Some((run, experiment)) => {
            let run = match run {
                Ok(r) => Some(convert::run(r)),
                Err(e) => {
                    errors.push(error_entry("run", &e));
                    None
                }
            };
            let experiment = match experiment {
                Some(Ok(e)) => Some(convert::experiment(e)),
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
    let (mlflow_model, access) = match found {
        Ok(found) => {
            if found.logged_model.is_some() {
                logged_model = found.logged_model;
            }
            (Some(found.mlmodel), Some(found.route))
        }
        Err(e) => {
            errors.push(e);
            (None, None)
        }
    };
    let server_version = match server_version {
        Section::Read(Ok(v)) => Some(v.trim().to_string()),
        // Optional, but a failure is still a fact: listed, never dropped.
        Section::Read(Err(e)) => {
            unavailable.push(Unavailable {
                section: "manifest.server_version".into(),
                reason: error_entry("manifest.server_version", &e).describe(),
            });
            None
        }
        Section::Unavailable(_) => None,
    };

    // Third and last stage, all concurrent: the input example and the file listing (both need
    // the MLmodel's location), the ACLs (need the model id / experiment id) and, on the
    // workspace registry, the open transition requests.
    let example_path = mlflow_model.as_ref().and_then(mlmodel::input_example_path);
    let listing_route = registry.listing(download.as_deref(), access.as_ref());
    let example = async {
        match (&access, &example_path) {
            (Some(a), Some(p)) => Some((a.describe(p), a.read(client, p).await)),
            _ => None,
        }
    };
    let listing = async {
        match listing_route.as_ref().and_then(|r| r.list(client)) {
            Some(listing) => Some(listing.await),
            None => None,
        }
    };
    let notebook_id = run
        .as_ref()
        .and_then(|r| r.tags.get("mlflow.databricks.notebookID"))
        .cloned();
    let subject = AclSubject {
        name: version.as_ref().map(|v| v.name.as_str()),
        registered: registered.as_ref(),
        experiment_id: experiment.as_ref().map(|e| e.experiment_id.as_str()),
        notebook_id: notebook_id.as_deref(),
    };
    let acl = registry.permissions(cx, &subject);
    let transitions = async {
        match &version {
            Some(v) => registry.transition_requests(cx, &v.name, &v.version).await,
            None => Section::Unavailable("the reference is not a registered model version"),
        }
    };
    let (example, listing, acl, transitions) = tokio::join!(example, listing, acl, transitions);

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
    let Listing { files, truncated } = match listing {
        Some(Ok(listing)) => listing,
        Some(Err(e)) => {
            errors.push(error_entry("artifacts.files", &e));
            Listing::default()
        }
        None => Listing::default(),
    };
    errors.extend(acl.errors);
    unavailable.extend(acl.unavailable);
    let transition_requests = match transitions {
        Section::Read(Ok(requests)) => Some(requests),
        Section::Read(Err(e)) => {
            errors.push(error_entry("transition_requests", &e));
            None
        }
        Section::Unavailable(reason) => {
            unavailable.push(Unavailable {
                section: "transition_requests".into(),
                reason: reason.into(),
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
    if version.is_none() {
        let reason = "the reference is not a registered model version";
        for section in ["registered_model", "model_version"] {
            unavailable.push(Unavailable {
                section: section.into(),
                reason: reason.into(),
            });
        }
    }
    // The listed files are the truth; the MLmodel's own `model_size_bytes` (MLflow >= 2.9)
    // stands in when the artifacts cannot be listed. A partial listing or a file without a
    // size gives no total: a size rule must not pass on part of the model.
    let size = if files.is_empty() {
        mlflow_model.as_ref().and_then(mlmodel::size_bytes)
    } else if truncated || files.iter().any(|f| f.size_bytes.is_none()) {
        errors.push(failure(
            "artifacts.size_bytes",
            "list artifacts",
            if truncated {
                format!("the listing stopped after {MAX_LISTINGS} directory reads; the model is larger than what was listed")
            } else {
                "the server gave no size for some files".into()
            },
        ));
        None
    } else {
        Some(
            files
                .iter()
                .filter_map(|f| f.size_bytes)
                .fold(0u64, u64::saturating_add),
        )
    };
    let model_version = version.map(|v| convert::model_version(v, download.clone()));
    let artifacts_uri = download.or_else(|| model_version.as_ref().and_then(|v| v.source.clone()));
    if let Some(lm) = &logged_model {
        extra.insert("logged_model".into(), convert::logged_model(lm));
    }
    let mut manifest_extra = Map::new();
    manifest_extra.insert(
        "ui_url".into(),
        Value::String(client.base_url().to_string()),
    );
    let mut snapshot = Snapshot {
        schema_version: SCHEMA_VERSION,
        manifest: Manifest {
            gathered_by: concat!("mlgate ", env!("CARGO_PKG_VERSION")).to_string(),
            gathered_at: now,
            tracking_uri: Some(crate::url::shown(client.tracking_uri())),
            registry_uri: backend.registry_uri().map(str::to_string),
            backend: Some(backend),
            server_version,
            extra: manifest_extra,
        },
        target,
        registered_model: registered.map(|facts| convert::registered_model(facts.model)),
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
        transition_requests,
        incumbent: None,
        errors,
        unavailable,
        extra,
    };
    snapshot.errors.sort_by(|a, b| a.section.cmp(&b.section));
    Ok(snapshot)
}
