//! Values derived from snapshot facts: formatted times, run duration, run-tag groups, JSON
//! tags "exploded" into tables, Spark data sources and deep links into the UI.
//!
//! Kept out of the snapshot itself so each fact is stored once; the reports call these
//! functions.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

use super::StringMap;
use crate::timefmt;

/// `YYYY-MM-DD HH:MM:SS` of an optional epoch-millisecond field.
pub fn format_time(ms: Option<i64>) -> Option<String> {
    ms.map(timefmt::format_millis)
}

/// Run duration in seconds (`154.397`), when both ends are known.
pub fn duration_seconds(start: Option<i64>, end: Option<i64>) -> Option<String> {
    let millis = end?.checked_sub(start?)?;
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
}

/// Links to the gathered objects in the tracking server's web UI.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Links {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registered_model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experiment: Option<String>,
}

/// Deep links into the UI: the open-source MLflow UI (`#/models/...`), the Databricks
/// workspace UI (`#mlflow/...`) or Catalog Explorer for Unity Catalog models. The base is the
/// server the facts came from, or the workspace URL the run recorded.
pub fn links(s: &super::Snapshot) -> Links {
    let backend = s.manifest.backend.unwrap_or(super::Backend::MlflowOss);
    let base = s
        .manifest
        .extra
        .get("ui_url")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            s.run
                .as_ref()
                .and_then(|r| r.tags.get("mlflow.databricks.webappURL").cloned())
        })
        .or_else(|| {
            s.manifest
                .tracking_uri
                .clone()
                .filter(|u| u.starts_with("http"))
        });
    // A link base is never a place for credentials: a recorded tag or URI may carry them.
    let base = base.map(|b| crate::url::shown(&b));
    let Some(base) = base.map(|b| b.trim_end_matches('/').to_string()) else {
        return Links::default();
    };
    let name = s.target.name.clone();
    let version = s.target.version.clone();
    let (model, model_version) = match (backend, &name, &version) {
        (super::Backend::UnityCatalog, Some(n), v) => {
            let path = n.split('.').map(encode).collect::<Vec<_>>().join("/");
            (
                Some(format!("{base}/explore/data/models/{path}")),
                v.as_ref()
                    .map(|v| format!("{base}/explore/data/models/{path}/version/{v}")),
            )
        }
        (super::Backend::DatabricksWorkspace, Some(n), v) => (
            Some(format!("{base}/#mlflow/models/{}", encode(n))),
            v.as_ref()
                .map(|v| format!("{base}/#mlflow/models/{}/versions/{v}", encode(n))),
        ),
        (_, Some(n), v) => (
            Some(format!("{base}/#/models/{}", encode(n))),
            v.as_ref()
                .map(|v| format!("{base}/#/models/{}/versions/{v}", encode(n))),
        ),
        _ => (None, None),
    };
    let prefix = if backend.is_databricks() {
        "#mlflow"
    } else {
        "#"
    };
    let experiment_id = s
        .experiment
        .as_ref()
        .map(|e| e.experiment_id.clone())
        .or_else(|| s.run.as_ref().and_then(|r| r.info.experiment_id.clone()));
    let run_id = s.run.as_ref().map(|r| r.info.run_id.clone());
    Links {
        model_version,
        registered_model: model,
        run: match (&experiment_id, &run_id) {
            (Some(e), Some(r)) => Some(format!("{base}/{prefix}/experiments/{e}/runs/{r}")),
            _ => None,
        },
        experiment: experiment_id.map(|e| format!("{base}/{prefix}/experiments/{e}")),
    }
}

/// Percent-encoding of a URL path segment: everything but RFC 3986's unreserved characters.
fn encode(segment: &str) -> String {
    const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    utf8_percent_encode(segment, RESERVED).to_string()
}

#[cfg(test)]
mod link_tests {
    use super::*;

    #[test]
    fn link_bases_lose_credentials_and_queries() {
        let mut s = snapshot(Backend::DatabricksWorkspace, "m");
        s.manifest.tracking_uri = None;
        s.manifest.extra.remove("ui_url");
        s.run = Some(crate::snapshot::Run::default());
        if let Some(run) = s.run.as_mut() {
            run.tags.insert(
                "mlflow.databricks.webappURL".into(),
                "https://u:pw@adb-1.net/?token=SECRET".into(),
            );
        }
        let l = links(&s);
        let text = serde_json::to_string(&l).unwrap();
        assert!(
            text.contains("https://adb-1.net/#mlflow/models/m"),
            "{text}"
        );
        assert!(!text.contains("SECRET") && !text.contains("pw@"), "{text}");
    }
    use crate::snapshot::{Backend, Manifest, Snapshot, Target};

    fn snapshot(backend: Backend, name: &str) -> Snapshot {
        let mut manifest = Manifest {
            backend: Some(backend),
            ..Manifest::default()
        };
        manifest
            .extra
            .insert("ui_url".into(), "https://host.example.com/".into());
        Snapshot {
            schema_version: 1,
            manifest,
            target: Target {
                name: Some(name.into()),
                version: Some("3".into()),
                ..Target::default()
            },
            registered_model: None,
            model_version: None,
            run: None,
            experiment: None,
            mlflow_model: None,
            artifacts: None,
            permissions: crate::snapshot::Permissions::default(),
            transition_requests: None,
            incumbent: None,
            errors: Vec::new(),
            unavailable: Vec::new(),
            extra: serde_json::Map::new(),
        }
    }

    #[test]
    fn links_follow_each_ui() {
        assert_eq!(
            links(&snapshot(Backend::MlflowOss, "credit model"))
                .model_version
                .as_deref(),
            Some("https://host.example.com/#/models/credit%20model/versions/3")
        );
        assert_eq!(
            links(&snapshot(Backend::DatabricksWorkspace, "dolly3b"))
                .model_version
                .as_deref(),
            Some("https://host.example.com/#mlflow/models/dolly3b/versions/3")
        );
        assert_eq!(
            links(&snapshot(Backend::UnityCatalog, "main.ml.churn"))
                .model_version
                .as_deref(),
            Some("https://host.example.com/explore/data/models/main/ml/churn/version/3")
        );
    }
}
