//! The registry writes of MLflow's REST API, shared by open-source MLflow and the Databricks
//! registries (Unity Catalog answers the same calls under `/unity-catalog`: `prefix`). Bodies
//! and answers as verified against a real MLflow 3.17 server: `version` is a string, DELETE
//! takes a JSON body, setting a tag is an upsert (retried freely); moving an alias or a stage
//! is never resent once it may have run (an alias set could undo another client's move, a
//! stage transition may archive other versions): the caller reads the registry instead.

use serde::de::IgnoredAny;
use serde::Serialize;

use super::context::Context;
use super::error::WriteError;
use super::tracking::API;
use crate::client::{Retry, WriteMethod};

/// POSTs `body` to `path` under `API`; the answer (`{}` or the changed object) is not needed.
async fn post(
    cx: &Context,
    path: &str,
    body: &impl Serialize,
    retry: Retry,
) -> Result<(), WriteError> {
    let _: IgnoredAny = cx
        .client()
        .write(WriteMethod::Post, &format!("{API}{path}"), body, retry)
        .await?;
    Ok(())
}

#[derive(Serialize)]
struct SetAlias<'a> {
    name: &'a str,
    alias: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct TransitionStage<'a> {
    name: &'a str,
    version: &'a str,
    stage: &'a str,
    archive_existing_versions: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'a str>,
}

#[derive(Serialize)]
struct SetVersionTag<'a> {
    name: &'a str,
    version: &'a str,
    key: &'a str,
    value: &'a str,
}

pub(super) async fn set_alias(
    cx: &Context,
    prefix: &str,
    name: &str,
    alias: &str,
    version: &str,
) -> Result<(), WriteError> {
    let body = SetAlias {
        name,
        alias,
        version,
    };
    // An upsert, but not resent after an answer was lost: another client may have moved the
    // alias in between, and a resend would overwrite that move unseen.
    post(
        cx,
        &format!("{prefix}/registered-models/alias"),
        &body,
        Retry::Once,
    )
    .await
}

/// `model-versions/transition-stage`; the Databricks workspace registry takes it under
/// `/databricks` with a comment (`path_prefix = "/databricks"`).
pub(super) async fn transition_stage(
    cx: &Context,
    prefix: &str,
    name: &str,
    version: &str,
    stage: &str,
    archive_existing: bool,
    comment: Option<&str>,
) -> Result<(), WriteError> {
    let body = TransitionStage {
        name,
        version,
        stage,
        archive_existing_versions: archive_existing,
        comment,
    };
    post(
        cx,
        &format!("{prefix}/model-versions/transition-stage"),
        &body,
        Retry::Once,
    )
    .await
}

pub(super) async fn set_version_tag(
    cx: &Context,
    prefix: &str,
    name: &str,
    version: &str,
    key: &str,
    value: &str,
) -> Result<(), WriteError> {
    let body = SetVersionTag {
        name,
        version,
        key,
        value,
    };
    post(
        cx,
        &format!("{prefix}/model-versions/set-tag"),
        &body,
        Retry::Idempotent,
    )
    .await
}

#[derive(Serialize)]
struct ModelTag<'a> {
    name: &'a str,
    key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
}

/// `registered-models/set-tag`: an upsert, retried freely.
pub(super) async fn set_model_tag(
    cx: &Context,
    prefix: &str,
    name: &str,
    key: &str,
    value: &str,
) -> Result<(), WriteError> {
    let body = ModelTag {
        name,
        key,
        value: Some(value),
    };
    post(
        cx,
        &format!("{prefix}/registered-models/set-tag"),
        &body,
        Retry::Idempotent,
    )
    .await
}

/// `registered-models/delete-tag` (DELETE with a JSON body; a key that is not there is not an
/// error on MLflow 3.17, so it is retried freely).
pub(super) async fn delete_model_tag(
    cx: &Context,
    prefix: &str,
    name: &str,
    key: &str,
) -> Result<(), WriteError> {
    let body = ModelTag {
        name,
        key,
        value: None,
    };
    let _: IgnoredAny = cx
        .client()
        .write(
            WriteMethod::Delete,
            &format!("{API}{prefix}/registered-models/delete-tag"),
            &body,
            Retry::Idempotent,
        )
        .await?;
    Ok(())
}

/// `transition-requests/approve` (Databricks workspace registry).
pub(super) async fn approve_transition_request(
    cx: &Context,
    name: &str,
    version: &str,
    stage: &str,
    archive_existing: bool,
    comment: &str,
) -> Result<(), WriteError> {
    let body = TransitionStage {
        name,
        version,
        stage,
        archive_existing_versions: archive_existing,
        comment: Some(comment),
    };
    post(cx, "/transition-requests/approve", &body, Retry::Once).await
}

#[derive(Serialize)]
struct RejectRequest<'a> {
    name: &'a str,
    version: &'a str,
    stage: &'a str,
    comment: &'a str,
}

/// `transition-requests/reject` (Databricks workspace registry): no archive flag.
pub(super) async fn reject_transition_request(
    cx: &Context,
    name: &str,
    version: &str,
    stage: &str,
    comment: &str,
) -> Result<(), WriteError> {
    let body = RejectRequest {
        name,
        version,
        stage,
        comment,
    };
    post(cx, "/transition-requests/reject", &body, Retry::Once).await
}
