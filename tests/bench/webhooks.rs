//! W1: webhook delivery throughput. A receiver inside the bench process (a poem endpoint that
//! reads each `POST` and answers 204 at once) counts deliveries; the bench registers webhooks to
//! it with an admin token, replays each from the feed's start, and measures until the receiver
//! has counted every seeded event once per webhook. The receiver's CPU is the bench's, so the
//! server's CPU per delivered event is scimd's alone, measured from `/proc` as for wrk runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{EndpointExt, Route, Server, handler, http::StatusCode, post};
use serde_json::json;
use tokio::runtime::Runtime;

use crate::BenchResult;
use crate::http::Http;
use crate::report::Measured;
use crate::server::{Seeded, Server as Scimd};
use crate::wrk::Outcome;

/// The run fails if the receiver counts nothing new for this long: a delivery that failed
/// waits 10 s for its first retry, so a stall this long means something is wrong.
const STALL_TIMEOUT: Duration = Duration::from_secs(60);
/// The run fails if it takes longer than this altogether.
const TOTAL_TIMEOUT: Duration = Duration::from_secs(900);
/// How often the bench looks at the receiver's count.
const POLL: Duration = Duration::from_millis(5);

/// What the receiver has seen; instants are nanoseconds since `started`.
struct Counter {
    started: Instant,
    posts: AtomicU64,
    first_ns: AtomicU64,
    last_ns: AtomicU64,
}

impl Counter {
    fn hit(&self) {
        let ns = u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.first_ns.fetch_min(ns, Ordering::Relaxed);
        self.last_ns.fetch_max(ns, Ordering::Relaxed);
        self.posts.fetch_add(1, Ordering::Release);
    }

    fn posts(&self) -> u64 {
        self.posts.load(Ordering::Acquire)
    }
}

/// Reads the body, as a real receiver would, then answers 204.
#[handler]
fn receive(counter: Data<&Arc<Counter>>, _body: Vec<u8>) -> StatusCode {
    counter.hit();
    StatusCode::NO_CONTENT
}

/// The receiver: a poem server on its own one-thread runtime, stopped when dropped.
struct Receiver {
    _runtime: Runtime,
    counter: Arc<Counter>,
    url: String,
}

impl Receiver {
    fn start() -> BenchResult<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let acceptor = runtime.block_on(TcpListener::bind("127.0.0.1:0").into_acceptor())?;
        let addr = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .ok_or("the receiver has no socket address")?;
        let counter = Arc::new(Counter {
            started: Instant::now(),
            posts: AtomicU64::new(0),
            first_ns: AtomicU64::new(u64::MAX),
            last_ns: AtomicU64::new(0),
        });
        let app = Route::new()
            .at("/hook", post(receive))
            .data(counter.clone());
        runtime.spawn(async move {
            if let Err(e) = Server::new_with_acceptor(acceptor).run(app).await {
                eprintln!("webhook receiver: {e}");
            }
        });
        Ok(Self {
            _runtime: runtime,
            counter,
            url: format!("http://{addr}/hook"),
        })
    }
}

/// Registers `webhooks` endpoints to a fresh receiver, replays them all from the feed's start
/// and measures until every seeded event has reached the receiver once per endpoint. The
/// events/s run from the first delivery to the last (the dispatcher picks a replay up at its
/// next poll, up to 0.5 s later); the CPU time from the first replay to the last delivery.
pub fn measure(
    http: &Http,
    scimd: &mut Scimd,
    token: &str,
    seeded: &Seeded,
    webhooks: u32,
) -> BenchResult<Measured> {
    if seeded.first_event != 1 {
        return Err(format!("expected a feed starting at 1, not {}", seeded.first_event).into());
    }
    let receiver = Receiver::start()?;
    let api = format!("{}/api/v1/webhooks", scimd.origin);
    let mut ids = Vec::new();
    for _ in 0..webhooks {
        let created = http.post_json(&api, token, &json!({"url": receiver.url}))?;
        let id = created["id"].as_str().ok_or("no webhook id")?.to_owned();
        ids.push(id);
    }
    let expected = seeded.events * u64::from(webhooks);
    let last_event = scimd::service::feed::event_id(seeded.events as i64);
    eprintln!(
        "{} webhook(s): replaying {} events each, {expected} deliveries",
        webhooks, seeded.events
    );
    let counter = &receiver.counter;
    let before = scimd.process.cpu_seconds()?;
    let started = Instant::now();
    let start = json!({"after": scimd::service::feed::event_id(0)});
    for id in &ids {
        http.post_json(&format!("{api}/{id}/replay"), token, &start)?;
    }
    let (mut seen, mut moved) = (0, Instant::now());
    loop {
        let posts = counter.posts();
        if posts >= expected {
            break;
        }
        if posts != seen {
            (seen, moved) = (posts, Instant::now());
        }
        if moved.elapsed() > STALL_TIMEOUT || started.elapsed() > TOTAL_TIMEOUT {
            return Err(format!(
                "webhook deliveries stalled at {posts} of {expected} after {:.0} s",
                started.elapsed().as_secs_f64()
            )
            .into());
        }
        sleep(POLL);
    }
    let cpu_seconds = scimd.process.cpu_seconds()? - before;
    scimd.process.check_alive()?;
    let span_ns = counter
        .last_ns
        .load(Ordering::Relaxed)
        .saturating_sub(counter.first_ns.load(Ordering::Relaxed));
    let first_at = Duration::from_nanos(counter.first_ns.load(Ordering::Relaxed))
        .saturating_sub(started.duration_since(counter.started));
    eprintln!(
        "{expected} deliveries in {:.1} s (first {:.2} s after the replay)",
        started.elapsed().as_secs_f64(),
        first_at.as_secs_f64()
    );
    // Every endpoint should be through the last event, with no failed attempt, and no event
    // should have arrived twice.
    let failed = settled(http, &api, token, &ids, &last_event)?;
    let duplicates = counter.posts() - expected;
    let outcome = Outcome {
        requests: expected,
        duration_us: span_ns / 1_000,
        p50_us: None,
        p99_us: None,
        connect: 0,
        read: 0,
        write: 0,
        timeout: 0,
        status: failed + duplicates,
        op_failures: 0,
    };
    Ok(Measured {
        operations_per_request: 1,
        requests_per_second: (expected - 1) as f64 / (span_ns.max(1) as f64 / 1e9),
        cpu_us_per_request: cpu_seconds * 1e6 / expected as f64,
        server_peak_rss_kib: scimd.process.peak_rss_kib()?,
        cpu_by_thread: None,
        outcome,
    })
}

/// Waits (a few seconds at most: the last delivery's outcome is saved after the receiver
/// answered) until every endpoint of `ids` is through `last_event`, and returns how many of
/// them report failures.
fn settled(
    http: &Http,
    api: &str,
    token: &str,
    ids: &[String],
    last_event: &str,
) -> BenchResult<u64> {
    let started = Instant::now();
    loop {
        let list = http.get_json(api, token)?;
        let ours: Vec<_> = list["data"]
            .as_array()
            .ok_or("no data in the webhook list")?
            .iter()
            .filter(|w| ids.iter().any(|id| w["id"] == id.as_str()))
            .collect();
        let through = ours
            .iter()
            .all(|w| w["delivered_through"] == last_event && w["state"] == "active");
        if ours.len() == ids.len() && through {
            let failed = ours.iter().filter(|w| w["failures"] != 0).count();
            return Ok(failed as u64);
        }
        if started.elapsed() > Duration::from_secs(10) {
            return Err(format!("webhooks not through {last_event}: {list}").into());
        }
        sleep(Duration::from_millis(50));
    }
}
