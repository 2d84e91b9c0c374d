//! The one place each backend is registered: [`on_registry`] binds the [`Registry`] of a
//! [`Backend`] for a body generic over it (a new registry is one line there), and registry
//! writes are applied through it.
//!
//! [`Registry`]: super::registry::Registry
//! [`Backend`]: crate::snapshot::Backend

use super::context::Context;
use super::error::WriteError;
use super::registry::{Capabilities, Registry, Write};
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

/// Makes `write` on `backend`; a write the backend cannot make is refused from its
/// capabilities, before any request.
pub async fn write(cx: &Context, backend: Backend, write: &Write<'_>) -> Result<(), WriteError> {
    on_registry!(
        backend,
        |r| match r.capabilities().refusal(backend, write) {
            Some(refused) => Err(refused),
            None => r.write(cx, write).await,
        }
    )
}

/// The registered model's tags, read fresh.
pub async fn model_tags(
    cx: &Context,
    backend: Backend,
    name: &str,
) -> Result<Vec<(String, String)>, crate::client::ClientError> {
    on_registry!(backend, |r| r.model_tags(cx, name).await)
}

/// What `backend` has.
pub fn capabilities(backend: Backend) -> Capabilities {
    on_registry!(backend, |r| r.capabilities())
}

/// What every registry has, in [`Backend::ALL`]'s order.
pub fn all_capabilities() -> Vec<Capabilities> {
    Backend::ALL.into_iter().map(capabilities).collect()
}
