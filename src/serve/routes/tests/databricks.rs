//! Databricks deliveries end to end through the routes: a signed stage transition reaches the
//! sink with its de-duplication key; forged, unsigned, stale, repeated, unknown and malformed
//! ones do not.

use super::*;

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
