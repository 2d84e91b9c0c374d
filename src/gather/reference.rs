//! What a reference asks for and who answers it: the target before anything is resolved,
//! the server as errors name it, and the failure to gather a reference at all.

use super::error::ReadError;
use super::record::{error_entry, read_entry};
use crate::client::ClientError;
use crate::model_ref::ModelRef;
use crate::snapshot::{Backend, GatherError, Target};

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
