//! The feed against the stored state when membership changes race deletes of the members: the
//! membership events, replayed from the start of the feed, must give each group's stored
//! members — no departure missed, none recorded twice.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, id, patch_body, sorted_values};

/// Each group's members as the feed tells them: `events` replayed from the start of the feed.
fn replay_memberships(events: &[Value]) -> BTreeMap<String, Vec<String>> {
    let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in events {
        let data = &e["data"];
        match e["type"].as_str().expect("type") {
            "group.created" => {
                groups.insert(id(data), Default::default());
            }
            "group.deleted" => {
                groups.remove(&id(data));
            }
            kind @ ("group.member_added" | "group.member_removed") => {
                let group = data["group"]["id"].as_str().expect("group id");
                let member = data["member"]["id"].as_str().expect("member id");
                let members = groups.entry(group.to_owned()).or_default();
                let changed = if kind == "group.member_added" {
                    members.insert(member.to_owned())
                } else {
                    members.remove(member)
                };
                assert!(
                    changed,
                    "{kind} of {member} in {group} changes the members: {e}"
                );
            }
            _ => {}
        }
    }
    groups
        .into_iter()
        .map(|(g, members)| (g, members.into_iter().collect()))
        .collect()
}

/// What races the deletion of each member in [`membership_events_replay_to_the_stored_members_when_members_race_deletes`].
#[derive(Debug, Clone, Copy, PartialEq)]
enum Race {
    /// Adding the member to the group.
    Add,
    /// Removing the member from the group it is in.
    Remove,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn membership_events_replay_to_the_stored_members_when_members_race_deletes() {
    const MEMBERS: usize = 12;
    let cases = [
        (
            Race::Add,
            "/Users",
            "users added to a group while they are deleted",
        ),
        (
            Race::Remove,
            "/Users",
            "users removed from a group while they are deleted",
        ),
        (
            Race::Add,
            "/Groups",
            "groups added to a group while they are deleted",
        ),
        (
            Race::Remove,
            "/Groups",
            "groups removed from a group while they are deleted",
        ),
    ];
    let app = TestApp::spawn().await;
    for (n, (race, endpoint, reason)) in cases.into_iter().enumerate() {
        for round in 0..3 {
            // Arrange
            let mut members = Vec::with_capacity(MEMBERS);
            for i in 0..MEMBERS {
                let name = format!("doomed{n}-{round}-{i}");
                let member = match endpoint {
                    "/Users" => app.create_user(&name).await,
                    _ => app.create_group(&name, &[]).await,
                };
                members.push(id(&member));
            }
            let keep = id(&app.create_user(&format!("kept{n}-{round}")).await);
            let mut initial = vec![keep.as_str()];
            if race == Race::Remove {
                initial.extend(members.iter().map(String::as_str));
            }
            let gid = id(&app
                .create_group(&format!("Team {n}-{round}"), &initial)
                .await);
            let path = format!("/Groups/{gid}");

            // Act
            let app = &app;
            let changes = join_all(members.iter().map(|m| {
                let ops = match race {
                    Race::Add => json!([{"op": "add", "path": "members", "value": [{"value": m}]}]),
                    Race::Remove => {
                        json!([{"op": "remove", "path": format!("members[value eq \"{m}\"]")}])
                    }
                };
                app.patch(&path, patch_body(ops))
            }));
            let deletes = join_all(members.iter().map(|m| {
                let path = format!("{endpoint}/{m}");
                async move { app.delete(&path).await }
            }));
            let (changes, deletes) = tokio::join!(changes, deletes);

            // Assert
            for resp in changes {
                let status = resp.status();
                assert!(
                    status == StatusCode::NO_CONTENT || status == StatusCode::BAD_REQUEST,
                    "{reason}, round {round}: {status}"
                );
            }
            for resp in deletes {
                assert_eq!(
                    resp.status(),
                    StatusCode::NO_CONTENT,
                    "{reason}, round {round}"
                );
            }
            let (events, _) = app.walk_feed(None, &[("limit", "1000")]).await;
            let replayed = replay_memberships(&events);
            let group = app.get(&path).await.json::<Value>().await.expect("group");
            assert_eq!(
                replayed.get(&gid).cloned().unwrap_or_default(),
                sorted_values(&group, "members"),
                "{reason}, round {round}: the feed's members of the group are its members"
            );
        }
    }
}
