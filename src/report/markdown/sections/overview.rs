//! The Overview dashboard: the seed's summary tables, links, and who made the report.

use serde_json::{Map, Value};

use super::super::doc::{cell, Doc};
use super::{opt, row, time_row};
use crate::report::thousands;
use crate::snapshot::derive::{self};
use crate::snapshot::Snapshot;

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

/// The dashboard: one two-column table per thing the report is about, in the seed's order.
pub(crate) fn overview(doc: &mut Doc, s: &Snapshot) {
    doc.heading(1, "Overview");
    doc.heading(2, "Dashboard");
    let empty = Map::new();
    let mlmodel = s.mlflow_model.as_ref().unwrap_or(&empty);
    model_tables(doc, s, mlmodel);
    run_tables(doc, s, mlmodel);
    server_tables(doc, s);
}

/// MLflow Model, Registered Model Version, Registered Model.
fn model_tables(doc: &mut Doc, s: &Snapshot, mlmodel: &Map<String, Value>) {
    let uri = s.model_uri();
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
}

/// Run, Experiment, Source Code.
fn run_tables(doc: &mut Doc, s: &Snapshot, mlmodel: &Map<String, Value>) {
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
}

/// Server, Links, Other.
fn server_tables(doc: &mut Doc, s: &Snapshot) {
    let run_tag = |k: &str| {
        opt(s
            .run
            .as_ref()
            .and_then(|r| r.tags.get(k))
            .map(String::as_str))
    };
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
