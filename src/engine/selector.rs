//! Selectors: paths into the snapshot such as `run.tags["mlflow.user"]` or
//! `permissions.registered_model.entries[*]`.
//!
//! Grammar: a dotted list of field names (`[A-Za-z0-9_-]+`), each optionally followed by
//! `[*]` (every element of a list, or every value of a map), `[N]` (one list element) or
//! `["key"]` (a field whose name has dots or spaces).

use serde_json::Value;
use std::fmt;

/// One step of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Field(String),
    Index(usize),
    Each,
}

/// A parsed selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub segments: Vec<Segment>,
    text: String,
}

/// A selector syntax error: what is wrong and the byte offset in the selector text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError {
    pub offset: usize,
    pub message: String,
}

/// Where a selector led: a value, or the concrete path at which it found nothing and why.
#[derive(Debug, Clone, PartialEq)]
pub enum Reached<'a> {
    Found {
        path: String,
        value: &'a Value,
    },
    /// Nothing at `path`; everything before it was found.
    Missing {
        path: String,
        why: Why,
    },
}

/// Why a step found nothing. The value before the step (`parent`) always exists: a selector
/// stops at the first step that finds nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The table at `parent` has no `key` (or holds `null` there).
    NoKey { parent: String, key: String },
    /// The list at `parent` has `len` elements, so none at `index`.
    NoIndex {
        parent: String,
        index: usize,
        len: usize,
    },
    /// The value at `parent` is of a kind the step cannot enter (`kind`: "text", "a list", …):
    /// a type mismatch, not an absence.
    NotEnterable {
        parent: String,
        kind: &'static str,
        step: String,
    },
}

impl Why {
    /// Whether the step found a value of the wrong kind (rather than no value).
    pub fn is_mismatch(&self) -> bool {
        matches!(self, Why::NotEnterable { .. })
    }

    /// What is missing, in words: `model_version has no tag `reviewed_by``,
    /// `run.inputs.dataset_inputs has 0 elements, so no [0]`.
    pub fn describe(&self) -> String {
        match self {
            Why::NoKey { parent, key } => {
                // Tags, params and metrics are named as such: "run has no metric `auc`".
                let named = [
                    (".tags", "tag"),
                    (".params", "param"),
                    (".metrics", "metric"),
                ]
                .into_iter()
                .find_map(|(suffix, noun)| Some((parent.strip_suffix(suffix)?, noun)));
                match named {
                    Some((owner, noun)) if !owner.is_empty() => {
                        format!("{owner} has no {noun} `{key}`")
                    }
                    _ if parent.is_empty() => format!("the snapshot has no `{key}`"),
                    _ => format!("{parent} has no `{key}`"),
                }
            }
            Why::NoIndex { parent, index, len } => format!(
                "{parent} has {len} element{}, so no [{index}]",
                if *len == 1 { "" } else { "s" }
            ),
            Why::NotEnterable { parent, kind, step } => {
                format!("{parent} is {kind}, so it has no {step}")
            }
        }
    }
}

/// The kind of a JSON value, for messages: "text", "a number", …
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a table",
    }
}

impl Selector {
    /// Parses selector text.
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let bytes = text.as_bytes();
        let mut segments = Vec::new();
        let mut i = 0;
        let err = |offset: usize, message: &str| SelectorError {
            offset,
            message: message.to_string(),
        };
        if text.is_empty() {
            return Err(err(0, "the selector is empty"));
        }
        loop {
            // A field name, unless the previous segment ended with brackets and a bracket follows.
            let start = i;
            while i < bytes.len() && is_name_byte(bytes[i]) {
                i += 1;
            }
            if i == start && !(i < bytes.len() && bytes[i] == b'[' && !segments.is_empty()) {
                return Err(err(i, "expected a field name"));
            }
            if i > start {
                segments.push(Segment::Field(text[start..i].to_string()));
            }
            while i < bytes.len() && bytes[i] == b'[' {
                let open = i;
                i += 1;
                if bytes.get(i) == Some(&b'*') && bytes.get(i + 1) == Some(&b']') {
                    segments.push(Segment::Each);
                    i += 2;
                } else if bytes.get(i) == Some(&b'"') {
                    let close = text[i + 1..]
                        .find('"')
                        .ok_or_else(|| err(i, "unterminated quoted key"))?;
                    let key = &text[i + 1..i + 1 + close];
                    i += close + 2;
                    if bytes.get(i) != Some(&b']') {
                        return Err(err(i, "expected `]` after the quoted key"));
                    }
                    i += 1;
                    segments.push(Segment::Field(key.to_string()));
                } else {
                    let digits_start = i;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                    if i == digits_start || bytes.get(i) != Some(&b']') {
                        return Err(err(open, "expected `[*]`, `[N]` or `[\"key\"]` after `[`"));
                    }
                    let index = text[digits_start..i]
                        .parse()
                        .map_err(|_| err(digits_start, "index too large"))?;
                    segments.push(Segment::Index(index));
                    i += 1;
                }
            }
            if i == bytes.len() {
                break;
            }
            if bytes[i] != b'.' {
                return Err(err(i, "expected `.` or `[` between path steps"));
            }
            i += 1;
        }
        Ok(Self {
            segments,
            text: text.to_string(),
        })
    }

    /// The selector as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the selector fans out (`[*]`).
    pub fn fans_out(&self) -> bool {
        self.segments.contains(&Segment::Each)
    }

    /// Follows the selector from `root`, fanning out at each `[*]`.
    pub fn reach<'a>(&self, root: &'a Value) -> Vec<Reached<'a>> {
        let mut current = vec![(String::new(), root)];
        let mut missing = Vec::new();
        for segment in &self.segments {
            let mut next = Vec::new();
            for (path, value) in current {
                let gap = |child_path: String, why: Why| Reached::Missing {
                    path: child_path,
                    why,
                };
                match segment {
                    Segment::Field(name) => {
                        let child_path = join_field(&path, name);
                        match value.get(name.as_str()) {
                            Some(Value::Null) | None if value.is_object() => {
                                missing.push(gap(
                                    child_path,
                                    Why::NoKey {
                                        parent: path,
                                        key: name.clone(),
                                    },
                                ));
                            }
                            Some(Value::Null) | None => missing.push(gap(
                                child_path,
                                Why::NotEnterable {
                                    parent: path,
                                    kind: kind(value),
                                    step: format!("`{name}`"),
                                },
                            )),
                            Some(child) => next.push((child_path, child)),
                        }
                    }
                    Segment::Index(index) => {
                        let child_path = format!("{path}[{index}]");
                        match value {
                            Value::Array(items) => match items.get(*index) {
                                Some(child) => next.push((child_path, child)),
                                None => missing.push(gap(
                                    child_path,
                                    Why::NoIndex {
                                        parent: path,
                                        index: *index,
                                        len: items.len(),
                                    },
                                )),
                            },
                            _ => missing.push(gap(
                                child_path,
                                Why::NotEnterable {
                                    parent: path,
                                    kind: kind(value),
                                    step: format!("element [{index}]"),
                                },
                            )),
                        }
                    }
                    Segment::Each => match value {
                        Value::Array(items) => next.extend(
                            items
                                .iter()
                                .enumerate()
                                .map(|(i, item)| (format!("{path}[{i}]"), item)),
                        ),
                        Value::Object(map) => {
                            next.extend(map.iter().map(|(k, item)| (join_field(&path, k), item)));
                        }
                        _ => missing.push(gap(
                            format!("{path}[*]"),
                            Why::NotEnterable {
                                parent: path,
                                kind: kind(value),
                                step: "elements to range over with `[*]`".to_string(),
                            },
                        )),
                    },
                }
            }
            current = next;
        }
        missing.extend(
            current
                .into_iter()
                .map(|(path, value)| Reached::Found { path, value }),
        );
        missing
    }

    /// The single value at this selector, when it leads to exactly one.
    pub fn get<'a>(&self, root: &'a Value) -> Option<&'a Value> {
        match self.reach(root).as_slice() {
            [Reached::Found { value, .. }] => Some(value),
            _ => None,
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// `a.b` or `a["x.y"]` for keys that are not plain names.
fn join_field(path: &str, name: &str) -> String {
    let plain = !name.is_empty() && name.bytes().all(is_name_byte);
    match (path.is_empty(), plain) {
        (true, true) => name.to_string(),
        (false, true) => format!("{path}.{name}"),
        (_, false) => format!("{path}[{name:?}]"),
    }
}

/// Whose value a reference reads, for messages: "the incumbent" or the selector itself.
pub fn owner(reference: &Selector) -> String {
    if reads_incumbent(reference) {
        "the incumbent".to_string()
    } else {
        format!("`{reference}`")
    }
}

/// Whether a selector reads the `incumbent` section.
pub fn reads_incumbent(selector: &Selector) -> bool {
    matches!(
        selector.segments.first(),
        Some(Segment::Field(f)) if f == crate::snapshot::INCUMBENT
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_every_segment_kind() {
        let s = Selector::parse(r#"run.tags["mlflow.user"].x[*][2]"#).unwrap();
        assert_eq!(
            s.segments,
            [
                Segment::Field("run".into()),
                Segment::Field("tags".into()),
                Segment::Field("mlflow.user".into()),
                Segment::Field("x".into()),
                Segment::Each,
                Segment::Index(2),
            ]
        );
    }

    #[test]
    fn rejects_malformed_selectors_with_offsets() {
        for (text, offset) in [
            ("", 0),
            ("a..b", 2),
            ("a[", 1),
            ("a[x]", 1),
            ("a b", 1),
            (r#"a["b"#, 2),
        ] {
            let e = Selector::parse(text).unwrap_err();
            assert_eq!(e.offset, offset, "{text}: {e:?}");
        }
    }

    #[test]
    fn reaches_values_and_reports_missing_paths() {
        let doc = json!({"a": {"list": [{"k": 1}, {"j": 2}]}, "n": null});
        let s = Selector::parse("a.list[*].k").unwrap();
        let reached = s.reach(&doc);
        assert_eq!(reached.len(), 2);
        assert!(reached.contains(&Reached::Missing {
            path: "a.list[1].k".into(),
            why: Why::NoKey {
                parent: "a.list[1]".into(),
                key: "k".into()
            }
        }));
        assert_eq!(
            Selector::parse("n").unwrap().reach(&doc),
            [Reached::Missing {
                path: "n".into(),
                why: Why::NoKey {
                    parent: String::new(),
                    key: "n".into()
                }
            }]
        );
        assert_eq!(
            Selector::parse(r#"a["list"][0].k"#).unwrap().get(&doc),
            Some(&json!(1))
        );
    }

    #[test]
    fn says_why_nothing_was_found() {
        let doc = json!({
            "model_version": {"tags": {}, "aliases": ["a"], "name": "m"},
            "run": {"metrics": {}, "params": {}}
        });
        let why = |selector: &str| match Selector::parse(selector).unwrap().reach(&doc).pop() {
            Some(Reached::Missing { why, .. }) => (why.is_mismatch(), why.describe()),
            other => panic!("{selector}: {other:?}"),
        };
        assert_eq!(
            why(r#"model_version.tags["reviewed_by"]"#),
            (false, "model_version has no tag `reviewed_by`".into())
        );
        assert_eq!(
            why("run.metrics.auc"),
            (false, "run has no metric `auc`".into())
        );
        assert_eq!(
            why("run.params.lr"),
            (false, "run has no param `lr`".into())
        );
        assert_eq!(
            why("model_version.description"),
            (false, "model_version has no `description`".into())
        );
        assert_eq!(
            why("model_version.aliases[3]"),
            (
                false,
                "model_version.aliases has 1 element, so no [3]".into()
            )
        );
        assert_eq!(
            why("model_version.name.first"),
            (
                true,
                "model_version.name is text, so it has no `first`".into()
            )
        );
        assert_eq!(
            why("model_version.name[*]"),
            (
                true,
                "model_version.name is text, so it has no elements to range over with `[*]`".into()
            )
        );
        assert_eq!(
            why("model_version.aliases.x"),
            (
                true,
                "model_version.aliases is a list, so it has no `x`".into()
            )
        );
        assert_eq!(
            why("experiment"),
            (false, "the snapshot has no `experiment`".into())
        );
    }
}
