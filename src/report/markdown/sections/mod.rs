//! The snapshot sections of the Markdown report, one module per group of sections, and the
//! small helpers they share.

mod comparison;
mod gathering;
mod model;
mod overview;
mod registry;
mod run;

pub(super) use comparison::{comparison, Layout, Limits};
pub(super) use gathering::gathering;
pub(super) use model::mlflow_model;
pub(super) use overview::overview;
pub(super) use registry::{experiment, model_version, registered_model};
pub(super) use run::run;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::snapshot::derive::format_time;
use crate::snapshot::{Snapshot, StringMap};

pub(super) fn to_map<T: Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

pub(super) fn opt(value: Option<&str>) -> String {
    value.unwrap_or_default().to_string()
}

pub(super) fn row(key: &str, value: impl Into<String>) -> (String, String) {
    (key.to_string(), value.into())
}

pub(super) fn time_row(key: &str, ms: Option<i64>) -> (String, String) {
    row(key, format_time(ms).unwrap_or_default())
}

pub(super) fn tag_rows(tags: &StringMap) -> Vec<(String, String)> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Why a section is absent: the failed call or the backend's reason, when recorded.
pub(super) fn absence(snapshot: &Snapshot, section: &str) -> String {
    if let Some(e) = snapshot.error_for(section) {
        format!("could not be gathered: {}", e.describe())
    } else if let Some(u) = snapshot.unavailable_for(section) {
        format!("not available: {}", u.reason)
    } else {
        "not in the snapshot".to_string()
    }
}
