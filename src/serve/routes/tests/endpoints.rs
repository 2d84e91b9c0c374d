//! The routes that are not deliveries: health, metrics, and paths or methods nobody serves
//! (not counted as deliveries, never reaching the sink).

use super::*;

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
