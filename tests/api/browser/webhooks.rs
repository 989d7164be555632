//! Webhooks in the browser: one added in the console for a directory delivers that directory's
//! events signed with the secret the page showed once, the webhook's page lists the delivery,
//! and removing it takes it off the list.

use super::console::{create_directory, person, provision, sign_in};
use super::{server, session};
use crate::webhooks::receiver::Receiver;
use crate::webhooks::{assert_signed, eventually};

#[tokio::test]
async fn a_webhook_added_in_the_console_delivers_events_signed_with_the_secret_it_showed() {
    let app = server();
    let admin = app.admin_token().await;
    let receiver = Receiver::start().await;
    session::run("webhook", app.address.clone(), |b| async move {
        // Arrange
        sign_in(&b, &admin).await;
        let created = create_directory(&b, "hooks", "Hooks").await;

        // Act: add a webhook for this directory's events.
        b.goto("/admin/webhooks").await;
        b.fill("#url", &receiver.url()).await;
        b.fill("#directory", &created.id).await;
        b.click_and_load("#add-webhook").await;
        let secret = b.text("#new-secret").await;
        b.screenshot("webhook-added").await;
        provision(&created.scim(&app), person("whook", "Web", "Hook")).await;

        // Assert: the user.created event arrives, signed with the secret shown.
        let delivered = eventually("the webhook delivery", || async {
            receiver.accepted().into_iter().next()
        })
        .await;
        assert_eq!(delivered.json()["type"], "user.created");
        assert_signed(&delivered.signature, &delivered.body, &[&secret]);

        // Assert: the webhook's page lists the delivery.
        b.goto("/admin/webhooks").await;
        let mut id = None;
        for row in b.find_all("tr[data-webhook-id]").await {
            if row.text().await.expect("row").contains(&receiver.url()) {
                id = row.attr("data-webhook-id").await.expect("its id");
            }
        }
        let id = id.unwrap_or_else(|| panic!("no row for {}", receiver.url()));
        // (scimd records the delivery once the receiver answered: reload until it shows.)
        let page = format!("/admin/webhooks/{id}");
        let deliveries = eventually("the delivery on the webhook's page", || async {
            b.goto(&page).await;
            let table = b.text("table#deliveries").await;
            table.contains(&delivered.event_id).then_some(table)
        })
        .await;
        assert!(
            deliveries.contains("delivered") && deliveries.contains("200"),
            "{deliveries}"
        );
        b.screenshot("webhook").await;

        // Act: remove it.
        b.click_and_load("#remove").await;

        // Assert
        assert_eq!(b.path().await, "/admin/webhooks");
        assert!(
            b.find_all(&format!("tr[data-webhook-id='{id}']"))
                .await
                .is_empty()
        );
    })
    .await;
}
