//! Unity Catalog's own shapes (2.1 REST: `ModelVersionInfo`, `RegisteredModelInfo`, grants)
//! and their conversion into MLflow's shapes, so the rest of gathering and every rule see one
//! shape. Renamed: `comment` → `description`, `created_at` → `creation_timestamp`,
//! `updated_at` → `last_updated_timestamp`, `created_by` → `user_id`; the full three-level name
//! becomes `name`, the version a string, aliases MLflow's forms. Every other field is kept.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::gather::wire::{self, lenient};

#[derive(Debug, Deserialize)]
pub(super) struct Alias {
    pub alias_name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub version_num: String,
}

/// The parts of a three-level name, as UC sends them beside the object.
#[derive(Debug, Deserialize, Default)]
#[allow(clippy::struct_field_names)] // the wire's names
pub(super) struct Names {
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub catalog_name: Option<String>,
    #[serde(default)]
    pub schema_name: Option<String>,
}

impl Names {
    /// `catalog.schema.model`, from `full_name` or the parts.
    fn full(&self, model: Option<&str>) -> String {
        self.full_name.clone().unwrap_or_else(|| {
            format!(
                "{}.{}.{}",
                self.catalog_name.as_deref().unwrap_or_default(),
                self.schema_name.as_deref().unwrap_or_default(),
                model.unwrap_or_default()
            )
        })
    }

    /// The parts, kept as facts in the converted object.
    fn keep(self, extra: &mut Map<String, Value>) {
        for (key, value) in [
            ("full_name", self.full_name),
            ("catalog_name", self.catalog_name),
            ("schema_name", self.schema_name),
        ] {
            if let Some(v) = value {
                extra.insert(key.into(), Value::String(v));
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct ModelVersionInfo {
    #[serde(flatten)]
    pub names: Names,
    #[serde(default)]
    pub model_name: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub version: String,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "lenient::int64")]
    pub created_at: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int64")]
    pub updated_at: Option<i64>,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub storage_location: Option<String>,
    #[serde(default)]
    pub aliases: Vec<Alias>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ModelVersionInfo {
    pub(super) fn into_mlflow(self) -> wire::ModelVersion {
        let name = self.names.full(self.model_name.as_deref());
        let mut extra = self.extra;
        if let Some(model) = self.model_name {
            extra.insert("model_name".into(), Value::String(model));
        }
        self.names.keep(&mut extra);
        wire::ModelVersion {
            name,
            version: self.version,
            creation_timestamp: self.created_at,
            last_updated_timestamp: self.updated_at,
            user_id: self.created_by,
            description: self.comment,
            source: self.source,
            run_id: self.run_id,
            status: self.status,
            storage_location: self.storage_location,
            aliases: self.aliases.into_iter().map(|a| a.alias_name).collect(),
            extra,
            ..wire::ModelVersion::default()
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct RegisteredModelInfo {
    #[serde(flatten)]
    pub names: Names,
    /// The short name; `name` in the converted shape is the full one.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "lenient::int64")]
    pub created_at: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int64")]
    pub updated_at: Option<i64>,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub aliases: Vec<Alias>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RegisteredModelInfo {
    pub(super) fn into_mlflow(self) -> wire::RegisteredModel {
        let name = self.names.full(self.name.as_deref());
        let mut extra = self.extra;
        if let Some(owner) = &self.owner {
            extra.insert("owner".into(), Value::String(owner.clone()));
        }
        self.names.keep(&mut extra);
        wire::RegisteredModel {
            name,
            creation_timestamp: self.created_at,
            last_updated_timestamp: self.updated_at,
            user_id: self.created_by,
            description: self.comment,
            aliases: self
                .aliases
                .into_iter()
                .map(|a| wire::AliasRef {
                    alias: a.alias_name,
                    version: a.version_num,
                })
                .collect(),
            extra,
            ..wire::RegisteredModel::default()
        }
    }
}

/// `{"model_versions": [...]}` of a version listing (only the numbers are read).
#[derive(Debug, Deserialize)]
pub(super) struct VersionNumber {
    #[serde(deserialize_with = "lenient::string")]
    pub version: String,
}

/// One principal's privileges (`PrivilegeAssignment`). Direct grants list privilege names;
/// effective grants list objects that say where each was inherited from.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(super) struct PrivilegeAssignment {
    #[serde(default)]
    pub principal: String,
    #[serde(default)]
    pub privileges: Vec<Privilege>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub(super) enum Privilege {
    Name(String),
    Effective {
        privilege: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        inherited_from_type: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        inherited_from_name: Option<String>,
        #[serde(flatten)]
        extra: Map<String, Value>,
    },
}

/// `is-databricks-sdk-models-artifact-repository-enabled` (U9).
#[derive(Debug, Deserialize)]
pub(super) struct SdkRepositoryFlag {
    #[serde(default)]
    pub is_databricks_sdk_models_artifact_repository_enabled: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uc_shapes_become_mlflow_shapes() {
        let v: ModelVersionInfo = serde_json::from_value(serde_json::json!({
            "model_name": "churn", "catalog_name": "main", "schema_name": "ml", "version": 3,
            "comment": "retrained", "created_at": 1, "created_by": "a@x", "run_workspace_id": 42,
            "aliases": [{"alias_name": "champion", "version_num": 3}]
        }))
        .unwrap();
        let v = v.into_mlflow();
        assert_eq!(v.name, "main.ml.churn");
        assert_eq!(v.version, "3");
        assert_eq!(v.description.as_deref(), Some("retrained"));
        assert_eq!(v.aliases, ["champion"]);
        assert_eq!(v.extra["run_workspace_id"], 42, "unknown fields are kept");
        let m: RegisteredModelInfo = serde_json::from_value(serde_json::json!({
            "full_name": "main.ml.churn", "owner": "o",
            "aliases": [{"alias_name": "champion", "version_num": 3}]
        }))
        .unwrap();
        let m = m.into_mlflow();
        assert_eq!(m.aliases[0].version, "3");
        assert_eq!(m.extra["owner"], "o");
    }
}
