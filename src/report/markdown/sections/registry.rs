//! The Experiment, Registered Model and Registered Model Version sections, with their ACLs.

use serde_json::{Map, Value};

use super::super::doc::{cell, scalar_rows, Doc};
use super::{absence, opt, row, tag_rows, time_row, to_map};
use crate::snapshot::{ObjectPermissions, Snapshot};

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
            .map(|t| format!(" ({})", crate::report::escape_cell(t)))
            .unwrap_or_default();
        doc.paragraph(&format!(
            "ACL object: {}{kind}",
            crate::report::sanitize::markdown_code(object)
        ));
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

pub(crate) fn experiment(doc: &mut Doc, s: &Snapshot) {
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

pub(crate) fn registered_model(doc: &mut Doc, s: &Snapshot) {
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

pub(crate) fn model_version(doc: &mut Doc, s: &Snapshot) {
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
