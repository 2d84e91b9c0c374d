//! What stops a bulk run early: Ctrl-C (SIGINT), and on Unix SIGTERM (a cancelled CI job,
//! `timeout`, `docker stop`, Kubernetes) and SIGHUP (a closed terminal or SSH session). Each
//! ends the run the same way: nothing more is gathered, what was finished is written as whole
//! documents, exit 3. Before issue 21 only SIGINT was handled, and a cancelled CI job left
//! truncated JSON and JUnit behind.
//!
//! The listeners are tokio's (already the runtime; no new dependency) and are installed
//! before any output file is opened: from then on no signal of the three can end the process
//! between a file's first byte and its last. Once installed, they stay for the life of the
//! process, so the few milliseconds of closing the files cannot be cut short either.

/// The installed listeners of one run.
pub(crate) struct Stop {
    #[cfg(unix)]
    signals: [(&'static str, Option<tokio::signal::unix::Signal>); 3],
}

impl Stop {
    /// Installs the listeners; must run on the runtime (tokio registers them with its
    /// driver). A listener the system refuses is left out: that signal keeps its default.
    pub(crate) fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Self {
                signals: [
                    ("SIGINT", signal(SignalKind::interrupt()).ok()),
                    ("SIGTERM", signal(SignalKind::terminate()).ok()),
                    ("SIGHUP", signal(SignalKind::hangup()).ok()),
                ],
            }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    /// Resolves with the signal's name when one of them arrives.
    pub(crate) async fn signalled(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            let [(int, a), (term, b), (hup, c)] = &mut self.signals;
            tokio::select! {
                Some(()) = recv(a) => int,
                Some(()) = recv(b) => term,
                Some(()) = recv(c) => hup,
                // Every listener gone (the runtime shutting down): nothing more will come.
                else => std::future::pending().await,
            }
        }
        #[cfg(not(unix))]
        {
            // Elsewhere (Windows): Ctrl-C only.
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// The next delivery of a listener; never, for one that is not installed.
#[cfg(unix)]
async fn recv(signal: &mut Option<tokio::signal::unix::Signal>) -> Option<()> {
    match signal {
        Some(signal) => signal.recv().await,
        None => std::future::pending().await,
    }
}
