//! The Run section: info, params, metrics, dataset inputs, tags by group and exploded tags.

use serde_json::Value;

use super::super::doc::{all_rows, cell, scalar_rows, Doc};
use super::{absence, opt, row, tag_rows, time_row, to_map};
use crate::snapshot::derive::{self, format_time};
use crate::snapshot::{Snapshot, StringMap};

pub(crate) fn run(doc: &mut Doc, s: &Snapshot) {
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
