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
//!
//! Two switches stand in for what no single client can arrange: a write whose answer is lost
//! after it took effect ([`Registry::lose_answer`]), and another client changing the registry
//! between two of mlgate's calls ([`Registry::race`]).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::mock_http::{Fault, Request, Response};

mod uc;
mod workspace;

/// The workspace registry's model, and the Unity Catalog one (the replay fixtures' models).
pub const WORKSPACE_MODEL: &str = "dolly3b";
pub const UC_MODEL: &str = "main.ml.churn";

const M: &str = "/api/2.0/mlflow";

/// A change another client makes to the registry.
pub type Change = fn(&mut Registry);

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
    /// The registered model's own tags (where the promotion ledger lives).
    pub model_tags: BTreeMap<String, String>,
    pub writes: Vec<Recorded>,
    /// Writes to paths ending so are made, but their answer is lost (the connection closes).
    pub lost_answers: Vec<String>,
    /// Another client's change, made once right after the first request whose
    /// `METHOD /path` contains the fragment is answered.
    pub race: Option<(String, Change)>,
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
            model_tags: BTreeMap::new(),
            writes: Vec::new(),
            lost_answers: Vec::new(),
            race: None,
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

    /// Another client makes `change` right after the first request matching `after`
    /// (`"PUT /api/2.1/…/aliases/champion"`, or any fragment of it) is answered.
    pub fn race(mut self, after: &str, change: Change) -> Self {
        self.race = Some((after.into(), change));
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
        let answer = self.model_tag_route(r).or_else(|| match self.kind {
            Kind::Workspace => self.workspace_route(r),
            Kind::UnityCatalog => self.uc_route(r),
        });
        let matched = |(after, _): &(String, _)| format!("{} {}", r.method, r.path).contains(after);
        if let Some((_, change)) = self.race.take_if(|race| matched(race)) {
            change(self);
        }
        let answer = answer?;
        let lost = r.method != "GET" && self.lost_answers.iter().any(|s| r.path.ends_with(s));
        Some(if lost {
            answer.fault(Fault::Close)
        } else {
            answer
        })
    }

    /// Registered-model tags: `registered-models/set-tag` and `delete-tag` (workspace:
    /// documented, Databricks REST reference; Unity Catalog: under `/unity-catalog`,
    /// **inferred** from MLflow's UC protos), and on Unity Catalog MLflow-UC's
    /// `registered-models/get`, the read that carries them (**inferred**; UC's own 2.1 model
    /// has no tags). A key that is not there deletes without error, as MLflow 3.17 answers.
    fn model_tag_route(&mut self, r: &Request) -> Option<Response> {
        let prefix = match self.kind {
            Kind::Workspace => M.to_string(),
            Kind::UnityCatalog => format!("{M}/unity-catalog"),
        };
        let path = r.path.strip_prefix(&prefix)?;
        if r.method == "GET" && path == "/registered-models/get" && self.kind == Kind::UnityCatalog
        {
            if r.q("name") != self.name {
                return None;
            }
            return Some(ok(&json!({ "registered_model": {
                "name": self.name,
                "tags": self.tag_list(),
            }})));
        }
        let body: Value = serde_json::from_str(&r.body).ok()?;
        if body["name"] != self.name.as_str() {
            return None;
        }
        let key = body["key"].as_str().unwrap_or_default().to_string();
        match (r.method.as_str(), path) {
            ("POST", "/registered-models/set-tag") => {
                let value = body["value"].as_str().unwrap_or_default().to_string();
                self.model_tags.insert(key, value);
            }
            ("DELETE", "/registered-models/delete-tag") => {
                self.model_tags.remove(&key);
            }
            _ => return None,
        }
        Some(ok(&json!({})))
    }

    /// The model's tags as the registry lists them.
    pub fn tag_list(&self) -> Value {
        self.model_tags
            .iter()
            .map(|(k, v)| json!({ "key": k, "value": v }))
            .collect()
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
