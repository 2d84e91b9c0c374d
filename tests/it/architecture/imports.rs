//! The crate's file-level import graph, read from the source text: which file names which.
//!
//! A file imports another when it names an item of that file's module, through a `use` (nested
//! braces, `self`, renames), an in-line path (`crate::a::b`, `super::x`, `self::x`), a child
//! module it declared, or an alias a `use` brought in (`use crate::gather; gather::oss::f()`).
//! A path resolves to the longest module prefix that is a file, so `super::Listing` from a
//! child is an import of its parent's `mod.rs`: a parent that calls its children while they
//! take items from it is a loop, as it is for a reader. `mod x;` alone is no import, and test
//! code (`#[cfg(test)]` items) is left out: only what ships counts.

use std::collections::{BTreeMap, BTreeSet};

/// A module path from the crate root, e.g. `["gather", "cloud", "s3"]`.
pub type ModPath = Vec<String>;

/// Module path of a file under `src/`: `src/gather/cloud/mod.rs` → `gather::cloud`.
pub fn module_of(file: &str) -> Option<ModPath> {
    let rest = file.strip_prefix("src/")?.strip_suffix(".rs")?;
    let mut parts: ModPath = rest.split('/').map(str::to_string).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    Some(parts)
}

/// The code that ships: comments, string and char literals and `#[cfg(test)]` items removed.
pub fn shipped_code(text: &str) -> String {
    let stripped = strip_literals(text);
    let mut out = String::new();
    let mut lines = stripped.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "#[cfg(test)]" {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        // Skip the next item: up to its `;` or through its braced body.
        let mut depth = 0usize;
        let mut opened = false;
        for item in lines.by_ref() {
            for c in item.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            let trimmed = item.trim_end();
            if (opened && depth == 0) || (!opened && trimmed.ends_with(';')) {
                break;
            }
        }
    }
    out
}

/// Removes comments and the contents of string and char literals (a path in a message is no
/// import). Raw strings (`r"…"`, `r#"…"#`) included; lifetimes are kept as they are.
fn strip_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                if chars[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            i += 2;
        } else if c == 'r' && matches!(next, Some('"' | '#')) && !ident_before(&chars, i) {
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                match chars.get(j) {
                    None => break,
                    Some('"') if (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) => {
                        j += 1 + hashes;
                        break;
                    }
                    Some('\n') => out.push('\n'),
                    _ => {}
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if chars.get(i) == Some(&'\n') {
                    out.push('\n');
                }
                i += 1;
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\'' && is_char_literal(&chars, i) {
            let mut j = i + 1;
            if chars.get(j) == Some(&'\\') {
                j += 1;
            }
            j += 1;
            while j < chars.len() && chars[j] != '\'' {
                j += 1;
            }
            out.push_str("' '");
            i = j + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// `'a'`, `'\n'`, `'\u{1F600}'` are char literals; `'a` in `&'a str` is a lifetime.
fn is_char_literal(chars: &[char], i: usize) -> bool {
    match chars.get(i + 1) {
        Some('\\') => true,
        Some(_) => chars.get(i + 2) == Some(&'\''),
        None => false,
    }
}

/// Every path a `use` tree names, expanded: `a::{b, c::{d, self}}` → `a::b`, `a::c::d`, `a::c`,
/// each with the name it is known by in the file (its last segment, or the rename).
fn expand_use(tree: &str) -> Vec<(Vec<String>, Option<String>)> {
    fn go(prefix: &[String], tree: &str, out: &mut Vec<(Vec<String>, Option<String>)>) {
        let tree = tree.trim();
        if tree.is_empty() {
            return;
        }
        if let Some(open) = tree.find('{') {
            let head: Vec<String> = tree[..open]
                .split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let mut base = prefix.to_vec();
            base.extend(head);
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            for part in split_top(inner) {
                go(&base, part, out);
            }
            return;
        }
        let (path, rename) = match tree.split_once(" as ") {
            Some((p, r)) => (p.trim(), Some(r.trim().to_string())),
            None => (tree, None),
        };
        let mut full = prefix.to_vec();
        for seg in path.split("::").map(str::trim).filter(|s| !s.is_empty()) {
            if seg != "self" {
                full.push(seg.to_string());
            }
        }
        if full.last().is_some_and(|s| s == "*") {
            full.pop();
        }
        let name = rename.or_else(|| full.last().cloned());
        out.push((full, name));
    }
    let mut out = Vec::new();
    go(&[], tree, &mut out);
    out
}

/// Splits on commas not inside braces.
fn split_top(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A path as written in `file_mod`, made absolute: `super::x` → the parent's `x`; `crate::x`
/// → `x`; `self::x` → `file_mod::x`; an alias or a declared child module → its module.
fn absolute(
    file_mod: &ModPath,
    path: &[String],
    aliases: &BTreeMap<String, ModPath>,
) -> Option<ModPath> {
    let first = path.first()?;
    // `self` and `super` count from the file's own module; a `mod.rs` is that module itself.
    let here: ModPath = file_mod.clone();
    let mut rest = path.iter().skip(1);
    let mut base = match first.as_str() {
        "crate" => Vec::new(),
        "self" => here,
        "super" => {
            let mut b = here;
            b.pop();
            let mut supers = rest.clone().take_while(|s| *s == "super").count();
            while supers > 0 {
                b.pop();
                rest.next();
                supers -= 1;
            }
            b
        }
        name => aliases.get(name)?.clone(),
    };
    base.extend(rest.cloned());
    Some(base)
}

/// The longest prefix of `path` that is one of `modules`.
fn resolve<'m>(path: &[String], modules: &'m BTreeSet<ModPath>) -> Option<&'m ModPath> {
    (1..=path.len())
        .rev()
        .find_map(|n| modules.get(&path[..n].to_vec()))
}

/// The file-level import graph: for each file (by its path under `src/`), the files it imports.
pub fn graph(files: &[(String, String)]) -> BTreeMap<String, BTreeSet<String>> {
    // Modules declared only for tests (`#[cfg(test)] mod fixtures;`) are test code too.
    let test_only_re = regex::Regex::new(
        r"#\[cfg\(test\)\]\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+([a-z_][a-z0-9_]*)\s*;",
    )
    .expect("regex");
    let mut test_only: BTreeSet<ModPath> = BTreeSet::new();
    for (f, text) in files {
        if let Some(me) = module_of(f) {
            for cap in test_only_re.captures_iter(&strip_literals(text)) {
                let mut child = me.clone();
                child.push(cap[1].to_string());
                test_only.insert(child);
            }
        }
    }
    let files: Vec<&(String, String)> = files
        .iter()
        .filter(|(f, _)| {
            module_of(f).is_some_and(|m| !(1..=m.len()).any(|n| test_only.contains(&m[..n])))
        })
        .collect();
    let by_mod: BTreeMap<ModPath, String> = files
        .iter()
        .filter_map(|(f, _)| Some((module_of(f)?, f.clone())))
        .collect();
    let modules: BTreeSet<ModPath> = by_mod.keys().cloned().collect();
    let use_re = regex::Regex::new(r"(?s)\buse\s+([^;]*);").expect("regex");
    let mod_re = regex::Regex::new(r"\bmod\s+([a-z_][a-z0-9_]*)\s*;").expect("regex");
    let path_re =
        regex::Regex::new(r"\b([A-Za-z_][A-Za-z0-9_]*)((?:\s*::\s*[A-Za-z_][A-Za-z0-9_]*)+)")
            .expect("regex");
    let mut out = BTreeMap::new();
    for &(file, text) in &files {
        let Some(me) = module_of(file) else { continue };
        let code = shipped_code(text);
        let mut targets = BTreeSet::new();
        let mut aliases: BTreeMap<String, ModPath> = BTreeMap::new();
        for cap in mod_re.captures_iter(&code) {
            let mut child = me.clone();
            child.push(cap[1].to_string());
            aliases.insert(cap[1].to_string(), child);
        }
        let mut uses = Vec::new();
        for cap in use_re.captures_iter(&code) {
            let tree = cap[1].trim_start_matches("::").to_string();
            for (path, name) in expand_use(&tree) {
                uses.push((path, name));
            }
        }
        let found = |abs: Option<ModPath>, targets: &mut BTreeSet<String>| {
            if let Some(m) = abs.as_deref().and_then(|p| resolve(p, &modules)) {
                if let Some(f) = by_mod.get(m).filter(|f| *f != file) {
                    targets.insert(f.clone());
                }
            }
        };
        // Uses first (they define aliases later paths go through); a `use` may itself start
        // from an alias of an earlier one (`use gather::oss;`), so resolve in two rounds.
        for _ in 0..2 {
            for (path, name) in &uses {
                let abs = absolute(&me, path, &aliases);
                if let (Some(abs), Some(name)) = (&abs, name) {
                    if modules.contains(abs) {
                        aliases.insert(name.clone(), abs.clone());
                    }
                }
            }
        }
        for (path, _) in &uses {
            found(absolute(&me, path, &aliases), &mut targets);
        }
        let body = use_re.replace_all(&code, "");
        for cap in path_re.captures_iter(&body) {
            let mut path = vec![cap[1].to_string()];
            path.extend(
                cap[2]
                    .split("::")
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            );
            found(absolute(&me, &path, &aliases), &mut targets);
        }
        out.insert(file.clone(), targets);
    }
    out
}

/// The loops among the files under `folder` (each as the files it runs through), using only
/// the imports between those files.
pub fn loops_within(graph: &BTreeMap<String, BTreeSet<String>>, folder: &str) -> Vec<Vec<String>> {
    // Tarjan's strongly connected components; a component of two or more files is a loop.
    struct State<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g String, usize>,
        low: BTreeMap<&'g String, usize>,
        stack: Vec<&'g String>,
        on_stack: BTreeSet<&'g String>,
        next: usize,
        loops: Vec<Vec<String>>,
        folder: &'g str,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g String) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flatten() {
            if !w.starts_with(s.folder) || !graph.contains_key(w) {
                continue;
            }
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.loops.push(component);
            }
        }
    }
    let nodes: Vec<&String> = graph.keys().filter(|f| f.starts_with(folder)).collect();
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        loops: Vec::new(),
        folder,
    };
    for v in nodes {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.loops
}

/// The files `from` reaches through any chain of imports (itself excluded).
pub fn reach(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(f) = todo.pop() {
        for t in graph.get(&f).into_iter().flatten() {
            if t != from && seen.insert(t.clone()) {
                todo.push(t.clone());
            }
        }
    }
    seen
}

/// One chain of imports from `from` to `to`, for the failure message.
pub fn chain(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> Vec<String> {
    let mut prev: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([from.to_string()]);
    while let Some(f) = queue.pop_front() {
        if f == to {
            let mut path = vec![f.clone()];
            let mut at = f;
            while let Some(p) = prev.get(&at) {
                path.push(p.clone());
                at = p.clone();
            }
            path.reverse();
            return path;
        }
        for t in graph.get(&f).into_iter().flatten() {
            if t != from && !prev.contains_key(t) {
                prev.insert(t.clone(), f.clone());
                queue.push_back(t.clone());
            }
        }
    }
    Vec::new()
}
