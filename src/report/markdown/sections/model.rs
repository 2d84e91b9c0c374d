//! The MLflow Model section: MLmodel details, flavors, signature, input example, metadata,
//! logged model and artifact files.

use serde_json::{Map, Value};

use super::super::doc::{all_rows, cell, scalar_rows, Doc};
use super::{absence, row};
use crate::report::thousands;
use crate::snapshot::Snapshot;

/// The MLmodel file and what was read beside it (input example, logged model, artifact list).
pub(crate) fn mlflow_model(doc: &mut Doc, s: &Snapshot) {
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
    signature(doc, m);
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

/// The signature's inputs, outputs and params, as the seed lays them out.
fn signature(doc: &mut Doc, m: &Map<String, Value>) {
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
