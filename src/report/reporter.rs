//! The one contract every output format keeps: a run hands a reporter each judged version as
//! soon as it is judged ([`Reporter::version`]), then ends it once ([`Reporter::finish`]) with
//! the summary of the run. A single `check` is a run of one version; `check --all-models` is
//! a run of many, and a reporter built for many writes one document over all of them.
//!
//! Reporters append text to a buffer the caller flushes to its destination after each call
//! (a file, standard output, a file GitHub reads), so a bulk run holds one version at a time:
//! what a format must keep until the end (SARIF's notifications, the annotation counts) is
//! small and bounded by the failures, never by the versions checked.

use serde_json::Value;

use super::summary::Summary;
use super::Evaluation;

/// Whether a reporter serves one version or many (the shape of its document differs: one
/// JSON results document or a list of them, one report or the bulk summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    One,
    Many,
}

/// One output format.
pub trait Reporter {
    /// What this format says of one judged version, appended to `out`.
    fn version(&mut self, e: &Evaluation<'_>, out: &mut String);

    /// The end of the run: what closes the document, appended to `out`. `summary` holds one
    /// line per version checked (the bulk summary; a single check's one line).
    fn finish(&mut self, summary: &Summary, out: &mut String);

    /// A warning for standard error once the run is over (e.g. results with no file in the
    /// repository to point at), if the format has one.
    fn warning(&self) -> Option<String> {
        None
    }
}

/// `value` as `serde_json::to_string_pretty` writes it inside an array at `depth` (two spaces
/// a level): so a streamed array reads exactly like one written whole.
pub fn pretty_item(value: &Value, depth: usize) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    let pad = "  ".repeat(depth);
    let mut out = String::with_capacity(text.len() + 64);
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&pad);
        out.push_str(line);
    }
    out
}

/// A JSON array written as it goes: `[`, then items separated by `,`, then `]`, laid out as
/// `to_string_pretty` lays out a whole array.
#[derive(Debug, Default)]
pub struct JsonList {
    items: usize,
}

impl JsonList {
    /// Appends one item at `depth` (the array's own depth plus one).
    pub fn push(&mut self, item: &Value, depth: usize, out: &mut String) {
        out.push_str(if self.items == 0 { "[\n" } else { ",\n" });
        out.push_str(&pretty_item(item, depth));
        self.items += 1;
    }

    /// Closes the array, its `]` at `depth` (`[]` when it stayed empty).
    pub fn close(&mut self, depth: usize, out: &mut String) {
        if self.items == 0 {
            out.push_str("[]");
        } else {
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
            out.push(']');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_streamed_array_reads_like_one_written_whole() {
        let items = [json!({"a": 1, "b": [1, 2]}), json!("x"), json!({})];
        let mut list = JsonList::default();
        let mut out = String::new();
        for item in &items {
            list.push(item, 1, &mut out);
        }
        list.close(0, &mut out);
        assert_eq!(
            out,
            serde_json::to_string_pretty(&json!(items)).unwrap(),
            "{out}"
        );
        let mut empty = String::new();
        JsonList::default().close(0, &mut empty);
        assert_eq!(empty, "[]");
    }
}
