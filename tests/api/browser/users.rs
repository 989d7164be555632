//! A directory's users in the browser, provisioned through SCIM with the token the console
//! showed: the list in alphabetical order with counts, search, a user's page, suspension with
//! a reason (state and event), archive by the identity provider and restore in the console, bulk
//! actions behind a confirmation, and the CSV export compared with the API's.

use reqwest::header::COOKIE;

use super::console::{create_directory, listed_names, person, provision, sign_in, tab_count};
use super::{server, session};
use crate::helpers::TestApp;

/// Provisions the five people the tests look for, in an order that is not alphabetical.
async fn provision_people(idp: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    for (user_name, given, family) in [
        ("aturing", "Alan", "Turing"),
        ("ghopper", "Grace", "Hopper"),
        ("alovelace", "Ada", "Lovelace"),
        ("bliskov", "Barbara", "Liskov"),
        ("edijkstra", "Edsger", "Dijkstra"),
    ] {
        ids.push(provision(idp, person(user_name, given, family)).await);
    }
    ids
}

#[tokio::test]
async fn a_user_is_found_suspended_archived_by_the_idp_and_restored_in_the_console() {
    let app = server();
    let admin = app.admin_token().await;
    session::run("user_lifecycle", app.address.clone(), |b| async move {
        // Arrange: a directory made in the console, provisioned with the token it showed.
        sign_in(&b, &admin).await;
        let created = create_directory(&b, "people", "People").await;
        let idp = created.scim(&app);
        let ids = provision_people(&idp).await;
        let (turing, hopper) = (&ids[0], &ids[1]);
        let users = format!("/admin/directories/{}/users", created.id);

        // Act: the directory's users.
        b.goto(&users).await;

        // Assert: alphabetical by family name, every one counted as active.
        assert_eq!(
            listed_names(&b).await,
            [
                "Edsger Dijkstra",
                "Grace Hopper",
                "Barbara Liskov",
                "Ada Lovelace",
                "Alan Turing"
            ]
        );
        assert_eq!(tab_count(&b, "active").await, 5);
        b.screenshot("users").await;

        // Act: search.
        b.fill("#q", "hop").await;
        b.click_and_load("form[role=search] button[type=submit]")
            .await;

        // Assert: one match, and the view has a URL of its own.
        assert_eq!(listed_names(&b).await, ["Grace Hopper"]);
        assert!(b.path().await.contains("q=hop"), "{}", b.path().await);

        // Act: open her page and suspend her with a reason.
        b.click_and_load(&format!("tr[data-user-id='{hopper}'] a"))
            .await;
        assert_eq!(b.path().await, format!("{users}/{hopper}"));
        assert_eq!(b.text("#state").await, "active");
        b.fill("#reason", "left for the Navy").await;
        b.click_and_load("#suspend").await;

        // Assert: the state, the reason, and the event with who did it.
        assert_eq!(b.text("#state").await, "suspended");
        assert!(
            b.page_text().await.contains("left for the Navy"),
            "the reason shows"
        );
        let events = b.texts("#events li .event-type").await;
        assert!(events.contains(&"user.suspended".to_owned()), "{events:?}");
        assert_eq!(
            events.first().map(String::as_str),
            Some("user.suspended"),
            "newest first"
        );
        let line = b.text("#events li").await;
        assert!(
            line.contains("token app"),
            "the event names the admin: {line}"
        );
        b.screenshot("user").await;
        b.goto(&users).await;
        assert_eq!(tab_count(&b, "suspended").await, 1);
        assert_eq!(tab_count(&b, "active").await, 4);

        // Act: the identity provider deletes Alan Turing.
        assert_eq!(idp.delete(&format!("/Users/{turing}")).await.status(), 204);

        // Assert: he is in the archive, not among the active users.
        b.goto(&users).await;
        assert!(!listed_names(&b).await.contains(&"Alan Turing".to_owned()));
        b.click_and_load("a[data-state='archived']").await;
        let archived = b.texts("tr[data-user-id]").await;
        assert_eq!(archived.len(), 1, "{archived:?}");
        assert!(archived[0].contains("aturing"), "{archived:?}");
        b.find(&format!("tr[data-user-id='{turing}']")).await;
        assert_eq!(tab_count(&b, "archived").await, 1);
        b.screenshot("users-archived").await;

        // Act: restore him from his page.
        b.click_and_load(&format!("tr[data-user-id='{turing}'] a"))
            .await;
        assert_eq!(b.text("#state").await, "archived");
        b.click_and_load("#restore").await;

        // Assert: active again, in the console and through SCIM, with both events.
        assert_eq!(b.text("#state").await, "active");
        let events = b.texts("#events li .event-type").await;
        assert_eq!(events[..2], ["user.restored", "user.deleted"], "{events:?}");
        assert_eq!(idp.get(&format!("/Users/{turing}")).await.status(), 200);
    })
    .await;
}

#[tokio::test]
async fn the_console_exports_the_view_it_shows_as_the_api_exports_it() {
    let app = server();
    let admin = app.admin_token().await;
    session::run("export", app.address.clone(), |b| async move {
        // Arrange
        sign_in(&b, &admin).await;
        let created = create_directory(&b, "export", "Export").await;
        provision_people(&created.scim(&app)).await;
        b.goto(&format!("/admin/directories/{}/users?q=l", created.id))
            .await;
        assert_eq!(listed_names(&b).await, ["Barbara Liskov", "Ada Lovelace"]);

        // Act: follow the export link with the browser's session.
        let href = b.find("a#export").await.attr("href").await.expect("href");
        let href = href.expect("the export link has an href");
        let console_csv = app
            .client
            .get(format!("{}{href}", app.address))
            .header(COOKIE, b.cookie_header().await)
            .send()
            .await
            .expect("export request");
        assert_eq!(console_csv.status(), 200, "{href}");
        let console_csv = console_csv.text().await.expect("CSV");

        // Assert: the API's export of the same view, byte for byte.
        let (_, query) = href.split_once('?').expect("the view's query");
        let api_csv = app
            .client
            .get(format!(
                "{}/api/v1/directories/{}/users.csv?{query}",
                app.address, created.id
            ))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("API export");
        assert_eq!(api_csv.status(), 200);
        assert_eq!(console_csv, api_csv.text().await.expect("CSV"));
        let rows: Vec<&str> = console_csv.lines().collect();
        assert_eq!(
            rows.len(),
            3,
            "a header and the view's two users: {console_csv}"
        );
        assert!(rows[0].starts_with("userName,"), "{}", rows[0]);
        assert!(console_csv.contains("alovelace@example.com"));
        assert!(console_csv.contains("bliskov@example.com"));
    })
    .await;
}

#[tokio::test]
async fn suspending_checked_users_in_bulk_asks_to_confirm_the_count_first() {
    let app = server();
    let admin = app.admin_token().await;
    session::run("bulk_suspend", app.address.clone(), |b| async move {
        // Arrange
        sign_in(&b, &admin).await;
        let created = create_directory(&b, "bulk", "Bulk").await;
        let ids = provision_people(&created.scim(&app)).await;
        let users = format!("/admin/directories/{}/users", created.id);
        b.goto(&users).await;

        // Act: check two rows and ask to suspend them.
        for id in &ids[..2] {
            b.click(&format!("input[name=ids][value='{id}']")).await;
        }
        b.click_and_load("button[name=action][value=suspend]").await;

        // Assert: the confirmation names the count; nothing changed yet.
        let question = b.text("#confirmation").await;
        assert!(question.contains("2 users"), "{question}");
        b.screenshot("bulk-confirm").await;
        b.goto(&users).await;
        assert_eq!(tab_count(&b, "suspended").await, 0, "not before confirming");

        // Act: again, and confirm.
        for id in &ids[..2] {
            b.click(&format!("input[name=ids][value='{id}']")).await;
        }
        b.click_and_load("button[name=action][value=suspend]").await;
        b.fill("#reason", "audit").await;
        b.click_and_load("#confirm").await;

        // Assert
        let done = b.text("p[role=status]").await;
        assert!(done.contains("2 of 2"), "{done}");
        b.goto(&format!("{users}?state=suspended")).await;
        assert_eq!(listed_names(&b).await, ["Grace Hopper", "Alan Turing"]);
        assert_eq!(tab_count(&b, "active").await, 3);
    })
    .await;
}

#[tokio::test]
async fn the_users_list_and_a_user_page_fit_a_phone_screen() {
    let app = server();
    let admin = app.admin_token().await;
    session::run("users_on_a_phone", app.address.clone(), |b| async move {
        // Arrange
        sign_in(&b, &admin).await;
        let created = create_directory(&b, "phone", "Phone").await;
        provision_people(&created.scim(&app)).await;

        // Act
        b.phone().await;
        b.goto(&format!("/admin/directories/{}/users", created.id))
            .await;

        // Assert: every user listed, and no sideways scrolling of the page.
        assert_eq!(listed_names(&b).await.len(), 5);
        b.screenshot("users-phone").await;
        assert!(
            !b.overflows_sideways().await,
            "the list is wider than a phone"
        );

        // Act: a user's page.
        b.click_and_load("tr[data-user-id] a").await;

        // Assert
        assert_eq!(b.text("#state").await, "active");
        b.screenshot("user-phone").await;
        assert!(
            !b.overflows_sideways().await,
            "the user page is wider than a phone"
        );
    })
    .await;
}
