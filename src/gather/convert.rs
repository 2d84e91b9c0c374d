//! Wire → snapshot: the typed responses of `wire` (and of each backend's own wire module,
//! once converted to MLflow's shapes) become snapshot sections. Lists of `{key, value}` become
//! ordered maps, JSON encoded inside JSON strings is decoded, and every field a wire type kept
//! in `extra` is carried into the section's `extra`, so the report shows it.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::wire;
use crate::snapshot::{
    AliasRef, Dataset, DatasetInput, Experiment, Metric, ModelVersion, RegisteredModel, Run,
    RunInfo, RunInputs, StringMap,
};

/// `[{key, value}]` → ordered map (a later duplicate key wins, as MLflow's client reads it).
pub(super) fn tags(list: Vec<wire::KeyValue>) -> StringMap {
    list.into_iter().map(|t| (t.key, t.value)).collect()
}

pub(super) fn registered_model(m: wire::RegisteredModel) -> RegisteredModel {
    RegisteredModel {
        name: m.name,
        creation_timestamp: m.creation_timestamp,
        last_updated_timestamp: m.last_updated_timestamp,
        user_id: m.user_id,
        description: m.description,
        id: m.id,
        permission_level: m.permission_level,
        latest_versions: m.latest_versions,
        tags: tags(m.tags),
        aliases: m
            .aliases
            .into_iter()
            .map(|a| AliasRef {
                alias: a.alias,
                version: a.version,
            })
            .collect(),
        extra: m.extra,
    }
}

pub(super) fn model_version(v: wire::ModelVersion, download_uri: Option<String>) -> ModelVersion {
    let mut extra = v.extra;
    // Named on the wire because gathering follows them; kept as facts like any other field.
    for (key, value) in [
        ("model_id", v.model_id),
        ("storage_location", v.storage_location),
    ] {
        if let Some(value) = value {
            extra.insert(key.into(), Value::String(value));
        }
    }
    ModelVersion {
        name: v.name,
        version: v.version,
        creation_timestamp: v.creation_timestamp,
        last_updated_timestamp: v.last_updated_timestamp,
        user_id: v.user_id,
        current_stage: v.current_stage,
        description: v.description,
        source: v.source,
        run_id: v.run_id,
        status: v.status,
        download_uri,
        aliases: v.aliases,
        tags: tags(v.tags),
        extra,
    }
}

pub(super) fn experiment(e: wire::Experiment) -> Experiment {
    Experiment {
        experiment_id: e.experiment_id,
        name: e.name,
        artifact_location: e.artifact_location,
        lifecycle_stage: e.lifecycle_stage,
        last_update_time: e.last_update_time,
        creation_time: e.creation_time,
        tags: tags(e.tags),
        extra: e.extra,
    }
}

/// A JSON string decoded, or the string itself when it is not JSON.
pub(super) fn decoded(value: Value) -> Value {
    match value {
        Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
        other => other,
    }
}

pub(super) fn run(r: wire::Run) -> Run {
    let info = r.info;
    let run_id = info
        .run_id
        .clone()
        .or_else(|| info.run_uuid.clone())
        .unwrap_or_default();
    let mut metrics = IndexMap::new();
    for m in r.data.metrics {
        metrics.insert(
            m.key,
            Metric {
                value: m.value,
                timestamp: m.timestamp,
                step: m.step,
                extra: m.extra,
            },
        );
    }
    let dataset_inputs = r
        .inputs
        .dataset_inputs
        .into_iter()
        .map(|d| DatasetInput {
            dataset: Dataset {
                name: d.dataset.name,
                digest: d.dataset.digest,
                source_type: d.dataset.source_type,
                source: d.dataset.source.map(decoded),
                schema: d.dataset.schema.map(decoded),
                profile: d.dataset.profile.map(decoded),
                extra: d.dataset.extra,
            },
            tags: tags(d.tags),
            extra: d.extra,
        })
        .collect();
    let mut extra = r.extra;
    // Fields `run.data` may grow are kept beside the sections they would belong to.
    if !r.data.extra.is_empty() {
        extra.insert("data".into(), Value::Object(r.data.extra));
    }
    Run {
        info: RunInfo {
            run_id,
            run_uuid: info.run_uuid,
            experiment_id: info.experiment_id,
            run_name: info.run_name,
            user_id: info.user_id,
            status: info.status,
            start_time: info.start_time,
            end_time: info.end_time,
            artifact_uri: info.artifact_uri,
            lifecycle_stage: info.lifecycle_stage,
            extra: info.extra,
        },
        params: tags(r.data.params),
        metrics,
        tags: tags(r.data.tags),
        inputs: RunInputs {
            dataset_inputs,
            extra: r.inputs.extra,
        },
        outputs: r
            .outputs
            .map(|o| serde_json::to_value(o).unwrap_or(Value::Null)),
        extra,
    }
}

/// The logged model as the snapshot keeps it (`extra.logged_model`), the same for a
/// `models:/m-…` reference and a version registered from one: `info` and `data` as returned,
/// and beside them what rules select the way they select a run's: `params{}`, `metrics{}`
/// (metric → `{value, timestamp, step, dataset_name, …}`, the last in server order, as
/// `run.metrics`) and `tags{}` (from `info.tags`). MLflow 3 sends each metric once per dataset
/// it was evaluated on; every entry stays in `data.metrics`.
pub(super) fn logged_model(m: &wire::LoggedModel) -> Value {
    let whole = serde_json::to_value(m).unwrap_or(Value::Null);
    let entries = |v: Option<&Value>| -> Vec<Map<String, Value>> {
        v.and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.as_object().cloned())
                    .collect()
            })
            .unwrap_or_default()
    };
    // `{key, value}` lists as maps; an entry without a string key is left out (it stays in
    // the answer kept whole).
    let by_key = |list: Vec<Map<String, Value>>, whole_entry: bool| -> Map<String, Value> {
        let mut out = Map::new();
        for mut entry in list {
            let Some(Value::String(key)) = entry.remove("key") else {
                continue;
            };
            let value = if whole_entry {
                Value::Object(entry)
            } else {
                entry.remove("value").unwrap_or(Value::Null)
            };
            out.insert(key, value);
        }
        out
    };
    let info = whole.get("info").cloned().unwrap_or(Value::Null);
    let data = whole.get("data");
    let mut out = Map::new();
    out.insert(
        "params".into(),
        Value::Object(by_key(entries(data.and_then(|d| d.get("params"))), false)),
    );
    out.insert(
        "metrics".into(),
        Value::Object(by_key(entries(data.and_then(|d| d.get("metrics"))), true)),
    );
    out.insert(
        "tags".into(),
        Value::Object(by_key(entries(info.get("tags")), false)),
    );
    if let Value::Object(fields) = whole {
        out.extend(fields);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_model_keeps_its_answer_and_gets_maps_to_select() {
        let wire: wire::LoggedModel = serde_json::from_value(serde_json::json!({
            "info": {"model_id": "m-1", "status": "LOGGED_MODEL_READY",
                     "tags": [{"key": "framework", "value": "sklearn"}]},
            "data": {
                "params": [{"key": "C", "value": "0.5"}, {"value": "no key"}],
                "metrics": [
                    {"key": "accuracy", "value": 0.7, "timestamp": 1, "step": 0},
                    {"key": "accuracy", "value": 0.8, "timestamp": 2, "step": 0,
                     "dataset_name": "test"},
                ]
            },
            "future": true
        }))
        .unwrap();
        let lm = logged_model(&wire);
        assert_eq!(lm["params"], serde_json::json!({"C": "0.5"}));
        assert_eq!(lm["tags"], serde_json::json!({"framework": "sklearn"}));
        assert_eq!(
            lm["metrics"]["accuracy"],
            serde_json::json!({"value": 0.8, "timestamp": 2, "step": 0, "dataset_name": "test"}),
            "the last in server order, as run.metrics"
        );
        assert_eq!(lm["data"]["metrics"].as_array().unwrap().len(), 2);
        assert_eq!(lm["info"]["status"], "LOGGED_MODEL_READY");
        assert_eq!(lm["future"], true);
        let bare: wire::LoggedModel =
            serde_json::from_value(serde_json::json!({"info": {}})).unwrap();
        let bare = logged_model(&bare);
        assert_eq!(bare["metrics"], serde_json::json!({}));
        assert!(bare.get("data").is_none());
    }

    #[test]
    fn run_lists_become_maps_and_datasets_are_decoded() {
        let wire: wire::Run = serde_json::from_value(serde_json::json!({
            "info": {"run_uuid": "r1", "start_time": "5", "future_info": 1},
            "data": {"params": [{"key": "C", "value": "0.5"}], "metrics": [{"key": "acc", "value": 0.9, "timestamp": 1, "step": "2"}], "future_data": true},
            "inputs": {"dataset_inputs": [{"dataset": {"name": "d", "source": "{\"uri\": \"s3://x\"}"}, "tags": [{"key": "mlflow.data.context", "value": "training"}]}]}
        }))
        .unwrap();
        let run = run(wire);
        assert_eq!(run.info.run_id, "r1");
        assert_eq!(run.info.start_time, Some(5));
        assert_eq!(run.info.extra["future_info"], 1);
        assert_eq!(run.extra["data"]["future_data"], true);
        assert_eq!(run.params["C"], "0.5");
        assert_eq!(run.metrics["acc"].step, Some(2));
        let input = &run.inputs.dataset_inputs[0];
        assert_eq!(input.dataset.source.as_ref().unwrap()["uri"], "s3://x");
        assert_eq!(input.tags["mlflow.data.context"], "training");
    }
}
