//! The one place each backend is registered: [`on_registry`] binds the [`Registry`] of a
//! [`Backend`] for a body generic over it (a new registry is one line there), and registry
//! writes are applied through it.
//!
//! [`Registry`]: super::registry::Registry
//! [`Backend`]: crate::snapshot::Backend

use super::context::Context;
use super::error::WriteError;
use super::registry::Registry;
use crate::snapshot::Backend;

/// Runs `$body` with `$r` bound to the [`Registry`] of `$backend`: the one place each backend
/// is registered (a new registry is one line here).
macro_rules! on_registry {
    ($backend:expr, |$r:ident| $body:expr) => {
        match $backend {
            $crate::snapshot::Backend::MlflowOss => {
                let $r = &$crate::gather::oss::Oss;
                $body
            }
            $crate::snapshot::Backend::DatabricksWorkspace => {
                let $r = &$crate::gather::databricks::Workspace;
                $body
            }
            $crate::snapshot::Backend::UnityCatalog => {
                let $r = &$crate::gather::unity_catalog::UnityCatalog;
                $body
            }
        }
    };
}
pub(crate) use on_registry;

/// A registry write, applied to whichever backend the model lives in.
#[derive(Debug, Clone)]
pub enum Write<'a> {
    SetAlias {
        name: &'a str,
        alias: &'a str,
        version: &'a str,
    },
    TransitionStage {
        name: &'a str,
        version: &'a str,
        stage: &'a str,
        archive_existing: bool,
    },
    SetVersionTag {
        name: &'a str,
        version: &'a str,
        key: &'a str,
        value: &'a str,
    },
    ApproveTransitionRequest {
        name: &'a str,
        version: &'a str,
        stage: &'a str,
        archive_existing: bool,
        comment: &'a str,
    },
    RejectTransitionRequest {
        name: &'a str,
        version: &'a str,
        stage: &'a str,
        comment: &'a str,
    },
}

/// Makes `write` on `backend`.
pub async fn write(cx: &Context, backend: Backend, write: &Write<'_>) -> Result<(), WriteError> {
    on_registry!(backend, |r| apply(r, cx, write).await)
}

async fn apply<R: Registry>(r: &R, cx: &Context, write: &Write<'_>) -> Result<(), WriteError> {
    match *write {
        Write::SetAlias {
            name,
            alias,
            version,
        } => r.set_alias(cx, name, alias, version).await,
        Write::TransitionStage {
            name,
            version,
            stage,
            archive_existing,
        } => {
            r.transition_stage(cx, name, version, stage, archive_existing)
                .await
        }
        Write::SetVersionTag {
            name,
            version,
            key,
            value,
        } => r.set_version_tag(cx, name, version, key, value).await,
        Write::ApproveTransitionRequest {
            name,
            version,
            stage,
            archive_existing,
            comment,
        } => {
            r.approve_transition_request(cx, name, version, stage, archive_existing, comment)
                .await
        }
        Write::RejectTransitionRequest {
            name,
            version,
            stage,
            comment,
        } => {
            r.reject_transition_request(cx, name, version, stage, comment)
                .await
        }
    }
}
