//! The mock's stateful registry mode, for the promotion tests: one model's versions (stage,
//! status, description, tags), aliases and open transition requests, changed by the writes
//! mlgate makes and shown by the reads it makes. Every write the mock receives (any method but
//! GET, the OAuth token request aside) is recorded with its path and JSON body, answered or
//! not, so a test can assert exactly what was sent and that nothing else was.
//!
//! Payloads start from the replay fixtures (`workspace/model-versions-get.json`,
//! `workspace/databricks-registered-models-get.json`, `uc/model.json`, `uc/version-3.json`):
//! only the version number, stage, status, description, tags and aliases come from the state,
//! so runs, experiments, ACLs and files are still served by the replay routes. The provenance
//! of each route is in the table of `mock.rs`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::mock::fixture;
use crate::mock_http::{Fault, Request, Response};

/// The workspace registry's model, and the Unity Catalog one (the replay fixtures' models).
pub const WORKSPACE_MODEL: &str = "dolly3b";
pub const UC_MODEL: &str = "main.ml.churn";

const M: &str = "/api/2.0/mlflow";
const UC: &str = "/api/2.1/unity-catalog/models";

/// One write as the mock received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// The JSON body (`Value::String` holding the raw text when it is not JSON).
    pub body: Value,
}

#[derive(Debug, Clone)]
pub struct Version {
    /// `None`, `Staging`, `Production`, `Archived` (the workspace registry; UC has none).
    pub stage: String,
    pub status: String,
    pub description: String,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Workspace,
    UnityCatalog,
}

/// One registered model's registry state.
#[derive(Debug, Clone)]
pub struct Registry {
    pub kind: Kind,
    pub name: String,
    pub versions: BTreeMap<u64, Version>,
    pub aliases: BTreeMap<String, u64>,
    /// Open transition requests: version → the stages requested.
    pub requests: BTreeMap<u64, Vec<String>>,
    pub writes: Vec<Recorded>,
    /// Writes to paths ending so are made, but their answer is lost (the connection closes).
    pub lost_answers: Vec<String>,
}

impl Registry {
    pub fn workspace() -> Self {
        Self::new(Kind::Workspace, WORKSPACE_MODEL)
    }

    pub fn unity_catalog() -> Self {
        Self::new(Kind::UnityCatalog, UC_MODEL)
    }

    fn new(kind: Kind, name: &str) -> Self {
        Self {
            kind,
            name: name.into(),
            versions: BTreeMap::new(),
            aliases: BTreeMap::new(),
            requests: BTreeMap::new(),
            writes: Vec::new(),
            lost_answers: Vec::new(),
        }
    }

    /// A READY version, described, in `stage` (UC versions: `"None"`).
    pub fn version(mut self, n: u64, stage: &str) -> Self {
        let version = Version {
            stage: stage.into(),
            status: "READY".into(),
            description: format!("version {n}"),
            tags: BTreeMap::new(),
        };
        self.versions.insert(n, version);
        self
    }

    pub fn describe(mut self, n: u64, description: &str) -> Self {
        self.versions.get_mut(&n).expect("a version").description = description.into();
        self
    }

    pub fn alias(mut self, alias: &str, n: u64) -> Self {
        self.aliases.insert(alias.into(), n);
        self
    }

    /// An open request to move version `n` to `stage`.
    pub fn request(mut self, n: u64, stage: &str) -> Self {
        self.requests.entry(n).or_default().push(stage.into());
        self
    }

    /// Writes to paths ending in `suffix` take effect, but the answer never arrives.
    pub fn lose_answer(mut self, suffix: &str) -> Self {
        self.lost_answers.push(suffix.into());
        self
    }

    pub fn stage_of(&self, n: u64) -> &str {
        &self.versions[&n].stage
    }

    pub fn tags_of(&self, n: u64) -> &BTreeMap<String, String> {
        &self.versions[&n].tags
    }

    /// The writes to paths ending in `suffix`.
    pub fn writes_to(&self, suffix: &str) -> Vec<&Recorded> {
        self.writes
            .iter()
            .filter(|w| w.path.ends_with(suffix))
            .collect()
    }

    /// Records `r` if it is a write.
    pub fn record(&mut self, r: &Request) {
        if r.method == "GET" || r.path == "/oidc/v1/token" {
            return;
        }
        let body = serde_json::from_str(&r.body).unwrap_or_else(|_| Value::from(r.body.clone()));
        self.writes.push(Recorded {
            method: r.method.clone(),
            path: r.path.clone(),
            body,
        });
    }

    /// The answer to `r` when it is a registry call on this model; `None` leaves it to the
    /// replay routes.
    pub fn route(&mut self, r: &Request) -> Option<Response> {
        let answer = match self.kind {
            Kind::Workspace => self.workspace_route(r),
            Kind::UnityCatalog => self.uc_route(r),
        }?;
        let lost = r.method != "GET" && self.lost_answers.iter().any(|s| r.path.ends_with(s));
        Some(if lost {
            answer.fault(Fault::Close)
        } else {
            answer
        })
    }

    fn workspace_route(&mut self, r: &Request) -> Option<Response> {
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

    fn uc_route(&mut self, r: &Request) -> Option<Response> {
        // MLflow's UC API: only version tags are written through it.
        if r.method == "POST" && r.path == format!("{M}/unity-catalog/model-versions/set-tag") {
            let body: Value = serde_json::from_str(&r.body).ok()?;
            if body["name"] != self.name.as_str() {
                return None;
            }
            let version = body["version"].as_str().unwrap_or_default();
            let Some(n) = self.number(version) else {
                return Some(self.no_version(version));
            };
            let text = |key: &str| body[key].as_str().unwrap_or_default().to_string();
            let tags = &mut self.versions.get_mut(&n).unwrap().tags;
            tags.insert(text("key"), text("value"));
            return Some(ok(&json!({})));
        }
        // The Files API, for every version of the model: the fixture of version 3 moved over.
        let files = format!("/Models/{}/", self.name.replace('.', "/"));
        for (prefix, name) in [
            ("/api/2.0/fs/directories", "uc/fs-directories.json"),
            ("/api/2.0/fs/files", "files/churn-MLmodel"),
        ] {
            let Some(rest) = r.path.strip_prefix(prefix) else {
                continue;
            };
            let (v, _) = rest.strip_prefix(&files)?.split_once('/')?;
            self.number(v)?;
            let body = fixture(name).replace(&format!("{files}3/"), &format!("{files}{v}/"));
            return Some(Response::json(200, body));
        }
        let rest = r.path.strip_prefix(&format!("{UC}/{}", self.name))?;
        Some(match (r.method.as_str(), rest) {
            ("GET", "") => {
                let mut model: Value = serde_json::from_str(&fixture("uc/model.json")).unwrap();
                model["aliases"] = self.uc_aliases(|_| true);
                ok(&model)
            }
            ("GET", rest) if rest.starts_with("/versions/") => {
                let v = &rest["/versions/".len()..];
                match self.number(v) {
                    Some(n) => ok(&self.uc_version(n)),
                    None => self.no_version(v),
                }
            }
            ("GET", rest) if rest.starts_with("/aliases/") => {
                match self.aliases.get(&rest["/aliases/".len()..]) {
                    Some(&n) => ok(&self.uc_version(n)),
                    None => err(
                        404,
                        "RESOURCE_DOES_NOT_EXIST",
                        "Registered model alias not found.",
                    ),
                }
            }
            ("PUT", rest) if rest.starts_with("/aliases/") => {
                let alias = rest["/aliases/".len()..].to_string();
                let body: Value = serde_json::from_str(&r.body).unwrap_or_default();
                // `version_num` is an integer (§3.1); a string is refused here (inferred).
                let Some(n) = body["version_num"].as_u64() else {
                    return Some(err(
                        400,
                        "INVALID_PARAMETER_VALUE",
                        "version_num must be an integer",
                    ));
                };
                if !self.versions.contains_key(&n) {
                    return Some(self.no_version(&n.to_string()));
                }
                self.aliases.insert(alias.clone(), n);
                ok(&json!({ "alias_name": alias, "version_num": n }))
            }
            _ => return None,
        })
    }

    fn number(&self, version: &str) -> Option<u64> {
        version
            .parse()
            .ok()
            .filter(|n| self.versions.contains_key(n))
    }

    fn no_version(&self, version: &str) -> Response {
        err(
            404,
            "RESOURCE_DOES_NOT_EXIST",
            &format!(
                "Model Version (name={}, version={version}) not found",
                self.name
            ),
        )
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

    fn uc_aliases(&self, pick: impl Fn(u64) -> bool) -> Value {
        self.aliases
            .iter()
            .filter(|(_, n)| pick(**n))
            .map(|(alias, n)| json!({ "alias_name": alias, "version_num": n }))
            .collect()
    }

    fn uc_version(&self, n: u64) -> Value {
        let mut v: Value = serde_json::from_str(&fixture("uc/version-3.json")).unwrap();
        let state = &self.versions[&n];
        v["version"] = n.into();
        v["status"] = state.status.clone().into();
        v["comment"] = state.description.clone().into();
        v["aliases"] = self.uc_aliases(|holder| holder == n);
        v
    }
}

fn ok(body: &Value) -> Response {
    Response::json(200, body.to_string())
}

fn err(status: u16, code: &str, message: &str) -> Response {
    Response::json(
        status,
        json!({ "error_code": code, "message": message }).to_string(),
    )
}
