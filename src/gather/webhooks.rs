//! The MLflow webhook subscription `mlgate guard --register` keeps (open-source MLflow 3.3+):
//! found by its URL among the server's webhooks and updated, else created, for the events the
//! guard acts on. Over REST the events are the upper-case enum names
//! (`{"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"}`): MLflow 3.17 answers 500 to the
//! lower-case spelling its deliveries use. Every webhook call needs a server admin.

use serde::Deserialize;
use serde_json::{json, Value};

use super::context::Context;
use super::tracking::API;
use crate::client::{ClientError, Retry, WriteMethod};

/// The events the guard acts on.
pub const EVENTS: [(&str, &str); 5] = [
    ("MODEL_VERSION_ALIAS", "CREATED"),
    ("MODEL_VERSION_ALIAS", "DELETED"),
    ("MODEL_VERSION", "CREATED"),
    ("MODEL_VERSION_TAG", "SET"),
    ("MODEL_VERSION_TAG", "DELETED"),
];

/// The name the subscription is created with.
const NAME: &str = "mlgate-guard";

/// What `register` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    Created { id: String },
    Updated { id: String },
}

#[derive(Debug, Deserialize)]
struct Listed {
    #[serde(default)]
    webhooks: Vec<Value>,
    #[serde(default)]
    next_page_token: Option<String>,
}

/// Creates, or updates when one delivers to `url` already, the webhook subscription for
/// [`EVENTS`], signed with `secret`, active.
pub async fn register(cx: &Context, url: &str, secret: &str) -> Result<Registered, ClientError> {
    let events: Vec<Value> = EVENTS
        .iter()
        .map(|(entity, action)| json!({ "entity": entity, "action": action }))
        .collect();
    let mut token: Option<String> = None;
    let found = loop {
        let mut query = vec![("max_results", "100")];
        if let Some(t) = token.as_deref() {
            query.push(("page_token", t));
        }
        let page: Listed = cx.client().get(&format!("{API}/webhooks"), &query).await?;
        let hit = page
            .webhooks
            .iter()
            .find(|w| w.get("url").and_then(Value::as_str) == Some(url))
            .and_then(|w| w.get("webhook_id").and_then(Value::as_str))
            .map(str::to_string);
        match page.next_page_token.filter(|t| !t.is_empty()) {
            Some(t) if hit.is_none() => token = Some(t),
            _ => break hit,
        }
    };
    let body = json!({
        "name": NAME,
        "url": url,
        "events": events,
        "secret": secret,
        "status": "ACTIVE",
        "description": "mlgate guard: keeps protected aliases compliant",
    });
    if let Some(id) = found {
        let _: Value = cx
            .client()
            .write(
                WriteMethod::Patch,
                &format!("{API}/webhooks/{id}"),
                &body,
                Retry::Idempotent,
            )
            .await?;
        return Ok(Registered::Updated { id });
    }
    let created: Value = cx
        .client()
        .write(
            WriteMethod::Post,
            &format!("{API}/webhooks"),
            &body,
            Retry::Once,
        )
        .await?;
    let id = created
        .pointer("/webhook/webhook_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Ok(Registered::Created { id })
}
