//! The snapshot's error entry for each fault class, when the fault hits a call after the version
//! resolved (`runs/get`, whose query names the run): the entry keeps the full URL (host, port,
//! query), the class, the attempts, the content type of an answer that was not JSON and a
//! `Retry-After`; the terminal, the JSON results and JUnit say it in the same one line.

use std::process::{Command, Stdio};

use serde_json::Value;

use crate::mock_http::{Fault, Request, Response, Server};
use crate::oss_mock::{self, MODEL};

const RUNS_GET: &str = "/api/2.0/mlflow/runs/get";
/// The run of the replayed version (the query of its `runs/get`).
const RUN: &str = "4af956a9ceef4de0a9aea631c9859acf";

/// What one fault left in the snapshot and in each output.
struct Seen {
    /// The snapshot's `errors[]` entry of the `run` section.
    entry: Value,
    /// The JSON results' `gather_errors[]` entry of the `run` section.
    results: Value,
    /// The terminal report (standard output of `check`).
    terminal: String,
    junit: String,
    /// The URL the entry should name: the server's host and port, the path and the query.
    url: String,
    /// How many `runs/get` requests the server saw over both runs.
    sent: usize,
}

fn run(server: &Server, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("mlgate"));
    for var in [
        "MLFLOW_TRACKING_URI",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
        "MLFLOW_TRACKING_TOKEN",
        "MLFLOW_HTTP_REQUEST_TIMEOUT",
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
        "MLGATE_GATHER_TIMEOUT",
        "MLGATE_MAX_RESPONSE_BYTES",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd
        .env("NO_COLOR", "1")
        .env("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
        .envs(env.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .args(["--tracking-uri", &server.url])
        .stdin(Stdio::null())
        .output()
        .expect("mlgate runs");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `mlgate snapshot` and `mlgate check --json --junit` against the replay with `fault` answering
/// `runs/get`; both exit 3 (a fact is missing).
fn seen(fault: impl Fn() -> Response + Send + Sync + 'static, env: &[(&str, &str)]) -> Seen {
    let server = oss_mock::with_fault(move |r: &Request| (r.path == RUNS_GET).then(&fault));
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (snapshot, json, junit) = (path("s.json"), path("r.json"), path("j.xml"));
    let reference = format!("models:/{MODEL}/1");
    let (code, said) = run(&server, &["snapshot", &reference, "-o", &snapshot], env);
    assert_eq!(code, 3, "{said}");
    let (code, terminal) = run(
        &server,
        &["check", &reference, "--json", &json, "--junit", &junit],
        env,
    );
    assert_eq!(code, 3, "{terminal}");
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    let of_run = |list: &Value| {
        list.as_array()
            .expect("a list of errors")
            .iter()
            .find(|e| e["section"] == "run")
            .cloned()
            .unwrap_or_else(|| panic!("no `run` entry in {list}"))
    };
    let snapshot: Value = serde_json::from_str(&read(&snapshot)).unwrap();
    let results: Value = serde_json::from_str(&read(&json)).unwrap();
    Seen {
        entry: of_run(&snapshot["errors"]),
        results: of_run(&results["gather_errors"]),
        terminal,
        junit: read(&junit),
        url: format!("{}{RUNS_GET}?run_id={RUN}", server.url),
        sent: server.requested(RUNS_GET),
    }
}

impl Seen {
    /// The entry's fields, and the one line every output shows: it starts with the request
    /// (method and full URL), and holds each of `says`.
    fn assert(&self, class: &str, attempts: u64, says: &[&str]) {
        let e = &self.entry;
        assert_eq!(e["url"], self.url.as_str(), "{e}");
        assert!(self.url.starts_with("http://127.0.0.1:"), "host and port");
        assert_eq!(e["class"], class, "{e}");
        assert_eq!(e["attempts"], attempts, "{e}");
        assert_eq!(e["method"], "GET", "{e}");
        assert_eq!(
            e["call"],
            format!("GET {RUNS_GET}"),
            "the call keeps its meaning"
        );
        let line = self.results["description"]
            .as_str()
            .expect("the JSON results describe each gather error");
        let request = format!("GET {} failed", self.url);
        assert!(line.starts_with(&request), "{line}");
        if attempts > 1 {
            assert!(
                line.contains(&format!("failed after {attempts} attempts: ")),
                "{line}"
            );
        }
        for text in says {
            assert!(line.contains(text), "`{text}` in {line}");
        }
        assert!(!line.contains('\n'), "one line: {line}");
        for field in ["url", "class", "attempts", "content_type", "retry_after"] {
            assert_eq!(self.results[field], e[field], "JSON results keep `{field}`");
        }
        assert!(
            self.terminal.contains(&format!("run: {line}")),
            "terminal:\n{}\nwants: {line}",
            self.terminal
        );
        let doc = roxmltree::Document::parse(&self.junit).unwrap();
        assert!(
            doc.descendants().any(|n| n.has_tag_name("error")
                && n.attribute("message").is_some_and(|m| m.contains(line))),
            "JUnit error naming `{line}`:\n{}",
            self.junit
        );
    }
}

#[test]
fn a_503_after_retries_names_the_url_the_attempts_and_the_code() {
    let seen = seen(
        || {
            Response::json(
                503,
                r#"{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "down for maintenance"}"#,
            )
        },
        &[],
    );
    seen.assert(
        "http",
        4,
        &["HTTP 503 TEMPORARILY_UNAVAILABLE (down for maintenance)"],
    );
    assert_eq!(seen.entry["http_status"], 503);
    assert_eq!(seen.entry["error_code"], "TEMPORARILY_UNAVAILABLE");
    assert_eq!(seen.entry["message"], "down for maintenance");
    assert!(
        seen.entry.get("content_type").is_none(),
        "JSON answers name none"
    );
    assert_eq!(seen.sent, 8, "4 attempts in each of the two runs");
}

#[test]
fn a_reset_says_connection_reset() {
    let seen = seen(|| Response::json(200, "").fault(Fault::Close), &[]);
    seen.assert("reset", 4, &["connection reset"]);
    assert!(seen.entry.get("http_status").is_none());
}

#[test]
fn a_body_cut_short_says_so() {
    let seen = seen(
        || {
            let mut r = Response::json(200, r#"{"run": {"info": "#);
            r.cut_short = true;
            r
        },
        &[],
    );
    seen.assert("truncated", 4, &["body cut short"]);
}

#[test]
fn a_stalled_body_is_a_timeout_of_one_attempt() {
    let seen = seen(
        || Response::json(200, r#"{"run": "#).fault(Fault::Stall),
        &[("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")],
    );
    seen.assert("timeout", 1, &["timed out after 1 s, body included"]);
}

#[test]
fn a_login_page_names_its_content_type() {
    let seen = seen(
        || {
            Response::text(
                200,
                "<!doctype html><html><head><title>Sign in - Corp SSO</title></head><body>a form</body></html>",
                "text/html; charset=utf-8",
            )
        },
        &[],
    );
    seen.assert(
        "not-json",
        1,
        &[
            "HTTP 200 answered text/html, not JSON",
            "Sign in - Corp SSO",
        ],
    );
    assert_eq!(seen.entry["content_type"], "text/html; charset=utf-8");
    assert_eq!(seen.entry["http_status"], 200);
}

#[test]
fn an_oversized_answer_names_the_limit() {
    let seen = seen(
        || {
            Response::json(200, r#"{"run": {"info": ""#).fault(Fault::Huge {
                mib: 1,
                with_length: false,
            })
        },
        &[("MLGATE_MAX_RESPONSE_BYTES", "65536")],
    );
    seen.assert(
        "too-large",
        1,
        &[
            "oversized answer",
            "65536 bytes",
            "MLGATE_MAX_RESPONSE_BYTES",
        ],
    );
}

/// Retry-After: 1 against a budget of minutes: the retries end because none is left, and the
/// message says so rather than blaming the budget.
#[test]
fn a_429_whose_retries_ran_out_blames_the_attempts_not_the_budget() {
    let seen = seen(
        || {
            Response::json(429, r#"{"error_code": "REQUEST_LIMIT_EXCEEDED"}"#)
                .header("Retry-After: 1")
        },
        &[("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")],
    );
    seen.assert(
        "rate-limited",
        2,
        &[
            "HTTP 429 rate limited (Retry-After: 1)",
            "retries ran out (MLFLOW_HTTP_REQUEST_MAX_RETRIES)",
        ],
    );
    assert_eq!(seen.entry["retry_after"], "1");
    let line = seen.results["description"].as_str().unwrap();
    assert!(
        !line.contains("overrun") && !line.contains("budget"),
        "{line}"
    );
}
