//! Which server and registry a live command talks to, from flags and the environment:
//! `--tracking-uri` / `MLFLOW_TRACKING_URI` (`http(s)://…`, `databricks`, `databricks://PROFILE`;
//! with neither, `DATABRICKS_HOST` means `databricks`) and `--registry-uri` /
//! `MLFLOW_REGISTRY_URI` (`databricks` = workspace registry, `databricks-uc` = Unity Catalog).

use super::error::{AppError, UsageError};
use crate::cli::ServerArgs;
use crate::client::auth::{self, Auth};
use crate::client::Config;
use crate::model_ref::ModelRef;
use crate::snapshot::Backend;

/// The client settings and the backend for a reference.
pub(super) fn connect(
    server: &ServerArgs,
    reference: &ModelRef,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Config, Backend), AppError> {
    let tracking = tracking_uri(server, env).ok_or(AppError::NoTrackingUri)?;
    if !tracking.starts_with("databricks") {
        return Ok((Config::mlflow(tracking, env), Backend::MlflowOss));
    }
    let workspace = auth::databricks(&tracking, env).map_err(UsageError::from)?;
    let registry = server
        .registry_uri
        .clone()
        .or_else(|| env("MLFLOW_REGISTRY_URI"));
    // Registry URIs (`databricks-uc`, `databricks-uc://PROFILE`) are MLflow's, not our
    // backend names, though two of them look alike.
    let uc = Backend::UnityCatalog.registry_uri().unwrap_or_default();
    let classic = Backend::DatabricksWorkspace
        .registry_uri()
        .unwrap_or_default();
    let backend = match registry.as_deref() {
        Some(r) if r.starts_with(uc) => Backend::UnityCatalog,
        Some(r) if r.starts_with(classic) => Backend::DatabricksWorkspace,
        Some(other) => {
            return Err(UsageError::BadRegistryUri {
                uri: other.to_string(),
            }
            .into())
        }
        // MLflow 3 defaults a `databricks` tracking URI to the Unity Catalog registry; we follow
        // it for three-level names and keep the workspace registry for the others, which UC
        // could not hold anyway.
        None if tracking.starts_with(uc) || reference.name().is_some_and(is_three_level) => {
            Backend::UnityCatalog
        }
        None => Backend::DatabricksWorkspace,
    };
    if backend == Backend::UnityCatalog {
        if let ModelRef::Stage { name, stage } = reference {
            return Err(UsageError::StageReferenceOnUnityCatalog {
                reference: reference.to_string(),
                stage: stage.clone(),
                name: name.clone(),
            }
            .into());
        }
    }
    // Named with a 401 or 403, never with the value.
    let kind = match &workspace.auth {
        Auth::Bearer(_) => "token",
        Auth::OAuthM2M { .. } => "OAuth client id and secret",
        Auth::Basic { .. } => "username and password",
        Auth::None => "no credentials",
    };
    let credentials = match &workspace.profile {
        Some(profile) => format!("the {kind} of profile `{profile}` in the Databricks config file"),
        None => format!("the {kind} in DATABRICKS_* environment variables"),
    };
    let mut config = Config::with_auth(tracking, workspace.host, workspace.auth, env);
    config.credentials = Some(credentials);
    Ok((config, backend))
}

/// The tracking URI: `--tracking-uri`, `MLFLOW_TRACKING_URI`, or `databricks` when only
/// `DATABRICKS_HOST` is set.
pub(super) fn tracking_uri(
    server: &ServerArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    server
        .tracking_uri
        .clone()
        .or_else(|| env("MLFLOW_TRACKING_URI"))
        .or_else(|| env("DATABRICKS_HOST").map(|_| "databricks".to_string()))
}

/// The process environment as settings see it: an empty variable is unset.
pub(super) fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// `catalog.schema.model`.
pub(super) fn is_three_level(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty())
}
