//! The audit snapshot: every fact gathered about one model version, as one versioned JSON
//! document (documented field by field in `docs/snapshot.md`).
//!
//! The snapshot is the contract between gathering and judging. Live backends fill it, `mlgate
//! snapshot` saves it, `--snapshot FILE` replays it, and the engine and reporters read nothing
//! else. Fields the server returns that these types do not name are kept in each section's
//! `extra` map, so nothing a server says is dropped on the way to the report.
//!
//! What is *derived* (formatted times, run duration, tag groups, exploded JSON tags) is not
//! stored here; `derive` computes it from these facts when a report needs it.

mod backend;
pub mod derive;
mod error;
mod incumbent;
pub mod io;
pub mod permission_rank;
pub mod schema;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use backend::Backend;
pub use error::{Detail, GatherError};
pub use incumbent::{Incumbent, INCUMBENT};

/// The snapshot format version. Bump it when a field changes meaning or moves.
pub const SCHEMA_VERSION: u32 = 1;

/// Ordered string-to-string map: tags and params keep the order the server returned.
pub type StringMap = IndexMap<String, String>;

/// The whole audit snapshot of one model version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    pub schema_version: u32,
    pub manifest: Manifest,
    pub target: Target,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_model: Option<RegisteredModel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<ModelVersion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<Run>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<Experiment>,
    /// The parsed `MLmodel` file: every top-level field in file order, with the JSON strings
    /// MLflow nests inside the YAML (signature inputs/outputs/params) decoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mlflow_model: Option<Map<String, Value>>,
    /// The model's artifact files: where they were listed and their total size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifacts: Option<Artifacts>,
    #[serde(default)]
    pub permissions: Permissions,
    /// Stage-transition requests (Databricks workspace registry), as returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition_requests: Option<Vec<Value>>,
    /// The version a promotion would replace (`mlgate promote`, or `check` with a target),
    /// gathered the same way; absent when no promotion target was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incumbent: Option<Box<Incumbent>>,
    /// Calls that failed: a section that could not be gathered is listed here, never just absent.
    #[serde(default)]
    pub errors: Vec<GatherError>,
    /// Sections this backend does not have (e.g. ACLs on a server without auth): rules that need
    /// them are skipped with this reason, rather than failing or passing.
    #[serde(default)]
    pub unavailable: Vec<Unavailable>,
    /// Facts a backend provides beyond the sections above (e.g. `logged_model`, the MLflow 3
    /// logged model with its params, metrics and tags), kept as returned.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Who gathered the snapshot, from where, and when.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Manifest {
    /// The program that gathered the facts (`mlgate 0.1.0`, or the tool a snapshot was
    /// transcribed from).
    pub gathered_by: String,
    /// UTC time of gathering, RFC 3339 (`2023-06-21T06:24:46Z`).
    pub gathered_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_uri: Option<String>,
    /// `mlflow-oss`, `databricks-workspace` or `databricks-uc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<Backend>,
    /// Server version when the server tells it (`/version`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// The values shown redacted (a snapshot saved without `--no-redact`): replaying it, a
    /// rule that reads one of them is an error, never judged on the marker.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redacted: Vec<Redacted>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One redacted value: where it is, as a JSON Pointer into the snapshot document (RFC 6901),
/// and why it was redacted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Redacted {
    pub pointer: String,
    pub why: String,
}

/// The model reference as the user gave it and as it was resolved.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Target {
    /// Exactly as given: `models:/churn@champion`.
    pub reference: String,
    /// `version`, `stage`, `alias`, `latest`, `run` or `logged_model`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The version the reference resolved to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The stage named in the reference (`models:/churn/Production`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_stage: Option<String>,
    /// The alias named in the reference (`models:/churn@champion`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The artifact path inside the run (`runs:/<id>/<path>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_path: Option<String>,
    /// The stage a promotion is heading for (`--target-stage`); set at evaluation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// The alias a promotion is moving (`--target-alias`); set at evaluation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

/// `{alias, version}` as `registered-models/get` returns it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AliasRef {
    pub alias: String,
    pub version: String,
}

/// The registered model, as returned by the registry (and on Databricks by the
/// `databricks/registered-models/get` call, which adds `id` and `permission_level`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct RegisteredModel {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_level: Option<String>,
    /// Latest version per stage, as the server returns it (not every version).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub latest_versions: Vec<Value>,
    #[serde(default)]
    pub tags: StringMap,
    #[serde(default)]
    pub aliases: Vec<AliasRef>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One model version of the registry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ModelVersion {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// `None` (the string) when the version has no stage, as MLflow returns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_stage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// From `model-versions/get-download-uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_uri: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub tags: StringMap,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The run that produced the model version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Run {
    pub info: RunInfo,
    #[serde(default)]
    pub params: StringMap,
    /// Latest value of each metric.
    #[serde(default)]
    pub metrics: IndexMap<String, Metric>,
    #[serde(default)]
    pub tags: StringMap,
    #[serde(default)]
    pub inputs: RunInputs,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `run.info` as returned by `runs/get`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct RunInfo {
    pub run_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_stage: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A metric's latest value. `value` stays a JSON value: MLflow may send `NaN` or `Infinity`
/// as strings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Metric {
    pub value: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<i64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `run.inputs`: datasets (and in MLflow 3, logged-model inputs).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct RunInputs {
    #[serde(default)]
    pub dataset_inputs: Vec<DatasetInput>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One dataset input of a run, with its tags (`mlflow.data.context`, …).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct DatasetInput {
    pub dataset: Dataset,
    #[serde(default)]
    pub tags: StringMap,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A dataset. MLflow sends `source`, `schema` and `profile` as JSON encoded inside JSON
/// strings; the snapshot holds them decoded (or as the string when it is not JSON).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Dataset {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The experiment of the source run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Experiment {
    pub experiment_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_stage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<i64>,
    #[serde(default)]
    pub tags: StringMap,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The model's artifacts, as listed through the tracking server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Artifacts {
    /// The artifact location that was listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// Every file found, relative to `uri`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<ArtifactFile>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ArtifactFile {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
}

/// Access-control facts per object.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Permissions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_model: Option<ObjectPermissions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<ObjectPermissions>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The permissions of one object: the raw responses as returned, and the normalised entries
/// rules are written against. `entries` is absent when the ACL call failed (see `errors`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ObjectPermissions {
    /// The object the ACL was read from (`/registered-models/<id>`); may differ from the
    /// object asked about (a notebook experiment's ACL lives on the notebook).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    /// The `permissionLevels` response, as returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_levels: Option<Value>,
    /// The ACL response, as returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<PermissionEntry>>,
    /// Anything else worth keeping, e.g. `refused`: the call on the object asked about that
    /// was refused before the ACL was read from another object (a notebook experiment).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Who holds which level on an object, one entry per (principal, level) pair.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PermissionEntry {
    pub principal: String,
    pub principal_type: PrincipalType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The level as the backend names it (`CAN_MANAGE`, `MANAGE`, `EXECUTE`, …).
    pub level: String,
    /// The level on one scale for every backend (`docs/permissions.md`): none, read, use,
    /// edit, manage_staging, manage_production, manage (or unknown).
    #[serde(default)]
    pub rank: String,
    pub inherited: bool,
    #[serde(default)]
    pub inherited_from: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalType {
    User,
    Group,
    ServicePrincipal,
}

/// A section the backend cannot provide, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Unavailable {
    pub section: String,
    pub reason: String,
}

impl Snapshot {
    /// The recorded failure covering `path` (a dotted snapshot path), if any.
    pub fn error_for(&self, path: &str) -> Option<&GatherError> {
        self.errors.iter().find(|e| covers(&e.section, path))
    }

    /// The recorded unavailability covering `path`, if any.
    pub fn unavailable_for(&self, path: &str) -> Option<&Unavailable> {
        self.unavailable.iter().find(|u| covers(&u.section, path))
    }

    /// Sets the rank of every permission entry from its level (and the snapshot's backend).
    /// The stored rank is never trusted: rules judge the rank, so a snapshot file claiming
    /// `level = CAN_MANAGE, rank = read` would otherwise pass them. Also fills snapshots
    /// written before ranks existed.
    pub fn recompute_ranks(&mut self) {
        let backend = self.manifest.backend;
        let incumbent = self.incumbent.as_deref_mut().map(|i| &mut i.permissions);
        for object in [Some(&mut self.permissions), incumbent]
            .into_iter()
            .flatten()
            .flat_map(|p| [&mut p.registered_model, &mut p.experiment])
            .flatten()
        {
            for entry in object.entries.iter_mut().flatten() {
                entry.rank = permission_rank::rank_on(backend, &entry.level).to_string();
            }
        }
    }

    /// The snapshot of a reference that could not be gathered at all: what was asked, and why
    /// nothing came back. Rules then report "could not evaluate", and every output can say why.
    pub fn not_gathered(
        target: Target,
        tracking_uri: Option<String>,
        backend: Option<Backend>,
        now: String,
        error: GatherError,
    ) -> Self {
        Snapshot {
            schema_version: SCHEMA_VERSION,
            manifest: Manifest {
                gathered_by: concat!("mlgate ", env!("CARGO_PKG_VERSION")).to_string(),
                gathered_at: now,
                tracking_uri,
                backend,
                ..Manifest::default()
            },
            target,
            registered_model: None,
            model_version: None,
            run: None,
            experiment: None,
            mlflow_model: None,
            artifacts: None,
            permissions: Permissions::default(),
            transition_requests: None,
            incumbent: None,
            errors: vec![GatherError {
                section: NOTHING_GATHERED.into(),
                ..error
            }],
            unavailable: Vec::new(),
            extra: Map::new(),
        }
    }

    /// `models:/<name>/<version>` of the gathered version, or the reference as given.
    pub fn model_uri(&self) -> String {
        match (&self.target.name, &self.target.version) {
            (Some(name), Some(version)) if self.target.kind != "run" => {
                format!("models:/{name}/{version}")
            }
            _ => self.target.reference.clone(),
        }
    }

    /// How many sections hold gathered facts: the registry, run, experiment, MLmodel,
    /// artifact, transition-request and backend-specific sections present, plus each object
    /// whose permissions were read. The manifest, target and incumbent are not counted.
    pub fn gathered_sections(&self) -> usize {
        let present = [
            self.registered_model.is_some(),
            self.model_version.is_some(),
            self.run.is_some(),
            self.experiment.is_some(),
            self.mlflow_model.is_some(),
            self.artifacts.is_some(),
            self.permissions.registered_model.is_some(),
            self.permissions.experiment.is_some(),
            self.transition_requests.is_some(),
        ];
        present.iter().filter(|p| **p).count() + self.extra.len()
    }
}

/// The `section` of the error recorded when nothing beyond the reference could be gathered:
/// it covers every section but `target` and `manifest`.
pub const NOTHING_GATHERED: &str = "*";

/// Whether `path` names a whole section — something gathered as one, whose absence means it was
/// not gathered rather than that the server has nothing there: every top-level section, each
/// object's permissions and their normalised `entries` (absent when the ACL could not be read),
/// the artifact listing and the total size computed from it (absent when nothing was listed,
/// or the listing stopped short), and the same inside the `incumbent`. A value missing
/// anywhere else lies inside a section that was gathered: it is known to be absent.
pub fn is_section(path: &str) -> bool {
    let path = path
        .strip_prefix(INCUMBENT)
        .and_then(|rest| rest.strip_prefix('.'))
        .unwrap_or(path);
    let steps: Vec<&str> = path.split('.').collect();
    match steps.as_slice() {
        [_] | ["permissions", _] | ["permissions", _, "entries"] => true,
        ["artifacts", step] => matches!(*step, "files" | "size_bytes"),
        _ => false,
    }
}

/// Does a recorded section (`permissions.experiment`) cover the path (`permissions.experiment.entries`)?
fn covers(section: &str, path: &str) -> bool {
    if section == NOTHING_GATHERED {
        return !(path.starts_with("target") || path.starts_with("manifest"));
    }
    path == section
        || path
            .strip_prefix(section)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_sections_are_told_from_facts_inside_them() {
        for section in [
            "run",
            "mlflow_model",
            "permissions.experiment",
            "permissions.registered_model.entries",
            "artifacts.files",
            "artifacts.size_bytes",
            "incumbent",
            "incumbent.run",
            "incumbent.permissions.experiment.entries",
            "incumbent.artifacts.files",
        ] {
            assert!(is_section(section), "{section}");
        }
        for fact in [
            "run.metrics",
            "run.metrics.auc",
            "model_version.tags",
            r#"model_version.tags["reviewed_by"]"#,
            "permissions.experiment.object_id",
            "artifacts.uri",
            "mlflow_model.signature",
            "incumbent.run.metrics.auc",
        ] {
            assert!(!is_section(fact), "{fact}");
        }
    }

    #[test]
    fn sections_cover_their_subpaths_only() {
        assert!(covers("permissions.experiment", "permissions.experiment"));
        assert!(covers(
            "permissions.experiment",
            "permissions.experiment.entries[*]"
        ));
        assert!(!covers("permissions.experiment", "permissions.experiments"));
        assert!(!covers("run", "registered_model"));
        assert!(covers(
            NOTHING_GATHERED,
            "permissions.registered_model.entries"
        ));
        assert!(!covers(NOTHING_GATHERED, "target.stage"));
    }
}
