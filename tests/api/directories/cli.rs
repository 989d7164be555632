//! `scimd directory create`, `scimd token create|rotate --directory` and `scimd webhook add
//! --directory` beside a running server on the same database: what they print works there.

use reqwest::StatusCode;
use tokio::sync::oneshot;

use crate::cli::{scimd, stdout};
use crate::helpers::{fresh_database_url, serve_args};

/// A server on a fresh database that asks the database about every token, so what the CLI
/// changes shows at once.
struct Running {
    database: String,
    /// The default directory's SCIM base URL.
    scim: String,
    origin: String,
    _stop: oneshot::Sender<()>,
}

async fn start() -> Running {
    let database = fresh_database_url().await;
    let db = scimd::cli::open(&database, &Default::default())
        .await
        .unwrap();
    let mut args = serve_args();
    args.token_recheck_seconds = 0;
    let app = scimd::cli::serve::Application::build(db, &args, None)
        .await
        .unwrap();
    let origin = format!("http://{}", app.addr());
    let (stop, rx) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    Running {
        database,
        scim: format!("{origin}/scim/v2"),
        origin,
        _stop: stop,
    }
}

impl Running {
    /// Runs `scimd args…` on the server's database; asserts success and returns stdout's lines.
    fn run(&self, args: &[&str]) -> Vec<String> {
        let out = scimd(&self.database, args);
        assert!(
            out.status.success(),
            "scimd {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout(&out).lines().map(str::to_owned).collect()
    }
}

/// The status of `GET {scim}/Users` with `token`.
async fn status(scim: &str, token: &str) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{scim}/Users"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

// Two worker threads: the CLI runs as a blocking child process while the server, on this
// runtime, goes on serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_create_prints_the_url_then_a_token_that_works_there_only() {
    // Arrange
    let server = start().await;

    // Act
    let printed = server.run(&[
        "directory",
        "create",
        "--name",
        "Acme",
        "--id",
        "acme",
        "--base-url",
        &server.scim,
    ]);

    // Assert
    let url = format!("{}/directories/acme/scim/v2", server.origin);
    assert_eq!(printed.len(), 2, "{printed:?}");
    assert_eq!(printed[0], url);
    let token = printed.last().unwrap();
    assert_eq!(status(&url, token).await, StatusCode::OK);
    assert_eq!(status(&server.scim, token).await, StatusCode::UNAUTHORIZED);
    let listed = server
        .run(&["directory", "list", "--base-url", &server.scim])
        .join("\n");
    assert!(
        listed.contains("acme") && listed.contains("default"),
        "{listed}"
    );
    let shown = server
        .run(&["directory", "show", "acme", "--base-url", &server.scim])
        .join("\n");
    assert!(shown.contains(&url), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_create_and_rotate_act_on_the_named_directory() {
    // Arrange
    let server = start().await;
    let url = server.run(&[
        "directory",
        "create",
        "--name",
        "Globex",
        "--base-url",
        &server.scim,
    ])[0]
        .clone();
    assert!(url.ends_with("/directories/globex/scim/v2"), "{url}");

    // Act
    let created = server.run(&["token", "create", "--directory", "globex", "--name", "okta"]);
    let old = created.last().unwrap().clone();
    let works = status(&url, &old).await;
    let elsewhere = status(&server.scim, &old).await;
    let rotated = server.run(&["token", "rotate", "okta", "--directory", "globex"]);
    let new = rotated.last().unwrap();

    // Assert
    assert_eq!(created.len(), 1, "only the token: {created:?}");
    assert_eq!(
        (works, elsewhere),
        (StatusCode::OK, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(rotated.len(), 1, "only the token: {rotated:?}");
    assert_eq!(status(&url, new).await, StatusCode::OK);
    assert_eq!(
        status(&url, &old).await,
        StatusCode::UNAUTHORIZED,
        "without --grace the old token is refused at once"
    );
    let listed = server
        .run(&["token", "list", "--directory", "globex"])
        .join("\n");
    assert_eq!(listed.matches("okta").count(), 2, "{listed}");
    let missing = scimd(
        &server.database,
        &["token", "create", "--directory", "nowhere", "--name", "x"],
    );
    assert!(!missing.status.success());
    assert!(stdout(&missing).is_empty());
}

#[tokio::test]
async fn webhook_add_can_limit_an_endpoint_to_one_directory() {
    let database = fresh_database_url().await;
    let run = |args: &[&str]| scimd(&database, args);
    assert!(
        run(&["directory", "create", "--name", "Initech"])
            .status
            .success()
    );

    let added = run(&[
        "webhook",
        "add",
        "--url",
        "https://app.example.com/hook",
        "--directory",
        "initech",
    ]);
    let unknown = run(&[
        "webhook",
        "add",
        "--url",
        "https://app.example.com/hook",
        "--directory",
        "nowhere",
    ]);

    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert_eq!(stdout(&added).lines().count(), 2, "the id, then the secret");
    assert!(!unknown.status.success());
    let listed = stdout(&run(&["webhook", "list"]));
    assert!(listed.contains("(directory initech)"), "{listed}");
}
