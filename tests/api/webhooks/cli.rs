//! `scimd webhook add|list|remove` through the real binary.

use crate::cli::{scimd, stdout};
use crate::helpers::fresh_database_url;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn webhooks_are_added_listed_and_removed_from_the_command_line() {
    // Arrange
    let url = fresh_database_url().await;

    // Act
    let added = scimd(
        &url,
        &[
            "webhook",
            "add",
            "--url",
            "https://app.example.com/scim-events",
            "--types",
            "user.deactivated,user.deleted",
        ],
    );

    // Assert
    assert!(added.status.success(), "{}", stderr(&added));
    let out = stdout(&added);
    let lines: Vec<&str> = out.lines().collect();
    let [id, secret] = lines[..] else {
        panic!("id and secret on two lines: {out:?}")
    };
    assert!(id.starts_with("wh_"), "{id}");
    assert!(
        secret.starts_with("whsec_"),
        "the secret comes last: {secret}"
    );
    let listed = stdout(&scimd(&url, &["webhook", "list"]));
    assert!(listed.contains(id), "{listed}");
    assert!(
        listed.contains("https://app.example.com/scim-events"),
        "{listed}"
    );
    assert!(listed.contains("user.deactivated,user.deleted"), "{listed}");
    assert!(listed.contains("active"), "{listed}");
    assert!(!listed.contains(secret), "the list never shows the secret");

    let removed = scimd(&url, &["webhook", "remove", id]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert!(!stdout(&scimd(&url, &["webhook", "list"])).contains(id));
    let again = scimd(&url, &["webhook", "remove", id]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("not found"), "{}", stderr(&again));
}

#[tokio::test]
async fn the_cli_refuses_what_the_api_refuses() {
    let url = fresh_database_url().await;

    for (args, reason, says) in [
        (&["--url", "ftp://example.com/h"][..], "not http", "http"),
        (
            &["--url", "https://example.com/h", "--types", "user.exploded"][..],
            "an unknown type",
            "user.exploded",
        ),
    ] {
        let out = scimd(&url, &[&["webhook", "add"][..], args].concat());
        assert!(!out.status.success(), "{reason}");
        assert!(stdout(&out).is_empty(), "{reason}");
        assert!(stderr(&out).contains(says), "{reason}: {}", stderr(&out));
    }
}
