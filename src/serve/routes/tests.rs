//! Every answer of the routes on requests built in memory, with a sink that records what
//! reached it: each refusal has its outcome and status, and only verified, fresh, first-seen
//! changes reach the core.

use std::convert::Infallible;
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

use http_body_util::StreamBody;
use hyper::body::Frame;

use super::*;
use crate::serve::signature::tests::{sign_databricks, sign_mlflow};

const SECRET: &str = "s3cret";
const DBX_SECRET: &str = "dbx-s3cret";
/// Planted in headers and bodies of refused requests: no answer may repeat it.
const MARK: &str = "PLANTED<script>";

struct Recording {
    events: Mutex<Vec<Event>>,
    disposition: Disposition,
    healthy: bool,
}

impl Sink for Recording {
    fn deliver(&self, event: Event) -> Disposition {
        self.events.lock().unwrap().push(event);
        self.disposition
    }

    fn health(&self) -> (bool, String) {
        if self.healthy {
            (true, "last reconcile finished".into())
        } else {
            (false, "last reconcile failed: registry unreachable".into())
        }
    }
}

struct Fixture {
    routes: Routes,
    sink: Arc<Recording>,
    metrics: Arc<Metrics>,
}

fn fixture_with(disposition: Disposition, secrets: bool) -> Fixture {
    fixture_full(disposition, secrets, true)
}

fn fixture_full(disposition: Disposition, secrets: bool, healthy: bool) -> Fixture {
    let sink = Arc::new(Recording {
        events: Mutex::new(Vec::new()),
        disposition,
        healthy,
    });
    let metrics = Arc::new(Metrics::new());
    let mut config = Listener::new(([127, 0, 0, 1], 0).into());
    if secrets {
        config.mlflow_secret = Some(SECRET.into());
        config.databricks_secret = Some(DBX_SECRET.into());
    }
    config.max_body = 4096;
    let routes = Routes::new(config, sink.clone(), metrics.clone())
        .with_body_timeout(Duration::from_millis(200));
    Fixture {
        routes,
        sink,
        metrics,
    }
}

fn fixture() -> Fixture {
    fixture_with(Disposition::Accepted, true)
}

fn run<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn now_secs() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// A signed MLflow delivery as MLflow sends it.
fn mlflow_request(
    id: &str,
    timestamp: &str,
    body: &str,
    signature: Option<String>,
) -> Request<Full<Bytes>> {
    let mut builder = Request::post("/webhooks/mlflow")
        .header("content-type", "application/json")
        .header("x-mlflow-delivery-id", id)
        .header("x-mlflow-timestamp", timestamp);
    if let Some(signature) = signature {
        builder = builder.header("x-mlflow-signature", signature);
    }
    builder
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

fn signed(id: &str, body: &str) -> Request<Full<Bytes>> {
    let ts = now_secs().to_string();
    mlflow_request(
        id,
        &ts,
        body,
        Some(sign_mlflow(SECRET, id, &ts, body.as_bytes())),
    )
}

// documented: envelope and `data` as MLflow 3.17 delivers `model_version_alias.created`.
const ALIAS_SET: &str = r#"{"entity": "model_version_alias", "action": "created", "timestamp": "2026-11-30T19:11:18.538189+00:00", "data": {"name": "fraud", "alias": "champion", "version": "4"}}"#;

/// Sends `request`; returns status, body text, and checks the outcome was counted once.
fn send<B>(
    f: &Fixture,
    request: Request<B>,
    source: Source,
    outcome: DeliveryOutcome,
) -> (StatusCode, String)
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    let before = f.metrics.deliveries(source, outcome);
    let response = run(f.routes.handle(request));
    let status = response.status();
    let body = run(response.into_body().collect()).unwrap().to_bytes();
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert_eq!(
        f.metrics.deliveries(source, outcome),
        before + 1,
        "{outcome:?}: {text}"
    );
    assert!(
        !text.contains("PLANTED"),
        "an answer echoed request text: {text}"
    );
    (status, text)
}

fn delivered(f: &Fixture) -> Vec<Event> {
    f.sink.events.lock().unwrap().clone()
}

#[test]
fn a_valid_alias_delivery_reaches_the_sink() {
    let f = fixture();
    let (status, _) = send(
        &f,
        signed("d-1", ALIAS_SET),
        Source::Mlflow,
        DeliveryOutcome::Accepted,
    );
    assert_eq!(status, StatusCode::ACCEPTED);
    let events = delivered(&f);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].source, Source::Mlflow);
    assert_eq!(events[0].delivery, "d-1");
    assert_eq!(events[0].model, "fraud");
    assert_eq!(
        events[0].kind,
        EventKind::AliasSet {
            alias: "champion".into(),
            version: "4".into()
        }
    );
}

#[test]
fn the_sink_may_ignore() {
    let f = fixture_with(
        Disposition::Ignored("no protected alias on this model"),
        true,
    );
    let (status, text) = send(
        &f,
        signed("d-1", ALIAS_SET),
        Source::Mlflow,
        DeliveryOutcome::Ignored,
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text, "no protected alias on this model\n");
}

#[test]
fn signature_refusals_reach_nothing() {
    let f = fixture();
    let ts = now_secs().to_string();
    let forged = sign_mlflow("not-the-secret", "d-1", &ts, ALIAS_SET.as_bytes());
    let request = mlflow_request("d-1", &ts, ALIAS_SET, Some(forged));
    let (status, _) = send(&f, request, Source::Mlflow, DeliveryOutcome::BadSignature);
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Signed, then the body changed: a different alias.
    let good = sign_mlflow(SECRET, "d-2", &ts, ALIAS_SET.as_bytes());
    let changed = ALIAS_SET.replace("champion", "PLANTED<script>");
    let request = mlflow_request("d-2", &ts, &changed, Some(good));
    let (status, _) = send(&f, request, Source::Mlflow, DeliveryOutcome::BadSignature);
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let request = mlflow_request("d-3", &ts, ALIAS_SET, None);
    let (status, text) = send(&f, request, Source::Mlflow, DeliveryOutcome::BadSignature);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(text.contains("unsigned"), "{text}");

    let request = mlflow_request("d-4", &ts, ALIAS_SET, Some(format!("v1,{MARK}")));
    send(&f, request, Source::Mlflow, DeliveryOutcome::BadSignature);
    assert!(delivered(&f).is_empty());
}

#[test]
fn stale_and_future_timestamps_are_refused() {
    let f = fixture();
    for (id, ts) in [("old", now_secs() - 301), ("future", now_secs() + 301)] {
        let ts = ts.to_string();
        let signature = sign_mlflow(SECRET, id, &ts, ALIAS_SET.as_bytes());
        let request = mlflow_request(id, &ts, ALIAS_SET, Some(signature));
        let (status, text) = send(&f, request, Source::Mlflow, DeliveryOutcome::Stale);
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(text.contains("300 s"), "{text}");
    }
    // Signed but not Unix seconds.
    let signature = sign_mlflow(SECRET, "d", "-5", ALIAS_SET.as_bytes());
    let request = mlflow_request("d", "-5", ALIAS_SET, Some(signature));
    let (status, _) = send(&f, request, Source::Mlflow, DeliveryOutcome::Malformed);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(delivered(&f).is_empty());
}

#[test]
fn a_repeated_delivery_id_is_acted_on_once() {
    let f = fixture();
    send(
        &f,
        signed("same", ALIAS_SET),
        Source::Mlflow,
        DeliveryOutcome::Accepted,
    );
    let (status, text) = send(
        &f,
        signed("same", ALIAS_SET),
        Source::Mlflow,
        DeliveryOutcome::Duplicate,
    );
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("duplicate"));
    assert_eq!(delivered(&f).len(), 1);
}

#[test]
fn test_unknown_and_malformed_deliveries_reach_nothing() {
    let f = fixture();
    // documented: MLflow's canned example for `model_version_alias.created`.
    let canned = r#"{"entity": "model_version_alias", "action": "created", "timestamp": "2026-12-05T05:00:00+00:00", "data": {"name": "example_model", "alias": "example_alias", "version": "1"}}"#;
    let (status, _) = send(
        &f,
        signed("t-1", canned),
        Source::Mlflow,
        DeliveryOutcome::Test,
    );
    assert_eq!(status, StatusCode::OK);
    // documented: a prompt event (models whose name marks them as prompts fire these).
    let prompt = r#"{"entity": "prompt_alias", "action": "created", "timestamp": "t", "data": {"name": "p", "alias": "prod", "version": "1"}}"#;
    let (status, _) = send(
        &f,
        signed("u-1", prompt),
        Source::Mlflow,
        DeliveryOutcome::Unknown,
    );
    assert_eq!(status, StatusCode::OK);
    let garbage = format!("{{not json {MARK}");
    let (status, _) = send(
        &f,
        signed("m-1", &garbage),
        Source::Mlflow,
        DeliveryOutcome::Malformed,
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let bad_field = ALIAS_SET.replace(r#""version": "4""#, r#""version": ["PLANTED<script>"]"#);
    let (_, text) = send(
        &f,
        signed("m-2", &bad_field),
        Source::Mlflow,
        DeliveryOutcome::Malformed,
    );
    assert!(text.contains("`version`"), "{text}");
    // documented: registered_model.created moves no alias.
    let model = r#"{"entity": "registered_model", "action": "created", "timestamp": "t", "data": {"name": "m", "tags": {}, "description": ""}}"#;
    send(
        &f,
        signed("i-1", model),
        Source::Mlflow,
        DeliveryOutcome::Ignored,
    );
    assert!(delivered(&f).is_empty());
}

#[test]
fn missing_delivery_headers_are_malformed() {
    let f = fixture();
    let request = Request::post("/webhooks/mlflow")
        .header("x-mlflow-signature", format!("v1,{MARK}"))
        .header("x-mlflow-timestamp", now_secs().to_string())
        .body(Full::new(Bytes::from(ALIAS_SET)))
        .unwrap();
    let (status, _) = send(&f, request, Source::Mlflow, DeliveryOutcome::Malformed);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let long_id = "x".repeat(129);
    send(
        &f,
        signed(&long_id, ALIAS_SET),
        Source::Mlflow,
        DeliveryOutcome::Malformed,
    );
    assert!(delivered(&f).is_empty());
}

#[test]
fn bodies_over_the_limit_are_refused_unread() {
    let f = fixture();
    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(5000));
    let (status, text) = send(
        &f,
        signed("big", &big),
        Source::Mlflow,
        DeliveryOutcome::TooLarge,
    );
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(text.contains("4096"), "{text}");
    // A declared length over the limit is refused before any byte is read.
    let request = Request::post("/webhooks/databricks")
        .header("content-length", "999999999")
        .header("x-databricks-signature", MARK)
        .body(Full::new(Bytes::from_static(b"{}")))
        .unwrap();
    send(&f, request, Source::Databricks, DeliveryOutcome::TooLarge);
    // A streamed body (no length known up front) is cut at the limit too.
    let chunks = (0..10).map(|_| Ok::<_, Infallible>(Frame::data(Bytes::from(vec![b'x'; 1000]))));
    let request = Request::post("/webhooks/mlflow")
        .body(StreamBody::new(futures_util::stream::iter(chunks)))
        .unwrap();
    send(&f, request, Source::Mlflow, DeliveryOutcome::TooLarge);
    assert!(delivered(&f).is_empty());
}

#[test]
fn a_body_that_never_arrives_times_out() {
    let f = fixture();
    let pending = futures_util::stream::pending::<Result<Frame<Bytes>, Infallible>>();
    let request = Request::post("/webhooks/mlflow")
        .body(StreamBody::new(pending))
        .unwrap();
    let (status, _) = send(&f, request, Source::Mlflow, DeliveryOutcome::Timeout);
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
}

#[test]
fn without_a_secret_nothing_is_accepted() {
    let f = fixture_with(Disposition::Accepted, false);
    let (status, text) = send(
        &f,
        signed("d-1", ALIAS_SET),
        Source::Mlflow,
        DeliveryOutcome::NoSecret,
    );
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(text.contains("MLGATE_WEBHOOK_SECRET"), "{text}");
    let request = Request::post("/webhooks/databricks")
        .body(Full::new(Bytes::from_static(b"{}")))
        .unwrap();
    send(&f, request, Source::Databricks, DeliveryOutcome::NoSecret);
    assert!(delivered(&f).is_empty());
}

mod databricks;
mod endpoints;
