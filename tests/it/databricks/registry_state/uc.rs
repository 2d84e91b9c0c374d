//! Unity Catalog's calls on the state: the model and its versions with `aliases` (2.1 API),
//! the alias PUT, MLflow-UC's version set-tag, and the Files API for every version.

use serde_json::{json, Value};

use super::{err, ok, Registry, M};
use crate::databricks::mock::fixture;
use crate::mock_http::{Request, Response};

/// The 2.1 REST root of UC models.
const UC: &str = "/api/2.1/unity-catalog/models";

impl Registry {
    pub(super) fn uc_route(&mut self, r: &Request) -> Option<Response> {
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
            let (v, file) = rest.strip_prefix(&files)?.split_once('/')?;
            self.number(v)?;
            let name = if file == "input_example.json" {
                "files/churn-input_example.json"
            } else {
                name
            };
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
