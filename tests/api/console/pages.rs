//! Groups (members, role mapping), tokens (create shown once, rotate, revoke), webhooks (add,
//! deliveries, replay, remove) and the event feed, through the console.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::directories::text_of;
use super::{Browser, server};
use crate::directories::{call, create_dir, group, user};
use crate::helpers::id;

#[tokio::test]
async fn a_groups_roles_edited_in_the_console_reach_its_members() {
    // Arrange
    let app = server();
    let dir = create_dir(&app, "console-groups").await;
    let (_, u) = call(
        &dir.scim,
        Method::POST,
        "/Users",
        Some(user("kim@example.com")),
    )
    .await;
    let (_, g) = call(
        &dir.scim,
        Method::POST,
        "/Groups",
        Some(group("Admins", &[&id(&u)])),
    )
    .await;
    let browser = Browser::signed_in(&app).await;
    let group_page = format!("/admin/directories/{}/groups/{}", dir.id, id(&g));

    // Act
    let saved = browser
        .post(
            &group_page,
            &format!("{group_page}/roles"),
            &[("roles", "admin\nbilling\n")],
        )
        .await;

    // Assert
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let list = browser
        .page(&format!("/admin/directories/{}/groups", dir.id))
        .await;
    assert!(
        list.contains(&format!("data-group-id=\"{}\"", id(&g))),
        "{list}"
    );
    assert!(list.contains("admin, billing"), "{list}");
    let page = browser.page(&group_page).await;
    assert!(page.contains("kim@example.com"), "members: {page}");
    let user_page = browser
        .page(&format!("/admin/directories/{}/users/{}", dir.id, id(&u)))
        .await;
    let roles = user_page.split("id=\"roles\"").nth(1).expect("#roles");
    assert!(
        roles.contains("admin") && roles.contains("Admins"),
        "{roles}"
    );
    assert!(user_page.contains("user.roles_changed"));
}

#[tokio::test]
async fn a_token_created_in_the_console_works_and_a_rotated_one_stops() {
    // Arrange
    let app = server();
    let dir = create_dir(&app, "console-tokens").await;
    let browser = Browser::signed_in(&app).await;
    let tokens = format!("/admin/directories/{}/tokens", dir.id);

    // Act: create.
    let created = browser.post(&tokens, &tokens, &[("name", "okta")]).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let token = text_of(&created.body, "new-token");
    let scim = app.view(&dir.scim.base, &token);
    assert_eq!(scim.get("/Users").await.status(), StatusCode::OK);
    let token_id = created
        .body
        .split("data-token-id=\"")
        .skip(1)
        .map(|r| r.split('"').next().expect("id").to_owned())
        .find(|id| *id != dir.token_id)
        .expect("the new token's row");

    // Rotate without grace: the new one works, the old one is refused.
    let rotated = browser
        .post(
            &tokens,
            &format!("{tokens}/{token_id}"),
            &[("action", "rotate"), ("grace", "0")],
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let new_token = text_of(&rotated.body, "new-token");
    assert_ne!(new_token, token);
    assert_eq!(scim.get("/Users").await.status(), StatusCode::UNAUTHORIZED);
    let renewed = app.view(&dir.scim.base, &new_token);
    assert_eq!(renewed.get("/Users").await.status(), StatusCode::OK);

    // Revoke the first token: the directory's own token stops.
    let revoked = browser
        .post(
            &tokens,
            &format!("{tokens}/{}", dir.token_id),
            &[("action", "revoke")],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert_eq!(
        dir.scim.get("/Users").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The list never shows a token again.
    let list = browser.page(&tokens).await;
    assert!(!list.contains(&new_token) && !list.contains("id=\"new-token\""));
}

#[tokio::test]
async fn a_token_name_that_is_refused_shows_why() {
    let app = server();
    let dir = create_dir(&app, "console-token-bad").await;
    let browser = Browser::signed_in(&app).await;
    let tokens = format!("/admin/directories/{}/tokens", dir.id);

    let page = browser
        .post(&tokens, &tokens, &[("name", &"x".repeat(101))])
        .await;

    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("role=\"alert\""), "{}", page.body);
    assert!(!page.body.contains("id=\"new-token\""));
}

#[tokio::test]
async fn a_webhook_is_added_replayed_and_removed() {
    let app = server();
    let dir = create_dir(&app, "console-hooks").await;
    let browser = Browser::signed_in(&app).await;

    let added = browser
        .post(
            "/admin/webhooks",
            "/admin/webhooks",
            &[
                ("url", "http://127.0.0.1:9/hook"),
                ("types", "user.created"),
                ("directory", &dir.id),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert!(text_of(&added.body, "new-secret").starts_with("whsec_"));
    let hook_id = added
        .body
        .split("data-webhook-id=\"")
        .skip(1)
        .map(|r| r.split('"').next().expect("id").to_owned())
        .last()
        .expect("a webhook row");
    let page_path = format!("/admin/webhooks/{hook_id}");
    let page = browser.page(&page_path).await;
    assert!(page.contains("id=\"deliveries\""));

    let replayed = browser
        .post(
            &page_path,
            &format!("{page_path}/replay"),
            &[("after", "evt_0000000000000000")],
        )
        .await;
    let bad_replay = browser
        .post(
            &page_path,
            &format!("{page_path}/replay"),
            &[("after", "nonsense")],
        )
        .await;
    let removed = browser
        .post(&page_path, &format!("{page_path}/remove"), &[])
        .await;

    assert_eq!(replayed.status, StatusCode::SEE_OTHER, "{}", replayed.body);
    assert_eq!(bad_replay.status, StatusCode::BAD_REQUEST);
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(browser.get(&page_path).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_feed_is_newest_first_and_filters_by_type_and_user() {
    let app = server();
    let dir = create_dir(&app, "console-feed").await;
    let (_, a) = call(
        &dir.scim,
        Method::POST,
        "/Users",
        Some(user("first@example.com")),
    )
    .await;
    let (_, b) = call(
        &dir.scim,
        Method::POST,
        "/Users",
        Some(user("second@example.com")),
    )
    .await;
    call(
        &dir.scim,
        Method::PATCH,
        &format!("/Users/{}", id(&a)),
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "displayName", "value": "First"}]
        })),
    )
    .await;
    let browser = Browser::signed_in(&app).await;

    let all = browser
        .page(&format!("/admin/events?directory={}", dir.id))
        .await;
    let created = browser
        .page(&format!(
            "/admin/events?directory={}&type=user.created",
            dir.id
        ))
        .await;
    let of_b = browser
        .page(&format!(
            "/admin/events?directory={}&user={}",
            dir.id,
            id(&b)
        ))
        .await;

    let types = |html: &str| -> Vec<String> {
        html.split("class=\"event-type\">")
            .skip(1)
            .map(|r| r.split('<').next().expect("type").to_owned())
            .collect()
    };
    assert_eq!(
        types(&all),
        ["user.updated", "user.created", "user.created"]
    );
    assert_eq!(types(&created), ["user.created", "user.created"]);
    assert_eq!(types(&of_b), ["user.created"]);
    assert!(
        all.contains("displayName"),
        "the changed attribute is named: {all}"
    );
    let bad = browser.get("/admin/events?type=user.exploded").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn editing_one_groups_roles_keeps_the_other_groups_mappings() {
    let app = server();
    let dir = create_dir(&app, "console-roles-keep").await;
    let (_, a) = call(
        &dir.scim,
        Method::POST,
        "/Groups",
        Some(group("Alpha", &[])),
    )
    .await;
    let (_, b) = call(&dir.scim, Method::POST, "/Groups", Some(group("Beta", &[]))).await;
    let browser = Browser::signed_in(&app).await;
    let page_of = |g: &serde_json::Value| format!("/admin/directories/{}/groups/{}", dir.id, id(g));

    let mappings = || async {
        let resp = crate::directories::admin(&app)
            .await
            .call(
                Method::GET,
                &format!("/directories/{}/role-mappings", dir.id),
                None,
            )
            .await;
        resp.text().await.expect("mappings")
    };
    for (g, roles) in [
        (&a, "alpha-role"),
        (&b, "beta-role"),
        (&a, "alpha-2\nalpha-3"),
    ] {
        let saved = browser
            .post(
                &page_of(g),
                &format!("{}/roles", page_of(g)),
                &[("roles", roles)],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    }
    let after_edits = mappings().await;
    let cleared = browser
        .post(
            &page_of(&b),
            &format!("{}/roles", page_of(&b)),
            &[("roles", "  \n")],
        )
        .await;
    let refused = browser
        .post(
            &page_of(&a),
            &format!("{}/roles", page_of(&a)),
            &[("roles", &"r".repeat(101))],
        )
        .await;
    let text = mappings().await;

    assert!(
        after_edits.contains("beta-role"),
        "Beta kept its role: {after_edits}"
    );
    assert!(!after_edits.contains("alpha-role"), "{after_edits}");
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        text.contains("alpha-2") && text.contains("alpha-3"),
        "{text}"
    );
    assert!(!text.contains("beta-role"), "cleared: {text}");
}
