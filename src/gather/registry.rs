//! The backend seam: what every registry answers, in MLflow's shapes. One implementation per
//! folder (`oss/`, `databricks/`, `unity_catalog/`), registered in [`super::gather`]'s one
//! `match` on [`Backend`]. The orchestration in `gather/mod.rs` calls only these methods, so a
//! new registry (SageMaker, Azure ML) is a new folder and one line there.
//!
//! Reads come first; the writes a promotion needs follow, each backend saying plainly what it
//! cannot do rather than doing something else.

use serde_json::Value;

use super::context::Context;
use super::error::{ReadError, WriteError};
use super::facts::{AclGathered, AclSubject, ModelSource, RegisteredFacts, Section};
use super::files::{FoundModel, Route};
use super::wire;
use crate::client::ClientError;
use crate::model_ref::ModelRef;
use crate::snapshot::{Backend, GatherError};

// Static dispatch only (the orchestration is generic), so the futures' auto traits are
// inferred at each use: the lint guards `dyn` and cross-crate callers, which this has neither.
#[allow(async_fn_in_trait)]
pub trait Registry {
    fn backend(&self) -> Backend;

    /// The model version a reference names; `None` for references that are not registry
    /// versions (`runs:/`, logged models).
    async fn resolve(
        &self,
        cx: &Context,
        reference: &ModelRef,
    ) -> Result<Option<wire::ModelVersion>, ReadError>;

    /// The registered model (cached per context: versions of one model share it).
    async fn registered_model(
        &self,
        cx: &Context,
        name: &str,
    ) -> Result<RegisteredFacts, ClientError>;

    /// Where the version's files live, when the registry says.
    async fn download_uri(
        &self,
        cx: &Context,
        version: &wire::ModelVersion,
    ) -> Result<Option<String>, ClientError>;

    /// The MLmodel file and the route to the model's other files.
    async fn mlmodel(
        &self,
        cx: &Context,
        source: &ModelSource<'_>,
    ) -> Result<FoundModel, GatherError>;

    /// Bulk runs: the version's files found where this registry is known to keep them, without
    /// asking it where: the download URI it would answer, and the MLmodel read there. `None`
    /// (the default) when that cannot be known for sure; the registry is then asked.
    async fn located_without_asking(
        &self,
        _cx: &Context,
        _version: &wire::ModelVersion,
        _experiment: &wire::Experiment,
    ) -> Option<(String, FoundModel)> {
        None
    }

    /// The route that lists the model's files: by default where the MLmodel was read.
    fn listing(&self, _download_uri: Option<&str>, mlmodel: Option<&Route>) -> Option<Route> {
        mlmodel.cloned()
    }

    /// The server's version, when it tells it.
    async fn server_version(&self, _cx: &Context) -> Section<String> {
        Section::Unavailable("this registry does not report its version")
    }

    /// ACLs of the registered model and the experiment.
    async fn permissions(&self, cx: &Context, subject: &AclSubject<'_>) -> AclGathered;

    /// Open stage-transition requests of the version.
    async fn transition_requests(
        &self,
        cx: &Context,
        name: &str,
        version: &str,
    ) -> Section<Vec<Value>>;

    /// Points `alias` of `name` at `version` (an upsert on every registry).
    async fn set_alias(
        &self,
        cx: &Context,
        name: &str,
        alias: &str,
        version: &str,
    ) -> Result<(), WriteError>;

    /// Moves `version` to `stage`, archiving the stage's other versions when asked.
    async fn transition_stage(
        &self,
        cx: &Context,
        name: &str,
        version: &str,
        stage: &str,
        archive_existing: bool,
    ) -> Result<(), WriteError>;

    /// Sets a tag on the version (how a verdict is recorded in the registry).
    async fn set_version_tag(
        &self,
        cx: &Context,
        name: &str,
        version: &str,
        key: &str,
        value: &str,
    ) -> Result<(), WriteError>;

    /// Approves an open request to move `version` to `stage` (Databricks workspace registry).
    async fn approve_transition_request(
        &self,
        cx: &Context,
        name: &str,
        version: &str,
        stage: &str,
        archive_existing: bool,
        comment: &str,
    ) -> Result<(), WriteError>;

    /// Rejects an open request to move `version` to `stage`, saying why in `comment`.
    async fn reject_transition_request(
        &self,
        cx: &Context,
        name: &str,
        version: &str,
        stage: &str,
        comment: &str,
    ) -> Result<(), WriteError>;
}
