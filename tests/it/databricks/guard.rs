//! `mlgate guard` on the workspace registry: a signed `TRANSITION_REQUEST_CREATED` delivery
//! (the documented payload, `X-Databricks-Signature` = hex HMAC-SHA256 of the body) for a
//! protected stage is judged and the request approved on green, rejected with the verdict on
//! red, as `promote --approve-request` does; a forged one changes nothing.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hmac::{KeyInit, Mac};
use serde_json::json;

use super::mock::{Mock, Options, TOKEN};
use super::registry_state::Registry;

const SECRET: &str = "databricks-webhook-secret";
const POLICY: &str = "tests/fixtures/policies/promote.toml";

fn workspace(registry: Registry) -> Mock {
    Mock::with_registry(
        Options {
            notebook_acl_readable: true,
            ..Options::default()
        },
        registry,
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn guard(mock: &Mock, home: &Path, port: u16, log: &Path) -> Child {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("mlgate"));
    for var in [
        "MLFLOW_TRACKING_URI",
        "MLFLOW_REGISTRY_URI",
        "MLFLOW_TRACKING_TOKEN",
        "DATABRICKS_CONFIG_PROFILE",
        "DATABRICKS_CONFIG_FILE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        .env("DATABRICKS_HOST", &mock.url)
        .env("DATABRICKS_TOKEN", TOKEN)
        .env("MLGATE_DATABRICKS_WEBHOOK_SECRET", SECRET)
        .args(["guard", "--no-config", "--policy", POLICY, "--poll", "3600"])
        .args([
            "--protect",
            "dolly3b/Production",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .arg("--decisions")
        .arg(log)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The documented `TRANSITION_REQUEST_CREATED` payload (databricks-api.md §2.4: `event`,
/// `webhook_id`, `event_timestamp` in ms, `model_name`, `version`, `to_stage`, `from_stage`,
/// `text`), with a current timestamp.
fn request_created(version: &str) -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    json!({
        "event": "TRANSITION_REQUEST_CREATED",
        "webhook_id": "124323",
        "event_timestamp": u64::try_from(ms).unwrap(),
        "model_name": "dolly3b",
        "version": version,
        "to_stage": "Production",
        "from_stage": "Staging",
        "text": "Please promote"
    })
    .to_string()
}

fn post(port: u16, signature: &str, body: &str) -> u16 {
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
        .args(["-H", "Content-Type: application/json", "-H"])
        .arg(format!("X-Databricks-Signature: {signature}"))
        .arg("--data-binary")
        .arg(body)
        .arg(format!("http://127.0.0.1:{port}/webhooks/databricks"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

fn hex_hmac(secret: &str, body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2_11::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .fold(String::new(), |mut hex, b| {
            use std::fmt::Write as _;
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

fn wait_healthy(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(child.try_wait().unwrap().is_none(), "the guard ended early");
        let ok = Command::new("curl")
            .args(["-sf", &format!("http://127.0.0.1:{port}/healthz")])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return;
        }
        assert!(Instant::now() < deadline, "/healthz never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait_for(child: &mut Child, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        assert!(child.try_wait().unwrap().is_none(), "the guard ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stop(mut child: Child) -> i32 {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "SIGTERM did not stop the guard");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait().unwrap().code().unwrap_or(-1)
}

/// Runs the guard on `registry`, delivers a request of v2 signed with `secret`; returns the
/// mock (its writes) and the delivery's HTTP status.
fn deliver_request(registry: Registry, secret: &str, expect_write: bool) -> (Mock, u16) {
    let mock = workspace(registry);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.jsonl");
    let port = free_port();
    let mut child = guard(&mock, dir.path(), port, &log);
    wait_healthy(port, &mut child);
    let body = request_created("2");
    let status = post(port, &hex_hmac(secret, &body), &body);
    if expect_write {
        wait_for(&mut child, "the request's decision", || {
            std::fs::read_to_string(&log)
                .is_ok_and(|t| t.contains("\"approved\"") || t.contains("\"rejected\""))
        });
    } else {
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(stop(child), 0);
    (mock, status)
}

#[test]
fn a_passing_request_to_a_protected_stage_is_approved() {
    let registry = Registry::workspace()
        .version(1, "Production")
        .version(2, "Staging")
        .request(2, "Production");
    let (mock, status) = deliver_request(registry, SECRET, true);
    assert_eq!(status, 202);
    let r = mock.registry();
    let approved = r.writes_to("/transition-requests/approve");
    assert_eq!(approved.len(), 1, "{:?}", mock.writes());
    assert!(approved[0].body["comment"]
        .as_str()
        .unwrap()
        .starts_with("mlgate: pass"));
    assert_eq!(r.stage_of(2), "Production");
}

#[test]
fn a_failing_request_is_rejected_with_the_verdict_and_a_forged_one_changes_nothing() {
    let red = || {
        Registry::workspace()
            .version(1, "Production")
            .version(2, "Staging")
            .describe(2, "")
            .request(2, "Production")
    };
    let (mock, status) = deliver_request(red(), SECRET, true);
    assert_eq!(status, 202);
    let r = mock.registry();
    let rejected = r.writes_to("/transition-requests/reject");
    assert_eq!(rejected.len(), 1, "{:?}", mock.writes());
    assert!(rejected[0].body["comment"]
        .as_str()
        .unwrap()
        .starts_with("mlgate: fail"));
    assert_eq!((r.stage_of(2), r.stage_of(1)), ("Staging", "Production"));

    let (mock, status) = deliver_request(red(), "not-the-secret", false);
    assert_eq!(status, 401);
    let r = mock.registry();
    assert!(
        r.writes_to("/transition-requests/").is_empty(),
        "{:?}",
        mock.writes()
    );
    assert!(!r.requests[&2].is_empty(), "the request stays open");
}
