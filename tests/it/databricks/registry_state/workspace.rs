//! The workspace registry's calls on the state: the registered model with `latest_versions`,
//! versions with their stage and tags, open transition requests; set-tag, the Databricks
//! stage transition, and approving or rejecting a request.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{err, ok, Registry, M};
use crate::databricks::mock::fixture;
use crate::mock_http::{Request, Response};

impl Registry {
    pub(super) fn workspace_route(&mut self, r: &Request) -> Option<Response> {
        let path = r.path.strip_prefix(M)?;
        if r.method == "GET" {
            if r.q("name") != self.name {
                return None;
            }
            return Some(match path {
                "/databricks/registered-models/get" => {
                    let model = self.workspace_model();
                    ok(&json!({ "registered_model_databricks": model }))
                }
                "/registered-models/get" => {
                    let mut model = self.workspace_model();
                    let fields = model.as_object_mut().unwrap();
                    fields.remove("id");
                    fields.remove("permission_level");
                    ok(&json!({ "registered_model": model }))
                }
                // M3 of the reference: the highest READY version of each stage asked for, or
                // of every stage when none is (documented); mlgate asks for one at most.
                "/registered-models/get-latest-versions" => {
                    let asked = r.q("stages");
                    let mut latest: BTreeMap<&str, u64> = BTreeMap::new();
                    for (n, v) in &self.versions {
                        if v.status == "READY"
                            && (asked.is_empty() || v.stage.eq_ignore_ascii_case(asked))
                        {
                            let best = latest.entry(&v.stage).or_insert(*n);
                            *best = (*best).max(*n);
                        }
                    }
                    let versions: Vec<Value> = latest
                        .values()
                        .map(|n| self.workspace_version(*n))
                        .collect();
                    ok(&json!({ "model_versions": versions }))
                }
                "/model-versions/get" => match self.number(r.q("version")) {
                    Some(n) => ok(&json!({ "model_version": self.workspace_version(n) })),
                    None => self.no_version(r.q("version")),
                },
                "/transition-requests/list" => {
                    let requests: Vec<Value> = self
                        .number(r.q("version"))
                        .and_then(|n| self.requests.get(&n).map(|s| (n, s)))
                        .map(|(n, stages)| stages.iter().map(|s| self.activity(n, s)).collect())
                        .unwrap_or_default();
                    // Empty repeated fields are left out (§2.3: inferred).
                    if requests.is_empty() {
                        ok(&json!({}))
                    } else {
                        ok(&json!({ "requests": requests }))
                    }
                }
                _ => return None,
            });
        }
        let writes = [
            "/model-versions/set-tag",
            "/databricks/model-versions/transition-stage",
            "/transition-requests/approve",
            "/transition-requests/reject",
        ];
        if r.method != "POST" || !writes.contains(&path) {
            return None;
        }
        let body: Value = serde_json::from_str(&r.body).ok()?;
        if body["name"] != self.name.as_str() {
            return None;
        }
        let version = body["version"].as_str().unwrap_or_default().to_string();
        let Some(n) = self.number(&version) else {
            return Some(self.no_version(&version));
        };
        let text = |key: &str| body[key].as_str().unwrap_or_default().to_string();
        Some(match path {
            "/model-versions/set-tag" => {
                let tags = &mut self.versions.get_mut(&n).unwrap().tags;
                tags.insert(text("key"), text("value"));
                ok(&json!({}))
            }
            "/databricks/model-versions/transition-stage" => {
                let archive = body["archive_existing_versions"].as_bool() == Some(true);
                self.move_to(n, &text("stage"), archive);
                ok(&json!({ "model_version_databricks": self.workspace_version(n) }))
            }
            "/transition-requests/approve" | "/transition-requests/reject" => {
                let stage = text("stage");
                let open = self.requests.entry(n).or_default();
                let Some(at) = open.iter().position(|s| s.eq_ignore_ascii_case(&stage)) else {
                    // What Databricks answers here is not documented (§7.6 of the promotion
                    // note): inferred.
                    return Some(err(
                        400,
                        "INVALID_PARAMETER_VALUE",
                        &format!("No open transition request to {stage} for version {n}"),
                    ));
                };
                open.remove(at);
                let kind = if path.ends_with("approve") {
                    // `archive_existing_versions` is required on approve (§3 of the note).
                    let Some(archive) = body["archive_existing_versions"].as_bool() else {
                        return Some(err(
                            400,
                            "INVALID_PARAMETER_VALUE",
                            "Missing value for required parameter 'archive_existing_versions'",
                        ));
                    };
                    self.move_to(n, &stage, archive);
                    "APPROVED_REQUEST"
                } else {
                    "REJECTED_REQUEST"
                };
                let mut activity = self.activity(n, &stage);
                activity["activity_type"] = kind.into();
                activity["comment"] = body["comment"].clone();
                ok(&json!({ "activity": activity }))
            }
            _ => return None,
        })
    }

    /// Moves `n` into `stage`; with `archive`, the stage's other versions go to `Archived`
    /// (only for the active stages, as MLflow does).
    fn move_to(&mut self, n: u64, stage: &str, archive: bool) {
        let active = ["Staging", "Production"];
        let stage = active
            .iter()
            .chain(&["None", "Archived"])
            .find(|s| s.eq_ignore_ascii_case(stage))
            .map_or_else(|| stage.to_string(), |s| (*s).to_string());
        if archive && active.contains(&stage.as_str()) {
            for (other, v) in &mut self.versions {
                if *other != n && v.stage == stage {
                    v.stage = "Archived".into();
                }
            }
        }
        self.versions.get_mut(&n).unwrap().stage = stage;
    }

    fn workspace_version(&self, n: u64) -> Value {
        let mut v: Value = serde_json::from_str(&fixture("workspace/model-versions-get.json"))
            .map(|mut f: Value| f["model_version"].take())
            .unwrap();
        let state = &self.versions[&n];
        v["version"] = n.to_string().into();
        v["current_stage"] = state.stage.clone().into();
        v["status"] = state.status.clone().into();
        v["description"] = state.description.clone().into();
        if !state.tags.is_empty() {
            v["tags"] = state
                .tags
                .iter()
                .map(|(key, value)| json!({ "key": key, "value": value }))
                .collect();
        }
        v
    }

    /// The registered model, `latest_versions` holding the highest version of each stage.
    fn workspace_model(&self) -> Value {
        let mut latest: BTreeMap<&str, u64> = BTreeMap::new();
        for (n, v) in &self.versions {
            let best = latest.entry(&v.stage).or_insert(*n);
            *best = (*best).max(*n);
        }
        let mut model: Value =
            serde_json::from_str(&fixture("workspace/databricks-registered-models-get.json"))
                .map(|mut f: Value| f["registered_model_databricks"].take())
                .unwrap();
        model["latest_versions"] = latest
            .values()
            .map(|n| {
                let mut v = self.workspace_version(*n);
                v.as_object_mut().unwrap().remove("tags");
                v
            })
            .collect();
        model["tags"] = self.tag_list();
        model
    }

    /// An open request as `transition-requests/list` gives it (Example D6 of §2.3).
    fn activity(&self, n: u64, to_stage: &str) -> Value {
        json!({
            "id": format!("req-{n}-{}", to_stage.to_ascii_lowercase()),
            "activity_type": "REQUESTED_TRANSITION",
            "from_stage": self.versions[&n].stage,
            "to_stage": to_stage,
            "comment": "Ready after the shadow test",
            "user_id": "alice@example.com",
            "creation_timestamp": 1_700_700_000_000_u64,
            "last_updated_timestamp": 1_700_700_000_000_u64
        })
    }
}
