//! Rules over a snapshot that was saved redacted. `mlgate snapshot` (and `--snapshot-dir`)
//! save secrets as markers and list each redacted value in `manifest.redacted`; replaying the
//! file, such a value is gone, so a rule that reads it would judge the marker instead: a rule
//! that fails live on a secret would pass on replay. Instead the rule is an error that says
//! why, so a replay never gives a different pass/fail than the live check that saved it.
//!
//! Checks that only ask whether something is there (`exists`, `absent`, `non_empty`, `empty`,
//! `count_min`, `count_max`) judge a redacted value as they judged the secret: nothing empty is
//! ever redacted, and a marker stands where the value stood.

use std::collections::HashMap;

use serde_json::Value;

use super::check::{Check, CheckSet};
use crate::snapshot::Redacted;

/// The nodes of a document that a saved snapshot says were redacted.
#[derive(Debug, Default)]
pub(super) struct Saved {
    /// Node address → the path and why, for the message.
    by_node: HashMap<usize, (String, String)>,
}

fn address(value: &Value) -> usize {
    std::ptr::from_ref(value) as usize
}

impl Saved {
    /// The redacted nodes of `doc` that `redacted` lists (entries naming nothing are ignored:
    /// they cannot be read either).
    pub(super) fn of(redacted: &[Redacted], doc: &Value) -> Self {
        let by_node = redacted
            .iter()
            .filter_map(|r| {
                let node = doc.pointer(&r.pointer)?;
                Some((address(node), (path_of(&r.pointer), r.why.clone())))
            })
            .collect();
        Self { by_node }
    }

    /// Why the checks cannot be judged on these values: one of them is (or holds) a value
    /// redacted when the snapshot was saved, and the checks look at more than its presence.
    pub(super) fn read_by<'v>(
        &self,
        checks: &CheckSet,
        values: impl Iterator<Item = &'v &'v Value>,
    ) -> Option<String> {
        if self.by_node.is_empty() || presence_only(checks) {
            return None;
        }
        let mut found = None;
        for value in values {
            found = self.first_in(value);
            if found.is_some() {
                break;
            }
        }
        let (path, why) = found?;
        Some(format!(
            "`{path}` was redacted when the snapshot was saved ({why}); save the snapshot \
             with `--no-redact` to test rules on it"
        ))
    }

    fn first_in(&self, value: &Value) -> Option<(String, String)> {
        if let Some(hit) = self.by_node.get(&address(value)) {
            return Some(hit.clone());
        }
        match value {
            Value::Array(items) => items.iter().find_map(|v| self.first_in(v)),
            Value::Object(map) => map.values().find_map(|v| self.first_in(v)),
            _ => None,
        }
    }
}

/// Whether every check only asks whether something is there.
fn presence_only(checks: &CheckSet) -> bool {
    checks.0.iter().all(|c| match c {
        Check::Exists(_)
        | Check::Absent(_)
        | Check::NonEmpty(_)
        | Check::Empty(_)
        | Check::CountMin(_)
        | Check::CountMax(_) => true,
        Check::AllOf(sets) | Check::AnyOf(sets) => sets.iter().all(presence_only),
        Check::Not(set) => presence_only(set),
        _ => false,
    })
}

/// A JSON Pointer as a selector path: `/run/params/db.pw` → `run.params["db.pw"]`.
fn path_of(pointer: &str) -> String {
    let mut out = String::new();
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(&segment);
            out.push(']');
        } else if !segment.is_empty()
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        } else {
            out.push('[');
            out.push_str(&serde_json::Value::String(segment).to_string());
            out.push(']');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn saved(doc: &Value) -> Saved {
        Saved::of(
            &[Redacted {
                pointer: "/run/params/db_password".into(),
                why: "key name \"db_password\"".into(),
            }],
            doc,
        )
    }

    #[test]
    fn a_check_reading_a_redacted_value_or_its_table_cannot_be_judged() {
        let doc = json!({"run": {"params": {"db_password": "[redacted: …]", "lr": "0.1"}}});
        let s = saved(&doc);
        let params = &doc["run"]["params"];
        let matches = CheckSet(vec![Check::Matches(regex::Regex::new("x").unwrap())]);
        let e = s.read_by(&matches, [&params].into_iter()).unwrap();
        assert!(e.contains("`run.params.db_password` was redacted"), "{e}");
        assert!(e.contains("--no-redact"), "{e}");
        let leaf = &doc["run"]["params"]["db_password"];
        assert!(s.read_by(&matches, [&leaf].into_iter()).is_some());
        // Another value, or only asking whether the table is there: judged as usual.
        let lr = &doc["run"]["params"]["lr"];
        assert!(s.read_by(&matches, [&lr].into_iter()).is_none());
        let presence = CheckSet(vec![Check::NonEmpty(true), Check::CountMin(1)]);
        assert!(s.read_by(&presence, [&params].into_iter()).is_none());
        let negated = CheckSet(vec![Check::Not(matches.clone())]);
        assert!(s.read_by(&negated, [&params].into_iter()).is_some());
    }

    #[test]
    fn pointers_read_as_paths() {
        assert_eq!(path_of("/run/params/db_password"), "run.params.db_password");
        assert_eq!(
            path_of("/run/tags/mlflow.x~1y"),
            r#"run.tags["mlflow.x/y"]"#
        );
        assert_eq!(path_of("/errors/0/message"), "errors[0].message");
    }
}
