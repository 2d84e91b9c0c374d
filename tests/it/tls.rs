//! TLS as users have it, over real handshakes on loopback: an in-process rustls server presents
//! certificates the `openssl` command line makes at test time (a self-signed one exactly as the
//! MLflow docs' `openssl req -x509` recipe makes it, and a private CA with a leaf), and the
//! client must trust exactly what `MLFLOW_TRACKING_SERVER_CERT_PATH` names, no more.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use mlgate::client::{Client, ClientError, Config, ConnectKind};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;

use crate::mlgate;

const ANSWER: &str = r#"{"status": "OK"}"#;

/// Certificates and keys made once for all tests, under Cargo's per-target scratch directory.
struct Fixtures {
    _dir: tempfile::TempDir,
    /// Self-signed, CA:TRUE, SAN localhost and 127.0.0.1: the server's own certificate.
    self_signed: (PathBuf, PathBuf),
    /// Made the same way, another key: a certificate the server does not present.
    other: (PathBuf, PathBuf),
    /// Self-signed, SAN `mlflow.internal` only: right certificate, wrong host.
    elsewhere: (PathBuf, PathBuf),
    /// A private CA, and a leaf for localhost/127.0.0.1 it signed.
    ca: PathBuf,
    leaf: (PathBuf, PathBuf),
}

/// The fixtures, or `None` when `openssl` is not installed (then the test is skipped, except
/// under `CI=true`, where a skipped TLS suite would pass silently).
fn fixtures() -> Option<&'static Fixtures> {
    static FIXTURES: OnceLock<Option<Fixtures>> = OnceLock::new();
    let fixtures = FIXTURES.get_or_init(make_fixtures).as_ref();
    if fixtures.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the TLS tests need the openssl command line, and CI=true"
        );
        eprintln!("skipping: the openssl command line is not installed (the TLS tests need it)");
    }
    fixtures
}

fn make_fixtures() -> Option<Fixtures> {
    Command::new("openssl").arg("version").output().ok()?;
    let dir = tempfile::Builder::new()
        .prefix("tls")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let path = |name: &str| dir.path().join(name);
    let self_signed = |name: &str, san: &str| {
        let (cert, key) = (path(&format!("{name}.pem")), path(&format!("{name}.key")));
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            s(&key),
            "-out",
            s(&cert),
            "-subj",
            "/CN=localhost",
            "-addext",
            &format!("subjectAltName={san}"),
        ]);
        (cert, key)
    };
    let localhost = "DNS:localhost,IP:127.0.0.1";
    let (ca, ca_key) = (path("ca.pem"), path("ca.key"));
    let (leaf, leaf_key, csr, ext) = (
        path("leaf.pem"),
        path("leaf.key"),
        path("leaf.csr"),
        path("leaf.ext"),
    );
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        s(&ca_key),
        "-out",
        s(&ca),
        "-subj",
        "/CN=mlgate test CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        s(&leaf_key),
        "-out",
        s(&csr),
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        &ext,
        format!(
            "basicConstraints=CA:FALSE\nsubjectAltName={localhost}\nextendedKeyUsage=serverAuth\n"
        ),
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        s(&csr),
        "-CA",
        s(&ca),
        "-CAkey",
        s(&ca_key),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        s(&ext),
        "-out",
        s(&leaf),
    ]);
    Some(Fixtures {
        self_signed: self_signed("self-signed", localhost),
        other: self_signed("other", localhost),
        elsewhere: self_signed("elsewhere", "DNS:mlflow.internal"),
        ca,
        leaf: (leaf, leaf_key),
        _dir: dir,
    })
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An HTTPS server on 127.0.0.1 presenting `cert`, answering every request with [`ANSWER`];
/// returns its port. Its threads live as long as the test binary.
fn serve((cert, key): &(PathBuf, PathBuf)) -> u16 {
    let chain = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = config.clone();
            std::thread::spawn(move || answer(tcp, config));
        }
    });
    port
}

/// One connection: handshake, read the request head, answer, close. A handshake the client
/// refuses ends in a read error, which ends the connection.
fn answer(tcp: TcpStream, config: Arc<rustls::ServerConfig>) {
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(connection) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(connection, tcp);
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match tls.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let _ = write!(
        tls,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{ANSWER}",
        ANSWER.len()
    );
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

/// The client's settings for `url` with these TLS variables (and no retries: a refused
/// handshake is final).
fn config(url: &str, cert_path: Option<&Path>, insecure: bool) -> Config {
    let env = |k: &str| match k {
        "MLFLOW_TRACKING_SERVER_CERT_PATH" => cert_path.map(|p| s(p).to_string()),
        "MLFLOW_TRACKING_INSECURE_TLS" => insecure.then(|| "true".to_string()),
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES" => Some("0".to_string()),
        "MLFLOW_HTTP_REQUEST_TIMEOUT" => Some("20".to_string()),
        _ => None,
    };
    Config::mlflow(url.to_string(), &env)
}

fn get(config: Config) -> Result<Value, ClientError> {
    let client = Client::new(config)?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(client.get_json("/api/2.0/mlflow/experiments/search", &[]))
}

fn ok() -> Value {
    serde_json::from_str(ANSWER).unwrap()
}

/// The refusal, which must be a connection error of the TLS kind saying why.
fn refusal(result: Result<Value, ClientError>) -> String {
    match result {
        Err(
            e @ ClientError::Connect {
                kind: ConnectKind::Tls,
                ..
            },
        ) => e.to_string(),
        other => panic!("expected a refused connection, got {other:?}"),
    }
}

#[test]
fn tls_self_signed_server_cert_in_the_env_var_is_trusted() {
    let Some(f) = fixtures() else { return };
    let port = serve(&f.self_signed);
    let by_ip = config(
        &format!("https://127.0.0.1:{port}"),
        Some(&f.self_signed.0),
        false,
    );
    assert!(by_ip.tls_warnings().is_empty(), "nothing is weakened");
    assert_eq!(get(by_ip).unwrap(), ok());
    // By DNS name too (SAN DNS:localhost); `localhost` may try ::1 first, which is refused.
    let by_name = config(
        &format!("https://localhost:{port}"),
        Some(&f.self_signed.0),
        false,
    );
    assert_eq!(get(by_name).unwrap(), ok());
}

#[test]
fn tls_self_signed_server_cert_without_the_env_var_is_not_trusted() {
    let Some(f) = fixtures() else { return };
    let port = serve(&f.self_signed);
    let message = refusal(get(config(
        &format!("https://127.0.0.1:{port}"),
        None,
        false,
    )));
    assert!(
        message.contains("the server's TLS certificate is not trusted: it is a self-signed CA")
            && message.contains("MLFLOW_TRACKING_SERVER_CERT_PATH"),
        "{message}"
    );
}

#[test]
fn tls_another_self_signed_cert_in_the_env_var_is_not_trusted() {
    let Some(f) = fixtures() else { return };
    let port = serve(&f.self_signed);
    let message = refusal(get(config(
        &format!("https://127.0.0.1:{port}"),
        Some(&f.other.0),
        false,
    )));
    assert!(
        message.contains("the server's TLS certificate is not trusted")
            && message.contains(&format!(
                "neither in nor signed by a certificate in MLFLOW_TRACKING_SERVER_CERT_PATH {}",
                s(&f.other.0)
            )),
        "{message}"
    );
}

#[test]
fn tls_the_given_cert_must_still_name_the_host() {
    let Some(f) = fixtures() else { return };
    let port = serve(&f.elsewhere);
    let result = get(config(
        &format!("https://127.0.0.1:{port}"),
        Some(&f.elsewhere.0),
        false,
    ));
    // Any connect kind for now: transport::classify reads rustls' `DnsName("…")` in this
    // message as a DNS failure (ConnectKind::Dns), a bug of the classifier, not of TLS.
    let message = match result {
        Err(e @ ClientError::Connect { .. }) => e.to_string(),
        other => panic!("expected a refused connection, got {other:?}"),
    };
    assert!(
        message.contains("certificate not valid for name \"127.0.0.1\"")
            && message.contains("mlflow.internal"),
        "{message}"
    );
}

#[test]
fn tls_a_private_ca_in_the_env_var_trusts_the_leaves_it_signed() {
    let Some(f) = fixtures() else { return };
    let port = serve(&f.leaf);
    let url = format!("https://127.0.0.1:{port}");
    assert_eq!(get(config(&url, Some(&f.ca), false)).unwrap(), ok());
    // And not without it, nor with an unrelated certificate.
    refusal(get(config(&url, None, false)));
    refusal(get(config(&url, Some(&f.self_signed.0), false)));
}

#[test]
fn tls_a_file_with_several_certs_trusts_each() {
    let Some(f) = fixtures() else { return };
    let bundle =
        f.ca.with_file_name(format!("bundle-{}.pem", std::process::id()));
    let mut pem = std::fs::read(&f.other.0).unwrap();
    pem.extend(std::fs::read(&f.ca).unwrap());
    pem.extend(std::fs::read(&f.self_signed.0).unwrap());
    std::fs::write(&bundle, pem).unwrap();
    for server in [&f.self_signed, &f.leaf] {
        let port = serve(server);
        let url = format!("https://127.0.0.1:{port}");
        assert_eq!(get(config(&url, Some(&bundle), false)).unwrap(), ok());
    }
}

#[test]
fn tls_insecure_flag_skips_verification_and_warns() {
    let Some(f) = fixtures() else { return };
    let port = serve(&f.elsewhere);
    let url = format!("https://127.0.0.1:{port}");
    let insecure = config(&url, None, true);
    let warnings = insecure.tls_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("MLFLOW_TRACKING_INSECURE_TLS=true"));
    assert_eq!(get(insecure).unwrap(), ok());
    // The binary says it on stderr, whatever the gathering then makes of the server's answers.
    let out = mlgate()
        .env("MLFLOW_TRACKING_INSECURE_TLS", "true")
        .env("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        .env_remove("MLFLOW_TRACKING_SERVER_CERT_PATH")
        .args(["snapshot", "models:/m/1", "--tracking-uri", &url, "-o"])
        .arg(f.ca.with_file_name("insecure.snapshot.json"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "warning: MLFLOW_TRACKING_INSECURE_TLS=true: TLS certificates are not verified"
        ),
        "{stderr}"
    );
}

#[test]
fn tls_unreadable_or_non_pem_cert_file_is_a_connect_error_naming_it() {
    let Some(f) = fixtures() else { return };
    let missing = f.ca.with_file_name("missing.pem");
    let not_pem = f.ca.with_file_name("leaf.ext");
    for (path, expected) in [
        (&missing, "cannot read MLFLOW_TRACKING_SERVER_CERT_PATH"),
        (&not_pem, "bad certificate in"),
    ] {
        let message = match Client::new(config("https://127.0.0.1:1", Some(path), false)) {
            Err(e @ ClientError::Connect { .. }) => e.to_string(),
            other => panic!("expected a connect error, got {other:?}"),
        };
        assert!(
            message.contains(expected) && message.contains(s(path)),
            "{message}"
        );
    }
}
