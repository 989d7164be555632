//! A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records every request
//! and answers with the statuses it is told to (200 otherwise). It can be stopped (connections
//! are then refused) and started again on the same port.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{EndpointExt, Request, Response, Server};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub event_id: String,
    pub signature: String,
    pub content_type: String,
    pub body: Vec<u8>,
    /// The status it was answered with.
    pub status: u16,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Log {
    requests: Vec<Received>,
    /// Statuses for the next requests, in order.
    script: VecDeque<u16>,
}

/// A running (or stopped) receiver.
pub struct Receiver {
    addr: SocketAddr,
    log: Arc<Mutex<Log>>,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Receiver {
    /// Starts a receiver on a free port.
    pub async fn start() -> Self {
        let mut receiver = Receiver {
            addr: "127.0.0.1:0".parse().unwrap(),
            log: Arc::default(),
            running: None,
        };
        receiver.serve().await;
        receiver
    }

    /// The URL to register.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Answers the next requests with these statuses, then 200 again.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.log.lock().unwrap().script.extend(statuses);
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().requests.clone()
    }

    /// The requests answered with a 2xx so far, in order.
    pub fn accepted(&self) -> Vec<Received> {
        let log = self.log.lock().unwrap();
        log.requests
            .iter()
            .filter(|r| (200..300).contains(&r.status))
            .cloned()
            .collect()
    }

    /// Stops listening: connections are refused until [`Receiver::restart`].
    pub async fn stop(&mut self) {
        if let Some((stop, task)) = self.running.take() {
            let _ = stop.send(());
            task.await.unwrap();
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&mut self) {
        self.serve().await;
    }

    async fn serve(&mut self) {
        let acceptor = TcpListener::bind(self.addr.to_string())
            .into_acceptor()
            .await
            .expect("bind the receiver");
        self.addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
        let log = self.log.clone();
        let app = poem::endpoint::make(move |req: Request| {
            let log = log.clone();
            async move { record(&log, req).await }
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            Server::new_with_acceptor(acceptor)
                .run_with_graceful_shutdown(
                    app.map_to_response(),
                    async {
                        let _ = stopped.await;
                    },
                    Some(Duration::from_secs(1)),
                )
                .await
                .unwrap();
        });
        self.running = Some((stop, task));
    }
}

async fn record(log: &Mutex<Log>, req: Request) -> Response {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (event_id, signature, content_type) = (
        header("scimd-event-id"),
        header("scimd-signature"),
        header("content-type"),
    );
    let body = req.into_body().into_vec().await.unwrap_or_default();
    let mut log = log.lock().unwrap();
    let status = log.script.pop_front().unwrap_or(200);
    log.requests.push(Received {
        event_id,
        signature,
        content_type,
        body,
        status,
    });
    Response::builder()
        .status(poem::http::StatusCode::from_u16(status).unwrap())
        .body(format!("answered {status}"))
}
