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

/// Where a selector led: a value, or the concrete path at which it found nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Reached<'a> {
    Found { path: String, value: &'a Value },
    Missing { path: String, depth: usize },
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
        for (depth, segment) in self.segments.iter().enumerate() {
            let mut next = Vec::new();
            for (path, value) in current {
                match segment {
                    Segment::Field(name) => {
                        let child_path = join_field(&path, name);
                        match value.get(name.as_str()) {
                            Some(Value::Null) | None => missing.push(Reached::Missing {
                                path: child_path,
                                depth: depth + 1,
                            }),
                            Some(child) => next.push((child_path, child)),
                        }
                    }
                    Segment::Index(index) => {
                        let child_path = format!("{path}[{index}]");
                        match value.get(*index) {
                            Some(child) => next.push((child_path, child)),
                            None => missing.push(Reached::Missing {
                                path: child_path,
                                depth: depth + 1,
                            }),
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
                        _ => missing.push(Reached::Missing {
                            path: format!("{path}[*]"),
                            depth: depth + 1,
                        }),
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
            depth: 4
        }));
        assert_eq!(
            Selector::parse("n").unwrap().reach(&doc),
            [Reached::Missing {
                path: "n".into(),
                depth: 1
            }]
        );
        assert_eq!(
            Selector::parse(r#"a["list"][0].k"#).unwrap().get(&doc),
            Some(&json!(1))
        );
    }
}
