//! `mlgate guard` against the real MLflow 3.17 and 2.22 servers: a bypass of the gate (an
//! alias moved by a plain REST call) is found by a reconcile pass and reported or reverted; a
//! compliant move is recorded and stays. Each test registers its own model from the lab's
//! promotion runs, as the promote tests do.

use std::path::Path;

use serde_json::Value;

use crate::live::{clean, Server};
use crate::promote_live::POLICY;

/// Runs `guard --once` on `NAME@champion` with the test policy; returns the exit code, the
/// decision log's lines and stderr.
fn once(s: &Server, name: &str, extra: &[&str]) -> (i32, Vec<Value>, String) {
    let out = clean()
        .args([
            "guard",
            "--once",
            "--no-config",
            "--policy",
            POLICY,
            "--tracking-uri",
        ])
        .arg(&s.uri)
        .arg("--protect")
        .arg(format!("{name}@champion"))
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        decisions(&String::from_utf8_lossy(&out.stdout)),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// The decision log's JSON lines.
fn decisions(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect()
}

fn read_decisions(path: &Path) -> Vec<Value> {
    decisions(&std::fs::read_to_string(path).unwrap_or_default())
}

mod once;
pub(crate) mod receiver;
mod service;
mod webhooks;
