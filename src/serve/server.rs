//! The socket side: accept connections (at most [`MAX_CONNECTIONS`] at once), serve HTTP/1 on
//! each with header and idle timeouts, and on shutdown stop accepting, let in-flight requests
//! finish (bounded) and return. Needs a tokio runtime with I/O and time enabled.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::config::{Listener, DRAIN_TIMEOUT, HEADER_READ_TIMEOUT, MAX_CONNECTIONS};
use super::event::Sink;
use super::metrics::Metrics;
use super::routes::Routes;

/// After a failed `accept` (out of file descriptors, say), wait this long before the next one
/// rather than spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Binds `listener.addr`. Separate from [`serve_on`] so a caller can learn the port it got
/// (bind to port 0, then `local_addr`) before serving, and report a bind error on its own.
pub async fn bind(listener: &Listener) -> io::Result<TcpListener> {
    TcpListener::bind(listener.addr).await
}

/// Binds `listener.addr` and serves until `shutdown` resolves; see [`serve_on`].
pub async fn serve(
    listener: Listener,
    sink: Arc<dyn Sink>,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let socket = bind(&listener).await?;
    serve_on(socket, listener, sink, metrics, shutdown).await
}

/// Serves on an already bound socket until `shutdown` resolves; then stops accepting, gives
/// in-flight requests up to 10 s to finish (idle keep-alive connections close at once) and
/// returns. `listener.addr` is not used: the socket is where it listens. Errors accepting one
/// connection do not stop the service.
pub async fn serve_on(
    socket: TcpListener,
    listener: Listener,
    sink: Arc<dyn Sink>,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let routes = Arc::new(Routes::new(listener, sink, metrics));
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                // The semaphore is never closed; if it were, nothing more could be served.
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = socket.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(_) => {
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                    }
                }
            },
        };
        let routes = Arc::clone(&routes);
        let service = service_fn(move |request| {
            let routes = Arc::clone(&routes);
            async move { Ok::<_, Infallible>(routes.handle(request).await) }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that hangs up or times out ends only its own connection.
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(socket);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
    Ok(())
}
