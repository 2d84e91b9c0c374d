//! The read chain's stages (`chain` runs them): resolve the reference; ask for the facts it
//! leads to and record what failed; read the files and ACLs; assemble the snapshot. Each
//! stage's calls run concurrently; every failure after the first stage lands in one
//! [`Recorder`] as an error or unavailable entry, never aborting the gather.

use serde_json::{Map, Value};

use super::confine::confine;
use super::context::Context;
use super::error::ReadError;
use super::facts::{AclSubject, LoggedModelSlot, ModelSource, RegisteredFacts, Section};
use super::files::{FoundModel, Listing, Route, MAX_LISTINGS};
use super::record::{error_entry, failure, refused_entry, Recorder};
use super::reference::{server_label, target_of, GatherFailure};
use super::registry::Registry;
use super::{convert, logged_model, mlmodel, tracking, wire};
use crate::client::ClientError;
use crate::model_ref::ModelRef;
use crate::snapshot::{
    ArtifactFile, Artifacts, Backend, Experiment, GatherError, Manifest, Permissions, Run,
    Snapshot, Target, SCHEMA_VERSION,
};

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

/// What the reference names (the first stage): nothing else can be asked without it.
pub(super) struct Resolved {
    target: Target,
    version: Option<wire::ModelVersion>,
    run_id: Option<String>,
    /// The MLflow 3 logged model the reference names (itself, or the version's source).
    logged_model: LoggedModelSlot,
}

/// Resolves the reference: the version (a listed one with its aliases, else asked for), or
/// the logged model, and the run either names. A failure here is fatal. A version's logged
/// model is only named here; the facts stage reads it.
pub(super) async fn resolve<R: Registry>(
    registry: &R,
    cx: &Context,
    reference: &ModelRef,
    listed: Option<wire::ModelVersion>,
) -> Result<Resolved, GatherFailure> {
    let fail = |error: ReadError| GatherFailure {
        reference: reference.to_string(),
        server: server_label(cx.client()),
        backend: registry.backend(),
        error,
    };
    let mut target = target_of(reference);
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
    let mut slot = None;
    if let ModelRef::LoggedModel { id } = reference {
        let lm = tracking::logged_model(cx, id)
            .await
            .map_err(|e| fail(e.into()))?;
        run_id.clone_from(&lm.info.source_run_id);
        slot = Some(logged_model::read_already(lm, id));
    }
    let slot = slot.unwrap_or_else(|| logged_model::of_version(version.as_ref()));
    if let Some(v) = &version {
        target.name = Some(v.name.clone());
        target.version = Some(v.version.clone());
        run_id = v.source_run().map(str::to_string);
    }
    target.run_id.clone_from(&run_id);
    Ok(Resolved {
        target,
        version,
        run_id,
        logged_model: slot,
    })
}

/// The run and its experiment, as read (the experiment only when the run names one).
type RunAnswers = (
    Result<wire::Run, ClientError>,
    Option<Result<wire::Experiment, ClientError>>,
);

/// The second stage's answers, failures and all.
pub(super) struct Answers {
    registered: Option<Result<RegisteredFacts, ClientError>>,
    download_uri: Option<Result<Option<String>, ClientError>>,
    found: Result<FoundModel, GatherError>,
    run_and_experiment: Option<RunAnswers>,
    server_version: Section<String>,
    /// `None` when the reference names no logged model.
    logged_model: Option<Result<wire::LoggedModel, ClientError>>,
}

/// The second stage, all concurrent: the registered model, the download URI, run →
/// experiment, the MLmodel, the logged model and the server's version.
pub(super) async fn ask_facts<R: Registry>(
    registry: &R,
    cx: &Context,
    reference: &ModelRef,
    resolved: &Resolved,
) -> Answers {
    let backend = registry.backend();
    let version = resolved.version.as_ref();
    let registered = async {
        let v = version?;
        Some(
            cx.caches
                .registered_models
                .get_or_fetch(backend, &v.name, || registry.registered_model(cx, &v.name))
                .await,
        )
    };
    let download_uri = async { Some(registry.download_uri(cx, version?).await) };
    let source = |download_uri| ModelSource {
        reference,
        version,
        logged_model: &resolved.logged_model,
        download_uri,
    };
    let run_and_experiment = async {
        let id = resolved.run_id.as_deref()?;
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
    // Shared with the MLmodel search, which may need it to find the files: one call.
    let logged_model = logged_model::get(cx, &resolved.logged_model);
    let (registered, (download_uri, found), run_and_experiment, server_version, logged_model) =
        if cx.bulk {
            // Bulk: the server is the limit, so fewer calls beat a shorter chain. The run and its
            // experiment first, which may tell where the files are without asking; else the
            // download URI, then the MLmodel through the route it names.
            let (registered, run_and_experiment, server_version, logged_model) =
                tokio::join!(registered, run_and_experiment, server_version, logged_model);
            let experiment = run_and_experiment
                .as_ref()
                .and_then(|(_, e)| e.as_ref())
                .and_then(|e| e.as_ref().ok());
            let located = match (version, experiment) {
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
            (
                registered,
                files,
                run_and_experiment,
                server_version,
                logged_model,
            )
        } else {
            let source = source(None);
            let files = async { tokio::join!(download_uri, registry.mlmodel(cx, &source)) };
            tokio::join!(
                registered,
                files,
                run_and_experiment,
                server_version,
                logged_model
            )
        };
    Answers {
        registered,
        download_uri,
        found,
        run_and_experiment,
        server_version,
        logged_model,
    }
}

/// The second stage's facts, each failure recorded against the section it leaves empty.
pub(super) struct Facts {
    registered: Option<RegisteredFacts>,
    download: Option<String>,
    run: Option<Run>,
    experiment: Option<Experiment>,
    mlflow_model: Option<Map<String, Value>>,
    route: Option<Route>,
    server_version: Option<String>,
    logged_model: Option<wire::LoggedModel>,
}

/// Records the second stage's failures; a logged model met on the way to the MLmodel (a
/// `runs:/` source's, found by name) replaces the one the reference named.
pub(super) fn record_facts(rec: &mut Recorder, answers: Answers) -> Facts {
    let registered = answers
        .registered
        .and_then(|r| rec.read("registered_model", r));
    let download = answers
        .download_uri
        .and_then(|d| rec.read("model_version.download_uri", d))
        .flatten();
    let (run, experiment) = match answers.run_and_experiment {
        Some((run, experiment)) => (
            rec.read("run", run).map(convert::run),
            experiment
                .and_then(|e| rec.read("experiment", e))
                .map(convert::experiment),
        ),
        None => (None, None),
    };
    let mut logged_model = answers
        .logged_model
        .and_then(|lm| rec.read("logged_model", lm));
    let (mlflow_model, route) = match answers.found {
        Ok(found) => {
            if found.logged_model.is_some() {
                logged_model = found.logged_model;
            }
            (Some(found.mlmodel), Some(found.route))
        }
        Err(e) => {
            rec.error(e);
            (None, None)
        }
    };
    let server_version = rec
        .optional("manifest.server_version", answers.server_version)
        .map(|v| v.trim().to_string());
    Facts {
        registered,
        download,
        run,
        experiment,
        mlflow_model,
        route,
        server_version,
        logged_model,
    }
}

/// The third stage's reads, failures recorded.
pub(super) struct Reads {
    input_example: Option<Value>,
    listing: Listing,
    permissions: Permissions,
    transition_requests: Option<Vec<Value>>,
}

/// The third and last stage, all concurrent: the input example and the file listing (both
/// need the MLmodel's location), the ACLs (need the model id / experiment id) and, on the
/// workspace registry, the open transition requests.
pub(super) async fn files_and_acls<R: Registry>(
    registry: &R,
    cx: &Context,
    resolved: &Resolved,
    facts: &Facts,
    rec: &mut Recorder,
) -> Reads {
    let client = cx.client();
    let version = resolved.version.as_ref();
    let example_path = facts
        .mlflow_model
        .as_ref()
        .and_then(mlmodel::input_example_path);
    let listing_route = registry.listing_route(facts.download.as_deref(), facts.route.as_ref());
    // The MLmodel names where its input example is: a server's word, confined to the
    // version's root before the route reads it with the gate's credentials.
    let example = async {
        match (&facts.route, &example_path) {
            (Some(r), Some(p)) => Some(match confine(p) {
                Ok(safe) => Ok((r.describe(&safe), r.read(client, &safe).await)),
                Err(refused) => Err(refused),
            }),
            _ => None,
        }
    };
    let listing = async {
        match listing_route.as_ref().and_then(|r| r.list(client)) {
            Some(listing) => Some(listing.await),
            None => None,
        }
    };
    let notebook_id = facts
        .run
        .as_ref()
        .and_then(|r| r.tags.get("mlflow.databricks.notebookID"));
    let subject = AclSubject {
        name: version.map(|v| v.name.as_str()),
        registered: facts.registered.as_ref(),
        experiment_id: facts.experiment.as_ref().map(|e| e.experiment_id.as_str()),
        notebook_id: notebook_id.map(String::as_str),
    };
    let acl = registry.permissions(cx, &subject);
    let transitions = async {
        match version {
            Some(v) => registry.transition_requests(cx, &v.name, &v.version).await,
            None => Section::Unavailable("the reference is not a registered model version"),
        }
    };
    let (example, listing, mut acl, transitions) = tokio::join!(example, listing, acl, transitions);

    let input_example = match example {
        Some(Ok((_, Ok(text)))) => Some(serde_json::from_str(&text).unwrap_or(Value::String(text))),
        Some(Ok((call, Err(e)))) => {
            rec.error(GatherError {
                call,
                ..error_entry("input_example", &e)
            });
            None
        }
        Some(Err(refused)) => {
            rec.error(refused_entry("input_example", &refused));
            None
        }
        None => None,
    };
    let mut listing = listing
        .and_then(|l| rec.read("artifacts.files", l))
        .unwrap_or_default();
    for refused in std::mem::take(&mut listing.refused) {
        rec.error(refused_entry("artifacts.files", &refused));
    }
    rec.acl(&mut acl);
    let transition_requests = rec.section("transition_requests", transitions);
    Reads {
        input_example,
        listing,
        permissions: acl.permissions,
        transition_requests,
    }
}

/// The snapshot from what the stages found: the sections a reference has no source for are
/// unavailable, and the model's size comes from the listing (or the MLmodel's own word).
#[allow(clippy::too_many_arguments)] // the stages' outputs, each named; a struct would only wrap them
pub(super) fn assemble(
    cx: &Context,
    backend: Backend,
    reference: &ModelRef,
    resolved: Resolved,
    facts: Facts,
    reads: Reads,
    mut rec: Recorder,
    now: String,
) -> Snapshot {
    let client = cx.client();
    if resolved.run_id.is_none() && !matches!(reference, ModelRef::Run { .. }) {
        let reason =
            "the model version has no source run (it was registered from an external source)";
        for section in ["run", "experiment"] {
            rec.unavailable(section, reason);
        }
    }
    if resolved.version.is_none() {
        let reason = "the reference is not a registered model version";
        for section in ["registered_model", "model_version"] {
            rec.unavailable(section, reason);
        }
    }
    // A logged model asked for and not read is an error already; one never named is
    // unavailable, and why (rules on it are skipped, never silently errors).
    if facts.logged_model.is_none() && resolved.logged_model.id.is_none() {
        let reason = logged_model::absent_reason(
            reference,
            resolved.version.as_ref(),
            facts.server_version.as_deref(),
        );
        rec.unavailable("logged_model", reason);
    }
    let Listing {
        files, truncated, ..
    } = reads.listing;
    let size = model_size(&mut rec, facts.mlflow_model.as_ref(), &files, truncated);
    let model_version = resolved
        .version
        .map(|v| convert::model_version(v, facts.download.clone()));
    let artifacts_uri = facts
        .download
        .or_else(|| model_version.as_ref().and_then(|v| v.source.clone()));
    let mut extra = Map::new();
    if let Some(example) = reads.input_example {
        extra.insert("input_example".into(), example);
    }
    if let Some(lm) = &facts.logged_model {
        extra.insert("logged_model".into(), convert::logged_model(lm));
    }
    let mut manifest_extra = Map::new();
    manifest_extra.insert(
        "ui_url".into(),
        Value::String(client.base_url().to_string()),
    );
    let (errors, unavailable) = rec.finish();
    Snapshot {
        schema_version: SCHEMA_VERSION,
        manifest: Manifest {
            gathered_by: concat!("mlgate ", env!("CARGO_PKG_VERSION")).to_string(),
            gathered_at: now,
            tracking_uri: Some(crate::url::shown(client.tracking_uri())),
            registry_uri: backend.registry_uri().map(str::to_string),
            backend: Some(backend),
            server_version: facts.server_version,
            redacted: Vec::new(),
            extra: manifest_extra,
        },
        target: resolved.target,
        registered_model: facts
            .registered
            .map(|facts| convert::registered_model(facts.model)),
        model_version,
        run: facts.run,
        experiment: facts.experiment,
        mlflow_model: facts.mlflow_model,
        artifacts: Some(Artifacts {
            uri: artifacts_uri,
            size_bytes: size,
            files,
            extra: Map::new(),
        }),
        permissions: reads.permissions,
        transition_requests: reads.transition_requests,
        incumbent: None,
        errors,
        unavailable,
        extra,
    }
}

/// The listed files are the truth; the MLmodel's own `model_size_bytes` (MLflow >= 2.9)
/// stands in when the artifacts cannot be listed. A partial listing or a file without a
/// size gives no total: a size rule must not pass on part of the model.
fn model_size(
    rec: &mut Recorder,
    mlflow_model: Option<&Map<String, Value>>,
    files: &[ArtifactFile],
    truncated: bool,
) -> Option<u64> {
    if files.is_empty() {
        return mlflow_model.and_then(mlmodel::size_bytes);
    }
    if truncated || files.iter().any(|f| f.size_bytes.is_none()) {
        rec.error(failure(
            "artifacts.size_bytes",
            "list artifacts",
            if truncated {
                format!("the listing stopped after {MAX_LISTINGS} directory reads; the model is larger than what was listed")
            } else {
                "the server gave no size for some files".into()
            },
        ));
        return None;
    }
    Some(
        files
            .iter()
            .filter_map(|f| f.size_bytes)
            .fold(0u64, u64::saturating_add),
    )
}
