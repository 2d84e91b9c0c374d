//! Reads from cloud object storage, never with the workspace's credentials: presigned URLs
//! with exactly the headers they came with, and requests that carry their own authentication
//! (a SigV4 signature, a SAS in the query, a storage token). Storage's refusals are kept with
//! their status and headers for the caller to read (an expired credential, another region),
//! and reduced to storage's own code and message before they reach an error: S3 echoes the
//! signed request, session token included, in some error bodies.

use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;

use super::config::StorageEnv;
use super::error::{snippet, ClientError, ConnectKind};
use super::http::Client;
use super::transport::{self, SendFailure};
use crate::redact::shapes::redact_shapes;
use crate::url::shown as shown_url;

/// A cloud-storage answer, whatever its status (not `Debug`: bodies can echo credentials).
pub struct Stored {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub attempts: u32,
}

impl Stored {
    /// The body of a 2xx answer, else the storage's refusal as an error about `shown_url`.
    pub fn into_text(self, shown_url: &str) -> Result<String, ClientError> {
        if (200..300).contains(&self.status) {
            Ok(self.text)
        } else {
            Err(self.error(shown_url))
        }
    }

    /// The refusal as an error: storage's own code and message (S3 and Azure XML, GCS and
    /// ADLS JSON), never the rest of its body, which can echo the signed request.
    pub fn error(&self, shown_url: &str) -> ClientError {
        let (error_code, message) = storage_error(&self.text);
        ClientError::Http {
            method: "GET",
            url: shown_url.to_string(),
            status: self.status,
            error_code,
            message,
            attempts: self.attempts,
            credentials: None,
            retry_after: None,
        }
    }
}

/// `<Code>`/`<Message>` of an XML error, `error.code`/`error.message` of a JSON one; anything
/// else by its first words, with secret-shaped parts redacted.
fn storage_error(body: &str) -> (Option<String>, String) {
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = body.find(&open)? + open.len();
        let end = start + body[start..].find(&format!("</{name}>"))?;
        Some(snippet(&body[start..end]))
    };
    if body.trim_start().starts_with('<') {
        let code = tag("Code");
        let message = tag("Message")
            .map(|m| match tag("AuthenticationErrorDetail") {
                Some(detail) => format!("{m} ({detail})"),
                None => m,
            })
            .or_else(|| code.clone())
            .unwrap_or_else(|| "(no error message)".into());
        return (code, redact_shapes(&message));
    }
    if let Ok(Value::Object(root)) = serde_json::from_str::<Value>(body) {
        if let Some(Value::Object(error)) = root.get("error") {
            let code = error.get("code").map(|c| match c {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .map_or_else(|| "(no error message)".into(), snippet);
            return (code, redact_shapes(&message));
        }
    }
    (None, redact_shapes(&snippet(body)))
}

impl Client {
    /// Where cloud object storage is reached.
    pub fn storage(&self) -> &StorageEnv {
        &self.config.storage
    }

    /// GET a pre-signed URL with exactly the headers it came with: never with our credentials,
    /// which must not leak to cloud storage. The URL's query (its signature) is never shown.
    pub async fn get_signed(
        &self,
        url: &str,
        headers: &[(String, String)],
    ) -> Result<String, ClientError> {
        let stored = self.get_storage(url, headers).await?;
        stored.into_text(&shown_url(url))
    }

    /// GET from cloud object storage with `headers` only (a signature, a SAS in the URL, a
    /// storage token): never with the workspace's credentials. Answered whatever the status,
    /// so the caller can read storage's own refusal (an expired credential, another region)
    /// before deciding; transient failures (408, 429, 5xx) are retried as MLflow's
    /// `cloud_storage_http_request` does, within the retry count and the budget.
    pub async fn get_storage(
        &self,
        url: &str,
        headers: &[(String, String)],
    ) -> Result<Stored, ClientError> {
        let shown = shown_url(url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            if self.remaining().is_zero() {
                return Err(self.timeout_error("GET", &shown, attempt - 1));
            }
            let mut request = self.inner.get(url).timeout(self.request_timeout());
            for (name, value) in headers {
                let mut value = HeaderValue::from_str(value).map_err(|e| ClientError::Connect {
                    url: shown.clone(),
                    kind: ConnectKind::Other,
                    message: format!("a storage header cannot be sent: {e}"),
                    attempts: 0,
                })?;
                // Signatures and tokens stay out of any debug output of the request.
                value.set_sensitive(true);
                request = request.header(name.as_str(), value);
            }
            let retries_left = attempt <= self.config.max_retries;
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) => {
                    let failure = transport::classify(&e);
                    let again = matches!(
                        failure,
                        SendFailure::Reset(_) | SendFailure::Connect(ConnectKind::Refused, _)
                    );
                    if again
                        && retries_left
                        && self
                            .pause(transport::backoff(self.config.backoff_factor, attempt))
                            .await
                    {
                        continue;
                    }
                    return Err(self.send_error(failure, "GET", &shown, attempt));
                }
            };
            let status = response.status().as_u16();
            let response_headers = response.headers().clone();
            if matches!(status, 408 | 429 | 500 | 502 | 503 | 504) && retries_left {
                let wait = transport::retry_after(&response_headers).map_or_else(
                    || transport::backoff(self.config.backoff_factor, attempt),
                    |(wait, _)| wait,
                );
                if self.pause(wait).await {
                    continue;
                }
            }
            let text = transport::read_body(response, self.config.max_response_bytes)
                .await
                .map_err(|e| self.body_error(e, "GET", &shown, attempt))?;
            return Ok(Stored {
                status,
                headers: response_headers,
                text,
                attempts: attempt,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_errors_keep_code_and_message_only() {
        let s3 = "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message><AWSAccessKeyId>ASIAEXAMPLEEXAMPLE12</AWSAccessKeyId><CanonicalRequest>GET /b/k X-Amz-Security-Token=IQoJsecret</CanonicalRequest></Error>";
        let (code, message) = storage_error(s3);
        assert_eq!(code.as_deref(), Some("SignatureDoesNotMatch"));
        assert!(
            !message.contains("ASIA") && !message.contains("IQoJ"),
            "{message}"
        );
        let azure = "<Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.</Message><AuthenticationErrorDetail>Signature not valid in the specified time frame</AuthenticationErrorDetail></Error>";
        assert!(storage_error(azure).1.contains("time frame"));
        let gcs = r#"{"error": {"code": 401, "message": "Invalid Credentials"}}"#;
        assert_eq!(
            storage_error(gcs),
            (Some("401".into()), "Invalid Credentials".into())
        );
        assert_eq!(
            storage_error("<Error><Code>NoSuchKey</Code></Error>").1,
            "NoSuchKey"
        );
    }
}
