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
