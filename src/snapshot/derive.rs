//! Values derived from snapshot facts: formatted times, run duration, run-tag groups, JSON
//! tags "exploded" into tables, and the normalised permission entries of a Databricks ACL.
//!
//! Kept out of the snapshot itself so each fact is stored once; the report and the gatherers
//! call these functions.

use serde_json::Value;

use super::{PermissionEntry, PrincipalType, StringMap};
use crate::timefmt;

/// `YYYY-MM-DD HH:MM:SS` of an optional epoch-millisecond field.
pub fn format_time(ms: Option<i64>) -> Option<String> {
    ms.map(timefmt::format_millis)
}

/// Run duration in seconds (`154.397`), when both ends are known.
pub fn duration_seconds(start: Option<i64>, end: Option<i64>) -> Option<String> {
    let (start, end) = (start?, end?);
    let millis = end - start;
    let text = format!("{}.{:03}", millis.div_euclid(1000), millis.rem_euclid(1000));
    // 154.390 → 154.39, 12.000 → 12.0: the shortest form, as a float prints.
    let trimmed = text.trim_end_matches('0');
    Some(if trimmed.ends_with('.') {
        format!("{trimmed}0")
    } else {
        trimmed.to_string()
    })
}

/// A titled group of run tags.
pub struct TagGroup<'a> {
    pub title: &'static str,
    pub tags: Vec<(&'a str, &'a str)>,
    /// Shown (as "None found") even when empty.
    pub always: bool,
}

/// Groups run tags as the seed report does: Databricks families by prefix, then other
/// `mlflow.*` system tags, then user tags. The optional families appear only when non-empty.
pub fn group_run_tags(tags: &StringMap) -> Vec<TagGroup<'_>> {
    const FAMILIES: [(&str, &str); 6] = [
        ("Git Repo Tags", "mlflow.databricks.gitRepo"),
        ("Notebook Tags", "mlflow.databricks.notebook"),
        ("Cluster Tags", "mlflow.databricks.cluster"),
        ("Workspace Tags", "mlflow.databricks.w"),
        ("Source Tags", "mlflow.source."),
        ("Job Tags", "mlflow.databricks.job"),
    ];
    let mut groups: Vec<TagGroup> = FAMILIES
        .iter()
        .map(|(title, _)| TagGroup {
            title,
            tags: Vec::new(),
            always: false,
        })
        .collect();
    groups.push(TagGroup {
        title: "Other System Tags",
        tags: Vec::new(),
        always: true,
    });
    groups.push(TagGroup {
        title: "User Tags",
        tags: Vec::new(),
        always: true,
    });
    for (key, value) in tags {
        let index = FAMILIES
            .iter()
            .position(|(_, prefix)| key.starts_with(prefix))
            .unwrap_or(if key.starts_with("mlflow") {
                FAMILIES.len()
            } else {
                FAMILIES.len() + 1
            });
        groups[index].tags.push((key, value));
    }
    groups.retain(|g| g.always || !g.tags.is_empty());
    groups
}

/// A tag value that holds JSON, decoded; `None` when it is not JSON.
pub fn json_tag(tags: &StringMap, key: &str) -> Option<Value> {
    tags.get(key)
        .and_then(|v| serde_json::from_str::<Value>(v).ok())
}

/// One source of the `sparkDatasourceInfo` tag.
#[derive(Debug, PartialEq, Eq)]
pub struct SparkDatasource {
    pub format: String,
    pub version: String,
    pub path: String,
}

/// Parses `sparkDatasourceInfo`: one source per line, each `path=…,version=…,format=…`.
/// A path containing `,` keeps everything up to the next known key.
pub fn spark_datasources(tags: &StringMap) -> Vec<SparkDatasource> {
    let Some(info) = tags.get("sparkDatasourceInfo") else {
        return Vec::new();
    };
    info.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut source = SparkDatasource {
                format: String::new(),
                version: String::new(),
                path: String::new(),
            };
            let mut current: Option<&mut String> = None;
            for piece in line.split(',') {
                let known = piece.split_once('=').and_then(|(k, v)| match k.trim() {
                    "path" => Some((0, v)),
                    "version" => Some((1, v)),
                    "format" => Some((2, v)),
                    _ => None,
                });
                match known {
                    Some((slot, v)) => {
                        let field = match slot {
                            0 => &mut source.path,
                            1 => &mut source.version,
                            _ => &mut source.format,
                        };
                        v.clone_into(field);
                        current = Some(field);
                    }
                    None => {
                        if let Some(field) = current.as_deref_mut() {
                            field.push(',');
                            field.push_str(piece);
                        }
                    }
                }
            }
            source
        })
        .collect()
}

/// Normalises a Databricks Permissions API ACL (`{access_control_list: [...]}`) into one entry
/// per (principal, level).
pub fn databricks_acl_entries(acl: &Value) -> Vec<PermissionEntry> {
    let Some(list) = acl.get("access_control_list").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut entries = Vec::new();
    for item in list {
        let principal = [
            ("user_name", PrincipalType::User),
            ("group_name", PrincipalType::Group),
            ("service_principal_name", PrincipalType::ServicePrincipal),
        ]
        .into_iter()
        .find_map(|(key, kind)| item.get(key).and_then(Value::as_str).map(|p| (p, kind)));
        let Some((principal, principal_type)) = principal else {
            continue;
        };
        let display_name = item
            .get("display_name")
            .and_then(Value::as_str)
            .map(str::to_string);
        for permission in item
            .get("all_permissions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(level) = permission.get("permission_level").and_then(Value::as_str) else {
                continue;
            };
            entries.push(PermissionEntry {
                principal: principal.to_string(),
                principal_type,
                display_name: display_name.clone(),
                level: level.to_string(),
                inherited: permission
                    .get("inherited")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                inherited_from: permission
                    .get("inherited_from_object")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
            });
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> StringMap {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn duration_prints_like_a_float() {
        assert_eq!(
            duration_seconds(Some(1_686_639_222_719), Some(1_686_639_377_116)).as_deref(),
            Some("154.397")
        );
        assert_eq!(
            duration_seconds(Some(0), Some(12_000)).as_deref(),
            Some("12.0")
        );
        assert_eq!(
            duration_seconds(Some(0), Some(1_500)).as_deref(),
            Some("1.5")
        );
        assert_eq!(duration_seconds(None, Some(1)), None);
    }

    #[test]
    fn tags_fall_into_the_seed_groups() {
        let t = tags(&[
            ("mlflow.databricks.notebookID", "1"),
            ("mlflow.source.type", "NOTEBOOK"),
            ("mlflow.user", "me"),
            ("team", "risk"),
        ]);
        let groups: Vec<_> = group_run_tags(&t)
            .into_iter()
            .map(|g| (g.title, g.tags.len()))
            .collect();
        assert_eq!(
            groups,
            [
                ("Notebook Tags", 1),
                ("Source Tags", 1),
                ("Other System Tags", 1),
                ("User Tags", 1)
            ]
        );
    }

    #[test]
    fn spark_datasources_keep_commas_in_paths() {
        let t = tags(&[(
            "sparkDatasourceInfo",
            "path=dbfs:/a,b.delta,version=3,format=delta\npath=s3://x,format=parquet",
        )]);
        let sources = spark_datasources(&t);
        assert_eq!(sources.len(), 2);
        assert_eq!(sources[0].path, "dbfs:/a,b.delta");
        assert_eq!(sources[0].version, "3");
        assert_eq!(sources[1].format, "parquet");
    }

    #[test]
    fn acl_entries_cover_each_principal_kind() {
        let acl = serde_json::json!({"access_control_list": [
            {"group_name": "users", "all_permissions": [
                {"permission_level": "CAN_MANAGE", "inherited": true,
                 "inherited_from_object": ["/registered-models/"]}]},
            {"service_principal_name": "sp", "display_name": "bot",
             "all_permissions": [{"permission_level": "CAN_READ", "inherited": false}]},
            {"all_permissions": []}
        ]});
        let entries = databricks_acl_entries(&acl);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].principal_type, PrincipalType::Group);
        assert_eq!(entries[0].inherited_from, ["/registered-models/"]);
        assert_eq!(entries[1].display_name.as_deref(), Some("bot"));
    }
}
