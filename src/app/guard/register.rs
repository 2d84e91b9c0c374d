//! `--register PUBLIC_URL`: the MLflow webhook subscription that delivers to the guard, created
//! or updated at start. Managing webhooks needs an MLflow admin; without one, or on a server
//! without webhooks (before 3.3, a file store), the guard says what to ask for and goes on
//! reconciling every `--poll`: a missing subscription slows it down, it never stops it.

use super::shared::{Guard, MLFLOW_SECRET_VAR};
use super::targets::session_for;
use crate::app::stdio;
use crate::gather::webhooks::{self, Registered, EVENTS};

pub(super) fn register(guard: &Guard, url: &str) {
    let say = |text: String| stdio::err(&format!("mlgate guard: {text}\n"));
    let Some(secret) = std::env::var(MLFLOW_SECRET_VAR)
        .ok()
        .filter(|s| !s.is_empty())
    else {
        return say(format!(
            "--register needs {MLFLOW_SECRET_VAR}: the secret MLflow signs deliveries with; nothing registered"
        ));
    };
    let Some(rule) = guard.rules.first() else {
        return;
    };
    // Any protected model's registry (its backend and credentials).
    let live = match session_for(rule, &guard.judge.server) {
        Ok(live) => live,
        Err(e) => return say(format!("cannot register the webhook: {e}")),
    };
    let events: Vec<String> = EVENTS
        .iter()
        .map(|(entity, action)| format!("{}.{}", entity.to_lowercase(), action.to_lowercase()))
        .collect();
    match live.block_on(webhooks::register(&live.cx, url, &secret)) {
        Ok(Registered::Created { id }) => say(format!(
            "registered MLflow webhook {id}: {} to {url}",
            events.join(", ")
        )),
        Ok(Registered::Updated { id }) => say(format!(
            "updated MLflow webhook {id}: {} to {url}",
            events.join(", ")
        )),
        Err(e) if matches!(e.status(), Some(401 | 403)) => say(format!(
            "cannot register the webhook: only an MLflow admin may manage webhooks ({}). Ask one to create a webhook to {url} for {} with the secret in {MLFLOW_SECRET_VAR}, and to run every server process with one fixed MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY (without it deliveries are lost); until then the guard reconciles every --poll",
            e.message(),
            events.join(", ")
        )),
        Err(e) if matches!(e.status(), Some(404 | 501)) => say(format!(
            "this server has no webhooks (they need MLflow 3.3+ with a database store: {}); the guard reconciles every --poll",
            e.message()
        )),
        Err(e) => say(format!("cannot register the webhook: {}", e.message())),
    }
}
