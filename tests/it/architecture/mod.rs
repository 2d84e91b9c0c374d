//! The layering docs/architecture.md promises, checked on the source: the snapshot is data only (no
//! client, no gathering, no HTTP), the client knows no snapshot, the engine and reporters never
//! see the client or the wire, and the backend names are spelled only where they are
//! (de)serialised.

mod imports;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::repo_path;

/// Every `.rs` file under `dir`, with its code lines (comments dropped).
fn sources(dir: &str) -> Vec<(String, Vec<String>)> {
    fn walk(dir: &Path, out: &mut Vec<(String, Vec<String>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.starts_with("//"))
                    .map(str::to_string)
                    .collect();
                out.push((path.display().to_string(), code));
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo_path(dir), &mut out);
    assert!(!out.is_empty(), "{dir} has sources");
    out
}

fn forbid(dir: &str, patterns: &[&str]) {
    for (file, lines) in sources(dir) {
        for line in &lines {
            for pattern in patterns {
                assert!(
                    !line.contains(pattern),
                    "{file} must not use `{pattern}`: {line}"
                );
            }
        }
    }
}

#[test]
fn the_snapshot_is_data_only() {
    forbid(
        "src/snapshot",
        &["crate::client", "crate::gather", "reqwest", "tokio"],
    );
}

#[test]
fn the_client_knows_no_snapshot() {
    forbid("src/client", &["crate::snapshot", "crate::gather"]);
}

#[test]
fn rules_and_reporters_never_see_the_client_or_the_wire() {
    for dir in ["src/engine", "src/policy", "src/report"] {
        forbid(dir, &["crate::client", "crate::gather", "reqwest"]);
    }
}

#[test]
fn backend_names_are_spelled_only_where_they_are_serialised() {
    for name in [
        "\"mlflow-oss\"",
        "\"databricks-workspace\"",
        "\"databricks-uc\"",
    ] {
        for (file, lines) in sources("src") {
            if file.ends_with("snapshot/backend.rs") {
                continue;
            }
            // Unit tests build serialised snapshots by hand; that is (de)serialisation.
            let code = lines.split(|l| l == "#[cfg(test)]").next().unwrap_or(&[]);
            assert!(
                !code.iter().any(|l| l.contains(name)),
                "{file} spells the backend {name}: use snapshot::Backend"
            );
        }
    }
}

/// Every `.rs` file under `src/`, as (path relative to the repository, text).
fn crate_files() -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let root = repo_path("");
    let mut out = Vec::new();
    walk(&root, &repo_path("src"), &mut out);
    out
}

fn crate_graph() -> BTreeMap<String, BTreeSet<String>> {
    imports::graph(&crate_files())
}

/// Data flows one way inside the gathering layer, the commands and the webhook listener: a
/// backend, a store, a command may build on what is below it, never on what builds on it.
#[test]
fn gather_and_app_have_no_import_loop() {
    let graph = crate_graph();
    let loops: Vec<String> = ["src/gather/", "src/app/", "src/serve/"]
        .iter()
        .flat_map(|folder| imports::loops_within(&graph, folder))
        .map(|l| l.join(" <-> "))
        .collect();
    assert!(
        loops.is_empty(),
        "import loops (each line: the files of one loop):\n{}",
        loops.join("\n")
    );
}

/// The layering holds through any chain of imports, not only the direct ones: a reporter that
/// reaches the client through a helper sees the client all the same.
#[test]
fn layers_hold_through_indirect_imports() {
    let graph = crate_graph();
    let rules: &[(&str, &[&str])] = &[
        (
            "src/client/",
            &["src/snapshot/", "src/gather/", "src/engine/", "src/report/"],
        ),
        ("src/snapshot/", &["src/client/", "src/gather/", "src/app/"]),
        (
            "src/engine/",
            &["src/client/", "src/gather/", "src/app/", "src/report/"],
        ),
        (
            "src/policy/",
            &["src/client/", "src/gather/", "src/app/", "src/report/"],
        ),
        ("src/report/", &["src/client/", "src/gather/", "src/app/"]),
        ("src/gather/", &["src/app/", "src/report/"]),
        // The ledger's chain is pure: tags in, entries and planned writes out.
        (
            "src/ledger/",
            &["src/client/", "src/gather/", "src/app/", "src/report/"],
        ),
        // The webhook listener is a leaf: the guard's core imports it, never the reverse.
        (
            "src/serve/",
            &[
                "src/app/",
                "src/gather/",
                "src/client/",
                "src/engine/",
                "src/report/",
            ],
        ),
    ];
    let mut broken = Vec::new();
    for (from, forbidden) in rules {
        for file in graph.keys().filter(|f| f.starts_with(from)) {
            for reached in imports::reach(&graph, file) {
                if forbidden.iter().any(|f| reached.starts_with(f)) {
                    broken.push(imports::chain(&graph, file, &reached).join(" -> "));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "imports that cross a layer (directly or through other files):\n{}",
        broken.join("\n")
    );
}

/// The graph reader itself: a loop through a parent's item, an alias, an in-line path and a
/// `super::super` path are seen; comments, strings and test code are not imports.
#[test]
fn the_import_reader_sees_indirect_loops_and_ignores_text() {
    let file = |p: &str, t: &str| (p.to_string(), t.to_string());
    let files = vec![
        file("src/lib.rs", "pub mod a;\npub mod b;\n#[cfg(test)]\nmod fixtures;\n"),
        file("src/fixtures.rs", "use crate::a::y;\n"),
        file("src/a/mod.rs", "mod x;\nmod y;\npub struct Shared;\npub fn f() { x::g(); }\n"),
        file("src/a/x.rs", "use super::Shared;\npub fn g() {}\n"),
        file("src/a/y.rs", "use crate::b;\npub fn h() { b::deep::k(); }\n"),
        file("src/b/mod.rs", "pub mod deep;\n// use crate::a::y;\nconst S: &str = \"crate::a::y\";\n"),
        file("src/b/deep.rs", "pub fn k() { super::super::a::f(); }\n#[cfg(test)]\nmod tests {\n    use crate::a::y;\n}\n"),
    ];
    let graph = imports::graph(&files);
    let set = |v: &[&str]| v.iter().map(ToString::to_string).collect::<BTreeSet<_>>();
    assert_eq!(graph["src/a/x.rs"], set(&["src/a/mod.rs"]));
    assert_eq!(graph["src/a/mod.rs"], set(&["src/a/x.rs"]));
    assert_eq!(graph["src/a/y.rs"], set(&["src/b/mod.rs", "src/b/deep.rs"]));
    assert_eq!(graph["src/b/mod.rs"], set(&[]));
    assert_eq!(graph["src/b/deep.rs"], set(&["src/a/mod.rs"]));
    assert!(!graph.contains_key("src/fixtures.rs"), "test-only module");
    assert_eq!(
        imports::loops_within(&graph, "src/a/"),
        vec![vec!["src/a/mod.rs".to_string(), "src/a/x.rs".to_string()]]
    );
    assert!(imports::reach(&graph, "src/a/y.rs").contains("src/a/x.rs"));
    assert_eq!(
        imports::chain(&graph, "src/a/y.rs", "src/a/x.rs"),
        ["src/a/y.rs", "src/b/deep.rs", "src/a/mod.rs", "src/a/x.rs"]
    );
}
