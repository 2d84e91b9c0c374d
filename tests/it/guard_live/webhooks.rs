//! The guard with real MLflow 3.17 webhooks: the server signs and delivers alias events to the
//! guard on loopback (`scripts/live/servers.sh` starts it with a fixed secret-encryption key
//! and loopback allowed), the guard registers its own subscription (`--register`), and a
//! bypass is moved back within seconds; forged, altered, stale, repeated and test deliveries
//! decide nothing, and `/metrics` says why.

use std::process::Command;
use std::time::{Duration, Instant};

use hmac::{KeyInit, Mac};
use serde_json::{json, Value};

use super::read_decisions;
use super::service::{start, stop, wait_for};
use crate::promote_live::{call, champion, get, promote, register, server, set_alias};

const SECRET: &str = "guard-live-secret";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `v1,<base64 HMAC-SHA256(secret, "id.timestamp.body")>`, as MLflow signs.
fn sign(secret: &str, id: &str, timestamp: &str, body: &str) -> String {
    use base64::Engine as _;
    let mut mac = hmac::Hmac::<sha2_11::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let digest = mac.finalize().into_bytes();
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// POSTs a delivery; returns the HTTP status.
fn deliver(port: u16, headers: &[(&str, String)], body: &str) -> u16 {
    let mut curl = Command::new("curl");
    curl.args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
        .args(["-H", "Content-Type: application/json"]);
    for (k, v) in headers {
        curl.arg("-H").arg(format!("{k}: {v}"));
    }
    let out = curl
        .arg("--data-binary")
        .arg(body)
        .arg(format!("http://127.0.0.1:{port}/webhooks/mlflow"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

fn signed(id: &str, timestamp: i64, body: &str, secret: &str) -> Vec<(&'static str, String)> {
    let ts = timestamp.to_string();
    vec![
        ("X-MLflow-Delivery-Id", id.to_string()),
        ("X-MLflow-Timestamp", ts.clone()),
        ("X-MLflow-Signature", sign(secret, id, &ts, body)),
    ]
}

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

fn metric(port: u16, outcome: &str) -> u64 {
    let out = Command::new("curl")
        .args(["-s", &format!("http://127.0.0.1:{port}/metrics")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let needle =
        format!("mlgate_guard_deliveries_total{{source=\"mlflow\",outcome=\"{outcome}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&needle))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {needle} in\n{text}"))
}

#[test]
fn a_bypass_is_reverted_on_the_webhook_and_forgeries_decide_nothing() {
    let Some(s) = server("MLFLOW3") else { return };
    let name = register(&s, "MLFLOW3", "guard-hook", &["champion", "worse", "good"]);
    let (code, _, stderr) = promote(
        &s.uri,
        &format!("models:/{name}/1"),
        &["--to-alias", "champion"],
    );
    assert_eq!(code, 0, "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.jsonl");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/webhooks/mlflow");
    let listen = format!("127.0.0.1:{port}");
    let mut guard = start(
        &s,
        &name,
        &log,
        &["--listen", &listen, "--poll", "3600", "--register", &url],
        &[("MLGATE_WEBHOOK_SECRET", SECRET)],
    );
    wait_for(&mut guard, "the first reconcile", || {
        read_decisions(&log)
            .iter()
            .any(|d| d["action"] == "accepted")
    });
    let hooks = get(&s, "webhooks", &[]);
    let hook = hooks["webhooks"]
        .as_array()
        .and_then(|w| w.iter().find(|w| w["url"] == url.as_str()))
        .unwrap_or_else(|| panic!("--register created no webhook: {hooks}"))
        .clone();
    // Deleted however the test ends: a webhook to a stopped guard makes the server retry
    // every later event with back-off, which holds up deliveries to the other tests.
    let _cleanup = Unsubscribe {
        server: &s,
        id: hook["webhook_id"].as_str().unwrap().to_string(),
    };
    // MLflow caches subscriptions for MLFLOW_WEBHOOK_CACHE_TTL (1 s here).
    std::thread::sleep(Duration::from_millis(1500));

    // A bypass to the failing version: moved back on the delivery, not a reconcile.
    let moved = Instant::now();
    set_alias(&s, &name, "champion", "2");
    // The decision is logged once the revert is recorded (its tags and ledger entry).
    wait_for(&mut guard, "the revert", || {
        champion(&s, &name).as_deref() == Some("1")
            && read_decisions(&log)
                .iter()
                .any(|d| d["action"] == "reverted")
    });
    let took = moved.elapsed();
    let reverted: Vec<Value> = read_decisions(&log)
        .into_iter()
        .filter(|d| d["action"] == "reverted")
        .collect();
    assert_eq!(reverted.len(), 1, "{reverted:?}");
    assert!(
        reverted[0]["source"]
            .as_str()
            .unwrap()
            .starts_with("webhook:"),
        "{}",
        reverted[0]
    );
    assert_eq!(
        (reverted[0]["from"].as_str(), reverted[0]["to"].as_str()),
        (Some("2"), Some("1"))
    );
    eprintln!("webhook: bypass reverted {took:?} after the move");

    // A bypass to a passing version stays, and is recorded.
    set_alias(&s, &name, "champion", "3");
    wait_for(&mut guard, "the record", || {
        read_decisions(&log)
            .iter()
            .any(|d| d["action"] == "recorded" && d["to"] == "3")
    });
    assert_eq!(champion(&s, &name).as_deref(), Some("3"));

    // Deliveries that must decide nothing. Each names the model, so a decision would show.
    let body = json!({"entity": "model_version_alias", "action": "created",
        "timestamp": "2026-12-05T06:00:00+00:00",
        "data": {"name": name, "alias": "champion", "version": "3"}})
    .to_string();
    let before = read_decisions(&log).len();
    let (bad, stale, dup) = (
        metric(port, "bad_signature"),
        metric(port, "stale"),
        metric(port, "duplicate"),
    );
    let mut forged = signed("forged-1", now(), &body, "not-the-secret");
    assert_eq!(deliver(port, &forged, &body), 401, "a forged signature");
    forged = signed("altered-1", now(), &body, SECRET);
    let altered = body.replace("\"3\"", "\"2\"");
    assert_eq!(
        deliver(port, &forged, &altered),
        401,
        "a body changed after signing"
    );
    let old = signed("old-1", now() - 400, &body, SECRET);
    let status = deliver(port, &old, &body);
    assert!(
        (400..500).contains(&status),
        "a delivery older than 300 s: {status}"
    );
    let once = signed("once-1", now(), &body, SECRET);
    assert_eq!(deliver(port, &once, &body), 202, "a valid delivery");
    let status = deliver(port, &once, &body);
    assert!(
        status == 200 || status == 409,
        "the same delivery id again: {status}"
    );
    let unsigned = vec![
        ("X-MLflow-Delivery-Id", "unsigned-1".to_string()),
        ("X-MLflow-Timestamp", now().to_string()),
    ];
    assert_eq!(deliver(port, &unsigned, &body), 401, "unsigned");
    // MLflow's own test payload, signed by the server.
    let tests_before = metric(port, "test");
    call(
        &s,
        "POST",
        &format!("webhooks/{}/test", hook["webhook_id"].as_str().unwrap()),
        &json!({}),
    );
    wait_for(&mut guard, "the test delivery", || {
        metric(port, "test") > tests_before
    });
    std::thread::sleep(Duration::from_millis(500));

    assert_eq!(
        metric(port, "bad_signature"),
        bad + 3,
        "forged, altered, unsigned"
    );
    assert_eq!(metric(port, "stale"), stale + 1);
    assert_eq!(metric(port, "duplicate"), dup + 1);
    // The guard's own writes come back as tag events and are decided (accepted), so count
    // only the deliveries sent here: the valid one decided once, none of the others at all.
    let after = read_decisions(&log);
    let new: Vec<&Value> = after[before..].iter().collect();
    let decided = |id: &str| {
        new.iter()
            .filter(|d| d["source"] == format!("webhook:{id}").as_str())
            .count()
    };
    assert_eq!(decided("once-1"), 1, "{new:?}");
    for id in ["forged-1", "altered-1", "old-1", "unsigned-1"] {
        assert_eq!(decided(id), 0, "{id}: {new:?}");
    }
    assert!(
        new.iter().all(|d| d["model"] == name.as_str()),
        "the test payload decided nothing: {new:?}"
    );
    assert!(new.iter().all(|d| d["action"] == "accepted"), "{new:?}");
    let (code, stderr) = stop(guard);
    assert_eq!(code, 0, "{stderr}");
}

/// Deletes a webhook subscription when dropped.
struct Unsubscribe<'a> {
    server: &'a crate::live::Server,
    id: String,
}

impl Drop for Unsubscribe<'_> {
    fn drop(&mut self) {
        let _ = Command::new("curl")
            .args(["-s", "-X", "DELETE"])
            .arg(format!(
                "{}/api/2.0/mlflow/webhooks/{}",
                self.server.uri, self.id
            ))
            .output();
    }
}
