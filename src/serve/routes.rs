//! One request in, one short plain-text answer out: the webhook routes (size limit, signature,
//! freshness, de-duplication, parsing, hand-over to the sink, in that order), health and
//! metrics. Independent of sockets, so every refusal is tested on a request built in memory.
//! Answers never echo a header or the body: a refusal names what was wrong, not what was sent.

use std::borrow::Cow;
use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Bytes};
use hyper::header::{HeaderMap, HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};

use super::config::{Listener, BODY_READ_TIMEOUT};
use super::databricks;
use super::event::{Disposition, Event, EventKind, Sink, Source};
use super::metrics::{DeliveryOutcome, Metrics};
use super::mlflow;
use super::replay::{fresh, Seen, MAX_REMEMBERED};
use super::signature::{verify_databricks, verify_mlflow, SignatureError};

/// How a delivery was answered: the counted outcome, the status and the text.
type Reply = (DeliveryOutcome, StatusCode, Cow<'static, str>);

/// The listener's shared state: settings, the core's sink, counters and replay memory.
pub(crate) struct Routes {
    config: Listener,
    sink: Arc<dyn Sink>,
    metrics: Arc<Metrics>,
    seen_mlflow: Seen,
    seen_databricks: Seen,
    body_timeout: Duration,
}

impl Routes {
    pub(crate) fn new(config: Listener, sink: Arc<dyn Sink>, metrics: Arc<Metrics>) -> Self {
        // A delivery id older than the skew is refused as stale anyway; twice the skew leaves
        // room for the sender's clock being ahead.
        let window = config.max_skew.saturating_mul(2);
        Routes {
            seen_mlflow: Seen::new(window, MAX_REMEMBERED),
            seen_databricks: Seen::new(window, MAX_REMEMBERED),
            config,
            sink,
            metrics,
            body_timeout: BODY_READ_TIMEOUT,
        }
    }

    /// Answers one request.
    pub(crate) async fn handle<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn Error + Send + Sync>>,
    {
        let source = match request.uri().path() {
            "/webhooks/mlflow" => Source::Mlflow,
            "/webhooks/databricks" => Source::Databricks,
            "/healthz" => return self.health(request.method()),
            "/metrics" => return self.metrics(request.method()),
            _ => return answer(StatusCode::NOT_FOUND, "not found"),
        };
        if request.method() != Method::POST {
            return not_allowed("POST");
        }
        let (outcome, status, text) = self.delivery(source, request).await;
        self.metrics.delivery(source, outcome);
        answer(status, &text)
    }

    fn health(&self, method: &Method) -> Response<Full<Bytes>> {
        if method != Method::GET && method != Method::HEAD {
            return not_allowed("GET, HEAD");
        }
        match self.sink.health() {
            (true, why) => answer(StatusCode::OK, &format!("ok: {why}")),
            (false, why) => answer(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("unhealthy: {why}"),
            ),
        }
    }

    fn metrics(&self, method: &Method) -> Response<Full<Bytes>> {
        if method != Method::GET && method != Method::HEAD {
            return not_allowed("GET, HEAD");
        }
        let mut response = Response::new(Full::new(Bytes::from(self.metrics.render())));
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        );
        response
    }

    async fn delivery<B>(&self, source: Source, request: Request<B>) -> Reply
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn Error + Send + Sync>>,
    {
        let secret = match source {
            Source::Mlflow => self.config.mlflow_secret.as_deref(),
            Source::Databricks => self.config.databricks_secret.as_deref(),
        };
        // An empty key is as good as none: anyone could sign with it.
        let Some(secret) = secret.filter(|s| !s.is_empty()) else {
            return no_secret(source);
        };
        let (parts, body) = request.into_parts();
        let body = match self.read(&parts.headers, body).await {
            Ok(body) => body,
            Err(reply) => return reply,
        };
        match source {
            Source::Mlflow => self.mlflow(secret, &parts.headers, &body),
            Source::Databricks => self.databricks(secret, &parts.headers, &body),
        }
    }

    /// The body, read up to the size limit and within the read timeout, never further.
    async fn read<B>(&self, headers: &HeaderMap, body: B) -> Result<Bytes, Reply>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn Error + Send + Sync>>,
    {
        let too_large = || {
            let text = format!("body larger than {} bytes", self.config.max_body);
            (
                DeliveryOutcome::TooLarge,
                StatusCode::PAYLOAD_TOO_LARGE,
                text.into(),
            )
        };
        let declared = header(headers, CONTENT_LENGTH.as_str()).and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > u64::try_from(self.config.max_body).unwrap_or(u64::MAX)) {
            return Err(too_large());
        }
        let limited = Limited::new(body, self.config.max_body);
        match tokio::time::timeout(self.body_timeout, limited.collect()).await {
            Ok(Ok(collected)) => Ok(collected.to_bytes()),
            Ok(Err(e)) if e.is::<LengthLimitError>() => Err(too_large()),
            Ok(Err(_)) => Err((
                DeliveryOutcome::Malformed,
                StatusCode::BAD_REQUEST,
                "the body could not be read".into(),
            )),
            Err(_) => Err((
                DeliveryOutcome::Timeout,
                StatusCode::REQUEST_TIMEOUT,
                "the body did not arrive in time".into(),
            )),
        }
    }

    fn mlflow(&self, secret: &str, headers: &HeaderMap, body: &[u8]) -> Reply {
        let signature = header(headers, "x-mlflow-signature");
        if signature.is_none() {
            return bad_signature(&SignatureError::Unsigned);
        }
        let Some(id) =
            header(headers, "x-mlflow-delivery-id").filter(|v| (1..=128).contains(&v.len()))
        else {
            return malformed("missing or invalid X-MLflow-Delivery-Id header".into());
        };
        let Some(timestamp) = header(headers, "x-mlflow-timestamp") else {
            return malformed("missing X-MLflow-Timestamp header".into());
        };
        if let Err(e) = verify_mlflow(secret, id, timestamp, body, signature) {
            return bad_signature(&e);
        }
        let Some(sent_ms) = unix_seconds(timestamp).map(|s| s.saturating_mul(1000)) else {
            return malformed("X-MLflow-Timestamp is not Unix seconds".into());
        };
        if !fresh(sent_ms, SystemTime::now(), self.config.max_skew) {
            return self.stale();
        }
        if !self.seen_mlflow.first_sighting(id, Instant::now()) {
            return duplicate();
        }
        match mlflow::parse(body) {
            Err(e) => malformed(e.to_string().into()),
            Ok(mlflow::Body::Unknown(why)) => {
                (DeliveryOutcome::Unknown, StatusCode::OK, why.into())
            }
            Ok(mlflow::Body::Ignored(why)) => {
                (DeliveryOutcome::Ignored, StatusCode::OK, why.into())
            }
            Ok(mlflow::Body::Test) => (
                DeliveryOutcome::Test,
                StatusCode::OK,
                "test delivery received: the signature is valid".into(),
            ),
            Ok(mlflow::Body::Change { model, kind }) => {
                self.hand_over(Source::Mlflow, id, &model, vec![kind])
            }
        }
    }

    fn databricks(&self, secret: &str, headers: &HeaderMap, body: &[u8]) -> Reply {
        let signature = header(headers, "x-databricks-signature");
        if let Err(e) = verify_databricks(secret, body, signature) {
            return bad_signature(&e);
        }
        let parsed = match databricks::parse(body) {
            Ok(parsed) => parsed,
            Err(e) => return malformed(e.to_string().into()),
        };
        if !fresh(parsed.event_ms, SystemTime::now(), self.config.max_skew) {
            return self.stale();
        }
        if !self
            .seen_databricks
            .first_sighting(&parsed.key, Instant::now())
        {
            return duplicate();
        }
        match parsed.meaning {
            databricks::Meaning::Unknown => (
                DeliveryOutcome::Unknown,
                StatusCode::OK,
                "an event this guard does not handle".into(),
            ),
            databricks::Meaning::Ignored(why) => {
                (DeliveryOutcome::Ignored, StatusCode::OK, why.into())
            }
            databricks::Meaning::Changes { model, kinds } => {
                self.hand_over(Source::Databricks, &parsed.key, &model, kinds)
            }
        }
    }

    /// Gives each change to the sink; accepted when the sink took any of them.
    fn hand_over(
        &self,
        source: Source,
        delivery: &str,
        model: &str,
        kinds: Vec<EventKind>,
    ) -> Reply {
        let received = Instant::now();
        let mut ignored = None;
        let mut accepted = false;
        for kind in kinds {
            let event = Event {
                source,
                delivery: delivery.to_string(),
                model: model.to_string(),
                kind,
                received,
            };
            match self.sink.deliver(event) {
                Disposition::Accepted => accepted = true,
                Disposition::Ignored(why) => ignored = ignored.or(Some(why)),
            }
        }
        match (accepted, ignored) {
            (false, Some(why)) => (DeliveryOutcome::Ignored, StatusCode::OK, why.into()),
            _ => (
                DeliveryOutcome::Accepted,
                StatusCode::ACCEPTED,
                "accepted".into(),
            ),
        }
    }

    fn stale(&self) -> Reply {
        let text = format!(
            "signed time is more than {} s from the guard's clock: refused as a possible replay \
             (check both clocks)",
            self.config.max_skew.as_secs()
        );
        (
            DeliveryOutcome::Stale,
            StatusCode::UNAUTHORIZED,
            text.into(),
        )
    }

    #[cfg(test)]
    fn with_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }
}

fn no_secret(source: Source) -> Reply {
    let text = match source {
        Source::Mlflow => {
            "no MLflow webhook secret is configured: set MLGATE_WEBHOOK_SECRET to the webhook's \
             secret (unsigned deliveries are never accepted)"
        }
        Source::Databricks => {
            "no Databricks webhook secret is configured: give the guard the registry webhook's \
             secret (unsigned deliveries are never accepted)"
        }
    };
    (
        DeliveryOutcome::NoSecret,
        StatusCode::SERVICE_UNAVAILABLE,
        text.into(),
    )
}

fn bad_signature(e: &SignatureError) -> Reply {
    (
        DeliveryOutcome::BadSignature,
        StatusCode::UNAUTHORIZED,
        e.to_string().into(),
    )
}

fn malformed(text: Cow<'static, str>) -> Reply {
    (DeliveryOutcome::Malformed, StatusCode::BAD_REQUEST, text)
}

/// Answered 200, not 409: MLflow retries only 429 and 5xx, and a retry of a duplicate would be
/// a duplicate again.
fn duplicate() -> Reply {
    (
        DeliveryOutcome::Duplicate,
        StatusCode::OK,
        "duplicate delivery: already received".into(),
    )
}

/// A header's value when it is visible ASCII.
fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Unix seconds as MLflow sends them: decimal digits only (no sign, no fraction).
fn unix_seconds(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn not_allowed(allow: &'static str) -> Response<Full<Bytes>> {
    let mut response = answer(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    response
}

fn answer(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(format!("{text}\n"))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests;
