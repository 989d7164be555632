//! Unit tests of the pure bulk rules: parsing, references, planning.

use serde_json::{Value, json};

use super::*;
use crate::scim::limits::Limits;
use crate::scim::patch::OpKind;
use crate::scim::schema::{ENTERPRISE_USER, GROUP_RESOURCE, USER_RESOURCE};

fn request(ops: Value) -> Value {
    json!({"schemas": [BULK_REQUEST_SCHEMA], "Operations": ops})
}

fn post_user(bulk_id: &str, extra: Value) -> Value {
    let mut data = json!({"userName": bulk_id});
    if let (Some(d), Some(e)) = (data.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    json!({"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": data})
}

fn post_group(bulk_id: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    json!({"method": "POST", "path": "/Groups", "bulkId": bulk_id,
           "data": {"displayName": bulk_id, "members": members}})
}

/// Parses a body given as a JSON value, with the default per-request limits.
fn parse_json(body: &Value, max_operations: usize) -> Result<BulkRequest, BulkError> {
    parse(
        body.to_string().as_bytes(),
        max_operations,
        &Limits::DEFAULT,
    )
}

fn parsed(ops: Value) -> BulkRequest {
    parse_json(&request(ops), 1000).expect("a valid bulk request")
}

fn error_of(op: &BulkOperation) -> &BulkError {
    op.action.as_ref().expect_err("the operation fails")
}

#[test]
fn a_request_that_is_no_bulk_request_is_refused_as_a_whole() {
    let cases = [
        (json!([]), "not an object"),
        (json!({"Operations": []}), "no BulkRequest schema"),
        (json!({"schemas": [BULK_REQUEST_SCHEMA]}), "no Operations"),
        (
            json!({"schemas": [BULK_REQUEST_SCHEMA], "Operations": [1]}),
            "an operation that is no object",
        ),
        (
            json!({"schemas": [BULK_REQUEST_SCHEMA], "failOnErrors": 0, "Operations": []}),
            "failOnErrors below 1",
        ),
        (
            json!({"schemas": [BULK_REQUEST_SCHEMA], "Operations": [{"method": "POST", "bulkId": 7}]}),
            "a bulkId that is no string",
        ),
    ];
    for (body, reason) in cases {
        assert!(
            matches!(parse_json(&body, 10), Err(BulkError::Protocol(_))),
            "{reason}"
        );
    }
}

#[test]
fn too_many_operations_are_refused_before_any_is_looked_at() {
    let ops = json!([{"method": "nonsense"}, {}, {}]);
    let refused = parse_json(&request(ops), 2).expect_err("three is over two");
    assert_eq!(refused, BulkError::TooManyOperations { count: 3, max: 2 });
    assert!(
        refused.to_string().contains("maxOperations (2)"),
        "{refused}"
    );
}

#[test]
fn a_bulk_id_used_twice_refuses_the_request() {
    let body = request(json!([post_user("a", json!({})), post_group("a", &[])]));
    let refused = parse_json(&body, 10).expect_err("duplicate");
    assert!(
        refused
            .to_string()
            .contains("Operations[0] and Operations[1]"),
        "{refused}"
    );
}

#[test]
fn an_operation_that_cannot_run_fails_alone_with_the_status_a_single_request_would_get() {
    let req = parsed(json!([
        {"method": "GET", "path": "/Users"},
        {"method": "POST", "path": "/Users/123", "bulkId": "x", "data": {"userName": "x"}},
        {"method": "PUT", "path": "/Users", "data": {"userName": "x"}},
        {"method": "DELETE", "path": "/Schemas/x"},
        {"method": "POST", "path": "/Users", "data": {"userName": "x"}},
        {"method": "PATCH", "path": "/Users/1"},
        {"method": "POST", "path": "/Users", "bulkId": "y", "data": {"displayName": "no userName"}},
        {"method": "delete", "path": "Groups/1/"},
        {"method": "DELETE", "path": "/Users/1?attributes=id"},
    ]));
    let ops = &req.operations;
    assert!(matches!(error_of(&ops[0]), BulkError::Protocol(_)), "GET");
    assert_eq!(
        ops[0].method_name().as_deref(),
        Some("GET"),
        "echoed as sent"
    );
    assert!(
        matches!(error_of(&ops[1]), BulkError::MethodNotAllowed(_)),
        "POST to an item"
    );
    assert!(
        matches!(error_of(&ops[2]), BulkError::MethodNotAllowed(_)),
        "PUT to a collection"
    );
    assert!(
        matches!(error_of(&ops[3]), BulkError::NoEndpoint(_)),
        "no such endpoint"
    );
    assert!(
        matches!(error_of(&ops[4]), BulkError::Protocol(_)),
        "POST without bulkId"
    );
    assert!(
        matches!(error_of(&ops[5]), BulkError::Protocol(_)),
        "PATCH without data"
    );
    assert!(
        matches!(error_of(&ops[6]), BulkError::Protocol(_)),
        "invalid User"
    );
    assert!(
        matches!(&ops[7].action, Ok(Action::Delete { target: Target::Id(id), .. }) if id == "1"),
        "method in any case, path without its leading slash: {:?}",
        ops[7].action
    );
    assert!(
        matches!(error_of(&ops[8]), BulkError::Protocol(_)),
        "a query"
    );
}

#[test]
fn patch_data_may_be_the_bare_list_of_operations_of_the_rfc_example() {
    let req = parsed(json!([{"method": "PATCH", "path": "/Users/bulkId:q",
        "data": [{"op": "remove", "path": "nickName"}]}]));
    match &req.operations[0].action {
        Ok(Action::Patch { target, ops, .. }) => {
            assert_eq!(target, &Target::BulkId("q".into()));
            assert_eq!(ops[0].op, OpKind::Remove);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn references_are_found_where_attributes_hold_resource_ids_and_nowhere_else() {
    let mut req = parsed(json!([
        post_user("u", json!({"displayName": "bulkId:not-a-reference",
            ENTERPRISE_USER.id: {"manager": {"value": "bulkId:boss"}}})),
        post_group("g", &["bulkId:u", "bulkId:g2", "plain-id"]),
        {"method": "PATCH", "path": "/Groups/bulkId:g", "data": {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "remove", "path": "members[value eq \"bulkId:r1\"]"},
                {"op": "add", "path": "members", "value": [{"value": "bulkId:r2"}]},
                {"op": "add", "value": {"members": [{"value": "bulkId:r3"}], "displayName": "bulkId:no"}},
                {"op": "replace", "path": "displayName", "value": "bulkId:no"},
            ]}},
        {"method": "PATCH", "path": "/Users/1", "data": {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "replace", "path": format!("{}:manager", ENTERPRISE_USER.id), "value": "bulkId:m1"},
                {"op": "replace", "path": "manager.value", "value": "bulkId:m2"},
                {"op": "replace", "value": {format!("{}:manager", ENTERPRISE_USER.id): {"value": "bulkId:m3"}}},
                {"op": "replace", "value": {ENTERPRISE_USER.id: {"manager": "bulkId:m4"}}},
                {"op": "replace", "value": {"groups": [{"value": "bulkId:read-only"}]}},
            ]}},
    ]));
    let found: Vec<Vec<String>> = req.operations.iter_mut().map(plan::references).collect();
    assert_eq!(found[0], ["boss"]);
    assert_eq!(found[1], ["g2", "u"]);
    assert_eq!(found[2], ["g", "r1", "r2", "r3"]);
    assert_eq!(found[3], ["m1", "m2", "m3", "m4"]);
}

#[test]
fn deferring_references_takes_them_out_and_returns_the_operations_that_put_them_back() {
    let mut group = crate::scim::validate::normalize(
        &GROUP_RESOURCE,
        &json!({"displayName": "A", "members": [{"value": "bulkId:b"}, {"value": "bulkId:c"}]}),
        crate::scim::validate::Mode::Full,
    )
    .expect("group");
    let later = defer_canonical_refs(&GROUP_RESOURCE, &mut group, &|id| id == "b");
    assert_eq!(group["members"], json!([{"value": "bulkId:c"}]));
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].op, OpKind::Add);
    assert_eq!(later[0].value, Some(json!([{"value": "bulkId:b"}])));

    let mut user = crate::scim::validate::normalize(
        &USER_RESOURCE,
        &json!({"userName": "u", ENTERPRISE_USER.id: {"manager": "bulkId:u"}}),
        crate::scim::validate::Mode::Full,
    )
    .expect("user");
    let later = defer_canonical_refs(&USER_RESOURCE, &mut user, &|_| true);
    assert!(user.get(ENTERPRISE_USER.id).is_none(), "{user:?}");
    assert_eq!(later[0].op, OpKind::Replace);
    let mut put_back = later;
    let mut seen = Vec::new();
    patch_refs(&USER_RESOURCE, &mut put_back, &mut |s| seen.push(s.clone()));
    assert_eq!(seen, ["bulkId:u"], "the returned operation still refers");
}

#[test]
fn an_operation_waits_for_the_posts_it_refers_to_and_otherwise_keeps_request_order() {
    let mut req = parsed(json!([
        post_group("g", &["bulkId:u2"]),
        post_user("u1", json!({})),
        post_user("u2", json!({})),
        {"method": "DELETE", "path": "/Users/bulkId:u1"},
    ]));
    let plan = plan(&mut req.operations);
    assert_eq!(
        plan.units,
        [Unit::One(1), Unit::One(2), Unit::One(0), Unit::One(3)]
    );
    assert!(plan.problems.iter().all(Option::is_none));
}

#[test]
fn groups_that_are_members_of_each_other_form_one_cycle() {
    let mut req = parsed(json!([
        post_user("first", json!({})),
        post_group("qwerty", &["bulkId:ytrewq"]),
        post_group("ytrewq", &["bulkId:qwerty"]),
        post_group("self", &["bulkId:self"]),
        post_group("after", &["bulkId:qwerty"]),
    ]));
    let plan = plan(&mut req.operations);
    assert_eq!(
        plan.units,
        [
            Unit::One(0),
            Unit::Cycle(vec![1, 2]),
            Unit::Cycle(vec![3]),
            Unit::One(4)
        ]
    );
}

#[test]
fn a_reference_that_no_post_declares_is_a_problem_of_its_operation() {
    let mut req = parsed(json!([
        post_group("g", &["bulkId:missing"]),
        {"method": "DELETE", "path": "/Users/1", "bulkId": "d"},
        {"method": "DELETE", "path": "/Users/bulkId:d"},
    ]));
    let plan = plan(&mut req.operations);
    let problem = |i: usize| plan.problems[i].as_ref().map(ToString::to_string);
    assert!(problem(0).is_some_and(|p| p.contains("refers to no operation")));
    assert!(problem(1).is_none());
    assert!(problem(2).is_some_and(|p| p.contains("only a POST")));
}

#[test]
fn a_long_chain_of_references_is_planned_without_recursion() {
    let n = 20_000;
    let mut ops = vec![post_group("g0", &[])];
    for i in 1..n {
        ops.push(post_group(
            &format!("g{i}"),
            &[&format!("bulkId:g{}", i - 1)],
        ));
    }
    ops.reverse();
    let mut req = parse_json(&request(Value::Array(ops)), n).expect("request");
    let plan = plan(&mut req.operations);
    let expected: Vec<Unit> = (0..n).rev().map(Unit::One).collect();
    assert_eq!(plan.units, expected);
}
