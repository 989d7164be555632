//! Synthetic change events for `scimd dev seed --events N`: rows of the `events` table that are
//! already sequenced, so the feed (`events::read`) reads them exactly as it reads the events
//! the server recorded. Their positions continue after the highest position, under the feed's
//! row lock, as the sequencer's do.
//!
//! Like the rest of `dev seed`, this bypasses the service layer on purpose: the service records
//! an event only as part of a write, and a million events would take a million writes. Rows go
//! in through the seed's writer, in multi-row statements inside large transactions.
//!
//! The events are a workload for the feed, not the history of the seeded users. The rules:
//! - the event at position `p` is a pure function of the seed and `p` (only `occurred_at`
//!   depends on the run), and its type alone is [`event_type`];
//! - types: 15% `user.created`, 55% `user.updated` (a new `title`, the old one in
//!   `previous_attributes`), 10% `user.deactivated` (`previous_attributes` `{"active": true}`),
//!   20% `group.member_added` to one of `group-1` … `group-20` (the ids `dev seed` gives those
//!   groups with the same seed);
//! - each event is about a user drawn uniformly from the numbers 1 to the highest user number
//!   after this run's users (the ids `dev seed` gives them with the same seed), or from 1 to
//!   1,000 when the database holds no users;
//! - a user's `data` is the user as the SCIM API renders it, about 1 KB: the seeded user's
//!   attributes plus a phone number, an address, locale, time zone and enterprise attributes,
//!   with `meta.location` under `serve`'s default base URL;
//! - the actor is one of two tokens (`okta`, `entra`), the request id a UUID per event, and
//!   `occurred_at` rises with the position, spread evenly over the day before the run.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use super::DEFAULT_TENANT;
use super::db::{Arg, Tx};
use super::seed::{
    Cell, DEPARTMENTS, Domain, ROWS_PER_STATEMENT, SeedError, Writer, group_id, stream,
    user_attributes, user_id, uuid_from,
};
use crate::scim::render::resource_json;
use crate::scim::resource::{Meta, Resource, now};
use crate::scim::schema::{ENTERPRISE_USER, USER_RESOURCE};

/// Users the events are about when the database holds none.
const SYNTHETIC_USERS: u64 = 1_000;

/// Groups `group-1` … `group-20` that `group.member_added` events name.
const EVENT_GROUPS: u64 = 20;

/// The base URL of `meta.location` in the events' `data`: `serve`'s default.
const BASE_URL: &str = "http://127.0.0.1:8080/scim/v2";

/// The tokens that make the changes, by name.
const ACTORS: &[&str] = &["okta", "entra"];

/// Work locations: city, postal code, country, locale, time zone.
const LOCATIONS: &[(&str, &str, &str, &str, &str)] = &[
    ("Berlin", "10115", "DE", "de-DE", "Europe/Berlin"),
    ("Paris", "75002", "FR", "fr-FR", "Europe/Paris"),
    ("London", "EC2A 4BX", "GB", "en-GB", "Europe/London"),
    ("New York", "10001", "US", "en-US", "America/New_York"),
    (
        "San Francisco",
        "94105",
        "US",
        "en-US",
        "America/Los_Angeles",
    ),
    ("Tokyo", "100-0005", "JP", "ja-JP", "Asia/Tokyo"),
];

/// What every seeded event depends on.
#[derive(Debug, Clone, Copy)]
pub(super) struct EventPlan {
    seed: u64,
    /// Position of the first event.
    first: i64,
    count: u64,
    /// Events are about users numbered 1 to this.
    users: u64,
    /// `occurred_at` of the first event.
    start: DateTime<Utc>,
}

impl EventPlan {
    /// `count` events from position `first`, about users numbered 1 to `users` (or to
    /// [`SYNTHETIC_USERS`] when `users` is 0).
    pub(super) fn new(seed: u64, first: i64, count: u64, users: u64) -> Self {
        Self {
            seed,
            first,
            count,
            users: if users == 0 { SYNTHETIC_USERS } else { users },
            start: now() - TimeDelta::days(1),
        }
    }

    /// `occurred_at` of the event `k` places after the first: evenly spread over one day.
    fn occurred_at(&self, k: u64) -> DateTime<Utc> {
        let ms = u128::from(k) * 86_400_000 / u128::from(self.count.max(1));
        self.start + TimeDelta::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX))
    }
}

/// The type of the seeded event at `position`: the same for the same seed, whatever else was
/// seeded.
pub fn event_type(seed: u64, position: i64) -> &'static str {
    match stream(seed, Domain::EventType, position as u64).below(100) {
        0..15 => "user.created",
        15..70 => "user.updated",
        70..80 => "user.deactivated",
        _ => "group.member_added",
    }
}

/// Inserts the events of `plan`, generating each statement's rows on a blocking thread while
/// the previous statement is written (as the users are).
pub(super) async fn insert(writer: &mut Writer<'_>, plan: &EventPlan) -> Result<(), SeedError> {
    let plan = *plan;
    let batches = (0..plan.count)
        .step_by(ROWS_PER_STATEMENT)
        .map(move |start| start..(start + ROWS_PER_STATEMENT as u64).min(plan.count));
    let generate = |range: std::ops::Range<u64>| {
        let first = plan.first + range.start as i64;
        let rows =
            tokio::task::spawn_blocking(move || range.map(|k| row(&plan, k)).collect::<Vec<_>>());
        (first, rows)
    };
    let mut batches = batches.map(generate);
    let mut next = batches.next();
    while let Some((first, pending)) = next.take() {
        let rows = pending.await?;
        next = batches.next();
        // The writer may have a transaction open since before the users; check in it too.
        if !writer.in_transaction() || first == plan.first {
            check_feed(writer.transaction().await?, first - 1).await?;
        }
        writer.counts.events += rows.len() as u64;
        // Rows with and without `previous_attributes` go in separate statements: a column that
        // is NULL in every row of a statement is left out, while binding a NULL into a JSON
        // column would need a type PostgreSQL accepts there. Readers order by `position`,
        // never by the insertion order (`seq`), so the split changes nothing they see.
        let (updates, others): (Vec<_>, Vec<_>) = rows.into_iter().partition(|(_, p)| *p);
        writer
            .insert("events", others.into_iter().map(|(r, _)| r).collect())
            .await?;
        writer
            .insert("events", updates.into_iter().map(|(r, _)| r).collect())
            .await?;
        writer.unit_done().await?;
    }
    Ok(())
}

/// At the start of each transaction: locks the feed as the sequencer does
/// (`events::sequence_in`) and checks that no events were numbered since seeding started, so
/// the seeded positions stay contiguous with the ones before.
async fn check_feed(tx: &mut Tx, expected: i64) -> Result<(), SeedError> {
    super::events::lock_feed(tx).await?;
    let found = super::events::last_position(tx).await?;
    if found != expected {
        return Err(SeedError::FeedMoved { expected, found });
    }
    Ok(())
}

/// The `events` row of the event `k` places after the first, and whether it has
/// `previous_attributes`.
fn row(plan: &EventPlan, k: u64) -> (Vec<Cell>, bool) {
    let position = plan.first + k as i64;
    let kind = event_type(plan.seed, position);
    let at = plan.occurred_at(k);
    let mut rng = stream(plan.seed, Domain::Event, position as u64);
    let user = 1 + rng.below(plan.users);
    let user_id = user_id(plan.seed, user);
    let actor = rng.below(ACTORS.len() as u64);
    let request_id = uuid_from(&mut rng);
    let (resource_type, resource_id, member_id, data, previous) = match kind {
        "group.member_added" => {
            let j = 1 + rng.below(EVENT_GROUPS);
            let group = group_id(plan.seed, j);
            let attrs = user_attributes(plan.seed, user);
            let data = json!({
                "group": {"id": group, "displayName": format!("group-{j}")},
                "member": {"id": user_id, "type": "User", "display": attrs["displayName"]},
            });
            ("Group", group, Some(user_id), data, None)
        }
        "user.created" => {
            let doc = user_document(
                plan.seed,
                user,
                Meta::new(at, at, 1),
                profile(plan.seed, user),
            );
            ("User", user_id, None, doc, None)
        }
        _ => {
            let created = at - TimeDelta::days(1 + rng.below(365) as i64);
            let meta = Meta::new(created, at, 2 + rng.below(9) as i64);
            let mut attrs = profile(plan.seed, user);
            let previous = if kind == "user.deactivated" {
                attrs.insert("active".into(), json!(false));
                json!({"active": true})
            } else {
                let old = attrs.get("title").cloned().unwrap_or(Value::Null);
                let title = loop {
                    let (_, titles) = rng.pick(DEPARTMENTS);
                    let title = json!(rng.pick(titles));
                    if title != old {
                        break title;
                    }
                };
                attrs.insert("title".into(), title);
                json!({"title": old})
            };
            let doc = user_document(plan.seed, user, meta, attrs);
            ("User", user_id, None, doc, Some(previous))
        }
    };
    let has_previous = previous.is_some();
    let row = vec![
        ("position", Arg::from(position)),
        ("tenant_id", Arg::from(DEFAULT_TENANT)),
        ("type", Arg::from(kind)),
        ("resource_type", Arg::from(resource_type)),
        ("resource_id", Arg::from(resource_id)),
        ("member_id", Arg::from(member_id)),
        ("occurred_at", Arg::from(at)),
        (
            "actor",
            Arg::from(json!({
                "type": "token",
                "id": uuid_from(&mut stream(plan.seed, Domain::EventActor, actor)),
                "name": ACTORS[actor as usize],
            })),
        ),
        ("request_id", Arg::from(request_id)),
        ("data", Arg::from(data)),
        (
            "previous_attributes",
            previous.map_or(Arg::Text(None), Arg::from),
        ),
    ];
    (row, has_previous)
}

/// The canonical attributes of user number `number` as a directory synced from an identity
/// provider holds them: the seeded user's, plus a work phone and address, locale, time zone and
/// enterprise attributes.
fn profile(seed: u64, number: u64) -> Map<String, Value> {
    let mut attrs = user_attributes(seed, number);
    let mut rng = stream(seed, Domain::EventProfile, number);
    let (city, postal_code, country, locale, timezone) = rng.pick(LOCATIONS);
    attrs.insert("userType".into(), json!("Employee"));
    attrs.insert("preferredLanguage".into(), json!(&locale[..2]));
    attrs.insert("locale".into(), json!(locale));
    attrs.insert("timezone".into(), json!(timezone));
    attrs.insert(
        "phoneNumbers".into(),
        json!([{"value": format!("+1 555 {:04}", rng.below(10_000)), "type": "work"}]),
    );
    attrs.insert(
        "addresses".into(),
        json!([{
            "type": "work",
            "streetAddress": format!("{} Market Street", 1 + rng.below(500)),
            "locality": city,
            "postalCode": postal_code,
            "country": country,
            "primary": true,
        }]),
    );
    // Managed by a user numbered below (user 1 has no manager).
    let manager = (number > 1).then(|| user_id(seed, 1 + rng.below(number - 1)));
    if let Some(Value::Object(enterprise)) = attrs.get_mut(ENTERPRISE_USER.id) {
        enterprise.insert("employeeNumber".into(), json!(format!("E{number:07}")));
        enterprise.insert(
            "costCenter".into(),
            json!(format!("CC-{}", 1000 + rng.below(9000))),
        );
        enterprise.insert("organization".into(), json!("Example Corp"));
        if let Some(manager) = manager {
            enterprise.insert("manager".into(), json!({"value": manager}));
        }
    }
    attrs
}

/// User number `number` with `attrs` as the SCIM API renders it.
fn user_document(seed: u64, number: u64, meta: Meta, attrs: Map<String, Value>) -> Value {
    let user = Resource {
        id: user_id(seed, number),
        meta,
        attrs,
    };
    Value::Object(resource_json(&USER_RESOURCE, user, BASE_URL))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::USER_RESOURCE;
    use crate::scim::validate::{Mode, normalize};
    use crate::store::events::{self, EventRow, FeedQuery, NewEvent};
    use crate::store::seed::{SeedOptions, SeedReport, seed};
    use crate::store::{Db, users};

    async fn temp_sqlite() -> Db {
        let path = std::env::temp_dir().join(format!(
            "scimd-seed-events-unit-{}.db",
            uuid::Uuid::new_v4().simple()
        ));
        crate::cli::open(&format!("sqlite://{}", path.display()), &Default::default())
            .await
            .unwrap()
    }

    async fn seed_events(db: &Db, users: u64, events: u64, append: bool) -> SeedReport {
        let options = SeedOptions {
            statistics: true,
            tenant: "default".into(),
            users,
            groups: 0,
            group_size: 0,
            large_group_size: None,
            seed: 4,
            append,
            events,
        };
        seed(db, &options, &mut |_| {}).await.unwrap()
    }

    /// The whole feed, read the way the events API reads it: pages of 100 after a position.
    async fn read_all(db: &Db) -> Vec<EventRow> {
        let mut all: Vec<EventRow> = Vec::new();
        loop {
            let query = FeedQuery {
                after: all.last().map_or(0, |e| e.position),
                limit: 100,
                ..FeedQuery::default()
            };
            let page = events::read(db, &query).await.unwrap();
            if page.events.is_empty() {
                return all;
            }
            all.extend(page.events);
        }
    }

    fn positions(events: &[EventRow]) -> Vec<i64> {
        events.iter().map(|e| e.position).collect()
    }

    #[tokio::test]
    async fn seeded_events_are_read_back_through_the_feed_with_contiguous_positions() {
        // Arrange
        let db = temp_sqlite().await;

        // Act
        let report = seed_events(&db, 30, 450, false).await;
        let read = read_all(&db).await;
        let horizon = events::horizon(&db).await.unwrap();

        // Assert
        assert_eq!((report.first_event, report.totals.events), (1, 450));
        assert_eq!(positions(&read), (1..=450).collect::<Vec<_>>());
        assert_eq!(horizon.last_position, 450);
        let user_ids: Vec<String> = (1..=30).map(|i| user_id(4, i)).collect();
        for e in &read {
            assert_eq!(e.kind, event_type(4, e.position), "{}", e.position);
            assert_eq!(e.tenant_id, DEFAULT_TENANT);
            assert_eq!(e.actor.0["type"], "token");
            assert_eq!(e.request_id.len(), 36);
            let previous = e.previous_attributes.as_ref().map(|p| p.0.clone());
            match e.kind.as_str() {
                "group.member_added" => {
                    let member = e.member_id.clone().unwrap();
                    assert!(user_ids.contains(&member), "{member}");
                    assert_eq!(e.data.0["member"]["id"], json!(member));
                    assert_eq!(e.resource_type, "Group");
                    assert_eq!(previous, None);
                }
                kind => {
                    let index = user_ids.iter().position(|id| *id == e.resource_id);
                    let number = index.expect("a seeded user") as u64 + 1;
                    assert_eq!(e.data.0["id"], json!(e.resource_id));
                    assert_eq!(
                        e.data.0["userName"],
                        json!(format!("user{number}@example.com"))
                    );
                    assert_eq!(e.resource_type, "User");
                    assert_eq!(e.member_id, None);
                    let expected = match kind {
                        "user.created" => None,
                        "user.deactivated" => Some(json!({"active": true})),
                        _ => Some(json!({"title": user_attributes(4, number)["title"]})),
                    };
                    assert_eq!(previous, expected, "{kind} at {}", e.position);
                }
            }
        }
        let at: Vec<_> = read.iter().map(|e| e.occurred_at).collect();
        assert!(at.windows(2).all(|w| w[0] <= w[1]), "occurred_at rises");
        assert!(
            at[at.len() - 1] - at[0] > TimeDelta::hours(23),
            "spread over a day"
        );
        let mix = |kind: &str| read.iter().filter(|e| e.kind == kind).count();
        for kind in [
            "user.created",
            "user.updated",
            "user.deactivated",
            "group.member_added",
        ] {
            assert!(mix(kind) > 20, "{kind}: {}", mix(kind));
        }
    }

    #[tokio::test]
    async fn appending_events_continues_after_the_last_position_including_real_events() {
        // Arrange
        let db = temp_sqlite().await;
        seed_events(&db, 5, 120, false).await;
        let mut w = db.begin_write().await.unwrap();
        w.record(NewEvent {
            tenant: DEFAULT_TENANT.into(),
            kind: "user.deleted",
            resource_type: "User",
            resource_id: user_id(4, 1),
            member_id: None,
            occurred_at: now(),
            actor: json!({"type": "cli"}),
            request_id: "req-real".into(),
            data: json!({"id": user_id(4, 1)}),
            previous_attributes: None,
        });
        w.commit().await.unwrap();

        // Act
        let appended = seed_events(&db, 0, 80, true).await;
        let read = read_all(&db).await;

        // Assert
        assert_eq!(appended.first_event, 122);
        assert_eq!(positions(&read), (1..=201).collect::<Vec<_>>());
        assert_eq!(read[120].request_id, "req-real");
        assert_eq!(events::horizon(&db).await.unwrap().last_position, 201);
        assert!(
            read[121..]
                .iter()
                .all(|e| e.kind == event_type(4, e.position))
        );
    }

    #[tokio::test]
    async fn events_alone_seed_a_database_without_users() {
        // Arrange
        let db = temp_sqlite().await;

        // Act
        let report = seed_events(&db, 0, 60, false).await;
        let read = read_all(&db).await;
        let filtered = events::read(
            &db,
            &FeedQuery {
                after: 0,
                limit: 100,
                types: vec!["user.deactivated".into()],
                ..FeedQuery::default()
            },
        )
        .await
        .unwrap();

        // Assert
        assert_eq!((report.totals.users, report.totals.events), (0, 60));
        assert_eq!(positions(&read), (1..=60).collect::<Vec<_>>());
        assert!(
            users::get(&db, DEFAULT_TENANT, &read[0].resource_id)
                .await
                .unwrap()
                .is_none(),
            "events about synthetic users"
        );
        let deactivated: Vec<i64> = (1..=60)
            .filter(|p| event_type(4, *p) == "user.deactivated")
            .collect();
        assert_eq!(positions(&filtered.events), deactivated);
    }

    #[test]
    fn event_users_are_canonical_and_render_to_about_a_kilobyte() {
        for i in [1, 6, 10, 999, 123_456] {
            let attrs = profile(2, i);
            let mut body = attrs.clone();
            body.insert(
                "schemas".into(),
                json!([USER_RESOURCE.schema.id, ENTERPRISE_USER.id]),
            );

            let validated = normalize(&USER_RESOURCE, &Value::Object(body), Mode::Full).unwrap();
            let doc = user_document(2, i, Meta::new(now(), now(), 3), attrs.clone());

            assert_eq!(validated, attrs, "user {i}");
            let size = doc.to_string().len();
            assert!((900..1400).contains(&size), "user {i}: {size} bytes");
        }
    }

    #[test]
    fn an_update_changes_the_title_and_lists_the_old_one() {
        let plan = EventPlan::new(3, 1, 1_000, 50);
        let updates = (0..1_000)
            .map(|k| row(&plan, k).0)
            .filter(|r| matches!(&r[2].1, Arg::Text(Some(t)) if t == "user.updated"));
        for r in updates {
            let (Arg::Json(data), Arg::Json(previous)) = (&r[9].1, &r[10].1) else {
                panic!("{r:?}")
            };
            assert_ne!(data["title"], previous["title"]);
            assert_eq!(previous.as_object().unwrap().len(), 1);
        }
    }
}
