//! One HTTP connection: hyper serves the poem application on it while a watchdog enforces the
//! connection's deadlines, the way Go's `net/http` names them:
//!
//! - **header read**: a request's head (request line and headers) must arrive complete within
//!   the header timeout, counted from the connection's accept, or from the first byte of a
//!   later request on a kept-alive connection. A client that trickles a byte at a time cannot
//!   stretch it (slowloris).
//! - **idle**: a kept-alive connection with no request in flight and nothing sent or received
//!   is closed after the idle timeout.
//!
//! While a request is in the application the connection has no deadline of its own: the
//! request timeout (an application middleware, `http::timeout`) bounds it.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint, Response};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

/// The deadlines of a connection.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    /// Time allowed for a request head, from accept or from a later request's first byte.
    pub header_read: Duration,
    /// Time a kept-alive connection may stay silent between requests.
    pub idle: Duration,
}

/// Why the watchdog closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expired {
    HeaderRead,
    Idle,
}

/// Where a connection is between requests, as the watchdog sees it.
const WAITING_FOR_HEAD: u8 = 0;
const IDLE: u8 = 1;

/// What the connection is doing, updated from its reads and writes and from the application,
/// read by its watchdog. `since` is milliseconds after `opened` at which the current phase's
/// clock started.
struct Activity {
    opened: Instant,
    phase: AtomicU8,
    since: AtomicU64,
    in_flight: AtomicUsize,
    changed: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            // A new connection owes its first request head at once.
            phase: AtomicU8::new(WAITING_FOR_HEAD),
            since: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            changed: Notify::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Bytes arrived: on an idle connection they start the next request's header clock.
    fn read(&self) {
        if self.in_flight.load(Ordering::Acquire) == 0
            && self
                .phase
                .compare_exchange(IDLE, WAITING_FOR_HEAD, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            self.since.store(self.now_ms(), Ordering::Release);
            self.changed.notify_one();
        }
    }

    /// Bytes left (a response still being written): an idle connection is not silent.
    fn wrote(&self) {
        if self.in_flight.load(Ordering::Acquire) == 0 && self.phase.load(Ordering::Acquire) == IDLE
        {
            self.since.store(self.now_ms(), Ordering::Release);
        }
    }

    fn request_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.changed.notify_one();
        InFlight(self.clone())
    }

    /// The instant the connection expires and why, or `None` while a request is in flight.
    fn deadline(&self, limits: &Deadlines) -> Option<(Instant, Expired)> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let since = self.opened + Duration::from_millis(self.since.load(Ordering::Acquire));
        Some(match self.phase.load(Ordering::Acquire) {
            WAITING_FOR_HEAD => (since + limits.header_read, Expired::HeaderRead),
            _ => (since + limits.idle, Expired::Idle),
        })
    }

    /// Completes when the connection has outlived its deadline.
    async fn expired(&self, limits: Deadlines) -> Expired {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before the state is read, so no change is missed in between.
            changed.as_mut().enable();
            match self.deadline(&limits) {
                None => changed.await,
                Some((at, why)) if at <= Instant::now() => return why,
                Some((at, _)) => {
                    tokio::select! {
                        _ = changed => {}
                        _ = tokio::time::sleep_until(at) => {}
                    }
                }
            }
        }
    }
}

/// A request in the application; its end makes the connection idle once none is left.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        activity.phase.store(IDLE, Ordering::Release);
        activity.since.store(activity.now_ms(), Ordering::Release);
        activity.in_flight.fetch_sub(1, Ordering::AcqRel);
        activity.changed.notify_one();
    }
}

/// The socket, reporting its reads and writes to the connection's [`Activity`].
struct Watched {
    socket: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.socket).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.socket).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.socket).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.socket.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket).poll_shutdown(cx)
    }
}

/// Serves HTTP/1.1 (and HTTP/2 with prior knowledge, as poem's own server did) on `socket`
/// until the client closes it, a deadline passes, or `stopping` turns true; then in-flight
/// requests finish (the server bounds that with its shutdown timeout) and the connection closes.
pub async fn serve<E>(
    socket: TcpStream,
    local: SocketAddr,
    remote: SocketAddr,
    app: Arc<E>,
    limits: Deadlines,
    mut stopping: watch::Receiver<bool>,
) -> Option<Expired>
where
    E: Endpoint<Output = Response> + 'static,
{
    let activity = Arc::new(Activity::new());
    let service = hyper::service::service_fn({
        let activity = activity.clone();
        move |req: hyper::Request<Incoming>| {
            let app = app.clone();
            let busy = activity.request_started();
            async move {
                let req = poem::Request::from((
                    req,
                    LocalAddr(Addr::SocketAddr(local)),
                    RemoteAddr(Addr::SocketAddr(remote)),
                    poem::http::uri::Scheme::HTTP,
                ));
                let resp = app.get_response(req).await;
                drop(busy);
                Ok::<_, Infallible>(hyper::Response::from(resp))
            }
        }
    });
    let socket = Watched {
        socket,
        activity: activity.clone(),
    };
    let builder = auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(socket), service);
    tokio::pin!(conn);
    let expired = activity.expired(limits);
    tokio::pin!(expired);
    tokio::select! {
        _ = conn.as_mut() => return None,
        why = expired.as_mut() => return Some(why),
        _ = stopping.wait_for(|stop| *stop) => {}
    }
    // Shutting down: an idle connection closes now; one with a request in flight closes after
    // its response. A half-sent request head still meets its deadline.
    conn.as_mut().graceful_shutdown();
    tokio::select! {
        _ = conn => None,
        why = expired => Some(why),
    }
}
