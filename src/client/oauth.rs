//! OAuth machine-to-machine for Databricks: the client-credentials grant (`POST
//! /oidc/v1/token`, client id and secret as HTTP basic auth, `scope=all-apis`), as the
//! Databricks SDKs do it. The caller caches the token.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};

use super::error::{snippet, ClientError};
use super::transport::{self, Answer};
use crate::url::shown as shown_url;

/// The token endpoint's answer (RFC 6749 §5.1).
#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Its error shapes (RFC 6749 §5.2; Okta-style `errorCode`/`errorSummary` behind some
/// identity providers).
#[derive(serde::Deserialize, Default)]
struct TokenError {
    #[serde(default, alias = "errorCode")]
    error: Option<String>,
    #[serde(default, alias = "errorSummary")]
    error_description: Option<String>,
}

/// A token (`"Bearer …"`) and its lifetime; `authorization` carries the client's id and
/// secret as basic auth.
pub(super) async fn fetch_token(
    http: &reqwest::Client,
    client_id: &str,
    token_url: &str,
    timeout: Duration,
    authorization: String,
) -> Result<(String, Duration), ClientError> {
    let url = shown_url(token_url);
    let response = http
        .post(token_url)
        .timeout(timeout)
        .header(AUTHORIZATION, authorization)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&scope=all-apis")
        .send()
        .await
        .map_err(|e| {
            transport::classify(&e).into_error("POST", &url, &url, timeout.as_secs(), 1)
        })?;
    let status = response.status().as_u16();
    let content_type = transport::content_type(response.headers());
    // A token answer is tiny; 1 MiB is plenty and bounds a hostile one.
    let text =
        transport::read_body(response, 1 << 20)
            .await
            .map_err(|_| ClientError::Truncated {
                method: "POST",
                url: url.clone(),
                message: "the token answer could not be read whole".into(),
                attempts: 1,
            })?;
    if !(200..300).contains(&status) {
        let error: TokenError = serde_json::from_str(&text).unwrap_or_default();
        return Err(ClientError::Http {
            method: "POST",
            url,
            status,
            error_code: error.error,
            message: format!(
                "OAuth token request failed: {}",
                error.error_description.unwrap_or_else(|| snippet(&text))
            ),
            attempts: 1,
            credentials: Some(format!("the OAuth client `{client_id}`").into()),
            retry_after: None,
        });
    }
    let answer = Answer {
        status,
        content_type,
        text,
    };
    let token: TokenResponse = transport::decode("POST", &url, &answer)?;
    Ok((
        format!(
            "{} {}",
            token.token_type.as_deref().unwrap_or("Bearer"),
            token.access_token
        ),
        Duration::from_secs(token.expires_in.unwrap_or(3600)),
    ))
}
