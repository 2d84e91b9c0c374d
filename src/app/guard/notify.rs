//! `--notify URL`: each violation POSTed as JSON, with a `text` field (what Slack and Teams
//! incoming webhooks show). A plain client of its own: the registry's credentials never go to
//! the notification URL. A notification that fails is said on stderr; it never stops a
//! decision (the decision log and the registry's record still hold it).

use std::time::Duration;

use super::decision::{notification, Decision};
use crate::app::error::{AppError, UsageError};
use crate::app::stdio;

/// How long one notification may take.
const TIMEOUT: Duration = Duration::from_secs(10);

pub(super) struct Notifier {
    url: reqwest::Url,
    client: reqwest::Client,
}

impl Notifier {
    pub(super) fn new(url: &str) -> Result<Self, AppError> {
        let parsed = reqwest::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                AppError::from(UsageError::BadProtect {
                    message: "--notify: expected an http(s) URL (a Slack or Teams incoming webhook, or any JSON receiver)".into(),
                })
            })?;
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            // A redirect could carry the notification elsewhere: the URL given is the one used.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                AppError::from(UsageError::BadProtect {
                    message: format!("--notify: cannot build an HTTP client: {e}"),
                })
            })?;
        Ok(Self {
            url: parsed,
            client,
        })
    }

    /// Sends one violation; failures are said, not returned.
    pub(super) fn send(&self, decision: &Decision) {
        let body = notification(decision);
        let sent = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
            .and_then(|rt| {
                rt.block_on(async {
                    let answer = self
                        .client
                        .post(self.url.clone())
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(body.to_string())
                        .send()
                        .await
                        .map_err(|e| e.without_url().to_string())?;
                    let status = answer.status();
                    if status.is_success() {
                        Ok(())
                    } else {
                        Err(format!("HTTP {status}"))
                    }
                })
            });
        if let Err(why) = sent {
            // The URL may hold a token (Slack's do): only its host is named.
            let host = self.url.host_str().unwrap_or("?");
            stdio::err(&format!(
                "warning: notifying {host} of a violation failed: {why}\n"
            ));
        }
    }
}
