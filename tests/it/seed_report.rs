//! The report of the example snapshot holds every table row of the seed report (the report of
//! the tool mlgate replaces), section by section: same key, same value — except for the
//! documented improvements (JSON instead of Python repr, `|` escaped, `None` shown as `null`
//! or as an empty cell).

use std::collections::HashMap;

use serde_json::Value;

use crate::{mlgate, repo_path};

/// `# Section` → its `|key|value|` rows (headers and separators left out).
fn rows_by_section(markdown: &str) -> HashMap<String, Vec<(String, String)>> {
    let mut sections: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut current = String::new();
    let mut in_code = false;
    let mut previous_was_row = false;
    for line in markdown.lines() {
        if line.starts_with("```") || line.starts_with(" ```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if let Some(title) = line.strip_prefix("# ") {
            current = title.trim().to_string();
            continue;
        }
        let is_row = line.starts_with('|');
        // The first row of a table is its header and the second its separator.
        if is_row && previous_was_row && !line.starts_with("| :---") {
            let cells = split_cells(line);
            if cells.len() >= 2 {
                sections
                    .entry(current.clone())
                    .or_default()
                    .push((cells[0].clone(), cells[1].clone()));
            }
        }
        previous_was_row = is_row;
    }
    sections
}

/// Splits `|a|b\|c|` into cells, honouring `\|` and `\\` escapes.
fn split_cells(line: &str) -> Vec<String> {
    let line = line.trim();
    let inner = line.strip_prefix('|').unwrap_or(line);
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = vec![String::new()];
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    cells.last_mut().unwrap().push(next);
                }
            }
            '|' => cells.push(String::new()),
            other => cells.last_mut().unwrap().push(other),
        }
    }
    cells
}

/// A tiny parser for the Python literals the seed prints (`{'a': [1, None]}`).
fn python_literal(text: &str) -> Option<Value> {
    let mut p = PyParser {
        s: text.as_bytes(),
        i: 0,
    };
    let v = p.value()?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

struct PyParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl PyParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn value(&mut self) -> Option<Value> {
        self.ws();
        match *self.s.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut map = serde_json::Map::new();
                if self.eat(b'}') {
                    return Some(Value::Object(map));
                }
                loop {
                    let Value::String(k) = self.value()? else {
                        return None;
                    };
                    if !self.eat(b':') {
                        return None;
                    }
                    map.insert(k, self.value()?);
                    if self.eat(b'}') {
                        return Some(Value::Object(map));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut list = Vec::new();
                if self.eat(b']') {
                    return Some(Value::Array(list));
                }
                loop {
                    list.push(self.value()?);
                    if self.eat(b']') {
                        return Some(Value::Array(list));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            q @ (b'\'' | b'"') => {
                self.i += 1;
                let start = self.i;
                while *self.s.get(self.i)? != q {
                    self.i += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.i])
                    .ok()?
                    .to_string();
                self.i += 1;
                Some(Value::String(text))
            }
            _ => {
                let start = self.i;
                while self.i < self.s.len() && !b",:]} ".contains(&self.s[self.i]) {
                    self.i += 1;
                }
                match std::str::from_utf8(&self.s[start..self.i]).ok()? {
                    "None" => Some(Value::Null),
                    "True" => Some(Value::Bool(true)),
                    "False" => Some(Value::Bool(false)),
                    n => serde_json::from_str(n).ok(),
                }
            }
        }
    }
}

fn equivalent(seed: &str, ours: &str) -> bool {
    if seed == ours {
        return true;
    }
    if seed == "None" {
        return ours.is_empty() || ours == "null";
    }
    if seed.starts_with(['{', '[']) {
        if let (Some(a), Ok(b)) = (python_literal(seed), serde_json::from_str::<Value>(ours)) {
            return a == b;
        }
    }
    false
}

/// The seed's table rows (section, key, value) that a report lacks, ignoring `skip` keys.
pub fn missing_seed_rows(report: &str, skip: &[&str]) -> Vec<String> {
    let ours = rows_by_section(report);
    let seed_text =
        std::fs::read_to_string(repo_path("tests/fixtures/seed/model-audit-dolly3b.md")).unwrap();
    let seed = rows_by_section(&seed_text);
    let mut checked = 0;
    let mut missing = Vec::new();
    for (section, rows) in &seed {
        let our_rows = ours.get(section).map(Vec::as_slice).unwrap_or_default();
        for (key, value) in rows {
            if skip.contains(&key.as_str()) {
                continue;
            }
            checked += 1;
            let key_ok = |k: &str| k == key || (key == "None" && k.is_empty());
            if !our_rows
                .iter()
                .any(|(k, v)| key_ok(k) && equivalent(value, v))
            {
                let ours_for_key: Vec<&String> = our_rows
                    .iter()
                    .filter(|(k, _)| key_ok(k))
                    .map(|(_, v)| v)
                    .collect();
                missing.push(format!(
                    "[{section}] {key} = {value:?}; ours: {ours_for_key:?}"
                ));
            }
        }
    }
    assert!(checked > 120, "the seed parser found only {checked} rows");
    missing
}

#[test]
fn report_holds_every_row_of_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.md");
    mlgate()
        .args([
            "check",
            "--snapshot",
            "examples/dolly3b.snapshot.json",
            "--report",
        ])
        .arg(&report)
        .assert()
        .code(1);
    let missing = missing_seed_rows(&std::fs::read_to_string(&report).unwrap(), &[]);
    assert!(
        missing.is_empty(),
        "rows of the seed missing from the report:\n{}",
        missing.join("\n")
    );
}

#[test]
fn python_literals_parse() {
    assert_eq!(
        python_literal("{'a': [1, None, True], 'b': {'c': 'x y'}}"),
        Some(serde_json::json!({"a": [1, null, true], "b": {"c": "x y"}}))
    );
    assert!(equivalent(
        "{'conda': 'conda.yaml'}",
        r#"{"conda":"conda.yaml"}"#
    ));
    assert!(!equivalent(
        "{'conda': 'conda.yaml'}",
        r#"{"conda":"other"}"#
    ));
}

#[test]
fn report_of_the_example_is_stable() {
    let out = mlgate()
        .args(["check", "--example", "--quiet", "--report", "/dev/stdout"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    insta::assert_snapshot!("dolly3b_report", String::from_utf8(out).unwrap());
}
