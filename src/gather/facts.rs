//! What the read chain and the backends hand each other: the registered model and what its
//! read learned on the side, the subject of an ACL read and its outcome, a section a backend
//! may not have. Data only, below both the [`Registry`](super::registry::Registry) seam and
//! the gathering context's caches.

use tokio::sync::OnceCell;

use super::wire;
use crate::client::ClientError;
use crate::model_ref::ModelRef;
use crate::snapshot::{GatherError, ObjectPermissions, Permissions, Unavailable};

/// The registered model, and what gathering it learned on the side.
#[derive(Debug, Clone)]
pub struct RegisteredFacts {
    pub model: wire::RegisteredModel,
    /// The model's owner, where the registry has one (Unity Catalog).
    pub owner: Option<String>,
    /// Why the backend's own id of the model (needed for its ACL) is unknown.
    pub id_error: Option<ClientError>,
}

/// The MLflow 3 logged model a gather is after (its id, when the reference names one) and its
/// answer once asked for: the facts stage and the MLmodel search share it
/// (`logged_model::by_id`), so it is read once.
#[derive(Debug, Default)]
pub struct LoggedModelSlot {
    pub id: Option<String>,
    pub answer: OnceCell<Result<wire::LoggedModel, ClientError>>,
}

/// What the reference resolved to, for finding the model's files.
pub struct ModelSource<'a> {
    pub reference: &'a ModelRef,
    pub version: Option<&'a wire::ModelVersion>,
    pub logged_model: &'a LoggedModelSlot,
    /// The version's download URI, when it was read first (bulk runs).
    pub download_uri: Option<&'a str>,
}

/// What an ACL read needs to know about the model.
pub struct AclSubject<'a> {
    /// The registered model's name, when the reference is a registry version.
    pub name: Option<&'a str>,
    /// The registered model, when it could be read.
    pub registered: Option<&'a RegisteredFacts>,
    pub experiment_id: Option<&'a str>,
    /// The notebook a Databricks notebook experiment belongs to (its ACL governs).
    pub notebook_id: Option<&'a str>,
}

/// One object's ACL read: the object and the calls that failed on the way.
pub(super) type AclRead = (ObjectPermissions, Vec<ClientError>);

/// The permissions section and what to record beside it.
#[derive(Default)]
pub struct AclGathered {
    pub permissions: Permissions,
    pub errors: Vec<GatherError>,
    pub unavailable: Vec<Unavailable>,
}

/// A section a backend has (and the outcome of reading it) or does not have (and why).
pub enum Section<T> {
    Read(Result<T, ClientError>),
    Unavailable(&'static str),
}
