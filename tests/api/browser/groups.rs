//! Groups in the browser: a role given to a group in the console reaches the members of the
//! groups nested in it, and a member's page says where each role and group comes from; the
//! event feed shows the change. Screenshots of the groups, a group, the events and webhooks.

use super::console::{create_directory, person, provision, sign_in};
use super::{server, session};
use crate::helpers::id;

#[tokio::test]
async fn a_role_given_to_a_group_in_the_console_reaches_members_of_nested_groups() {
    let app = server();
    let admin = app.admin_token().await;
    session::run("group_roles", app.address.clone(), |b| async move {
        // Arrange: Grace in Engineering, which is in R&D.
        sign_in(&b, &admin).await;
        let created = create_directory(&b, "groups", "Groups").await;
        let idp = created.scim(&app);
        let grace = provision(&idp, person("ghopper", "Grace", "Hopper")).await;
        let engineering = id(&idp.create_group("Engineering", &[&grace]).await);
        let research = id(&idp.create_group("R&D", &[&engineering]).await);
        let d = &created.id;
        b.goto(&format!("/admin/directories/{d}/groups")).await;
        b.find(&format!("tr[data-group-id='{research}']")).await;
        b.screenshot("groups").await;

        // Act: give R&D's members the role `deploy`.
        b.click_and_load(&format!("tr[data-group-id='{research}'] a"))
            .await;
        assert_eq!(b.text("main h1").await, "R&D");
        b.fill("#roles", "deploy").await;
        b.click_and_load("#save-roles").await;

        // Assert: the group keeps it; Grace has it, through both groups.
        assert_eq!(
            b.find("#roles")
                .await
                .prop("value")
                .await
                .expect("value")
                .as_deref(),
            Some("deploy")
        );
        assert!(b.text("#members").await.contains("Engineering"));
        b.screenshot("group").await;
        b.goto(&format!("/admin/directories/{d}/users/{grace}"))
            .await;
        let roles = b.text("#roles").await;
        assert!(roles.contains("deploy") && roles.contains("R&D"), "{roles}");
        let groups = b.texts("#groups li").await;
        assert_eq!(
            groups,
            ["Engineering", "R&D (through a nested group)"],
            "{groups:?}"
        );

        // Act: the directory's events, only the role changes.
        b.goto(&format!(
            "/admin/events?directory={d}&type=user.roles_changed"
        ))
        .await;

        // Assert
        assert_eq!(
            b.texts("tr.event .event-type").await,
            ["user.roles_changed"]
        );
        let event = b.text("tr.event").await;
        assert!(
            event.contains(&grace) && event.contains("deploy"),
            "{event}"
        );
        b.screenshot("events").await;
        b.goto("/admin/webhooks").await;
        b.find("#add-webhook").await;
        b.screenshot("webhooks").await;
    })
    .await;
}
