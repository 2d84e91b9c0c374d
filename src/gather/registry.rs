//! The backend seam: what every registry answers, in MLflow's shapes. One implementation per
//! folder (`oss/`, `databricks/`, `unity_catalog/`), registered in `backends`' one `match` on
//! [`Backend`]. The read chain calls only these methods, so a new registry (SageMaker, Azure
//! ML) is a new folder and one line there.
//!
//! Reads come first; then the one write, a typed [`Write`]. What a registry can do is declared
//! once, in its [`Capabilities`]: writes it cannot make are refused from them before any
//! request, and promotion and the bulk audit read them instead of knowing backend names.

use serde_json::Value;

use super::context::Context;
use super::error::{ReadError, WriteError};
use super::facts::{AclGathered, AclSubject, ModelSource, RegisteredFacts, Section};
use super::files::{FoundModel, Route};
use super::wire;
use crate::client::ClientError;
use crate::model_ref::ModelRef;
use crate::snapshot::{Backend, GatherError};

/// What a registry has, declared once per backend.
// Independent yes/no facts about a registry, not a state encoded in flags.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// How messages name the registry (`Unity Catalog models`).
    pub name: &'static str,
    /// Whether `name` is said with "have" rather than "has".
    pub plural: bool,
    /// Named aliases pointing at versions (`@champion`).
    pub aliases: bool,
    /// Stages (`Staging`, `Production`) a version is moved into.
    pub stages: bool,
    /// Requests to move a version into a stage, approved or rejected.
    pub transition_requests: bool,
    /// Every registered model and version can be listed (`check --all-models`).
    pub listing: bool,
    /// Tags set on a version (how a verdict is recorded).
    pub version_tags: bool,
}

impl Capabilities {
    /// "`name` has" / "`name` have", to say what the registry lacks.
    pub fn has(&self) -> String {
        format!("{} {}", self.name, if self.plural { "have" } else { "has" })
    }

    /// Why `write` cannot be made on `backend`, when it cannot.
    pub fn refusal(&self, backend: Backend, write: &Write<'_>) -> Option<WriteError> {
        let what = match *write {
            Write::SetAlias { alias, .. } if !self.aliases => {
                format!("set alias @{alias}: {} no aliases", self.has())
            }
            Write::TransitionStage { stage, .. } if !self.stages => format!(
                "move a version to stage {stage}: {} no stages{}",
                self.has(),
                if self.aliases { "; use an alias" } else { "" }
            ),
            Write::ApproveTransitionRequest { stage, .. } if !self.transition_requests => {
                format!(
                    "approve a request to {stage}: {} no transition requests",
                    self.has()
                )
            }
            Write::RejectTransitionRequest { stage, .. } if !self.transition_requests => {
                format!(
                    "reject a request to {stage}: {} no transition requests",
                    self.has()
                )
            }
            Write::SetVersionTag { .. } if !self.version_tags => {
                format!("set a version tag: {} no version tags", self.has())
            }
            _ => return None,
        };
        Some(WriteError::Unsupported { backend, what })
    }
}

/// The refusal of a write `registry` does not make, in its capabilities' words (a write it
/// declares but does not make is named as such: a bug in that backend, not a guess).
pub(super) fn refused<R: Registry>(registry: &R, write: &Write<'_>) -> WriteError {
    let backend = registry.backend();
    registry
        .capabilities()
        .refusal(backend, write)
        .unwrap_or_else(|| WriteError::Unsupported {
            backend,
            what: format!("make {write:?}: declared, but not implemented"),
        })
}

/// A registry write, applied to whichever backend the model lives in.
#[derive(Debug, Clone)]
pub enum Write<'a> {
    /// Points `alias` of `name` at `version` (an upsert on every registry).
    SetAlias {
        name: &'a str,
        alias: &'a str,
        version: &'a str,
    },
    /// Moves `version` to `stage`, archiving the stage's other versions when asked.
    TransitionStage {
        name: &'a str,
        version: &'a str,
        stage: &'a str,
        archive_existing: bool,
    },
    /// Sets a tag on the version (how a verdict is recorded in the registry).
    SetVersionTag {
        name: &'a str,
        version: &'a str,
        key: &'a str,
        value: &'a str,
    },
    /// Approves an open request to move `version` to `stage`.
    ApproveTransitionRequest {
        name: &'a str,
        version: &'a str,
        stage: &'a str,
        archive_existing: bool,
        comment: &'a str,
    },
    /// Sets a tag on the registered model (where the promotion ledger lives: on open-source
    /// MLflow registered-model tags fire no webhook).
    SetModelTag {
        name: &'a str,
        key: &'a str,
        value: &'a str,
    },
    /// Deletes a registered-model tag (a ledger entry re-numbered after a collision).
    DeleteModelTag { name: &'a str, key: &'a str },
    /// Rejects an open request to move `version` to `stage`, saying why in `comment`.
    RejectTransitionRequest {
        name: &'a str,
        version: &'a str,
        stage: &'a str,
        comment: &'a str,
    },
}

// Static dispatch only (the orchestration is generic), so the futures' auto traits are
// inferred at each use: the lint guards `dyn` and cross-crate callers, which this has neither.
#[allow(async_fn_in_trait)]
pub trait Registry {
    fn backend(&self) -> Backend;

    /// What this registry has.
    fn capabilities(&self) -> Capabilities;

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

    /// The registered model's tags, read fresh (the promotion ledger). By default from
    /// [`Registry::registered_model`].
    async fn model_tags(
        &self,
        cx: &Context,
        name: &str,
    ) -> Result<Vec<(String, String)>, ClientError> {
        let facts = self.registered_model(cx, name).await?;
        Ok(facts
            .model
            .tags
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect())
    }

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

    /// Whether a version as `model-versions/search` lists it is the version as
    /// `model-versions/get` answers it, but for its aliases (measured on the server, never
    /// assumed: `false` by default).
    fn listed_version_is_whole(&self) -> bool {
        false
    }

    /// The route that lists the model's files: by default where the MLmodel was read.
    fn listing_route(&self, _download_uri: Option<&str>, mlmodel: Option<&Route>) -> Option<Route> {
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

    /// Makes `write`. Called only for writes [`Capabilities::refusal`] lets through; a write
    /// the backend cannot make anyway (a value it does not take) is refused, never approximated.
    async fn write(&self, cx: &Context, write: &Write<'_>) -> Result<(), WriteError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    const UC_LIKE: Capabilities = Capabilities {
        name: "Unity Catalog models",
        plural: true,
        aliases: true,
        stages: false,
        transition_requests: false,
        listing: false,
        version_tags: true,
    };

    #[test]
    fn writes_are_refused_from_the_capabilities_alone() {
        let stage = Write::TransitionStage {
            name: "m",
            version: "1",
            stage: "Production",
            archive_existing: false,
        };
        let refused = UC_LIKE.refusal(Backend::UnityCatalog, &stage).unwrap();
        assert_eq!(
            refused.to_string(),
            "databricks-uc cannot move a version to stage Production: Unity Catalog models have no stages; use an alias"
        );
        let alias = Write::SetAlias {
            name: "m",
            alias: "champion",
            version: "1",
        };
        assert!(UC_LIKE.refusal(Backend::UnityCatalog, &alias).is_none());
        let no_aliases = Capabilities {
            name: "a registry",
            plural: false,
            aliases: false,
            stages: true,
            ..UC_LIKE
        };
        let refused = no_aliases.refusal(Backend::MlflowOss, &alias).unwrap();
        assert!(refused.to_string().ends_with("a registry has no aliases"));
        let stage_refusal = Capabilities {
            stages: false,
            ..no_aliases
        }
        .refusal(Backend::MlflowOss, &stage)
        .unwrap();
        assert!(
            !stage_refusal.to_string().contains("use an alias"),
            "no alias advice where there are no aliases"
        );
    }
}
