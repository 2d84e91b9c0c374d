//! The seam between the listener and the guard's core: a verified registry event, what kind
//! of change it reports, and the [`Sink`] the core implements to receive it. Nothing here
//! knows HTTP; the core can build events by hand in its own tests.

use std::time::Instant;

/// A delivery whose signature, freshness and uniqueness were checked, reduced to what the core
/// needs to decide: which model moved and how. Values that may be secret (tag values) and
/// free text (Databricks' `text`, descriptions) are never kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub source: Source,
    /// MLflow's `X-MLflow-Delivery-Id`, or for Databricks (which sends no id) the de-duplication
    /// key built from the payload: a JSON array `[event, event_timestamp, model_name, version,
    /// to_stage]`.
    pub delivery: String,
    /// The registered model's name.
    pub model: String,
    pub kind: EventKind,
    /// When the listener accepted the delivery: the start of the decision latency.
    pub received: Instant,
}

/// The registry that sent the delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Mlflow,
    Databricks,
}

impl Source {
    /// The label used in metrics and answers.
    pub fn label(self) -> &'static str {
        match self {
            Source::Mlflow => "mlflow",
            Source::Databricks => "databricks",
        }
    }
}

/// What changed in the registry. Versions are strings as both registries send them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// MLflow `model_version_alias.created`: also sent when an existing alias is re-pointed.
    AliasSet { alias: String, version: String },
    /// MLflow `model_version_alias.deleted`: also sent for an alias that never existed.
    AliasDeleted { alias: String },
    /// MLflow `model_version.created`, Databricks `MODEL_VERSION_CREATED`.
    VersionCreated { version: String },
    /// MLflow `model_version_tag.set`, Databricks `MODEL_VERSION_TAG_SET` (one event per tag).
    /// The value is dropped: tags can hold secrets, and the core re-reads the registry anyway.
    TagSet { version: String, key: String },
    /// MLflow `model_version_tag.deleted`.
    TagDeleted { version: String, key: String },
    /// Databricks `MODEL_VERSION_TRANSITIONED_STAGE` and `MODEL_VERSION_TRANSITIONED_TO_*`.
    StageTransitioned { version: String, to_stage: String },
    /// Databricks `TRANSITION_REQUEST_CREATED` and `TRANSITION_REQUEST_TO_*_CREATED`.
    TransitionRequested { version: String, to_stage: String },
}

/// How a delivered event is answered: the core only queues it, and decides later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Queued: answered 202.
    Accepted,
    /// Not the guard's business (e.g. a model nobody protects): answered 200 with the reason.
    Ignored(&'static str),
}

/// What the core does with a verified event: queue it and answer at once. Called on the
/// listener's task, so it must never block (MLflow waits at most 30 s for the answer, and
/// every other delivery waits behind a blocked one).
pub trait Sink: Send + Sync + 'static {
    /// Returns how the delivery is answered; the decision itself happens asynchronously.
    fn deliver(&self, event: Event) -> Disposition;
    /// For `GET /healthz`: `true` when the guard can work (its last reconcile did not fail
    /// wholesale); the text says why, and is sent as the answer's body.
    fn health(&self) -> (bool, String);
}
