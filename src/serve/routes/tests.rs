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

fn plain(f: &Fixture, method: Method, path: &str) -> (StatusCode, String, HeaderMap) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = run(f.routes.handle(request));
    let (parts, body) = response.into_parts();
    let body = run(body.collect()).unwrap().to_bytes();
    (
        parts.status,
        String::from_utf8(body.to_vec()).unwrap(),
        parts.headers,
    )
}

#[test]
fn wrong_paths_and_methods() {
    let f = fixture();
    let (status, text, _) = plain(&f, Method::GET, "/webhooks/mlflow/PLANTED%3Cscript%3E");
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(text, "not found\n");
    let (status, _, headers) = plain(&f, Method::GET, "/webhooks/mlflow");
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[ALLOW], "POST");
    let (status, _, headers) = plain(&f, Method::POST, "/healthz");
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[ALLOW], "GET, HEAD");
    let (status, _, _) = plain(&f, Method::DELETE, "/metrics");
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    // Neither is a delivery: nothing counted, nothing delivered.
    let text = f.metrics.render();
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("mlgate_guard_deliveries_total") && !l.ends_with(" 0")),
        "{text}"
    );
    assert!(delivered(&f).is_empty());
}

#[test]
fn health_and_metrics() {
    let f = fixture();
    let (status, text, _) = plain(&f, Method::GET, "/healthz");
    assert_eq!(
        (status, text.as_str()),
        (StatusCode::OK, "ok: last reconcile finished\n")
    );
    let sick = fixture_full(Disposition::Accepted, true, false);
    let (status, text, _) = plain(&sick, Method::GET, "/healthz");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        text.starts_with("unhealthy: last reconcile failed"),
        "{text}"
    );

    send(
        &f,
        signed("d-1", ALIAS_SET),
        Source::Mlflow,
        DeliveryOutcome::Accepted,
    );
    let (status, text, headers) = plain(&f, Method::GET, "/metrics");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[CONTENT_TYPE],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert!(
        text.contains("mlgate_guard_deliveries_total{source=\"mlflow\",outcome=\"accepted\"} 1\n")
    );
}

/// A signed Databricks delivery.
fn databricks_request(body: &str, secret: &str) -> Request<Full<Bytes>> {
    Request::post("/webhooks/databricks")
        .header("content-type", "application/json")
        .header(
            "x-databricks-signature",
            sign_databricks(secret, body.as_bytes()),
        )
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

/// The docs' MODEL_VERSION_TRANSITIONED_STAGE shape with a fresh timestamp.
fn transition(version: &str, ms: i64) -> String {
    // documented: payload keys of a MODEL_VERSION_TRANSITIONED_STAGE delivery (values ours).
    format!(
        r#"{{"event": "MODEL_VERSION_TRANSITIONED_STAGE", "webhook_id": "c5596721253c4b429368cf6f4341b88a", "event_timestamp": {ms}, "model_name": "fraud_scorer", "version": "{version}", "from_stage": "Staging", "to_stage": "Production", "text": "Registered model 'fraud_scorer' version {version} transitioned from Staging to Production."}}"#
    )
}

#[test]
fn databricks_deliveries() {
    let f = fixture();
    let ms = now_secs() * 1000;
    let body = transition("3", ms);
    let (status, _) = send(
        &f,
        databricks_request(&body, DBX_SECRET),
        Source::Databricks,
        DeliveryOutcome::Accepted,
    );
    assert_eq!(status, StatusCode::ACCEPTED);
    let events = delivered(&f);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].source, Source::Databricks);
    assert_eq!(events[0].model, "fraud_scorer");
    assert_eq!(
        events[0].kind,
        EventKind::StageTransitioned {
            version: "3".into(),
            to_stage: "Production".into()
        }
    );
    assert_eq!(
        events[0].delivery,
        format!(r#"["MODEL_VERSION_TRANSITIONED_STAGE",{ms},"fraud_scorer","3","Production"]"#)
    );

    // The same event again: refused as a duplicate, answered 200.
    let (status, _) = send(
        &f,
        databricks_request(&body, DBX_SECRET),
        Source::Databricks,
        DeliveryOutcome::Duplicate,
    );
    assert_eq!(status, StatusCode::OK);

    let forged = transition("4", ms);
    let (status, _) = send(
        &f,
        databricks_request(&forged, "wrong"),
        Source::Databricks,
        DeliveryOutcome::BadSignature,
    );
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let unsigned = Request::post("/webhooks/databricks")
        .body(Full::new(Bytes::from(transition("5", ms))))
        .unwrap();
    send(
        &f,
        unsigned,
        Source::Databricks,
        DeliveryOutcome::BadSignature,
    );

    let old = transition("6", ms - 301_000);
    let (status, _) = send(
        &f,
        databricks_request(&old, DBX_SECRET),
        Source::Databricks,
        DeliveryOutcome::Stale,
    );
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // documented: COMMENT_CREATED exists; it moves no stage.
    let comment = format!(
        r#"{{"event": "COMMENT_CREATED", "event_timestamp": {ms}, "model_name": "fraud_scorer", "comment": "PLANTED<script>"}}"#
    );
    send(
        &f,
        databricks_request(&comment, DBX_SECRET),
        Source::Databricks,
        DeliveryOutcome::Ignored,
    );
    let unknown = format!(r#"{{"event": "MODEL_VERSION_DELETED", "event_timestamp": {ms}}}"#);
    send(
        &f,
        databricks_request(&unknown, DBX_SECRET),
        Source::Databricks,
        DeliveryOutcome::Unknown,
    );
    send(
        &f,
        databricks_request("[PLANTED<script>]", DBX_SECRET),
        Source::Databricks,
        DeliveryOutcome::Malformed,
    );
    assert_eq!(
        delivered(&f).len(),
        1,
        "only the first, valid delivery reached the sink"
    );
}

#[test]
fn a_databricks_tag_event_gives_one_change_per_tag() {
    let f = fixture();
    let ms = now_secs() * 1000;
    // documented: MODEL_VERSION_TAG_SET carries `tags: [{key, value}]`.
    let body = format!(
        r#"{{"event": "MODEL_VERSION_TAG_SET", "event_timestamp": {ms}, "model_name": "m", "version": "2", "tags": [{{"key": "a", "value": "1"}}, {{"key": "b", "value": "2"}}]}}"#
    );
    send(
        &f,
        databricks_request(&body, DBX_SECRET),
        Source::Databricks,
        DeliveryOutcome::Accepted,
    );
    let keys: Vec<EventKind> = delivered(&f).into_iter().map(|e| e.kind).collect();
    assert_eq!(
        keys,
        [
            EventKind::TagSet {
                version: "2".into(),
                key: "a".into()
            },
            EventKind::TagSet {
                version: "2".into(),
                key: "b".into()
            }
        ]
    );
}
