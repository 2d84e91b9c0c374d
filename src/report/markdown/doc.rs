//! A small Markdown document builder: headings with unique anchors and a contents list,
//! two-column tables, "None found" markers and JSON blocks, in the seed report's layout.
//! Every text it is given (headings, cells, reasons, JSON) is sanitised here, once, with
//! `report::sanitize`; callers escape only what they put into paragraphs themselves.

use std::collections::HashMap;
use std::fmt::Write;

use serde_json::Value;

use super::super::escape_cell;
use crate::report::sanitize;

/// A Markdown document under construction.
#[derive(Default)]
pub(super) struct Doc {
    body: String,
    toc: Vec<(usize, String, String)>,
    anchors: HashMap<String, usize>,
}

impl Doc {
    /// A heading (`level` 1–5); levels 1 and 2 are listed in the contents. The title is
    /// plain text (a flavor name may come from the server), escaped here.
    pub(super) fn heading(&mut self, level: usize, title: &str) {
        let anchor = self.anchor(title);
        let title = escape_cell(title);
        if level <= 2 {
            self.toc.push((level, title.clone(), anchor));
        }
        self.body.push('\n');
        self.body.push_str(&"#".repeat(level));
        self.body.push(' ');
        self.body.push_str(&title);
        self.body.push('\n');
    }

    /// GitHub's anchor rule, made unique: `details`, `details-1`, `details-2`…
    fn anchor(&mut self, title: &str) -> String {
        let slug: String = title
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        let count = self.anchors.entry(slug.clone()).or_insert(0);
        let anchor = if *count == 0 {
            slug
        } else {
            format!("{slug}-{count}")
        };
        *count += 1;
        anchor
    }

    /// A bold sub-title that is not a heading (the seed's dashboard table titles).
    pub(super) fn caption(&mut self, title: &str) {
        self.body.push_str("  \n<b><font size=\"+1\">");
        self.body.push_str(title);
        self.body.push_str("</font></b>  \n");
    }

    pub(super) fn paragraph(&mut self, text: &str) {
        self.body.push('\n');
        self.body.push_str(text);
        self.body.push('\n');
    }

    /// A table; every cell is escaped.
    pub(super) fn table(&mut self, headers: &[&str], rows: &[Vec<String>]) {
        self.body.push_str("  \n\n|");
        self.body.push_str(&headers.join("|"));
        self.body.push_str("|\n|");
        self.body.push_str(&vec![" :--- "; headers.len()].join("|"));
        self.body.push_str("|\n");
        for row in rows {
            self.body.push('|');
            let cells: Vec<String> = row.iter().map(|c| escape_cell(c)).collect();
            self.body.push_str(&cells.join("|"));
            self.body.push_str("|\n");
        }
    }

    /// A `Name|Value` table, or "None found" when there are no rows.
    pub(super) fn pairs(&mut self, key_header: &str, rows: Vec<(String, String)>) {
        if rows.is_empty() {
            self.none_found(None);
            return;
        }
        let rows: Vec<Vec<String>> = rows.into_iter().map(|(k, v)| vec![k, v]).collect();
        self.table(&[key_header, "Value"], &rows);
    }

    /// A two-column table with custom headers, or "None found" when there are no rows.
    pub(super) fn pairs_with(
        &mut self,
        key_header: &str,
        value_header: &str,
        rows: Vec<(String, String)>,
    ) {
        if rows.is_empty() {
            self.none_found(None);
            return;
        }
        let rows: Vec<Vec<String>> = rows.into_iter().map(|(k, v)| vec![k, v]).collect();
        self.table(&[key_header, value_header], &rows);
    }

    /// The seed's red "None found", with an optional reason (why the data is absent).
    pub(super) fn none_found(&mut self, reason: Option<&str>) {
        self.body
            .push_str("  \n**_<font color=\"red\" size=\"+1\">None found</font>_**\n");
        if let Some(reason) = reason {
            self.body.push('\n');
            let _ = writeln!(self.body, "_{}_", escape_cell(reason));
        }
    }

    /// A fenced JSON block. Inside a code block HTML and links are text; what remains is a
    /// server string closing the fence (the fence outgrows any backtick run) and hidden
    /// characters (written as JSON escapes).
    pub(super) fn json_block(&mut self, value: &Value) {
        let text = sanitize::json(&serde_json::to_string_pretty(value).unwrap_or_default());
        self.code_block("json", &text);
    }

    /// A fenced block of text the caller made safe for `language` (JSON, a Mermaid diagram);
    /// the fence outgrows any backtick run in it.
    pub(super) fn code_block(&mut self, language: &str, text: &str) {
        let fence = sanitize::code_fence(text);
        let _ = write!(self.body, "  \n{fence}{language}\n{text}\n{fence}\n");
    }

    /// The body alone, without title and contents: a fragment for another document (the
    /// GitHub job summary).
    pub(super) fn into_body(self) -> String {
        self.body
    }

    /// The finished document: title (Markdown the caller escaped), contents, body.
    pub(super) fn finish(self, title: &str) -> String {
        let mut out = String::new();
        out.push('\n');
        out.push_str(title);
        out.push('\n');
        out.push_str(&"=".repeat(title.chars().count()));
        out.push_str("\n\nContents\n========\n\n");
        for (level, title, anchor) in &self.toc {
            if *level == 2 {
                out.push('\t');
            }
            let _ = writeln!(out, "* [{title}](#{anchor})");
        }
        out.push_str(&self.body);
        out
    }
}

/// A JSON value as cell text: strings bare, `null`, numbers, and compact JSON for objects
/// and lists (never a language-specific repr).
pub(super) fn cell(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Rows for every scalar field of an object, in order (objects and lists are left to their
/// own tables).
pub(super) fn scalar_rows(object: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    object
        .iter()
        .filter(|(_, v)| !v.is_object() && !v.is_array())
        .map(|(k, v)| (k.clone(), cell(v)))
        .collect()
}

/// Rows for every field of an object, nested values as compact JSON.
pub(super) fn all_rows(object: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    object.iter().map(|(k, v)| (k.clone(), cell(v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_unique() {
        let mut doc = Doc::default();
        doc.heading(1, "Experiment");
        doc.heading(2, "Details");
        doc.heading(1, "Registered Model");
        doc.heading(2, "Details");
        let out = doc.finish("T");
        assert!(out.contains("(#details)"));
        assert!(out.contains("(#details-1)"));
        assert!(out.contains("(#registered-model)"));
    }
}
