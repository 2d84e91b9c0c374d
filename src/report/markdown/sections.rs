//! The snapshot sections of the Markdown report, one function per top-level section.

use serde::Serialize;
use serde_json::{Map, Value};

use super::doc::{all_rows, cell, scalar_rows, Doc};
use crate::report::thousands;
use crate::snapshot::derive::{self, format_time};
use crate::snapshot::{ObjectPermissions, Snapshot, StringMap};

fn to_map<T: Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn opt(value: Option<&str>) -> String {
    value.unwrap_or_default().to_string()
}

fn row(key: &str, value: impl Into<String>) -> (String, String) {
    (key.to_string(), value.into())
}

fn time_row(key: &str, ms: Option<i64>) -> (String, String) {
    row(key, format_time(ms).unwrap_or_default())
}

fn tag_rows(tags: &StringMap) -> Vec<(String, String)> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Why a section is absent: the failed call or the backend's reason, when recorded.
fn absence(snapshot: &Snapshot, section: &str) -> String {
    if let Some(e) = snapshot.error_for(section) {
        let status = e
            .http_status
            .map(|s| format!(" (HTTP {s})"))
            .unwrap_or_default();
        format!("could not be gathered: {}{status}: {}", e.call, e.message)
    } else if let Some(u) = snapshot.unavailable_for(section) {
        format!("not available: {}", u.reason)
    } else {
        "not in the snapshot".to_string()
    }
}

/// `mlflow.transformers` and its version, as the seed derives them from the flavors.
fn flavor_summary(mlmodel: &Map<String, Value>) -> (String, String) {
    let Some(flavors) = mlmodel.get("flavors").and_then(Value::as_object) else {
        return (String::new(), String::new());
    };
    let loader = flavors
        .get("python_function")
        .and_then(|f| f.get("loader_module"))
        .and_then(Value::as_str);
    let native = flavors.iter().find(|(name, _)| *name != "python_function");
    let version = native
        .and_then(|(_, f)| f.as_object())
        .and_then(|f| f.iter().find(|(k, _)| k.ends_with("_version")))
        .map(|(_, v)| cell(v))
        .unwrap_or_default();
    let flavor = loader
        .map(str::to_string)
        .or_else(|| native.map(|(name, _)| name.clone()))
        .unwrap_or_default();
    (flavor, version)
}

pub fn overview(doc: &mut Doc, s: &Snapshot) {
    doc.heading(1, "Overview");
    doc.heading(2, "Dashboard");
    let uri = s.model_uri();
    let empty = Map::new();
    let mlmodel = s.mlflow_model.as_ref().unwrap_or(&empty);
    let text = |key: &str| mlmodel.get(key).map(cell).unwrap_or_default();
    let (flavor, flavor_version) = flavor_summary(mlmodel);
    let created = text("utc_time_created");
    doc.caption("MLflow Model");
    doc.pairs(
        "Name",
        vec![
            row("model_uri", uri.clone()),
            row("flavor", flavor),
            row("flavor_version", flavor_version),
            row("mlflow_version", text("mlflow_version")),
            row(
                "size_bytes",
                s.artifacts
                    .as_ref()
                    .and_then(|a| a.size_bytes)
                    .or_else(|| mlmodel.get("model_size_bytes").and_then(Value::as_u64))
                    .map(thousands)
                    .unwrap_or_default(),
            ),
            row("databricks_runtime", text("databricks_runtime")),
            row(
                "time_created",
                created.split('.').next().unwrap_or_default(),
            ),
        ],
    );
    if let Some(v) = &s.model_version {
        doc.caption("Registered Model Version");
        doc.pairs(
            "Name",
            vec![
                row("model_uri", uri.clone()),
                row("model_name", v.name.clone()),
                row("version", v.version.clone()),
                row("version_stage", opt(v.current_stage.as_deref())),
                row("version_aliases", v.aliases.join(", ")),
                row("version_description", opt(v.description.as_deref())),
                row("version_user", opt(v.user_id.as_deref())),
                time_row("creation_timestamp", v.creation_timestamp),
                time_row("last_updated_timestamp", v.last_updated_timestamp),
            ],
        );
    }
    if let Some(m) = &s.registered_model {
        doc.caption("Registered Model");
        doc.pairs(
            "Name",
            vec![
                row("model_name", m.name.clone()),
                row("model_description", opt(m.description.as_deref())),
                time_row("creation_timestamp", m.creation_timestamp),
                time_row("last_updated_timestamp", m.last_updated_timestamp),
            ],
        );
    }
    if let Some(r) = &s.run {
        let path = mlmodel
            .get("artifact_path")
            .and_then(Value::as_str)
            .or(s.target.artifact_path.as_deref())
            .unwrap_or("model");
        doc.caption("Run");
        doc.pairs(
            "Name",
            vec![
                row("model_run_uri", format!("runs:/{}/{path}", r.info.run_id)),
                row("run_id", r.info.run_id.clone()),
                row("run_name", opt(r.info.run_name.as_deref())),
                row(
                    "run_description",
                    opt(r.tags.get("mlflow.note.content").map(String::as_str)),
                ),
                row(
                    "run_user",
                    opt(r.tags.get("mlflow.user").map(String::as_str)),
                ),
                time_row("start_time", r.info.start_time),
                time_row("end_time", r.info.end_time),
                row(
                    "duration_seconds",
                    derive::duration_seconds(r.info.start_time, r.info.end_time)
                        .unwrap_or_default(),
                ),
            ],
        );
    }
    if let Some(e) = &s.experiment {
        let tag = |k: &str| opt(e.tags.get(k).map(String::as_str));
        doc.caption("Experiment");
        doc.pairs(
            "Name",
            vec![
                row("experiment_id", e.experiment_id.clone()),
                row("experiment_name", opt(e.name.as_deref())),
                row("experiment_description", tag("mlflow.note.content")),
                row("experiment_type", tag("mlflow.experimentType")),
                row(
                    "experiment_source_type",
                    tag("mlflow.experiment.sourceType"),
                ),
                row("experiment_owner", tag("mlflow.ownerEmail")),
                time_row("creation_time", e.creation_time),
                time_row("last_update_time", e.last_update_time),
            ],
        );
    }
    let run_tag = |k: &str| {
        opt(s
            .run
            .as_ref()
            .and_then(|r| r.tags.get(k))
            .map(String::as_str))
    };
    doc.caption("Source Code");
    doc.pairs(
        "Name",
        vec![
            row("source_name", run_tag("mlflow.source.name")),
            row("source_type", run_tag("mlflow.source.type")),
        ],
    );
    doc.caption("Server");
    doc.pairs(
        "Name",
        vec![
            row(
                "mlflow_tracking_uri",
                opt(s.manifest.tracking_uri.as_deref()),
            ),
            row("web_app_url", run_tag("mlflow.databricks.webappURL")),
            row("workspace_url", run_tag("mlflow.databricks.workspaceURL")),
            row("workspace_id", run_tag("mlflow.databricks.workspaceID")),
        ],
    );
    let links = derive::links(s);
    let link_rows: Vec<(String, String)> = [
        ("model_version_url", &links.model_version),
        ("registered_model_url", &links.registered_model),
        ("run_url", &links.run),
        ("experiment_url", &links.experiment),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v)))
    .collect();
    if !link_rows.is_empty() {
        doc.caption("Links");
        doc.pairs("Name", link_rows);
    }
    doc.caption("Other");
    let report_time = crate::timefmt::parse_instant(&s.manifest.gathered_at).map_or_else(
        || s.manifest.gathered_at.clone(),
        crate::timefmt::format_epoch_seconds,
    );
    doc.pairs(
        "Name",
        vec![
            row("report_time", report_time),
            row("report_script", s.manifest.gathered_by.clone()),
        ],
    );
}

pub fn mlflow_model(doc: &mut Doc, s: &Snapshot) {
    doc.heading(1, "MLflow Model");
    let Some(m) = &s.mlflow_model else {
        doc.heading(2, "Model Info Details");
        doc.none_found(Some(&absence(s, "mlflow_model")));
        return;
    };
    doc.heading(2, "Model Info Details");
    doc.pairs("Name", scalar_rows(m));
    doc.heading(2, "Flavors");
    match m.get("flavors").and_then(Value::as_object) {
        Some(flavors) if !flavors.is_empty() => {
            for (name, flavor) in flavors {
                doc.heading(3, &format!("Flavor '{name}'"));
                match flavor.as_object() {
                    Some(fields) => doc.pairs("Name", all_rows(fields)),
                    None => doc.pairs("Name", vec![row("value", cell(flavor))]),
                }
            }
        }
        _ => doc.none_found(None),
    }
    doc.heading(2, "Signature");
    match m.get("signature").and_then(Value::as_object) {
        Some(signature) => {
            let columns = |key: &str| -> Vec<Value> {
                signature
                    .get(key)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            };
            doc.heading(3, "Inputs");
            let inputs: Vec<(String, String)> = columns("inputs")
                .iter()
                .map(|c| (field(c, "name"), type_text(c)))
                .collect();
            doc.pairs_with("Column", "Type", inputs);
            doc.heading(3, "Outputs");
            let outputs: Vec<(String, String)> = columns("outputs")
                .iter()
                .map(|c| {
                    (
                        field(c, "type"),
                        c.get("tensor-spec").map_or_else(|| field(c, "name"), cell),
                    )
                })
                .collect();
            doc.pairs_with("Type name", "Type value", outputs);
            if let Some(params) = signature.get("params").filter(|p| !p.is_null()) {
                doc.heading(3, "Params");
                let rows = params.as_array().map_or_else(
                    || vec![row("params", cell(params))],
                    |list| list.iter().map(|p| (field(p, "name"), cell(p))).collect(),
                );
                doc.pairs("Name", rows);
            }
        }
        None => doc.none_found(None),
    }
    doc.heading(2, "Saved input example info");
    match m.get("saved_input_example_info").and_then(Value::as_object) {
        Some(info) => doc.pairs("Name", all_rows(info)),
        None => doc.none_found(None),
    }
    if let Some(metadata) = m.get("metadata").filter(|v| !v.is_null()) {
        doc.heading(2, "Metadata");
        match metadata.as_object() {
            Some(fields) => doc.pairs("Name", all_rows(fields)),
            None => doc.pairs("Name", vec![row("metadata", cell(metadata))]),
        }
    }
    let others: Map<String, Value> = m
        .iter()
        .filter(|(k, v)| {
            (v.is_object() || v.is_array())
                && ![
                    "flavors",
                    "signature",
                    "saved_input_example_info",
                    "metadata",
                ]
                .contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !others.is_empty() {
        doc.heading(2, "Other MLmodel fields");
        doc.pairs("Name", all_rows(&others));
    }
    if let Some(example) = s.extra.get("input_example") {
        doc.heading(2, "Input example");
        doc.json_block(example);
    }
    if let Some(logged_model) = s.extra.get("logged_model") {
        doc.heading(2, "Logged model");
        doc.json_block(logged_model);
    }
    if let Some(a) = &s.artifacts {
        if !a.files.is_empty() {
            doc.heading(2, "Artifacts");
            let rows: Vec<Vec<String>> = a
                .files
                .iter()
                .map(|f| {
                    vec![
                        f.path.clone(),
                        f.size_bytes.map(thousands).unwrap_or_default(),
                    ]
                })
                .collect();
            doc.table(&["Path", "Size (bytes)"], &rows);
        }
    }
}

fn field(value: &Value, key: &str) -> String {
    value.get(key).map(cell).unwrap_or_default()
}

/// A signature column's type: the type name, or the tensor spec for tensors.
fn type_text(column: &Value) -> String {
    match (column.get("type"), column.get("tensor-spec")) {
        (Some(Value::String(t)), Some(spec)) if t == "tensor" => format!("tensor {}", cell(spec)),
        (Some(t), _) => cell(t),
        (None, _) => cell(column),
    }
}

pub fn run(doc: &mut Doc, s: &Snapshot) {
    doc.heading(1, "Run");
    let Some(r) = &s.run else {
        doc.heading(2, "Info");
        doc.none_found(Some(&absence(s, "run")));
        return;
    };
    doc.heading(2, "Info");
    let mut info = scalar_rows(&to_map(&r.info));
    info.push(time_row("_start_time", r.info.start_time));
    info.push(time_row("_end_time", r.info.end_time));
    info.push(row(
        "_duration",
        derive::duration_seconds(r.info.start_time, r.info.end_time).unwrap_or_default(),
    ));
    info.push(row(
        "_experiment_name",
        opt(s.experiment.as_ref().and_then(|e| e.name.as_deref())),
    ));
    doc.pairs("Name", info);
    doc.heading(2, "Params");
    doc.pairs_with("Param", "Value", tag_rows(&r.params));
    doc.heading(2, "Metrics");
    if r.metrics.is_empty() {
        doc.none_found(None);
    } else {
        let rows: Vec<Vec<String>> = r
            .metrics
            .iter()
            .map(|(k, m)| {
                vec![
                    k.clone(),
                    cell(&m.value),
                    m.step.map(|s| s.to_string()).unwrap_or_default(),
                    format_time(m.timestamp).unwrap_or_default(),
                ]
            })
            .collect();
        doc.table(&["Metric", "Value", "Step", "Time"], &rows);
    }
    doc.heading(2, "Inputs");
    if r.inputs.dataset_inputs.is_empty() {
        doc.none_found(None);
    } else {
        let rows: Vec<Vec<String>> = r
            .inputs
            .dataset_inputs
            .iter()
            .map(|d| {
                let ds = &d.dataset;
                vec![
                    ds.name.clone(),
                    opt(ds.digest.as_deref()),
                    opt(d.tags.get("mlflow.data.context").map(String::as_str)),
                    opt(ds.source_type.as_deref()),
                    ds.source.as_ref().map(cell).unwrap_or_default(),
                    ds.schema.as_ref().map(cell).unwrap_or_default(),
                    if d.tags.is_empty() {
                        String::new()
                    } else {
                        cell(&serde_json::to_value(&d.tags).unwrap_or(Value::Null))
                    },
                ]
            })
            .collect();
        doc.table(
            &[
                "Dataset",
                "Digest",
                "Context",
                "Source type",
                "Source",
                "Schema",
                "Tags",
            ],
            &rows,
        );
    }
    if !r.inputs.extra.is_empty() {
        doc.heading(3, "Other inputs");
        doc.pairs("Name", all_rows(&r.inputs.extra));
    }
    if let Some(outputs) = &r.outputs {
        doc.heading(2, "Outputs");
        doc.json_block(outputs);
    }
    doc.heading(2, "Tags");
    for group in derive::group_run_tags(&r.tags) {
        doc.heading(3, group.title);
        let rows = group
            .tags
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        doc.pairs("Key", rows);
    }
    exploded_tags(doc, &r.tags);
}

fn exploded_tags(doc: &mut Doc, tags: &StringMap) {
    const SOURCES: [&str; 3] = [
        "sparkDatasourceInfo",
        "mlflow.databricks.cluster.info",
        "mlflow.databricks.cluster.libraries",
    ];
    if !SOURCES.iter().any(|k| tags.contains_key(*k)) {
        return;
    }
    doc.heading(3, "Exploded Tags");
    doc.heading(4, "Spark Datasources");
    let sources: Vec<Vec<String>> = derive::spark_datasources(tags)
        .into_iter()
        .map(|d| vec![d.format, d.version, d.path])
        .collect();
    if sources.is_empty() {
        doc.none_found(None);
    } else {
        doc.table(&["Format", "Version", "Path"], &sources);
    }
    doc.heading(4, "Cluster Info");
    let mut info = Vec::new();
    if let Some(id) = tags.get("mlflow.databricks.cluster.id") {
        info.push(row("cluster_id", id.clone()));
    }
    match derive::json_tag(tags, "mlflow.databricks.cluster.info") {
        Some(Value::Object(fields)) => info.extend(all_rows(&fields)),
        Some(other) => info.push(row("cluster.info", cell(&other))),
        None => {}
    }
    doc.pairs("Key", info);
    doc.heading(4, "Cluster Libraries");
    match derive::json_tag(tags, "mlflow.databricks.cluster.libraries") {
        Some(Value::Object(fields)) => doc.pairs("Key", all_rows(&fields)),
        Some(other) => doc.pairs("Key", vec![row("libraries", cell(&other))]),
        None => doc.none_found(None),
    }
    if let Some(error) = tags.get("mlflow.databricks.cluster.libraries.error") {
        doc.pairs("Key", vec![row("error", error.clone())]);
    }
}

fn permissions(doc: &mut Doc, s: &Snapshot, section: &str, p: Option<&ObjectPermissions>) {
    doc.heading(2, "Permissions");
    let error = s.error_for(section);
    let Some(p) = p.filter(|p| p.raw.is_some() || p.permission_levels.is_some() || error.is_some())
    else {
        doc.none_found(Some(&absence(s, section)));
        return;
    };
    let mut shown = Map::new();
    if let Some(levels) = &p.permission_levels {
        // The permissionLevels response is `{permission_levels: [...]}`; show its list, as the seed does.
        shown.insert(
            "permission_levels".into(),
            levels
                .get("permission_levels")
                .cloned()
                .unwrap_or_else(|| levels.clone()),
        );
    }
    match (&p.raw, error) {
        (Some(raw), _) => {
            shown.insert("permissions".into(), raw.clone());
        }
        (None, Some(e)) => {
            shown.insert("permissions".into(), serde_json::json!({ "error": e }));
        }
        (None, None) => {}
    }
    if let Some(object) = &p.object_id {
        let kind = p
            .object_type
            .as_deref()
            .map(|t| format!(" ({t})"))
            .unwrap_or_default();
        doc.paragraph(&format!("ACL object: `{object}`{kind}"));
    }
    doc.json_block(&Value::Object(shown));
    if let Some(entries) = &p.entries {
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|e| {
                vec![
                    e.principal.clone(),
                    cell(&serde_json::to_value(e.principal_type).unwrap_or(Value::Null)),
                    e.level.clone(),
                    e.inherited.to_string(),
                    e.inherited_from.join(", "),
                ]
            })
            .collect();
        doc.table(
            &["Principal", "Type", "Level", "Inherited", "Inherited from"],
            &rows,
        );
    }
}

pub fn experiment(doc: &mut Doc, s: &Snapshot) {
    doc.heading(1, "Experiment");
    doc.heading(2, "Details");
    let Some(e) = &s.experiment else {
        doc.none_found(Some(&absence(s, "experiment")));
        return;
    };
    let mut rows = scalar_rows(&to_map(e));
    rows.push(time_row("_last_update_time", e.last_update_time));
    rows.push(time_row("_creation_time", e.creation_time));
    rows.push(row(
        "_tracking_uri",
        opt(s.manifest.tracking_uri.as_deref()),
    ));
    doc.pairs("Name", rows);
    doc.heading(2, "Tags");
    doc.pairs("Name", tag_rows(&e.tags));
    permissions(
        doc,
        s,
        "permissions.experiment",
        s.permissions.experiment.as_ref(),
    );
}

pub fn registered_model(doc: &mut Doc, s: &Snapshot) {
    doc.heading(1, "Registered Model");
    doc.heading(2, "Details");
    let Some(m) = &s.registered_model else {
        doc.none_found(Some(&absence(s, "registered_model")));
        return;
    };
    let mut rows = scalar_rows(&to_map(m));
    rows.push(time_row("_creation_timestamp", m.creation_timestamp));
    rows.push(time_row(
        "_last_updated_timestamp",
        m.last_updated_timestamp,
    ));
    rows.push(row("latest_versions", m.latest_versions.len().to_string()));
    rows.push(row(
        "aliases",
        cell(&serde_json::to_value(&m.aliases).unwrap_or(Value::Null)),
    ));
    rows.push(row(
        "_tracking_uri",
        opt(s.manifest.tracking_uri.as_deref()),
    ));
    doc.pairs("Name", rows);
    doc.heading(2, "Tags");
    doc.pairs("Name", tag_rows(&m.tags));
    permissions(
        doc,
        s,
        "permissions.registered_model",
        s.permissions.registered_model.as_ref(),
    );
}

pub fn model_version(doc: &mut Doc, s: &Snapshot) {
    doc.heading(1, "Registered Model Version");
    doc.heading(2, "Details");
    let Some(v) = &s.model_version else {
        doc.none_found(Some(&absence(s, "model_version")));
        return;
    };
    let mut map = to_map(v);
    let download_uri = map.shift_remove("download_uri");
    let mut rows = scalar_rows(&map);
    rows.push(row("aliases", v.aliases.join(", ")));
    rows.push(row(
        "_download_uri",
        download_uri.as_ref().map(cell).unwrap_or_default(),
    ));
    rows.push(time_row("_creation_timestamp", v.creation_timestamp));
    rows.push(time_row(
        "_last_updated_timestamp",
        v.last_updated_timestamp,
    ));
    doc.pairs("Name", rows);
    doc.heading(2, "Tags");
    doc.pairs("Name", tag_rows(&v.tags));
    doc.heading(2, "Transition Requests");
    match &s.transition_requests {
        Some(requests) if !requests.is_empty() => doc.json_block(&Value::Array(requests.clone())),
        Some(_) => doc.none_found(None),
        None => doc.none_found(Some(&absence(s, "transition_requests"))),
    }
}

/// Everything that could not be gathered, in one place.
pub fn gathering(doc: &mut Doc, s: &Snapshot) {
    doc.heading(1, "Gathering");
    doc.heading(2, "Errors");
    let rows: Vec<Vec<String>> = s
        .errors
        .iter()
        .map(|e| {
            vec![
                e.section.clone(),
                e.call.clone(),
                e.http_status.map(|s| s.to_string()).unwrap_or_default(),
                opt(e.error_code.as_deref()),
                e.message.clone(),
            ]
        })
        .collect();
    if rows.is_empty() {
        doc.none_found(None);
    } else {
        doc.table(
            &["Section", "Call", "HTTP status", "Error code", "Message"],
            &rows,
        );
    }
    doc.heading(2, "Not available");
    let rows: Vec<Vec<String>> = s
        .unavailable
        .iter()
        .map(|u| vec![u.section.clone(), u.reason.clone()])
        .collect();
    if rows.is_empty() {
        doc.none_found(None);
    } else {
        doc.table(&["Section", "Reason"], &rows);
    }
    doc.heading(2, "Manifest");
    doc.pairs("Name", all_rows(&to_map(&s.manifest)));
    let others: Map<String, Value> = s
        .extra
        .iter()
        .filter(|(k, _)| !["input_example", "logged_model"].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !others.is_empty() {
        doc.heading(2, "Other facts");
        doc.json_block(&Value::Object(others));
    }
}
