//! Accepting connections within a limit, and without spinning when accepting fails.
//!
//! Each connection holds a permit of a semaphore sized by `--max-connections`; at the limit the
//! loop stops accepting, so new connections wait in the kernel's listen backlog and are served
//! in order as permits return. When `accept` itself fails for lack of resources (`EMFILE`: the
//! process is out of file descriptors; `ENFILE`, `ENOBUFS`, `ENOMEM`), retrying at once would
//! fail again at once and burn a core; the loop waits, doubling the pause up to a second, so
//! the connections already open (which free descriptors as they finish) keep being served.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The first pause after a failed `accept`, and the longest.
const FIRST_PAUSE: Duration = Duration::from_millis(10);
const LONGEST_PAUSE: Duration = Duration::from_secs(1);
/// How often a server held at its connection limit says so.
const REPORT_EVERY: Duration = Duration::from_secs(60);

/// Accepts connections from a bound listener, at most `limit` open at a time.
pub struct Acceptor {
    listener: TcpListener,
    permits: Arc<Semaphore>,
    limit: usize,
    pause: Duration,
    /// When the limit was last reported, so a server held at its limit logs once a minute.
    reported_full: Option<Instant>,
}

/// An accepted connection and its permit, held until the connection is done.
pub struct Accepted {
    pub socket: TcpStream,
    pub remote: SocketAddr,
    pub permit: OwnedSemaphorePermit,
}

impl Acceptor {
    /// At most `limit` connections (at least one) open at a time.
    pub fn new(listener: TcpListener, limit: usize) -> Self {
        let limit = limit.max(1);
        Self {
            listener,
            permits: Arc::new(Semaphore::new(limit)),
            limit,
            pause: FIRST_PAUSE,
            reported_full: None,
        }
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Waits for a free permit, then for a connection. Never fails: errors are logged and
    /// retried (after a pause when they mean the process ran out of something).
    pub async fn accept(&mut self) -> Accepted {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self
                    .reported_full
                    .is_none_or(|at| at.elapsed() >= REPORT_EVERY)
                {
                    self.reported_full = Some(Instant::now());
                    tracing::warn!(
                        limit = self.limit,
                        "connection limit reached; new connections wait until one closes"
                    );
                }
                match self.permits.clone().acquire_owned().await {
                    Ok(permit) => permit,
                    // The semaphore is never closed.
                    Err(_) => return std::future::pending().await,
                }
            }
        };
        let mut failures = 0_u64;
        loop {
            match self.listener.accept().await {
                Ok((socket, remote)) => {
                    if failures > 0 {
                        tracing::info!(failures, "accepting connections again");
                    }
                    self.pause = FIRST_PAUSE;
                    // Responses are written whole; waiting to coalesce small writes only adds
                    // latency.
                    let _ = socket.set_nodelay(true);
                    return Accepted {
                        socket,
                        remote,
                        permit,
                    };
                }
                // The client gave up before we took its connection: nothing to wait for.
                Err(e) if is_per_connection(&e) => continue,
                Err(e) => {
                    if failures == 0 {
                        tracing::warn!(error = %e, pause_ms = self.pause.as_millis() as u64,
                            "accepting a connection failed; pausing before the next try");
                    }
                    failures += 1;
                    tokio::time::sleep(self.pause).await;
                    self.pause = (self.pause * 2).min(LONGEST_PAUSE);
                }
            }
        }
    }
}

/// Errors that concern one incoming connection only, not the listener or the process.
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}
