//! Group PATCH as membership deltas. Identity providers change a group's members one by one
//! (`add` a member, `remove` `members[value eq "…"]`); applying those as row inserts and deletes
//! keeps the cost of a change independent of the group's size. Operations on other attributes
//! stay ordinary PATCH operations; any member operation that is not a plain delta (e.g. a filter
//! on `type`) makes the caller fall back to patching the whole member list.

use serde_json::{Map, Value};

use super::error::ProtocolError;
use super::filter::PatchPath;
use super::idp_forms;
use super::patch::{OpKind, Operation};
use super::schema::GROUP;
use super::validate;

/// One change to a group's membership, by member id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    /// Add these members (present ones stay, no duplicates). Ids that name no existing User or
    /// Group are skipped (the service logs them), not refused: Okta does not retry a `400`, so
    /// refusing a PATCH that adds several members because one of them is gone (deleted in the
    /// meantime, say) would keep the others out for good. A deliberate leniency; everything else
    /// in the request still applies all or nothing (RFC 7644 §3.5.2).
    Add(Vec<String>),
    /// Remove these members (absent ones are ignored).
    Remove(Vec<String>),
    /// Remove every member.
    RemoveAll,
    /// Make these exactly the members; every id must name an existing User or Group (a POST or
    /// PUT states the whole list, and an id that names nothing is `400 invalidValue`).
    Replace(Vec<String>),
}

/// A group PATCH split into attribute operations and membership changes.
#[derive(Debug, Default)]
pub struct GroupPatch {
    pub attribute_ops: Vec<Operation>,
    pub member_changes: Vec<MemberChange>,
}

/// Splits `ops`; `None` if some operation on `members` needs the whole member list.
pub fn split(ops: &[Operation]) -> Result<Option<GroupPatch>, ProtocolError> {
    let mut out = GroupPatch::default();
    for op in ops {
        match &op.path {
            None => split_pathless(op, &mut out)?,
            Some(path) if targets_members(path) => match member_change(op, path)? {
                Some(change) => out.member_changes.push(change),
                None => return Ok(None),
            },
            Some(_) => out.attribute_ops.push(op.clone()),
        }
    }
    Ok(Some(out))
}

/// Member ids of a `members` value (an array of `{"value": id}`, or one such object).
pub fn member_ids(value: &Value) -> Result<Vec<String>, ProtocolError> {
    let def = GROUP
        .attribute("members")
        .ok_or_else(|| ProtocolError::InvalidPath("the Group schema has no members".into()))?;
    let members = validate::attribute(def, value)?.unwrap_or(Value::Array(Vec::new()));
    Ok(members
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|m| m.get("value")?.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// `members`, also URN-qualified (`urn:ietf:params:scim:schemas:core:2.0:Group:members`).
fn is_members_key(key: &str) -> bool {
    let name = match key
        .len()
        .checked_sub("members".len())
        .and_then(|n| key.get(..n))
    {
        Some(prefix) if !prefix.is_empty() => match prefix.strip_suffix(':') {
            Some(urn) if urn.eq_ignore_ascii_case(GROUP.id) => &key[prefix.len()..],
            _ => return false,
        },
        _ => key,
    };
    name.eq_ignore_ascii_case("members")
}

fn targets_members(path: &PatchPath) -> bool {
    path.attr.name.eq_ignore_ascii_case("members")
        && path
            .attr
            .urn
            .as_deref()
            .is_none_or(|u| u.eq_ignore_ascii_case(GROUP.id))
}

/// `add`/`replace` without a path: a `members` key becomes a membership change, the rest stays
/// an attribute operation.
fn split_pathless(op: &Operation, out: &mut GroupPatch) -> Result<(), ProtocolError> {
    let Some(Value::Object(value)) = op.value.as_ref().filter(|_| op.op != OpKind::Remove) else {
        // Includes `remove` without a path, which patch::apply refuses with noTarget.
        out.attribute_ops.push(op.clone());
        return Ok(());
    };
    let mut rest = Map::new();
    for (key, v) in value {
        if is_members_key(key) {
            let ids = member_ids(v)?;
            out.member_changes.push(match op.op {
                OpKind::Add => MemberChange::Add(ids),
                _ => MemberChange::Replace(ids),
            });
        } else {
            rest.insert(key.clone(), v.clone());
        }
    }
    if !rest.is_empty() {
        out.attribute_ops.push(Operation {
            op: op.op,
            path: None,
            value: Some(Value::Object(rest)),
        });
    }
    Ok(())
}

/// The membership change of an operation whose path is `members` or `members[…]`.
fn member_change(op: &Operation, path: &PatchPath) -> Result<Option<MemberChange>, ProtocolError> {
    if path.attr.sub.is_some() || path.sub_after_filter.is_some() {
        return Ok(None);
    }
    let value = op.value.as_ref();
    Ok(match (&path.value_filter, op.op) {
        (None, OpKind::Add) => Some(MemberChange::Add(member_ids(
            value.unwrap_or(&Value::Null),
        )?)),
        (None, OpKind::Replace) => Some(MemberChange::Replace(member_ids(
            value.unwrap_or(&Value::Null),
        )?)),
        (None, OpKind::Remove) => Some(match value {
            // Entra ID: `remove` on `members` with the members to remove in `value`.
            Some(v) if !v.is_null() => MemberChange::Remove(member_ids(v)?),
            _ => MemberChange::RemoveAll,
        }),
        (Some(filter), OpKind::Remove) => {
            idp_forms::member_ids_in_filter(filter).map(MemberChange::Remove)
        }
        (Some(_), _) => None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::scim::filter::TermBudget;
    use crate::scim::limits::Limits;
    use crate::scim::patch::{PATCH_OP_SCHEMA, parse};

    fn split_json(operations: Value) -> Option<GroupPatch> {
        let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": operations});
        let ops = parse(&body, &Limits::DEFAULT, &mut TermBudget::new(10)).unwrap();
        split(&ops).unwrap()
    }

    #[test]
    fn identity_provider_member_operations_become_deltas() {
        let cases = [
            (
                json!([{"op": "add", "path": "members", "value": [{"value": "a"}, {"value": "b"}]}]),
                MemberChange::Add(vec!["a".into(), "b".into()]),
                "add with path",
            ),
            (
                json!([{"op": "Add", "value": {"members": [{"value": "a"}]}}]),
                MemberChange::Add(vec!["a".into()]),
                "add without path",
            ),
            (
                json!([{"op": "remove", "path": "members[value eq \"a\"]"}]),
                MemberChange::Remove(vec!["a".into()]),
                "Okta/Entra single removal",
            ),
            (
                json!([{"op": "Remove", "path": "members", "value": [{"value": "a"}]}]),
                MemberChange::Remove(vec!["a".into()]),
                "Entra removal by value list",
            ),
            (
                json!([{"op": "remove", "path": "members"}]),
                MemberChange::RemoveAll,
                "remove all",
            ),
            (
                json!([{"op": "replace", "path": "members", "value": [{"value": "c"}]}]),
                MemberChange::Replace(vec!["c".into()]),
                "replace all",
            ),
        ];
        for (ops, expected, reason) in cases {
            let plan = split_json(ops).expect(reason);
            assert_eq!(plan.member_changes, vec![expected], "{reason}");
            assert!(plan.attribute_ops.is_empty(), "{reason}");
        }
    }

    #[test]
    fn urn_qualified_members_keys_are_member_changes() {
        let plan = split_json(json!([{"op": "add", "value": {"urn:ietf:params:scim:schemas:core:2.0:Group:members": [{"value": "a"}]}}])).unwrap();
        assert_eq!(
            plan.member_changes,
            vec![MemberChange::Add(vec!["a".into()])]
        );
        assert!(plan.attribute_ops.is_empty());
    }

    #[test]
    fn remove_without_a_path_is_left_for_patch_to_refuse() {
        let plan =
            split_json(json!([{"op": "remove", "value": {"members": [{"value": "a"}]}}])).unwrap();
        assert!(plan.member_changes.is_empty());
        assert_eq!(plan.attribute_ops.len(), 1);
    }

    #[test]
    fn other_attributes_stay_attribute_operations() {
        let plan = split_json(
            json!([{"op": "replace", "value": {"displayName": "X", "members": [{"value": "a"}]}}]),
        )
        .unwrap();
        assert_eq!(
            plan.member_changes,
            vec![MemberChange::Replace(vec!["a".into()])]
        );
        assert_eq!(plan.attribute_ops.len(), 1);
        assert_eq!(
            plan.attribute_ops[0].value,
            Some(json!({"displayName": "X"}))
        );
    }

    #[test]
    fn member_filters_other_than_value_equality_need_the_whole_list() {
        assert!(
            split_json(json!([{"op": "remove", "path": "members[type eq \"Group\"]"}])).is_none()
        );
        assert!(split_json(json!([{"op": "replace", "path": "members[value eq \"a\"]", "value": {"value": "b"}}])).is_none());
    }
}
