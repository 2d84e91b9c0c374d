//! Typed MLflow REST responses, as open-source MLflow and Databricks send them: the registered
//! model, model version, run, experiment and logged model. Every struct keeps the fields it
//! does not name in `extra`, so nothing a server adds is lost on the way to the snapshot.
//!
//! The quirks of the wire live here, in the types: repeated fields left out when empty
//! (`#[serde(default)]`), int64 sent as strings by proto3 JSON ([`lenient::int64`]), versions
//! as numbers or strings ([`lenient::string`]), tag values that may be missing or null. JSON
//! encoded inside JSON strings (dataset source/schema/profile) is decoded in `convert`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A `{key, value}` pair (tags, params). A missing or null value is the empty string, as
/// MLflow's own client reads it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct KeyValue {
    pub key: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub value: String,
}

/// `{alias, version}` of `registered-models/get`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct AliasRef {
    pub alias: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub version: String,
}

/// `RegisteredModel` (MLflow), `RegisteredModelDatabricks` (adds `id`, `permission_level`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
pub struct RegisteredModel {
    pub name: String,
    #[serde(default, deserialize_with = "lenient::int64")]
    pub creation_timestamp: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int64")]
    pub last_updated_timestamp: Option<i64>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub permission_level: Option<String>,
    #[serde(default)]
    pub latest_versions: Vec<Value>,
    #[serde(default)]
    pub tags: Vec<KeyValue>,
    #[serde(default)]
    pub aliases: Vec<AliasRef>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `ModelVersion`; Unity Catalog versions are converted into this shape.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
pub struct ModelVersion {
    pub name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub version: String,
    #[serde(default, deserialize_with = "lenient::int64")]
    pub creation_timestamp: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int64")]
    pub last_updated_timestamp: Option<i64>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub current_stage: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    /// MLflow 3: the logged model this version was registered from.
    #[serde(default)]
    pub model_id: Option<String>,
    /// Unity Catalog: where the version's files are stored.
    #[serde(default)]
    pub storage_location: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub tags: Vec<KeyValue>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ModelVersion {
    /// The source run, when there is one (an empty `run_id` means none).
    pub fn source_run(&self) -> Option<&str> {
        self.run_id.as_deref().filter(|r| !r.is_empty())
    }
}

/// `{"registered_model": …}`.
#[derive(Debug, Deserialize)]
pub struct RegisteredModelResponse {
    pub registered_model: RegisteredModel,
}

/// `{"registered_model_databricks": …}` (`databricks/registered-models/get`).
#[derive(Debug, Deserialize)]
pub struct DatabricksRegisteredModelResponse {
    pub registered_model_databricks: RegisteredModel,
}

/// `{"model_version": …}` (`model-versions/get`, `registered-models/alias`).
#[derive(Debug, Deserialize)]
pub struct ModelVersionResponse {
    pub model_version: ModelVersion,
}

/// `{"model_versions": […]}` (`get-latest-versions`); left out when there are none.
#[derive(Debug, Deserialize)]
pub struct ModelVersionsResponse {
    #[serde(default)]
    pub model_versions: Vec<ModelVersion>,
}

/// `{"artifact_uri": …}` (`model-versions/get-download-uri`).
#[derive(Debug, Deserialize)]
pub struct DownloadUriResponse {
    pub artifact_uri: String,
}

/// `{"run": …}`.
#[derive(Debug, Deserialize)]
pub struct RunResponse {
    pub run: Run,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Run {
    pub info: RunInfo,
    #[serde(default)]
    pub data: RunData,
    #[serde(default)]
    pub inputs: RunInputs,
    #[serde(default)]
    pub outputs: Option<RunOutputs>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct RunInfo {
    #[serde(default)]
    pub run_id: Option<String>,
    /// Deprecated twin of `run_id`, still sent by MLflow 2 and Databricks.
    #[serde(default)]
    pub run_uuid: Option<String>,
    #[serde(default)]
    pub experiment_id: Option<String>,
    #[serde(default)]
    pub run_name: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::int64")]
    pub start_time: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int64")]
    pub end_time: Option<i64>,
    #[serde(default)]
    pub artifact_uri: Option<String>,
    #[serde(default)]
    pub lifecycle_stage: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct RunData {
    #[serde(default)]
    pub params: Vec<KeyValue>,
    #[serde(default)]
    pub metrics: Vec<Metric>,
    #[serde(default)]
    pub tags: Vec<KeyValue>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A metric's latest value. `value` stays JSON: MLflow sends `NaN` and `Infinity` as strings.
#[derive(Debug, Clone, Deserialize)]
pub struct Metric {
    pub key: String,
    #[serde(default)]
    pub value: Value,
    #[serde(default, deserialize_with = "lenient::int64")]
    pub timestamp: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int64")]
    pub step: Option<i64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct RunInputs {
    #[serde(default)]
    pub dataset_inputs: Vec<DatasetInput>,
    /// MLflow 3's `model_inputs` and anything later.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatasetInput {
    pub dataset: Dataset,
    #[serde(default)]
    pub tags: Vec<KeyValue>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A dataset; `source`, `schema` and `profile` are JSON inside JSON strings on the wire.
#[derive(Debug, Clone, Deserialize)]
pub struct Dataset {
    pub name: String,
    #[serde(default)]
    pub digest: Option<String>,
    #[serde(default)]
    pub source_type: Option<String>,
    #[serde(default)]
    pub source: Option<Value>,
    #[serde(default)]
    pub schema: Option<Value>,
    #[serde(default)]
    pub profile: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `run.outputs` (MLflow 3): the logged models the run produced.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct RunOutputs {
    #[serde(default)]
    pub model_outputs: Vec<ModelOutput>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ModelOutput {
    pub model_id: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"experiment": …}`.
#[derive(Debug, Deserialize)]
pub struct ExperimentResponse {
    pub experiment: Experiment,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Experiment {
    pub experiment_id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub artifact_location: Option<String>,
    #[serde(default)]
    pub lifecycle_stage: Option<String>,
    #[serde(default, deserialize_with = "lenient::int64")]
    pub last_update_time: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int64")]
    pub creation_time: Option<i64>,
    #[serde(default)]
    pub tags: Vec<KeyValue>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"model": …}` (`logged-models/{id}`, MLflow 3). Kept whole in the snapshot; only the
/// fields gathering follows are named.
#[derive(Debug, Deserialize)]
pub struct LoggedModelResponse {
    pub model: LoggedModel,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct LoggedModel {
    pub info: LoggedModelInfo,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct LoggedModelInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    /// The name it was logged under: what `runs:/<run>/<name>` names in MLflow 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_run_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RegisteredModel {
    /// `latest_versions` as (stage, version): a version without a stage is in `None`; an
    /// entry without a version (string or number) is skipped.
    pub fn staged(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.latest_versions.iter().filter_map(|v| {
            let stage = v
                .get("current_stage")
                .and_then(Value::as_str)
                .unwrap_or("None");
            let version = match v.get("version") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => return None,
            };
            Some((stage.to_string(), version))
        })
    }
}

/// One entry of an MLflow file listing (`FileInfo`): the artifact proxy's, the workspace
/// registry's `list-artifacts` and a Databricks run's `artifacts/list`.
#[derive(Debug, Deserialize)]
pub struct FileInfo {
    pub path: String,
    #[serde(default)]
    pub is_dir: bool,
    #[serde(default, deserialize_with = "lenient::int64")]
    pub file_size: Option<i64>,
}

/// `{"files": [...]}`; left out when the directory is empty.
#[derive(Debug, Deserialize)]
pub struct FileListing {
    #[serde(default)]
    pub files: Vec<FileInfo>,
}

/// A header storage requires with a signed URL (`get-signed-download-uri`,
/// `fs/create-download-url`), sent exactly as given and never with our token.
#[derive(Deserialize)]
pub struct SignedHeader {
    pub name: String,
    #[serde(default)]
    pub value: String,
}

impl SignedHeader {
    /// The headers as the client sends them.
    pub fn pairs(headers: Vec<SignedHeader>) -> Vec<(String, String)> {
        headers.into_iter().map(|h| (h.name, h.value)).collect()
    }
}

/// Deserialisers that accept the forms servers actually send for one logical type.
pub mod lenient {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// An int64 sent as a JSON number or, by proto3 JSON, as a string; null is absent. A value
    /// of another kind is an error, not a silent `None`.
    pub fn int64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::Number(n) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("{n} is not an int64"))),
            Value::String(s) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| serde::de::Error::custom(format!("`{s}` is not an int64"))),
            other => Err(serde::de::Error::custom(format!(
                "expected an int64, found {other}"
            ))),
        }
    }

    /// A string, or a number or boolean written as one (versions, tag values); null is empty.
    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(String::new()),
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(serde::de::Error::custom(format!(
                "expected a string, found {other}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quirks_of_the_wire_are_absorbed() {
        let v: ModelVersion = serde_json::from_value(serde_json::json!({
            "name": "churn", "version": 3, "creation_timestamp": "1700000000000",
            "tags": [{"key": "a"}, {"key": "b", "value": null}, {"key": "c", "value": 1}],
            "run_link": "", "deployment_job_state": {"run_state": "APPROVAL"}
        }))
        .unwrap();
        assert_eq!(v.version, "3");
        assert_eq!(v.creation_timestamp, Some(1_700_000_000_000));
        assert_eq!(
            v.tags.iter().map(|t| t.value.as_str()).collect::<Vec<_>>(),
            ["", "", "1"]
        );
        assert!(v.extra.contains_key("run_link") && v.extra.contains_key("deployment_job_state"));
        assert!(v.aliases.is_empty(), "absent repeated fields are empty");
    }

    #[test]
    fn a_mistyped_number_is_an_error_not_an_absence() {
        let e = serde_json::from_value::<ModelVersion>(
            serde_json::json!({"name": "m", "version": "1", "creation_timestamp": "yesterday"}),
        )
        .unwrap_err();
        assert!(e.to_string().contains("yesterday"), "{e}");
    }
}
