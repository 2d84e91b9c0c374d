//! What could not be gathered, and the manifest.

use serde_json::{Map, Value};

use super::super::doc::{all_rows, Doc};
use super::to_map;
use crate::snapshot::Snapshot;

/// Everything that could not be gathered, in one place.
pub(crate) fn gathering(doc: &mut Doc, s: &Snapshot) {
    doc.heading(1, "Gathering");
    doc.heading(2, "Errors");
    // One line per failed call, in the words every other output uses: the full URL, the
    // attempts and the class (`GatherError::describe`).
    let rows: Vec<Vec<String>> = s
        .errors
        .iter()
        .map(|e| vec![e.section.clone(), e.describe()])
        .collect();
    if rows.is_empty() {
        doc.none_found(None);
    } else {
        doc.table(&["Section", "Failure"], &rows);
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
