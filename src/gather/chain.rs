//! The read chain of one snapshot: resolve the version; then, concurrently, the registered
//! model, download URI, run → experiment, MLmodel, logged model and server facts; then,
//! concurrently, the input example, the file listing, the ACLs and transition requests. A
//! failure to resolve the version is fatal (exit 3); any later failure is recorded in `errors`
//! and left for the rules to see. Bulk runs (`Context::bulk`) trade that short chain for fewer
//! and cheaper calls: a listed version is not read again, and the files are found after the
//! run (see `Registry::located_without_asking`).

use super::backends::on_registry;
use super::context::Context;
use super::record::Recorder;
use super::reference::GatherFailure;
use super::registry::Registry;
use super::stages::{ask_facts, assemble, files_and_acls, record_facts, resolve};
use super::wire;
use crate::model_ref::ModelRef;
use crate::snapshot::{Backend, Snapshot};

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
/// where the registry's listing is the version's own answer but for its aliases
/// ([`Registry::listed_version_is_whole`]), which the registered model (read once per model)
/// names, the version is not read again; elsewhere it is read as any reference is.
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
    on_registry!(backend, |r| {
        let listed = r.listed_version_is_whole().then_some(listed);
        Box::pin(gather_from(r, cx, &reference, listed, now)).await
    })
}

async fn gather_from<R: Registry>(
    registry: &R,
    cx: &Context,
    reference: &ModelRef,
    listed: Option<wire::ModelVersion>,
    now: String,
) -> Result<Snapshot, GatherFailure> {
    let mut rec = Recorder::default();
    let resolved = resolve(registry, cx, reference, listed).await?;
    let answers = ask_facts(registry, cx, reference, &resolved).await;
    let facts = record_facts(&mut rec, answers);
    let reads = files_and_acls(registry, cx, &resolved, &facts, &mut rec).await;
    Ok(assemble(
        cx,
        registry.backend(),
        reference,
        resolved,
        facts,
        reads,
        rec,
        now,
    ))
}
