//! Fault injection: the real gather code against a replayed MLflow 3.17 server (`oss_mock`)
//! that misbehaves on one route at a time, one fault class per test. Each asserts the exit
//! code, the class of the message, how often the request was sent, and that the run ends in
//! bounded time (the size-limit test: in bounded memory too).

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::mock_http::{Fault, Request, Response, Server};
use crate::oss_mock::{self, MODEL, VERSION_CALL};

mod entries;

/// What a run did.
struct Run {
    code: i32,
    stderr: String,
    elapsed: Duration,
    /// Peak resident memory of the mlgate process, KiB (sampled while it ran).
    peak_kib: u64,
}

/// Runs mlgate with `args` (the tracking URI of `server` added), fast retries, and no
/// credentials of the caller's.
fn mlgate(server: &Server, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("mlgate"));
    for var in [
        "MLFLOW_TRACKING_URI",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
        "MLFLOW_TRACKING_TOKEN",
        "MLFLOW_HTTP_REQUEST_TIMEOUT",
        "MLGATE_GATHER_TIMEOUT",
        "MLGATE_MAX_RESPONSE_BYTES",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1")
        .env("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
        .envs(env.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .args(["--tracking-uri", &server.url])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("mlgate runs");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0);
            peak_kib = peak_kib.max(hwm);
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stderr,
        elapsed: started.elapsed(),
        peak_kib,
    }
}

fn check(server: &Server, env: &[(&str, &str)]) -> Run {
    let reference = format!("models:/{MODEL}/1");
    mlgate(server, &["check", "-q", &reference], env)
}

/// A server whose version lookup answers `response()` (the gather's first call: a fault
/// there leaves nothing gathered).
fn on_version(response: impl Fn() -> Response + Send + Sync + 'static) -> Server {
    oss_mock::with_fault(move |r: &Request| (r.path == VERSION_CALL).then(&response))
}

fn assert_says(run: &Run, texts: &[&str]) {
    for text in texts {
        assert!(
            run.stderr.contains(text),
            "missing `{text}` in:\n{}",
            run.stderr
        );
    }
}

#[test]
fn a_stalled_body_times_out_after_the_request_timeout() {
    let server = on_version(|| Response::json(200, r#"{"model_version": "#).fault(Fault::Stall));
    let run = check(&server, &[("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_says(&run, &["timed out after 1 s", "body included"]);
    assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
    assert_eq!(
        server.requested(VERSION_CALL),
        1,
        "a timeout is not retried"
    );
}

#[test]
fn a_reset_before_the_response_is_retried_then_named() {
    let server = on_version(|| Response::json(200, "").fault(Fault::Close));
    let run = check(&server, &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_says(&run, &["closed before a response came", "after 4 attempts"]);
    assert_eq!(server.requested(VERSION_CALL), 4);
}

#[test]
fn a_body_cut_short_is_retried_then_named() {
    let server = on_version(|| {
        let mut r = Response::json(200, r#"{"model_version": {"name": "#);
        r.cut_short = true;
        r
    });
    let run = check(&server, &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_says(&run, &["body was cut short", "after 4 attempts"]);
    assert_eq!(server.requested(VERSION_CALL), 4);
}

#[test]
fn a_login_page_is_not_json_and_is_named_by_its_title() {
    let server = on_version(|| {
        Response::text(
            200,
            "<!doctype html><html><head><title>Sign in - Corp SSO</title></head><body><form>user, password, and a long page</form></body></html>",
            "text/html; charset=utf-8",
        )
    });
    let run = check(&server, &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_says(
        &run,
        &["text/html", "instead of JSON", "Sign in - Corp SSO"],
    );
    assert!(!run.stderr.contains("long page"), "never the whole page");
}

#[test]
fn json_of_the_wrong_shape_names_the_field_and_the_call() {
    let server = on_version(|| Response::json(200, r#"{"model_version": {"name": "m"}}"#));
    let run = check(&server, &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_says(
        &run,
        &["unexpected shape", "missing field `version`", VERSION_CALL],
    );
}

#[test]
fn a_503_that_never_heals_says_how_often_it_was_tried() {
    let server = on_version(|| {
        Response::json(
            503,
            r#"{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "down for maintenance"}"#,
        )
    });
    let run = check(&server, &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_says(
        &run,
        &[
            "HTTP 503 TEMPORARILY_UNAVAILABLE",
            "down for maintenance",
            "after 4 attempts",
        ],
    );
    assert_eq!(server.requested(VERSION_CALL), 4);
}

#[test]
fn a_retry_after_beyond_the_budget_ends_at_once_quoting_it() {
    let server = on_version(|| {
        Response::json(429, r#"{"error_code": "REQUEST_LIMIT_EXCEEDED"}"#)
            .header("Retry-After: 3600")
    });
    let run = check(&server, &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_says(
        &run,
        &["rate limited", "Retry-After: 3600", "MLGATE_GATHER_TIMEOUT"],
    );
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
    assert_eq!(server.requested(VERSION_CALL), 1);
}

#[test]
fn a_retry_after_given_as_an_http_date_is_honoured() {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let sent = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&sent);
    let server = oss_mock::with_fault(move |r: &Request| {
        if r.path != VERSION_CALL || count.fetch_add(1, Ordering::SeqCst) > 0 {
            return None;
        }
        let at = time::OffsetDateTime::now_utc() + time::Duration::seconds(3);
        Some(
            Response::json(503, r#"{"error_code": "TEMPORARILY_UNAVAILABLE"}"#)
                .header(format!("Retry-After: {}", at.format(&format).unwrap())),
        )
    });
    let run = check(&server, &[]);
    assert_ne!(run.code, 3, "the second attempt succeeds: {}", run.stderr);
    assert_eq!(sent.load(Ordering::SeqCst), 2);
    assert!(
        run.elapsed >= Duration::from_millis(1500),
        "waited until the date: {:?}",
        run.elapsed
    );
}

#[test]
fn a_401_names_the_credential_source_never_the_credential() {
    let server = on_version(|| {
        Response::json(
            401,
            r#"{"error_code": "UNAUTHENTICATED", "message": "You are not authenticated."}"#,
        )
    });
    let run = check(
        &server,
        &[("MLFLOW_TRACKING_TOKEN", "tok-3f9a-very-secret")],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_says(
        &run,
        &["HTTP 401", "credentials from MLFLOW_TRACKING_TOKEN"],
    );
    assert!(!run.stderr.contains("tok-3f9a-very-secret"));
}

fn oversized(with_length: bool) {
    let server = on_version(move || {
        Response::json(200, r#"{"model_version": {"name": ""#).fault(Fault::Huge {
            mib: 512,
            with_length,
        })
    });
    let run = check(&server, &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_says(
        &run,
        &[
            "larger than the limit of 67108864 bytes",
            "MLGATE_MAX_RESPONSE_BYTES",
        ],
    );
    assert!(run.elapsed < Duration::from_secs(20), "{:?}", run.elapsed);
    assert!(run.peak_kib > 0, "memory was sampled");
    eprintln!(
        "512 MiB answer, with_length={with_length}: peak RSS {} KiB, {:?}",
        run.peak_kib, run.elapsed
    );
    assert!(
        run.peak_kib < 128 * 1024,
        "peak RSS {} KiB with_length={with_length}",
        run.peak_kib
    );
}

#[test]
fn a_512_mib_answer_with_content_length_is_refused_in_bounded_memory() {
    oversized(true);
}

#[test]
fn a_512_mib_answer_without_content_length_is_refused_in_bounded_memory() {
    oversized(false);
}

#[test]
fn dns_failure_is_named() {
    let server = Server {
        url: "http://mlgate-no-such-host.invalid:5000".into(),
        requests: Arc::default(),
    };
    let run = check(&server, &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_says(&run, &["does not resolve", "mlgate-no-such-host.invalid"]);
}

#[test]
fn a_connection_nobody_accepts_is_a_connect_timeout() {
    // A listener that never accepts, its queue filled: the kernel drops further handshakes.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    for _ in 0..1000 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(50)) {
            Ok(stream) => held.push(stream),
            Err(_) => break, // the queue is full
        }
    }
    let server = Server {
        url: format!("http://{addr}"),
        requests: Arc::default(),
    };
    let run = check(&server, &[("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")]);
    drop(held);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_says(&run, &["connect timeout"]);
    assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
}

/// Faults on optional sections: the rules that read them are errors, the rest is evaluated.
#[test]
fn failed_optional_sections_leave_their_rules_at_error_and_the_rest_evaluated() {
    let server = oss_mock::with_fault(|r: &Request| match r.path.as_str() {
        "/api/2.0/mlflow/registered-models/get" => Some(Response::json(
            403,
            r#"{"error_code": "PERMISSION_DENIED", "message": "no READ on the model"}"#,
        )),
        "/api/2.0/mlflow-artifacts/artifacts" => Some(Response::text(500, "boom", "text/plain")),
        "/model-versions/get-artifact" if r.q("path") == "MLmodel" => Some(Response::text(
            200,
            "flavors: [unclosed\n  - : :",
            "text/plain",
        )),
        _ => None,
    });
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let reference = format!("models:/{MODEL}/1");
    let run = mlgate(
        &server,
        &["check", "-q", &reference, "--json", json.to_str().unwrap()],
        &[],
    );
    let results: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let outcomes = crate::outcomes(&results);
    assert_eq!(
        outcomes["missing-description"], "error",
        "registered model refused"
    );
    assert_eq!(outcomes["missing-signature"], "error", "MLmodel unreadable");
    assert_eq!(outcomes["empty-params"], "pass", "the run was gathered");
    assert_eq!(outcomes["missing-version-description"], "pass");
    assert_eq!(
        run.code, 3,
        "no rule failed, facts incomplete: {}",
        run.stderr
    );
    let sections: Vec<&str> = results["gather_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["section"].as_str().unwrap())
        .collect();
    for section in ["artifacts.files", "mlflow_model", "registered_model"] {
        assert!(sections.contains(&section), "{section} in {sections:?}");
    }
}

#[test]
fn every_output_is_written_when_nothing_could_be_gathered() {
    let server = on_version(|| {
        Response::json(
            503,
            r#"{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "down"}"#,
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (junit, json, sarif, report, summary) = (
        path("j.xml"),
        path("r.json"),
        path("r.sarif"),
        path("r.md"),
        path("summary.md"),
    );
    let reference = format!("models:/{MODEL}/1");
    let run = mlgate(
        &server,
        &[
            "check", "-q", &reference, "--junit", &junit, "--json", &json, "--sarif", &sarif,
            "--report", &report, "--github",
        ],
        &[("GITHUB_STEP_SUMMARY", summary.as_str())],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_says(&run, &["could not gather", "HTTP 503"]);
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    let xml = read(&junit);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert!(
        doc.descendants().any(|n| n.has_tag_name("error")
            && n.attribute("message")
                .is_some_and(|m| m.contains("HTTP 503"))),
        "{xml}"
    );
    let results: Value = serde_json::from_str(&read(&json)).unwrap();
    assert_eq!(results["verdict"]["status"], "error");
    assert_eq!(results["gather_errors"][0]["http_status"], 503);
    crate::schemas::assert_valid_junit(std::path::Path::new(&junit));
    crate::schemas::assert_valid_sarif(&read(&sarif));
    let sarif: Value = serde_json::from_str(&read(&sarif)).unwrap();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert!(
        invocation["toolExecutionNotifications"][0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("HTTP 503")
    );
    let md = read(&report);
    assert!(md.contains("**ERROR**") && md.contains("HTTP 503"), "{md}");
    assert!(read(&summary).contains("ERROR"));
}

#[test]
fn snapshot_exits_3_on_a_recorded_error_and_still_writes_the_file() {
    let server = oss_mock::with_fault(|r: &Request| {
        (r.path == "/api/2.0/mlflow/registered-models/get").then(|| {
            Response::json(
                503,
                r#"{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "x"}"#,
            )
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.json");
    let reference = format!("models:/{MODEL}/1");
    let run = mlgate(
        &server,
        &["snapshot", &reference, "-o", out.to_str().unwrap()],
        &[],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    let snap: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(snap["errors"][0]["section"], "registered_model");
    assert_eq!(
        snap["model_version"]["version"], "1",
        "the rest was gathered"
    );
}

#[test]
fn a_failing_version_endpoint_is_listed_not_dropped() {
    let server = oss_mock::with_fault(|r: &Request| {
        (r.path == "/version").then(|| Response::text(404, "not here", "text/plain"))
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.json");
    let reference = format!("models:/{MODEL}/1");
    let run = mlgate(
        &server,
        &["snapshot", &reference, "-o", out.to_str().unwrap()],
        &[],
    );
    assert_eq!(run.code, 0, "an optional fact: {}", run.stderr);
    let snap: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let listed = snap["unavailable"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["section"] == "manifest.server_version")
        .expect("listed as not available");
    assert!(listed["reason"].as_str().unwrap().contains("HTTP 404"));
}
