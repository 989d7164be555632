//! POST and PUT bodies, generated up to and past the limits: 100,000 validated in process
//! never panic, the pre-parse count of a body's JSON values is exact, and a sample sent to the
//! real server is never answered `500`.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use scimd::http::body::{MAX_JSON_DEPTH, check_shape};
use scimd::scim::limits::{self, Limits};
use scimd::scim::schema::{GROUP_RESOURCE, USER_RESOURCE};
use scimd::scim::validate::{self, Mode};
use serde_json::{Map, Value, json};

use super::generate::{ENTERPRISE, key, scalar, scim_json};
use crate::helpers::{GROUP_SCHEMA, TestApp, USER_SCHEMA, id};

/// A resource body: schemas, a name, and generated attributes; sometimes an array as long as
/// an attribute may be (or one longer), or nesting as deep as a body may be (or deeper).
fn resource_body() -> impl Strategy<Value = Value> {
    let schemas = prop::sample::select(vec![
        json!([USER_SCHEMA]),
        json!([USER_SCHEMA, ENTERPRISE]),
        json!([GROUP_SCHEMA]),
        json!([]),
        json!("x"),
    ]);
    let edge = prop_oneof![
        10 => Just(None),
        1 => (key(), scalar(), 999..1_002_usize).prop_map(|(k, v, n)| Some((k, json!(vec![v; n])))),
        1 => (key(), MAX_JSON_DEPTH - 2..MAX_JSON_DEPTH + 1)
            .prop_map(|(k, depth)| Some((k, (0..depth).fold(json!(1), |v, _| json!([v]))))),
    ];
    (
        prop::option::of(schemas),
        prop::option::of(scalar()),
        prop::collection::vec((key(), scim_json()), 0..8),
        edge,
    )
        .prop_map(|(schemas, name, attrs, edge)| {
            let mut body = Map::new();
            if let Some(s) = schemas {
                body.insert("schemas".into(), s);
            }
            if let Some(n) = name {
                body.insert("userName".into(), n.clone());
                body.insert("displayName".into(), n);
            }
            body.extend(attrs);
            body.extend(edge);
            Value::Object(body)
        })
}

/// JSON values in `v` as the pre-parse count defines them: every node, and every object key.
fn values_in(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(values_in).sum::<usize>(),
        Value::Object(members) => 1 + members.values().map(|v| 1 + values_in(v)).sum::<usize>(),
        _ => 1,
    }
}

fn depth_of(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(depth_of).max().unwrap_or(0),
        Value::Object(members) => 1 + members.values().map(depth_of).max().unwrap_or(0),
        _ => 0,
    }
}

proptest! {
    #![proptest_config(Config { cases: 100_000, ..super::config() })]

    #[test]
    fn generated_bodies_validate_or_are_refused_and_are_counted_exactly(
        body in resource_body(),
        pretty in any::<bool>(),
    ) {
        let text = if pretty { serde_json::to_string_pretty(&body) } else { serde_json::to_string(&body) };
        let text = text.expect("serializes");
        let shape = check_shape(text.as_bytes(), usize::MAX);
        if depth_of(&body) > MAX_JSON_DEPTH {
            prop_assert!(shape.is_err(), "{}", text);
        } else {
            prop_assert_eq!(shape, Ok(values_in(&body)), "{}", text);
        }
        let max = Limits::DEFAULT.max_values;
        for rt in [&USER_RESOURCE, &GROUP_RESOURCE] {
            let _ = limits::check_arrays(&body, max);
            if let Ok(attrs) = validate::normalize(rt, &body, Mode::Full) {
                let again = validate::normalize(rt, &Value::Object(attrs.clone()), Mode::Full);
                prop_assert_eq!(again, Ok(attrs), "validated attributes validate to themselves");
            }
        }
    }
}

#[tokio::test]
async fn generated_bodies_sent_to_the_server_are_never_a_server_error() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.create_user("target").await;
    let group = app.create_group("target", &[]).await;
    let targets = [
        ("POST", "/Users".to_owned()),
        ("POST", "/Groups".to_owned()),
        ("PUT", format!("/Users/{}", id(&user))),
        ("PUT", format!("/Groups/{}", id(&group))),
    ];
    let mut runner = TestRunner::new(Config::default());
    let strategy = resource_body();
    let mut created = 0;

    for n in 0..SAMPLE {
        let body = strategy.new_tree(&mut runner).expect("generate").current();
        let (method, path) = &targets[n % targets.len()];

        // Act
        let resp = match *method {
            "POST" => app.post(path, body.clone()).await,
            _ => app.put(path, body.clone()).await,
        };

        // Assert
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert!(
            !status.is_server_error(),
            "{status} for {method} {path} {body}: {text}"
        );
        created += usize::from(status.is_success());
    }
    assert!(created > SAMPLE / 20, "some bodies were stored: {created}");
}

/// Bodies sent to the server per test run.
const SAMPLE: usize = 1_000;
