//! Wire JSON → snapshot sections: the one place where MLflow's response quirks are handled
//! (tags as `[{key, value}]` lists, JSON encoded inside JSON strings, empty repeated fields
//! omitted, int64 sometimes sent as strings, signatures as JSON inside YAML).

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::snapshot::{Experiment, ModelVersion, RegisteredModel, Run, StringMap};

/// `[{key, value}]` → ordered map.
pub fn tags(list: Option<&Value>) -> StringMap {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let key = t.get("key")?.as_str()?.to_string();
            let value = match t.get("value") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            Some((key, value))
        })
        .collect()
}

/// Int64 fields sometimes arrive as strings (proto3 JSON); the snapshot stores numbers.
fn numbers(object: &mut Map<String, Value>, fields: &[&str]) {
    for field in fields {
        if let Some(Value::String(s)) = object.get(*field) {
            if let Ok(n) = s.parse::<i64>() {
                object.insert((*field).to_string(), Value::from(n));
            }
        }
    }
}

fn typed<T: DeserializeOwned>(object: Map<String, Value>, what: &str) -> Result<T, String> {
    serde_json::from_value(Value::Object(object))
        .map_err(|e| format!("unexpected {what} shape: {e}"))
}

fn object(value: &Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

pub fn registered_model(value: &Value) -> Result<RegisteredModel, String> {
    let mut m = object(value);
    numbers(&mut m, &["creation_timestamp", "last_updated_timestamp"]);
    let t = tags(m.get("tags"));
    m.insert("tags".into(), serde_json::to_value(t).unwrap_or_default());
    typed(m, "registered model")
}

pub fn model_version(value: &Value, download_uri: Option<String>) -> Result<ModelVersion, String> {
    let mut m = object(value);
    numbers(&mut m, &["creation_timestamp", "last_updated_timestamp"]);
    let t = tags(m.get("tags"));
    m.insert("tags".into(), serde_json::to_value(t).unwrap_or_default());
    if let Some(uri) = download_uri {
        m.insert("download_uri".into(), Value::String(uri));
    }
    typed(m, "model version")
}

pub fn experiment(value: &Value) -> Result<Experiment, String> {
    let mut m = object(value);
    numbers(&mut m, &["creation_time", "last_update_time"]);
    let t = tags(m.get("tags"));
    m.insert("tags".into(), serde_json::to_value(t).unwrap_or_default());
    typed(m, "experiment")
}

/// A JSON string decoded, or the string itself when it is not JSON.
fn decoded(value: &Value) -> Value {
    match value {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| value.clone()),
        other => other.clone(),
    }
}

pub fn run(value: &Value) -> Result<Run, String> {
    let mut info = object(value.get("info").unwrap_or(&Value::Null));
    numbers(&mut info, &["start_time", "end_time"]);
    if !info.contains_key("run_id") {
        if let Some(uuid) = info.get("run_uuid").cloned() {
            info.insert("run_id".into(), uuid);
        }
    }
    let data = value.get("data").cloned().unwrap_or_default();
    let params = tags(data.get("params"));
    let mut metrics = Map::new();
    for m in data
        .get("metrics")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(key) = m.get("key").and_then(Value::as_str) {
            let mut entry = Map::new();
            entry.insert(
                "value".into(),
                m.get("value").cloned().unwrap_or(Value::Null),
            );
            for f in ["timestamp", "step"] {
                if let Some(v) = m.get(f) {
                    let n = v
                        .as_i64()
                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()));
                    if let Some(n) = n {
                        entry.insert(f.into(), Value::from(n));
                    }
                }
            }
            metrics.insert(key.to_string(), Value::Object(entry));
        }
    }
    let mut inputs = object(value.get("inputs").unwrap_or(&Value::Null));
    let datasets: Vec<Value> = inputs
        .get("dataset_inputs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|d| {
            let mut dataset = object(d.get("dataset").unwrap_or(&Value::Null));
            for f in ["source", "schema", "profile"] {
                if let Some(v) = dataset.get(f).map(decoded) {
                    dataset.insert(f.into(), v);
                }
            }
            serde_json::json!({ "dataset": dataset, "tags": tags(d.get("tags")) })
        })
        .collect();
    inputs.insert("dataset_inputs".into(), Value::Array(datasets));
    let mut run = Map::new();
    run.insert("info".into(), Value::Object(info));
    run.insert(
        "params".into(),
        serde_json::to_value(params).unwrap_or_default(),
    );
    run.insert("metrics".into(), Value::Object(metrics));
    run.insert(
        "tags".into(),
        serde_json::to_value(tags(data.get("tags"))).unwrap_or_default(),
    );
    run.insert("inputs".into(), Value::Object(inputs));
    if let Some(outputs) = value.get("outputs") {
        run.insert("outputs".into(), outputs.clone());
    }
    typed(run, "run")
}

/// The MLmodel YAML as a JSON object, signature parts decoded from their JSON strings.
pub fn mlmodel(yaml: &str) -> Result<Map<String, Value>, String> {
    let value: Value = serde_norway::from_str(yaml)
        .map_err(|e| format!("the MLmodel file is not valid YAML: {e}"))?;
    let Value::Object(mut m) = value else {
        return Err("the MLmodel file is not a YAML mapping".into());
    };
    if let Some(Value::Object(signature)) = m.get_mut("signature") {
        for part in ["inputs", "outputs", "params"] {
            if let Some(v) = signature.get(part).map(decoded) {
                signature.insert(part.into(), v);
            }
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mlmodel_signature_is_decoded() {
        let m = mlmodel("artifact_path: model\nsignature:\n  inputs: '[{\"type\": \"long\", \"name\": \"age\"}]'\n  params: null\n").unwrap();
        assert_eq!(m["signature"]["inputs"][0]["name"], "age");
        assert!(mlmodel("- a list").is_err());
        assert!(mlmodel(": : :\n\t").is_err());
    }

    #[test]
    fn run_lists_become_maps_and_datasets_are_decoded() {
        let wire = serde_json::json!({
            "info": {"run_uuid": "r1", "start_time": "5"},
            "data": {"params": [{"key": "C", "value": "0.5"}], "metrics": [{"key": "acc", "value": 0.9, "timestamp": 1, "step": "2"}]},
            "inputs": {"dataset_inputs": [{"dataset": {"name": "d", "source": "{\"uri\": \"s3://x\"}"}, "tags": [{"key": "mlflow.data.context", "value": "training"}]}]}
        });
        let run = run(&wire).unwrap();
        assert_eq!(run.info.run_id, "r1");
        assert_eq!(run.info.start_time, Some(5));
        assert_eq!(run.params["C"], "0.5");
        assert_eq!(run.metrics["acc"].step, Some(2));
        assert_eq!(
            run.inputs.dataset_inputs[0]
                .dataset
                .source
                .as_ref()
                .unwrap()["uri"],
            "s3://x"
        );
        assert_eq!(
            run.inputs.dataset_inputs[0].tags["mlflow.data.context"],
            "training"
        );
    }
}

/// A Unity Catalog `ModelVersionInfo` (2.1 REST) in MLflow's model-version shape, so the rest of
/// gathering and every rule see one shape. Renamed: `comment` → `description`, `created_at` →
/// `creation_timestamp`, `updated_at` → `last_updated_timestamp`, `created_by` → `user_id`,
/// version as a string, aliases as names; every other field is kept as sent.
pub fn uc_model_version(info: &Value) -> Value {
    let mut m = uc_common(info);
    if let Some(v) = m.get("version").cloned() {
        m.insert(
            "version".into(),
            Value::String(match v {
                Value::String(s) => s,
                other => other.to_string(),
            }),
        );
    }
    let aliases: Vec<Value> = m
        .get("aliases")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("alias_name").cloned())
        .collect();
    m.insert("aliases".into(), Value::Array(aliases));
    Value::Object(m)
}

/// A Unity Catalog `RegisteredModelInfo` in MLflow's registered-model shape (see
/// [`uc_model_version`]); aliases become `{alias, version}`.
pub fn uc_registered_model(info: &Value) -> Value {
    let mut m = uc_common(info);
    let aliases: Vec<Value> = m
        .get("aliases")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|a| {
            let version = match a.get("version_num") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            serde_json::json!({ "alias": a.get("alias_name").cloned().unwrap_or_default(), "version": version })
        })
        .collect();
    m.insert("aliases".into(), Value::Array(aliases));
    Value::Object(m)
}

/// The renames both UC shapes share, and the full three-level name as `name`.
fn uc_common(info: &Value) -> Map<String, Value> {
    let mut m = object(info);
    let full = full_name(&m);
    for (from, to) in [
        ("comment", "description"),
        ("created_at", "creation_timestamp"),
        ("updated_at", "last_updated_timestamp"),
        ("created_by", "user_id"),
    ] {
        rename(&mut m, from, to);
    }
    m.insert("name".into(), Value::String(full));
    m
}

fn rename(m: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(v) = m.remove(from) {
        m.insert(to.into(), v);
    }
}

/// `catalog.schema.model`, from `full_name` or the parts.
fn full_name(m: &Map<String, Value>) -> String {
    if let Some(full) = m.get("full_name").and_then(Value::as_str) {
        return full.to_string();
    }
    let part = |k: &str| {
        m.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let model = m
        .get("model_name")
        .or_else(|| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    format!("{}.{}.{model}", part("catalog_name"), part("schema_name"))
}

#[cfg(test)]
mod uc_tests {
    use super::*;

    #[test]
    fn uc_shapes_become_mlflow_shapes() {
        let v = uc_model_version(&serde_json::json!({
            "model_name": "churn", "catalog_name": "main", "schema_name": "ml", "version": 3,
            "comment": "retrained", "created_at": 1, "created_by": "a@x", "run_workspace_id": 42,
            "aliases": [{"alias_name": "champion", "version_num": 3}]
        }));
        assert_eq!(v["name"], "main.ml.churn");
        assert_eq!(v["version"], "3");
        assert_eq!(v["description"], "retrained");
        assert_eq!(v["aliases"], serde_json::json!(["champion"]));
        assert_eq!(v["run_workspace_id"], 42, "unknown fields are kept");
        let m = uc_registered_model(
            &serde_json::json!({"full_name": "main.ml.churn", "owner": "o", "aliases": [{"alias_name": "champion", "version_num": 3}]}),
        );
        assert_eq!(m["aliases"][0]["version"], "3");
        assert_eq!(m["owner"], "o");
    }
}
