//! Secrets at rest and on the way out: the SQLite files (which hold the token signing secret)
//! are readable by their owner only, the secret can come from a file, and the first `serve`'s
//! token goes to a terminal or a private file, never to a service manager's journal.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use reqwest::StatusCode;

use crate::cli::{scimd, stdout};
use crate::helpers::fresh_database_url;
use crate::process::Serve;

/// A new empty directory under the system's temporary directory.
fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scimd-{what}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir(&dir).expect("create temporary directory");
    dir
}

/// The permission bits of `path`.
fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// `GET /scim/v2/Users` with `token`: its status.
async fn list_users_status(origin: &str, token: &str) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{origin}/scim/v2/Users"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
        .status()
}

#[tokio::test]
async fn the_sqlite_database_and_its_wal_and_shm_files_are_readable_by_their_owner_only() {
    // Arrange: a new database, and an existing one someone made world-readable. (SQLite files
    // whichever backend the suite runs on.)
    let dir = temp_dir("modes");
    let fresh = dir.join("fresh.db");
    let existing = dir.join("existing.db");
    let migrated = scimd(&format!("sqlite://{}", existing.display()), &["migrate"]);
    assert!(migrated.status.success());
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).unwrap();

    // Act: serve each and write to it, so the -wal and -shm files exist.
    for db in [&fresh, &existing] {
        let url = format!("sqlite://{}", db.display());
        let token = stdout(&scimd(&url, &["token", "create", "--name", "t"]));
        let server = Serve::new(&url).start().await;
        assert_eq!(
            list_users_status(&server.origin, token.trim()).await,
            StatusCode::OK
        );

        // Assert
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", db.display()));
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_jwt_secret_file_signs_tokens_that_only_servers_with_the_same_secret_accept() {
    // Arrange: a secret in a file (with the trailing newline an editor leaves), a token signed
    // with it.
    let dir = temp_dir("secret");
    let secret_file = dir.join("jwt-secret");
    std::fs::write(&secret_file, "0123456789abcdef0123456789abcdef-secret\n").unwrap();
    let secret_arg = secret_file.display().to_string();
    let url = fresh_database_url().await;
    let created = scimd(
        &url,
        &[
            "--jwt-secret-file",
            &secret_arg,
            "token",
            "create",
            "--name",
            "idp",
        ],
    );
    assert!(created.status.success(), "{created:?}");
    let token = stdout(&created).trim().to_owned();

    // Act
    let with_file = Serve::new(&url)
        .args(&["--jwt-secret-file", &secret_arg])
        .start()
        .await;
    let accepted = list_users_status(&with_file.origin, &token).await;
    let without = Serve::new(&url).start().await;
    let refused = list_users_status(&without.origin, &token).await;

    // Assert
    assert_eq!(accepted, StatusCode::OK);
    assert_eq!(
        refused,
        StatusCode::UNAUTHORIZED,
        "the database's own secret differs"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_jwt_secret_file_with_a_short_secret_is_refused() {
    // Arrange
    let dir = temp_dir("short-secret");
    let secret_file = dir.join("jwt-secret");
    std::fs::write(&secret_file, "too short\n").unwrap();
    let url = fresh_database_url().await;

    // Act
    let out = scimd(
        &url,
        &[
            "--jwt-secret-file",
            &secret_file.display().to_string(),
            "token",
            "list",
        ],
    );

    // Assert
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("at least 32 characters"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn without_a_terminal_the_initial_token_goes_to_a_private_file_not_to_stdout() {
    // Arrange: stdout is a file, as under a service manager.
    let dir = temp_dir("initial");
    let url = fresh_database_url().await;

    // Act
    let server = Serve::new(&url).current_dir(dir.clone()).start().await;

    // Assert: stdout has no token; the file has one, readable by its owner only, that works.
    let file = dir.join("scimd-initial-token");
    assert!(!server.stdout().contains("eyJ"), "{}", server.stdout());
    assert_eq!(mode(&file), 0o600);
    let token = std::fs::read_to_string(&file).unwrap();
    assert!(token.trim().starts_with("eyJ"), "{token}");
    assert_eq!(
        list_users_status(&server.origin, token.trim()).await,
        StatusCode::OK
    );
    assert!(
        server.log().contains(&file.display().to_string()),
        "{}",
        server.log()
    );
    let listed = stdout(&scimd(&url, &["token", "list"]));
    let initial = listed
        .lines()
        .find(|l| l.contains("initial"))
        .unwrap_or_default();
    let expiry = (chrono::Utc::now() + chrono::Duration::days(7)).format("%Y-%m-%d");
    assert!(
        initial.contains(&expiry.to_string()),
        "expires in 7 days: {listed}"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn serve_with_no_initial_token_creates_none() {
    // Arrange
    let dir = temp_dir("no-initial");
    let url = fresh_database_url().await;

    // Act
    let server = Serve::new(&url)
        .args(&["--no-initial-token"])
        .current_dir(dir.clone())
        .start()
        .await;

    // Assert
    assert!(!dir.join("scimd-initial-token").exists());
    assert!(!server.stdout().contains("eyJ"), "{}", server.stdout());
    let listed = stdout(&scimd(&url, &["token", "list"]));
    assert!(!listed.contains("initial"), "{listed}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
