//! A forwarding proxy in front of a real MLflow server that can play "another client": when
//! the Nth request whose path contains a fragment arrives, it first sends its own request to
//! the server, then forwards the one it holds. The promote race test uses it to move an alias
//! between mlgate's gather and its move, at a point fixed by counting, not by sleeping. It can
//! also refuse some requests with a 403 (the record test: a move allowed, its tags refused),
//! or lose an answer: forward a request, drop the server's answer (the connection closes
//! before a response), and cut every later request off the same way (the lost-answer test:
//! the alias moved, and mlgate cannot read it back).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What the proxy does on its own, once.
pub struct Interlude {
    /// Counted requests: those whose request line contains this.
    pub fragment: String,
    /// Act before forwarding the `nth` such request (1-based).
    pub nth: usize,
    /// The request sent to the server first: method, path, JSON body.
    pub method: &'static str,
    pub path: String,
    pub body: String,
}

pub struct Proxy {
    pub uri: String,
    seen: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<String>>>,
}

/// What the proxy does besides forwarding.
#[derive(Default)]
struct Behaviour {
    interlude: Option<Interlude>,
    /// Answer 403 to requests whose request line contains this.
    refuse: Option<String>,
    /// Forward the first request whose request line contains this, drop its answer, and cut
    /// off every request after it.
    lose: Option<String>,
    /// Set once the answer was lost.
    lost: std::sync::atomic::AtomicBool,
    /// Hold the first request whose request line and body contain these until a second one
    /// arrives (at most 30 s), then forward both: two writers made to collide.
    hold: Option<(String, String)>,
    /// How many such requests arrived, and the wake-up of the held one.
    holding: (Mutex<usize>, std::sync::Condvar),
}

impl Proxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str, interlude: Option<Interlude>) -> Self {
        Self::refusing(upstream, interlude, None)
    }

    /// As [`Proxy::start`], answering 403 to requests whose request line contains `refuse`.
    pub fn refusing(upstream: &str, interlude: Option<Interlude>, refuse: Option<&str>) -> Self {
        Self::behaving(
            upstream,
            Behaviour {
                interlude,
                refuse: refuse.map(str::to_string),
                ..Behaviour::default()
            },
        )
    }

    /// As [`Proxy::start`], losing the answer of the first request whose request line
    /// contains `lose` (the server acts on it), then closing every later connection unanswered.
    pub fn losing(upstream: &str, lose: &str) -> Self {
        Self::behaving(
            upstream,
            Behaviour {
                lose: Some(lose.to_string()),
                ..Behaviour::default()
            },
        )
    }

    /// As [`Proxy::start`], holding the first request whose request line contains `line` and
    /// whose body contains `body` until a second such request arrives; [`Proxy::matched`]
    /// counts them.
    pub fn holding(upstream: &str, line: &str, body: &str) -> Self {
        Self::behaving(
            upstream,
            Behaviour {
                hold: Some((line.to_string(), body.to_string())),
                ..Behaviour::default()
            },
        )
    }

    fn behaving(upstream: &str, behaviour: Behaviour) -> Self {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(AtomicUsize::new(0));
        let log = Arc::new(Mutex::new(Vec::new()));
        let behaviour = Arc::new(behaviour);
        let (s, l) = (Arc::clone(&seen), Arc::clone(&log));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (upstream, seen, log, behaviour) = (
                    upstream.clone(),
                    Arc::clone(&s),
                    Arc::clone(&l),
                    Arc::clone(&behaviour),
                );
                std::thread::spawn(move || {
                    serve(stream, &upstream, &seen, &log, &behaviour);
                });
            }
        });
        Self { uri, seen, log }
    }

    /// How many requests matched the interlude's fragment.
    pub fn matched(&self) -> usize {
        self.seen.load(Ordering::SeqCst)
    }

    /// Every request line forwarded, in order.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn serve(
    mut client: TcpStream,
    upstream: &str,
    seen: &AtomicUsize,
    log: &Mutex<Vec<String>>,
    behaviour: &Behaviour,
) {
    let (interlude, refuse) = (behaviour.interlude.as_ref(), behaviour.refuse.as_deref());
    let Some((line, headers, body)) = read_request(&client) else {
        return;
    };
    log.lock().unwrap().push(line.clone());
    // After the lost answer, nothing gets through: the connection closes unanswered.
    if behaviour.lost.load(Ordering::SeqCst) {
        return;
    }
    let lose = behaviour.lose.as_deref().is_some_and(|l| line.contains(l));
    if let Some((l, b)) = &behaviour.hold {
        if line.contains(l.as_str()) && String::from_utf8_lossy(&body).contains(b.as_str()) {
            let (count, wake) = &behaviour.holding;
            let mut n = count.lock().unwrap();
            *n += 1;
            seen.store(*n, Ordering::SeqCst);
            if *n == 1 {
                let _ = wake
                    .wait_timeout_while(n, std::time::Duration::from_secs(30), |n| *n < 2)
                    .unwrap();
            } else {
                wake.notify_all();
            }
        }
    }
    if refuse.is_some_and(|r| line.contains(r)) {
        let body = r#"{"error_code":"PERMISSION_DENIED","message":"refused by the test proxy"}"#;
        let _ = write!(
            client,
            "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        return;
    }
    if let Some(i) = interlude {
        if line.contains(&i.fragment) && seen.fetch_add(1, Ordering::SeqCst) + 1 == i.nth {
            let own = format!(
                "{} {} HTTP/1.1\r\nHost: {upstream}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                i.method,
                i.path,
                i.body.len(),
                i.body
            );
            let answer = exchange(upstream, own.as_bytes());
            assert!(
                answer.starts_with(b"HTTP/1.1 200") || answer.starts_with(b"HTTP/1.0 200"),
                "the proxy's own request failed: {}",
                String::from_utf8_lossy(&answer)
            );
        }
    }
    let mut forwarded = format!("{line}\r\n");
    for (name, value) in headers {
        match name.to_ascii_lowercase().as_str() {
            "host" => forwarded = format!("{forwarded}Host: {upstream}\r\n"),
            "connection" => {}
            _ => forwarded = format!("{forwarded}{name}: {value}\r\n"),
        }
    }
    forwarded.push_str("Connection: close\r\n\r\n");
    let mut bytes = forwarded.into_bytes();
    bytes.extend_from_slice(&body);
    let answer = exchange(upstream, &bytes);
    if lose {
        // The server acted; its answer never reaches the client (dropping `client` closes).
        behaviour.lost.store(true, Ordering::SeqCst);
        return;
    }
    let _ = client.write_all(&answer);
}

/// One request, its whole answer (the server closes after it).
fn exchange(upstream: &str, request: &[u8]) -> Vec<u8> {
    let mut server = TcpStream::connect(upstream).unwrap();
    server.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = server.read_to_end(&mut answer);
    answer
}

type Head = (String, Vec<(String, String)>, Vec<u8>);

fn read_request(stream: &TcpStream) -> Option<Head> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let line = line.trim_end().to_string();
    if line.is_empty() {
        return None;
    }
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':')?;
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().ok()?;
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((line, headers, body))
}
