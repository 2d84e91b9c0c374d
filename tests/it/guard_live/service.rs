//! The guard as a service: reconcile at start and every `--poll`, graceful stop on SIGTERM.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::read_decisions;
use crate::live::Server;
use crate::promote_live::{champion, promote, register, server, set_alias, POLICY, SERVERS};

/// A running guard, killed when dropped: a test that fails while it runs must not leave it
/// behind (a leaked guard keeps serving, and keeps the next cargo build waiting on its lock).
pub(super) struct Running(Option<Child>);

impl Running {
    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("a running guard")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `mlgate guard` on `NAME@champion` (revert), decisions to `log`, with `extra` flags.
pub(super) fn start(
    s: &Server,
    name: &str,
    log: &std::path::Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Running {
    let child = Command::new(assert_cmd::cargo::cargo_bin("mlgate"))
        .envs(env.iter().copied())
        .args(["guard", "--no-config", "--policy", POLICY])
        .args(["--on-violation", "revert", "--tracking-uri", &s.uri])
        .arg("--protect")
        .arg(format!("{name}@champion"))
        .arg("--decisions")
        .arg(log)
        .args(extra)
        .env_remove("MLFLOW_TRACKING_URI")
        .env_remove("MLFLOW_TRACKING_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    Running(Some(child))
}

/// Waits until `done` holds (at most 30 s) while the guard keeps running.
pub(super) fn wait_for(guard: &mut Running, what: &str, mut done: impl FnMut() -> bool) {
    let child = guard.child();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        assert!(child.try_wait().unwrap().is_none(), "the guard ended early");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// SIGTERM, then the exit code and stderr (the guard must stop within 15 s).
pub(super) fn stop(mut guard: Running) -> (i32, String) {
    let id = guard.child().id().to_string();
    let sent = Command::new("kill").args(["-TERM", &id]).status().unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    while guard.child().try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "SIGTERM did not stop the guard");
        std::thread::sleep(Duration::from_millis(50));
    }
    // It has ended: nothing is left for the drop to kill.
    let out = guard.0.take().unwrap().wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn without_webhooks_a_bypass_is_reverted_within_a_poll_and_sigterm_stops_it_cleanly() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "guard-poll", &["champion", "worse"]);
        let (code, _, stderr) = promote(
            &s.uri,
            &format!("models:/{name}/1"),
            &["--to-alias", "champion"],
        );
        assert_eq!(code, 0, "{key}: {stderr}");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("decisions.jsonl");
        let mut guard = start(&s, &name, &log, &["--poll", "1"], &[]);
        wait_for(&mut guard, "the first reconcile", || {
            read_decisions(&log)
                .iter()
                .any(|d| d["action"] == "accepted")
        });
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
        let (code, stderr) = stop(guard);
        assert_eq!(code, 0, "{key}: {stderr}");
        assert!(stderr.contains("stopped on SIGTERM"), "{key}: {stderr}");
        let reverted: Vec<_> = read_decisions(&log)
            .into_iter()
            .filter(|d| d["action"] == "reverted")
            .collect();
        assert_eq!(reverted.len(), 1, "{key}: {reverted:?}");
        assert_eq!(
            (reverted[0]["from"].as_str(), reverted[0]["to"].as_str()),
            (Some("2"), Some("1"))
        );
        eprintln!("{key}: bypass reverted {took:?} after the move (poll 1 s)");
    }
}
