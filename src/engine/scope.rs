//! Rule scopes (`[rule.when]`): which model versions and promotions a rule applies to. A rule
//! out of scope is reported as skipped, with the reason.

use regex::Regex;
use serde_json::Value;

use super::check::{CheckSet, Context, Mode, Selection, Verdict};
use crate::glob;
use crate::snapshot::Backend;

/// The scope's answer for one snapshot, when the rule does not simply apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scoped {
    /// Out of scope: skipped, with the reason.
    Out(String),
    /// The scope cannot be decided (its facts were not gathered, or have the wrong type):
    /// an evaluation error, never a silent skip.
    Unknown(String),
}

/// When a rule applies; every part that is set must hold. Empty: always.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Registered model name globs (`churn-*`); one must match.
    pub models: Vec<String>,
    /// A regular expression the registered model name must match.
    pub model_regex: Option<Regex>,
    /// Promotion targets: stage names (`Production`) and aliases (`@champion`); the rule
    /// applies only when `--target-stage` / `--target-alias` names one of them.
    pub targets: Vec<String>,
    /// Backends the rule is limited to.
    pub backends: Vec<Backend>,
    /// Conditions on model version tags (tag → checks).
    pub version_tags: Vec<(String, CheckSet)>,
    /// Conditions on source run tags (tag → checks).
    pub run_tags: Vec<(String, CheckSet)>,
}

impl Scope {
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
            && self.model_regex.is_none()
            && self.targets.is_empty()
            && self.backends.is_empty()
            && self.version_tags.is_empty()
            && self.run_tags.is_empty()
    }

    /// Why the rule does not apply to this snapshot, or `None` when it does.
    pub fn excludes(&self, doc: &Value) -> Option<Scoped> {
        let text = |pointer: &str| doc.pointer(pointer).and_then(Value::as_str);
        let name = text("/target/name")
            .or_else(|| text("/registered_model/name"))
            .unwrap_or("");
        if !self.models.is_empty() && !self.models.iter().any(|g| glob::matches(g, name)) {
            return Some(Scoped::Out(format!(
                "applies only to models matching {}",
                self.models.join(", ")
            )));
        }
        if let Some(re) = &self.model_regex {
            if !re.is_match(name) {
                return Some(Scoped::Out(format!(
                    "applies only to models matching /{}/",
                    re.as_str()
                )));
            }
        }
        if !self.targets.is_empty() {
            let stage = text("/target/stage");
            let alias = text("/target/alias");
            let hit = self.targets.iter().any(|t| match t.strip_prefix('@') {
                Some(a) => alias == Some(a),
                None => stage.is_some_and(|s| s.eq_ignore_ascii_case(t)),
            });
            if !hit {
                return Some(Scoped::Out(format!(
                    "applies only when promoting to {} (--target-stage / --target-alias)",
                    self.targets.join(" or ")
                )));
            }
        }
        if !self.backends.is_empty() {
            let backend = text("/manifest/backend").unwrap_or("unknown");
            if !self
                .backends
                .iter()
                .any(|b| Backend::from_name(backend) == Some(*b))
            {
                return Some(Scoped::Out(format!(
                    "applies only to {} backends, not {backend}",
                    self.backends
                        .iter()
                        .map(|b| b.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        for (what, section, conditions) in [
            ("version tag", "model_version", &self.version_tags),
            ("run tag", "run", &self.run_tags),
        ] {
            if conditions.is_empty() {
                continue;
            }
            let Some(tags) = doc
                .get(section)
                .filter(|v| !v.is_null())
                .and_then(|s| s.get("tags"))
            else {
                // The tags to scope on were not gathered: the scope cannot be decided.
                return Some(Scoped::Unknown(format!(
                    "the scope needs the {what}s, but `{section}` is not in the snapshot"
                )));
            };
            for (tag, checks) in conditions {
                let value = tags.get(tag);
                let selection = Selection {
                    found: value.into_iter().collect(),
                    absent: if value.is_none() {
                        vec![format!("{what} {tag}").into()]
                    } else {
                        Vec::new()
                    },
                    fans_out: false,
                };
                match checks.evaluate(&selection, Mode::Element, Context { doc, masks: None }) {
                    Verdict::Pass => {}
                    Verdict::Fail(_) => {
                        return Some(Scoped::Out(format!(
                            "applies only when {what} `{tag}` satisfies {}",
                            checks.describe()
                        )))
                    }
                    Verdict::Error(e) => {
                        return Some(Scoped::Unknown(format!(
                            "the scope on {what} `{tag}` cannot be decided: {e}"
                        )))
                    }
                }
            }
        }
        None
    }

    /// A one-line summary for `mlgate rules` and the docs.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.models.is_empty() {
            parts.push(format!("model {}", self.models.join(" | ")));
        }
        if let Some(re) = &self.model_regex {
            parts.push(format!("model /{}/", re.as_str()));
        }
        if !self.targets.is_empty() {
            parts.push(format!("promoting to {}", self.targets.join(" | ")));
        }
        if !self.backends.is_empty() {
            parts.push(format!(
                "backend {}",
                self.backends
                    .iter()
                    .map(|b| b.as_str())
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
        for (tag, checks) in &self.version_tags {
            parts.push(format!("version tag {tag}: {}", checks.describe()));
        }
        for (tag, checks) in &self.run_tags {
            parts.push(format!("run tag {tag}: {}", checks.describe()));
        }
        if parts.is_empty() {
            "always".into()
        } else {
            parts.join("; ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Check;
    use serde_json::json;

    #[test]
    fn scopes_exclude_with_a_reason() {
        let doc = json!({
            "target": {"name": "churn-eu", "alias": "champion"},
            "manifest": {"backend": "mlflow-oss"},
            "model_version": {"tags": {"team": "risk"}}
        });
        assert_eq!(Scope::default().excludes(&doc), None);
        let by_model = Scope {
            models: vec!["churn-*".into()],
            ..Scope::default()
        };
        assert_eq!(by_model.excludes(&doc), None);
        let other = Scope {
            models: vec!["fraud-*".into()],
            ..Scope::default()
        };
        assert!(matches!(other.excludes(&doc), Some(Scoped::Out(r)) if r.contains("fraud-*")));
        let promo = Scope {
            targets: vec!["Production".into(), "@champion".into()],
            ..Scope::default()
        };
        assert_eq!(promo.excludes(&doc), None);
        let staging = Scope {
            targets: vec!["Staging".into()],
            ..Scope::default()
        };
        assert!(
            matches!(staging.excludes(&doc), Some(Scoped::Out(r)) if r.contains("--target-stage"))
        );
        let tags = Scope {
            version_tags: vec![("team".into(), CheckSet(vec![Check::Equals(json!("risk"))]))],
            ..Scope::default()
        };
        assert_eq!(tags.excludes(&doc), None);
        let missing = Scope {
            run_tags: vec![("team".into(), CheckSet(vec![Check::Equals(json!("risk"))]))],
            ..Scope::default()
        };
        assert!(
            matches!(missing.excludes(&doc), Some(Scoped::Unknown(_))),
            "no run in the snapshot: undecidable, not skipped"
        );
        let typed = Scope {
            version_tags: vec![("team".into(), CheckSet(vec![Check::Min(3.0)]))],
            ..Scope::default()
        };
        assert!(
            matches!(typed.excludes(&doc), Some(Scoped::Unknown(_))),
            "a type error is not a skip"
        );
        let backend = Scope {
            backends: vec![Backend::UnityCatalog],
            ..Scope::default()
        };
        assert!(matches!(backend.excludes(&doc), Some(Scoped::Out(r)) if r.contains("mlflow-oss")));
    }
}
