//! The change events a write records: their types, what `data` carries and which attributes
//! `previous_attributes` lists. Pure functions of the context and the resource before and after.
//!
//! - `data` is the resource as SCIM returns it (never a password). A Group's `data` carries no
//!   `members`: membership travels as `group.member_added` / `group.member_removed`, one event
//!   per member, so a change to a 100,000-member group costs what the change costs.
//! - `previous_attributes` lists the top-level attributes whose value changed, with the old
//!   value (`null` where there was none); `meta` and `schemas` are not attributes of the user
//!   model and are left out.
//! - A user whose effective `active` (a missing `active` counts as enabled, RFC 7643 §4.1.1 gives
//!   it no default) goes from enabled to disabled gets `user.deactivated`; back again,
//!   `user.reactivated`; any other change `user.updated`. A write that changes nothing records
//!   nothing.

use serde_json::{Map, Value, json};

use super::Context;
use super::resources::Kind;
use crate::store::events::NewEvent;
use crate::store::memberships::{GroupRef, MemberRef};

/// Every event type, as the events API accepts them in `types`.
pub const EVENT_TYPES: [&str; 17] = [
    "user.created",
    "user.updated",
    "user.deactivated",
    "user.reactivated",
    "user.deleted",
    "user.restored",
    "user.purged",
    "user.suspended",
    "user.unsuspended",
    "user.roles_changed",
    "group.created",
    "group.updated",
    "group.deleted",
    "group.restored",
    "group.purged",
    "group.member_added",
    "group.member_removed",
];

fn event(
    ctx: &Context,
    kind: &'static str,
    resource: Kind,
    id: &str,
    data: Value,
    previous_attributes: Option<Value>,
) -> NewEvent {
    NewEvent {
        tenant: ctx.directory.clone(),
        kind,
        resource_type: resource.rt().name,
        resource_id: id.to_owned(),
        member_id: None,
        occurred_at: ctx.now(),
        actor: ctx.actor.to_json(),
        request_id: ctx.request_id.clone(),
        data,
        previous_attributes,
    }
}

/// `user.created` / `group.created`.
pub fn created(ctx: &Context, kind: Kind, id: &str, doc: Map<String, Value>) -> NewEvent {
    let name = match kind {
        Kind::User => "user.created",
        Kind::Group => "group.created",
    };
    event(ctx, name, kind, id, data(kind, doc), None)
}

/// `user.deleted` / `group.deleted`, carrying the resource as it was.
pub fn deleted(ctx: &Context, kind: Kind, id: &str, doc: Map<String, Value>) -> NewEvent {
    let name = match kind {
        Kind::User => "user.deleted",
        Kind::Group => "group.deleted",
    };
    event(ctx, name, kind, id, data(kind, doc), None)
}

/// `user.restored` / `group.restored`, carrying the resource as it is again.
pub fn restored(ctx: &Context, kind: Kind, id: &str, doc: Map<String, Value>) -> NewEvent {
    let name = match kind {
        Kind::User => "user.restored",
        Kind::Group => "group.restored",
    };
    event(ctx, name, kind, id, data(kind, doc), None)
}

/// `user.purged` / `group.purged`: erased from the archive. `data` names only the id and
/// type: a purge is an erasure, so the event carries none of the resource's data.
pub fn purged(ctx: &Context, kind: Kind, id: &str) -> NewEvent {
    let name = match kind {
        Kind::User => "user.purged",
        Kind::Group => "group.purged",
    };
    event(
        ctx,
        name,
        kind,
        id,
        json!({"id": id, "resourceType": kind.rt().name}),
        None,
    )
}

/// `user.suspended` / `user.unsuspended`: the local suspension, with its reason and the user's
/// state after it.
pub fn suspension(
    ctx: &Context,
    id: &str,
    suspended: bool,
    reason: Option<&str>,
    state: &str,
) -> NewEvent {
    let name = if suspended {
        "user.suspended"
    } else {
        "user.unsuspended"
    };
    event(
        ctx,
        name,
        Kind::User,
        id,
        json!({"id": id, "state": state, "reason": reason}),
        None,
    )
}

/// `user.roles_changed`: the user's effective roles went from `before` to `after`.
pub fn roles_changed(ctx: &Context, id: &str, before: &[String], after: &[String]) -> NewEvent {
    event(
        ctx,
        "user.roles_changed",
        Kind::User,
        id,
        json!({"id": id, "roles": after}),
        Some(json!({"roles": before})),
    )
}

/// The update event of a resource that went from `before` to `after`, or `None` if no
/// attribute changed.
pub fn updated(
    ctx: &Context,
    kind: Kind,
    id: &str,
    before: Map<String, Value>,
    after: Map<String, Value>,
) -> Option<NewEvent> {
    let before = data(kind, before);
    let after = data(kind, after);
    let previous = previous_attributes(&before, &after);
    if previous.is_empty() {
        return None;
    }
    let name = match kind {
        Kind::User => match (enabled(&before), enabled(&after)) {
            (true, false) => "user.deactivated",
            (false, true) => "user.reactivated",
            _ => "user.updated",
        },
        Kind::Group => "group.updated",
    };
    Some(event(
        ctx,
        name,
        kind,
        id,
        after,
        Some(Value::Object(previous)),
    ))
}

/// One `group.member_added` per member that joined and one `group.member_removed` per member
/// that left `group`.
pub fn membership(
    ctx: &Context,
    group: &GroupRef,
    added: &[MemberRef],
    removed: &[MemberRef],
) -> Vec<NewEvent> {
    let of = |name: &'static str, m: &MemberRef| NewEvent {
        member_id: Some(m.id.clone()),
        ..event(
            ctx,
            name,
            Kind::Group,
            &group.id,
            json!({
                "group": {"id": group.id, "displayName": group.display_name},
                "member": {
                    "id": m.id,
                    "type": if m.is_group { "Group" } else { "User" },
                    "display": m.display,
                },
            }),
            None,
        )
    };
    added
        .iter()
        .map(|m| of("group.member_added", m))
        .chain(removed.iter().map(|m| of("group.member_removed", m)))
        .collect()
}

/// One `group.member_removed` per group that a deleted resource was a member of.
pub fn departures(ctx: &Context, groups: &[GroupRef], member: &MemberRef) -> Vec<NewEvent> {
    groups
        .iter()
        .flat_map(|g| membership(ctx, g, &[], std::slice::from_ref(member)))
        .collect()
}

/// The event `data` of a resource: its SCIM document, without a Group's `members`.
fn data(kind: Kind, mut doc: Map<String, Value>) -> Value {
    if kind == Kind::Group {
        doc.remove("members");
    }
    Value::Object(doc)
}

/// Whether a user document counts as enabled.
fn enabled(doc: &Value) -> bool {
    doc.get("active").and_then(Value::as_bool).unwrap_or(true)
}

/// The top-level attributes that differ, with their values in `before` (`null` if absent).
fn previous_attributes(before: &Value, after: &Value) -> Map<String, Value> {
    let empty = Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let after = after.as_object().unwrap_or(&empty);
    let keys = before
        .keys()
        .chain(after.keys().filter(|k| !before.contains_key(*k)));
    keys.filter(|k| !matches!(k.as_str(), "meta" | "schemas"))
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| (k.clone(), before.get(k).cloned().unwrap_or(Value::Null)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::Actor;

    fn ctx() -> Context {
        Context::new("default", Actor::Cli, "req-1")
    }

    fn doc(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn previous_attributes_lists_changed_added_and_removed_attributes_but_not_meta() {
        let before = json!({"userName": "a", "title": "x", "meta": {"version": "1"}});
        let after = json!({"userName": "a", "nickName": "n", "meta": {"version": "2"}});
        let previous = previous_attributes(&before, &after);
        assert_eq!(
            Value::Object(previous),
            json!({"title": "x", "nickName": null})
        );
    }

    #[test]
    fn deactivation_and_reactivation_follow_effective_active() {
        let cases = [
            (
                json!({"active": true}),
                json!({"active": false}),
                "user.deactivated",
                "disabled",
            ),
            (
                json!({}),
                json!({"active": false}),
                "user.deactivated",
                "missing counts as enabled",
            ),
            (
                json!({"active": false}),
                json!({"active": true}),
                "user.reactivated",
                "enabled again",
            ),
            (
                json!({"active": false}),
                json!({}),
                "user.reactivated",
                "removed active enables",
            ),
            (
                json!({"active": true, "title": "a"}),
                json!({"active": true, "title": "b"}),
                "user.updated",
                "other change",
            ),
        ];
        for (before, after, expected, reason) in cases {
            let e = updated(&ctx(), Kind::User, "u1", doc(before), doc(after)).unwrap();
            assert_eq!(e.kind, expected, "{reason}");
        }
    }

    #[test]
    fn an_update_that_changes_nothing_records_nothing() {
        let d = json!({"userName": "a", "meta": {"version": "1"}});
        let mut after = d.clone();
        after["meta"]["version"] = json!("2");
        assert!(updated(&ctx(), Kind::User, "u1", doc(d), doc(after)).is_none());
    }

    #[test]
    fn group_data_never_carries_members() {
        let e = created(
            &ctx(),
            Kind::Group,
            "g1",
            doc(json!({"displayName": "G", "members": [{"value": "u"}]})),
        );
        assert_eq!(e.data, json!({"displayName": "G"}));
    }
}
