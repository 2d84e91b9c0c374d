//! The guard's webhook listener on a real socket: a signed MLflow delivery over HTTP reaches
//! the sink, health and metrics answer, and shutdown returns even while a keep-alive
//! connection sits idle.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use mlgate::serve::{self, Disposition, Event, EventKind, Listener, Metrics, Sink};

#[derive(Default)]
struct Recording(Mutex<Vec<Event>>);

impl Sink for Recording {
    fn deliver(&self, event: Event) -> Disposition {
        self.0.lock().unwrap().push(event);
        Disposition::Accepted
    }

    fn health(&self) -> (bool, String) {
        (true, "reconciled".into())
    }
}

/// Signs as MLflow's `_generate_hmac_signature` does.
fn sign(secret: &str, id: &str, timestamp: &str, body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2_11::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let tag = mac.finalize().into_bytes();
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(tag)
    )
}

#[test]
fn a_signed_delivery_over_http_then_a_clean_shutdown() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut listener = Listener::new(([127, 0, 0, 1], 0).into());
        listener.mlflow_secret = Some("s3cret".into());
        let socket = serve::bind(&listener).await.unwrap();
        let addr = socket.local_addr().unwrap();
        let sink = Arc::new(Recording::default());
        let metrics = Arc::new(Metrics::new());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve::serve_on(
            socket,
            listener,
            sink.clone(),
            metrics.clone(),
            async {
                let _ = stopped.await;
            },
        ));

        // documented: the envelope of MLflow 3.17's `model_version_alias.created`.
        let body = r#"{"entity": "model_version_alias", "action": "created", "timestamp": "2026-12-05T05:00:00+00:00", "data": {"name": "fraud", "alias": "champion", "version": "4"}}"#;
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string();
        let id = "0b7e5a43-53c4-4d1c-9c43-6c1f3b0f1d2e";
        let client = reqwest::Client::new();
        let response = client
            .post(format!("http://{addr}/webhooks/mlflow"))
            .header("Content-Type", "application/json")
            .header("X-MLflow-Delivery-Id", id)
            .header("X-MLflow-Timestamp", &ts)
            .header("X-MLflow-Signature", sign("s3cret", id, &ts, body))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 202);
        {
            let events = sink.0.lock().unwrap();
            assert_eq!(events.len(), 1);
            assert_eq!(
                events[0].kind,
                EventKind::AliasSet {
                    alias: "champion".into(),
                    version: "4".into()
                }
            );
        }

        let text = client
            .get(format!("http://{addr}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            text.contains("mlgate_guard_deliveries_total{source=\"mlflow\",outcome=\"accepted\"} 1\n"),
            "{text}"
        );
        drop(client);

        // An idle keep-alive connection, held open by a client on another thread.
        let (answered, answers) = std::sync::mpsc::channel();
        let (release, held) = std::sync::mpsc::channel::<()>();
        let client_thread = std::thread::spawn(move || {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: guard\r\nConnection: keep-alive\r\n\r\n")
                .unwrap();
            let mut buffer = [0u8; 512];
            let n = stream.read(&mut buffer).unwrap();
            answered
                .send(String::from_utf8_lossy(&buffer[..n]).into_owned())
                .unwrap();
            let _ = held.recv_timeout(Duration::from_secs(30));
        });
        let health = tokio::task::spawn_blocking(move || answers.recv().unwrap())
            .await
            .unwrap();
        assert!(health.starts_with("HTTP/1.1 200"), "{health}");
        assert!(health.ends_with("ok: reconciled\n"), "{health}");

        stop.send(()).unwrap();
        let returned = tokio::time::timeout(Duration::from_secs(5), server).await;
        assert!(
            matches!(returned, Ok(Ok(Ok(())))),
            "serve did not return promptly after shutdown: {returned:?}"
        );
        release.send(()).unwrap();
        client_thread.join().unwrap();
    });
}

#[test]
fn a_request_in_flight_at_shutdown_is_finished() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut listener = Listener::new(([127, 0, 0, 1], 0).into());
        listener.mlflow_secret = Some("s3cret".into());
        let socket = serve::bind(&listener).await.unwrap();
        let addr = socket.local_addr().unwrap();
        let sink = Arc::new(Recording::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve::serve_on(
            socket,
            listener,
            sink.clone(),
            Arc::new(Metrics::new()),
            async {
                let _ = stopped.await;
            },
        ));

        // documented: the envelope of MLflow 3.17's `model_version.created`.
        let body = r#"{"entity": "model_version", "action": "created", "timestamp": "2026-12-05T05:00:00+00:00", "data": {"name": "fraud", "version": "5", "source": "models:/m-1", "run_id": null, "tags": {}, "description": ""}}"#;
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string();
        let id = "6f1c2d8e-0a4b-4c55-8f7e-3d2a1b0c9e8f";
        let head = format!(
            "POST /webhooks/mlflow HTTP/1.1\r\nHost: guard\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nX-MLflow-Delivery-Id: {id}\r\nX-MLflow-Timestamp: {ts}\r\n\
             X-MLflow-Signature: {}\r\n\r\n",
            body.len(),
            sign("s3cret", id, &ts, body)
        );
        let (half, rest) = body.split_at(body.len() / 2);
        let (first_half_sent, sent) = std::sync::mpsc::channel();
        let (go_on, go) = std::sync::mpsc::channel::<()>();
        let (rest, head) = (rest.to_string(), format!("{head}{half}"));
        let client_thread = std::thread::spawn(move || {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream.write_all(head.as_bytes()).unwrap();
            first_half_sent.send(()).unwrap();
            go.recv().unwrap();
            stream.write_all(rest.as_bytes()).unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).unwrap();
            answer
        });
        tokio::task::spawn_blocking(move || sent.recv().unwrap())
            .await
            .unwrap();
        // Let the server start reading the request before shutdown is asked.
        tokio::time::sleep(Duration::from_millis(200)).await;
        stop.send(()).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        go_on.send(()).unwrap();
        let returned = tokio::time::timeout(Duration::from_secs(5), server).await;
        assert!(matches!(returned, Ok(Ok(Ok(())))), "{returned:?}");
        let answer = tokio::task::spawn_blocking(move || client_thread.join().unwrap())
            .await
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
        assert_eq!(sink.0.lock().unwrap().len(), 1);
    });
}
