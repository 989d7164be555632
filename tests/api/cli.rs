//! The `scimd` binary's commands: migrate and token create / list / revoke, on a database the
//! server never ran on.

use std::process::{Command, Output};

use reqwest::StatusCode;

use crate::helpers::fresh_database_url;

pub fn scimd(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scimd"))
        .args(args)
        .env("SCIMD_DATABASE_URL", database_url)
        .env_remove("SCIMD_JWT_SECRET")
        .output()
        .expect("run scimd")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test]
async fn token_create_prints_only_the_token_and_works_before_the_server_ever_ran() {
    // Arrange
    let url = fresh_database_url().await;

    // Act
    let created = scimd(
        &url,
        &["token", "create", "--name", "okta", "--expires-in", "30"],
    );

    // Assert
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let out = stdout(&created);
    let token = out.trim_end_matches('\n');
    assert!(!token.contains('\n'), "one line: {out:?}");
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    let listed = stdout(&scimd(&url, &["token", "list"]));
    assert!(listed.contains("okta"), "{listed}");
    assert!(!listed.contains(token), "the list never shows the token");
}

// Two worker threads: the CLI runs as a blocking child process while the server, on this
// runtime, may be inside a write transaction (its start-up maintenance) that must go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_created_by_the_cli_are_accepted_until_revoked() {
    // Arrange: a token made by the CLI, then a server on the same database.
    let url = fresh_database_url().await;
    let token = stdout(&scimd(&url, &["token", "create", "--name", "entra"]))
        .trim()
        .to_owned();
    let db = scimd::cli::open(&url, &Default::default()).await.unwrap();
    let mut args = crate::helpers::serve_args();
    args.max_page_size = 100;
    args.max_body_bytes = 65536;
    args.db_max_connections = Some(4);
    // Ask the database on every request, so the revocation shows at once.
    args.token_recheck_seconds = 0;
    let app = scimd::cli::serve::Application::build(db, &args, None)
        .await
        .unwrap();
    let users = format!("http://{}/scim/v2/Users", app.addr());
    let (_stop, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::new();
    let call = || client.get(&users).bearer_auth(&token).send();
    assert_eq!(call().await.unwrap().status(), StatusCode::OK);

    // Act
    let revoked = scimd(&url, &["token", "revoke", "entra"]);

    // Assert
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    assert_eq!(call().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let again = scimd(&url, &["token", "revoke", "entra"]);
    assert!(!again.status.success(), "revoking twice fails");
    assert!(stdout(&scimd(&url, &["token", "list"])).contains("entra"));
}

#[tokio::test]
async fn two_active_tokens_cannot_share_a_name() {
    let url = fresh_database_url().await;
    assert!(
        scimd(&url, &["token", "create", "--name", "dup"])
            .status
            .success()
    );

    let second = scimd(&url, &["token", "create", "--name", "dup"]);

    assert!(!second.status.success());
    assert!(stdout(&second).is_empty());
    assert!(String::from_utf8_lossy(&second.stderr).contains("already exists"));
}

#[tokio::test]
async fn migrate_applies_migrations_and_is_idempotent() {
    let url = fresh_database_url().await;

    let first = scimd(&url, &["migrate"]);
    let second = scimd(&url, &["migrate"]);

    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(second.status.success());
}
