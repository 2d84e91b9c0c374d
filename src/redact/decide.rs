//! The redaction decision, taken once on the values of one snapshot document: which strings
//! are secrets (whole, because of their key name), which hold secrets (parts of free text, by
//! shape, or a JSON string with a secret field inside), and which table keys are themselves
//! secret-shaped. Every sink renders this decision ([`Masks::apply`] gives the value as shown)
//! instead of searching rendered text for raw secrets, so no escaping, cutting or joining of
//! the text can bring a raw value back.
//!
//! The decision is keyed by the address of the node in the document it was taken on: the
//! engine evaluates rules on that same document and shows each value it quotes through the
//! masks, so a finding's message quotes exactly what the report shows. [`Masks`] borrows the
//! document, so the addresses cannot outlive or move under it.

use std::collections::{BTreeMap, HashMap};
use std::marker::PhantomData;

use serde_json::{Map, Value};

use crate::snapshot::Redacted;

use super::shapes::{by_key, by_shape, random_enough, redact_shapes, secret_key, secret_name};

/// How one node is shown.
#[derive(Debug, Clone)]
enum Mask {
    /// A string shown as this text (a marker, or the text with its secret parts replaced).
    Text(String),
    /// A table whose keys are shown renamed (raw key → shown key).
    Keys(BTreeMap<String, String>),
}

/// The redaction decision over one document. Empty when redaction is off.
#[derive(Debug, Default)]
pub struct Masks<'doc> {
    by_node: HashMap<usize, Mask>,
    redacted: Vec<Redacted>,
    /// Raw values redacted because of their key that are random enough to be recognised
    /// wherever else they appear (a server message quoting them), longest first, with the
    /// marker each is shown as.
    known: Vec<(String, String)>,
    doc: PhantomData<&'doc Value>,
}

/// The node's address: the key under which its decision is kept.
fn address(value: &Value) -> usize {
    std::ptr::from_ref(value) as usize
}

/// Decides what of `doc` is secret.
pub fn decide(doc: &Value) -> Masks<'_> {
    let mut masks = Masks::default();
    collect_known(doc, None, &mut masks.known);
    masks.known.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    masks.known.dedup();
    let mut pointer = String::new();
    masks.walk(doc, None, &mut pointer);
    masks
}

impl<'doc> Masks<'doc> {
    /// No decision: every value is shown as it is.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether nothing is redacted.
    pub fn is_empty(&self) -> bool {
        self.by_node.is_empty()
    }

    /// What was redacted, in document order.
    pub fn redacted(&self) -> &[Redacted] {
        &self.redacted
    }

    /// A value of the decided document as shown: secrets replaced by their markers, secret
    /// key names renamed. A value not from that document (a policy's own) is shown as it is.
    pub fn apply(&self, value: &Value) -> Value {
        if self.by_node.is_empty() {
            return value.clone();
        }
        match (self.by_node.get(&address(value)), value) {
            (Some(Mask::Text(text)), _) => Value::String(text.clone()),
            (mask, Value::Object(map)) => {
                let renamed = match mask {
                    Some(Mask::Keys(renamed)) => Some(renamed),
                    _ => None,
                };
                let mut out = Map::new();
                for (k, v) in map {
                    let key = renamed
                        .and_then(|r| r.get(k))
                        .cloned()
                        .unwrap_or_else(|| k.clone());
                    out.insert(key, self.apply(v));
                }
                Value::Object(out)
            }
            (_, Value::Array(items)) => Value::Array(items.iter().map(|v| self.apply(v)).collect()),
            (_, other) => other.clone(),
        }
    }

    /// Free text derived from the document (a server's message, a path naming a key) with the
    /// known secrets and secret shapes in it replaced.
    pub fn text(&self, text: &str) -> String {
        redact_shapes(&self.replace_known(text))
    }

    fn replace_known(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (secret, marker) in &self.known {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), marker);
            }
        }
        out
    }

    fn mark(&mut self, value: &Value, mask: Mask, pointer: &str, why: String) {
        self.by_node.insert(address(value), mask);
        self.redacted.push(Redacted {
            pointer: pointer.to_string(),
            why,
        });
    }

    fn walk(&mut self, value: &'doc Value, key: Option<&str>, pointer: &mut String) {
        match value {
            Value::String(text) => {
                if let Some((shown, why)) = self.shown_string(text, key) {
                    self.mark(value, Mask::Text(shown), pointer, why);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&i.to_string());
                    self.walk(item, None, pointer);
                    pointer.truncate(len);
                }
            }
            Value::Object(map) => {
                let named = wire_key(map);
                let mut renamed = BTreeMap::new();
                for (k, v) in map {
                    let len = pointer.len();
                    // The pointer names the key as shown: a secret-shaped name is never written.
                    let shown = secret_name(k).map(|kind| {
                        let marker = by_shape(&kind);
                        let shown =
                            format!("{} #{}]", marker.trim_end_matches(']'), renamed.len() + 1);
                        renamed.insert(k.clone(), shown.clone());
                        (shown, kind)
                    });
                    let segment = shown.as_ref().map_or(k.as_str(), |(s, _)| s.as_str());
                    pointer.push('/');
                    pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
                    if let Some((_, kind)) = &shown {
                        // The value under a secret-shaped name is listed too: a rule that reads
                        // it on replay reads a table whose key is gone.
                        self.redacted.push(Redacted {
                            pointer: pointer.clone(),
                            why: format!("its name looks like a secret ({kind})"),
                        });
                    }
                    let k = if k == "value" { named.unwrap_or(k) } else { k };
                    self.walk(v, Some(k), pointer);
                    pointer.truncate(len);
                }
                if !renamed.is_empty() {
                    self.by_node.insert(address(value), Mask::Keys(renamed));
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// How a string is shown when that differs from the string, and why.
    fn shown_string(&self, text: &str, key: Option<&str>) -> Option<(String, String)> {
        // An empty value keeps nothing secret, and showing it keeps `non_empty` checks equal
        // on replay.
        if text.trim().is_empty() {
            return None;
        }
        if let Some(key) = key.filter(|k| secret_key(k)) {
            return Some((by_key(key), format!("key name \"{key}\"")));
        }
        // A promotion-ledger entry (mlgate's own, one per move, a thousand on a busy target):
        // its fixed fields are checked for their exact form and only its free text is
        // searched; anything else about it takes the general path below.
        if key.is_some_and(|k| k.starts_with(crate::ledger::PREFIX))
            && crate::ledger::Entry::decode(text)
                .ok()
                .and_then(|e| e.free_text_if_well_formed())
                .is_some_and(|free| self.text(&free) == free)
        {
            return None;
        }
        // A JSON document in a string (a param or tag holding `{"password": …}`): decided as
        // JSON, so its own keys count.
        let inner = nested_json(text).and_then(|nested| {
            let masks = decide(&nested);
            (!masks.is_empty()).then(|| masks.apply(&nested).to_string())
        });
        let base = inner.as_deref().unwrap_or(text);
        let shown = self.text(base);
        (shown != text).then(|| (shown, "part of the text looks like a secret".to_string()))
    }
}

/// A string that is a JSON table or list, parsed.
fn nested_json(text: &str) -> Option<Value> {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    serde_json::from_str::<Value>(text)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
}

/// MLflow's wire lists of tags and params: `{"key": "db_password", "value": "…"}` name their
/// value by the `key` field.
fn wire_key(map: &Map<String, Value>) -> Option<&str> {
    map.get("key")
        .and_then(Value::as_str)
        .filter(|k| secret_key(k) && map.get("value").is_some_and(Value::is_string))
}

/// The raw values redacted by key name that are random enough to be recognised elsewhere.
fn collect_known(value: &Value, key: Option<&str>, known: &mut Vec<(String, String)>) {
    match value {
        Value::String(text) => {
            if let Some(key) = key.filter(|k| secret_key(k)) {
                if random_enough(text) {
                    known.push((text.clone(), by_key(key)));
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_known(v, None, known)),
        Value::Object(map) => {
            let named = wire_key(map);
            for (k, v) in map {
                let k = if k == "value" { named.unwrap_or(k) } else { k };
                collect_known(v, Some(k), known);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests;
