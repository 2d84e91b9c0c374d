//! A tiny HTTP/1.1 server on loopback for the tests' mock registries (Databricks, and replayed
//! open-source MLflow captures): one thread per connection, `Connection: close`, a route
//! function per mock, every request logged. It can also add fields no server sends today to
//! every JSON answer (to prove nothing a server adds is lost) and cut a body short (to prove a
//! failed download is never taken for an empty file).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// The field [`add_unknown_fields`] adds, and its value.
pub const UNKNOWN_FIELD: &str = "x_mlgate_future_field";
pub const UNKNOWN_VALUE: &str = "kept";

pub struct Request {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Request {
    /// A query parameter, or "".
    pub fn q(&self, key: &str) -> &str {
        self.query.get(key).map_or("", String::as_str)
    }
}

pub struct Response {
    pub status: u16,
    pub body: String,
    pub content_type: &'static str,
    /// Declare a longer body than is sent, then close: a connection lost mid-body.
    pub cut_short: bool,
    /// Extra header lines (`Retry-After: 3600`).
    pub headers: Vec<String>,
    /// How the answer goes out, when not simply whole.
    pub fault: Fault,
}

const MIB: u64 = 1 << 20;

/// Ways an answer can misbehave on the wire.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub enum Fault {
    #[default]
    None,
    /// Close the connection without a word after reading the request.
    Close,
    /// Send the head and the body, then nothing more for a minute (a stalled body).
    Stall,
    /// After the body, stream `n` MiB of filler, with or without a `Content-Length`.
    Huge { mib: u64, with_length: bool },
}

impl Response {
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self::text(status, body, "application/json")
    }

    pub fn text(status: u16, body: impl Into<String>, content_type: &'static str) -> Self {
        Self {
            status,
            body: body.into(),
            content_type,
            cut_short: false,
            headers: Vec::new(),
            fault: Fault::None,
        }
    }

    pub fn header(mut self, line: impl Into<String>) -> Self {
        self.headers.push(line.into());
        self
    }

    pub fn fault(mut self, fault: Fault) -> Self {
        self.fault = fault;
        self
    }
}

/// A running server; it lives as long as the test process.
pub struct Server {
    pub url: String,
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Serves `route(request, base_url)` on a free loopback port.
    pub fn start(route: impl Fn(&Request, &str) -> Response + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (log, base, route) = (Arc::clone(&requests), url.clone(), Arc::new(route));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (log, base, route) = (Arc::clone(&log), base.clone(), Arc::clone(&route));
                std::thread::spawn(move || serve(stream, &base, &log, &*route));
            }
        });
        Server { url, requests }
    }

    /// How many requests contained `fragment` in `METHOD /path?query`.
    pub fn requested(&self, fragment: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.contains(fragment))
            .count()
    }
}

fn serve(
    mut stream: TcpStream,
    base: &str,
    log: &Mutex<Vec<String>>,
    route: &(dyn Fn(&Request, &str) -> Response + Send + Sync),
) {
    let Some((request, target)) = read_request(&mut stream) else {
        return;
    };
    log.lock()
        .unwrap()
        .push(format!("{} {target}", request.method));
    let response = route(&request, base);
    if response.fault == Fault::Close {
        let _ = stream.shutdown(std::net::Shutdown::Both);
        return;
    }
    let reason = match response.status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let (declared, huge) = match response.fault {
        Fault::Huge { mib, with_length } => (
            with_length.then(|| response.body.len() as u64 + mib * MIB),
            mib,
        ),
        Fault::Stall => (Some(response.body.len() as u64 + 1000), 0),
        _ => (
            Some(response.body.len() as u64 + if response.cut_short { 1000 } else { 0 }),
            0,
        ),
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nConnection: close\r\n",
        response.status, response.content_type,
    );
    if let Some(length) = declared {
        head.push_str("Content-Length: ");
        head.push_str(&length.to_string());
        head.push_str("\r\n");
    }
    for line in &response.headers {
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(response.body.as_bytes());
    if response.fault == Fault::Stall {
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
    let filler = vec![b' '; 1 << 20];
    for _ in 0..huge {
        // The client hangs up at its limit; stop then.
        if stream.write_all(&filler).is_err() {
            return;
        }
    }
}

fn read_request(stream: &mut TcpStream) -> Option<(Request, String)> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    Some((
        Request {
            method,
            path: decode(path),
            query,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        },
        target,
    ))
}

fn decode(text: &str) -> String {
    let bytes = text.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) =
                u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or(""), 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A JSON body with [`UNKNOWN_FIELD`] added to the answer and to every object one and two
/// levels down (`{"run": {"info": {…}}}`), where a newer server would add fields. Lists are
/// left alone: their items are tags and grants, whose shapes the snapshot flattens.
pub fn add_unknown_fields(body: &str) -> String {
    fn add(value: &mut serde_json::Value, depth: usize) {
        if let serde_json::Value::Object(map) = value {
            if depth < 3 {
                for child in map.values_mut() {
                    add(child, depth + 1);
                }
                map.insert(UNKNOWN_FIELD.into(), UNKNOWN_VALUE.into());
            }
        }
    }
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(mut v) if v.is_object() => {
            add(&mut v, 0);
            v.to_string()
        }
        _ => body.to_string(),
    }
}
