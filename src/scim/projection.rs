//! The `attributes` / `excludedAttributes` projection (RFC 7644 §3.4.2.5), applied to rendered
//! resources. The named paths are compiled once per request into lookups by lower-cased name,
//! so projecting a resource costs its own size, not its size times the number of names (a
//! page of resources against a list of thousands of names took seconds of CPU when every key
//! was compared with every name). Pure.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::filter::{AttrPath, Filter, matches};
use super::schema::{RESOURCE_TYPES, ResourceTypeDef, Returned, SchemaDef, schema_by_id};

/// The `attributes` / `excludedAttributes` request parameters (RFC 7644 §3.4.2.5).
#[derive(Debug, Clone, Default)]
pub struct Projection {
    pub attributes: Vec<AttrPath>,
    pub excluded: Vec<AttrPath>,
    /// Value filters in `attributes` (`emails[type eq "work"]`): only matching values are kept.
    pub value_filters: Vec<(AttrPath, Filter)>,
    keep: Selection,
    drop: Selection,
    /// The value filters by the lower-cased attribute they apply to.
    filters_by_key: HashMap<String, Vec<usize>>,
}

/// Paths compiled for lookup: whole schemas named by URN, and top-level keys.
#[derive(Debug, Clone, Default)]
struct Selection {
    schemas: Vec<&'static SchemaDef>,
    /// Lower-cased top-level key → `None` for the whole attribute, or the lower-cased parts
    /// below it (sub-attributes, or an extension's attributes).
    keys: HashMap<String, Option<HashSet<String>>>,
}

impl Selection {
    fn new(paths: &[AttrPath]) -> Self {
        let mut selection = Selection::default();
        for p in paths {
            if let Some(schema) = whole_schema(p) {
                if !selection.schemas.iter().any(|s| std::ptr::eq(*s, schema)) {
                    selection.schemas.push(schema);
                }
                continue;
            }
            let entry = selection
                .keys
                .entry(top_key(p).to_ascii_lowercase())
                .or_insert_with(|| Some(HashSet::new()));
            match (path_sub(p), entry.as_mut()) {
                (None, _) => *entry = None,
                (Some(sub), Some(subs)) => {
                    subs.insert(sub.to_ascii_lowercase());
                }
                (Some(_), None) => {}
            }
        }
        selection
    }

    /// Whether a schema named by URN covers the top-level `key`.
    fn covers(&self, key: &str) -> bool {
        self.schemas.iter().any(|s| schema_covers(s, key))
    }

    /// What is named below the top-level `key`: `Some(None)` for all of it.
    fn below(&self, key: &str) -> Option<&Option<HashSet<String>>> {
        self.keys.get(&key.to_ascii_lowercase())
    }

    fn is_empty(&self) -> bool {
        self.schemas.is_empty() && self.keys.is_empty()
    }
}

impl Projection {
    /// The projection of these parameters.
    pub fn new(
        attributes: Vec<AttrPath>,
        excluded: Vec<AttrPath>,
        value_filters: Vec<(AttrPath, Filter)>,
    ) -> Self {
        let mut filters_by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (n, (path, _)) in value_filters.iter().enumerate() {
            filters_by_key
                .entry(path.name.to_ascii_lowercase())
                .or_default()
                .push(n);
        }
        Projection {
            keep: Selection::new(&attributes),
            drop: Selection::new(&excluded),
            attributes,
            excluded,
            value_filters,
            filters_by_key,
        }
    }

    /// Whether `name` (a top-level attribute, or an extension URN) is wanted at all; lets the
    /// store skip work such as loading members.
    pub fn wants(&self, name: &str) -> bool {
        if !self.keep.is_empty() {
            return self.keep.covers(name) || self.keep.below(name).is_some();
        }
        !(self.drop.covers(name) || self.drop.below(name).is_some_and(Option::is_none))
    }

    /// Applies the projection to a rendered resource. Attributes returned `always` (`id`,
    /// `schemas`) stay; unknown names are ignored as the RFC allows.
    pub fn apply(&self, rt: &ResourceTypeDef, mut doc: Map<String, Value>) -> Map<String, Value> {
        if !self.filters_by_key.is_empty() {
            self.keep_matching_values(rt, &mut doc);
        }
        if !self.keep.is_empty() {
            doc.retain(|k, _| always(rt, k) || self.keep.covers(k) || self.keep.below(k).is_some());
            for (key, value) in doc.iter_mut() {
                if always(rt, key) || self.keep.covers(key) {
                    continue;
                }
                if let Some(Some(subs)) = self.keep.below(key) {
                    retain_subs(value, |sub| subs.contains(&sub.to_ascii_lowercase()));
                }
            }
        }
        if !self.drop.is_empty() {
            doc.retain(|k, _| {
                always(rt, k)
                    || !(self.drop.covers(k) || self.drop.below(k).is_some_and(Option::is_none))
            });
            for (key, value) in doc.iter_mut() {
                if always(rt, key) {
                    continue;
                }
                if let Some(Some(subs)) = self.drop.below(key) {
                    retain_subs(value, |sub| !subs.contains(&sub.to_ascii_lowercase()));
                }
            }
        }
        doc
    }

    /// Keeps only the values of a multi-valued attribute that every value filter on it matches.
    fn keep_matching_values(&self, rt: &ResourceTypeDef, doc: &mut Map<String, Value>) {
        for (key, value) in doc.iter_mut() {
            let Some(filters) = self.filters_by_key.get(&key.to_ascii_lowercase()) else {
                continue;
            };
            let Value::Array(items) = value else { continue };
            let def = rt.schema.attribute(key);
            let case_exact = |p: &AttrPath| {
                def.and_then(|d| d.sub_attribute(p.sub.as_deref().unwrap_or(&p.name)))
                    .is_some_and(|s| s.case_exact)
            };
            for n in filters {
                let filter = &self.value_filters[*n].1;
                items.retain(|item| matches(filter, item, &case_exact));
            }
        }
    }
}

/// For a schema named by its URN (`urn:…:enterprise:2.0:User`), whether the top-level key
/// `key` belongs to it: the extension's object under its URN, or an attribute of a core schema.
/// RFC 7644 §3.10 and §3.4.2.5 let `attributes` and `excludedAttributes` name a schema, meaning
/// all of its attributes.
fn schema_covers(schema: &SchemaDef, key: &str) -> bool {
    let core = RESOURCE_TYPES.iter().any(|rt| rt.schema.id == schema.id);
    key.eq_ignore_ascii_case(schema.id) || (core && schema.attribute(key).is_some())
}

/// The schema a path names by its URN. The path grammar reads the URN as attribute `User` of
/// schema `urn:…:2.0`, so the two parts are joined back. `None` for any other path.
fn whole_schema(p: &AttrPath) -> Option<&'static SchemaDef> {
    let urn = p.urn.as_deref().filter(|_| p.sub.is_none())?;
    schema_by_id(&format!("{urn}:{}", p.name))
}

/// The top-level key a path names: the URN for an extension attribute, else the attribute.
fn top_key(p: &AttrPath) -> &str {
    match &p.urn {
        Some(urn)
            if !urn.to_ascii_lowercase().ends_with(":core:2.0:user")
                && !urn.to_ascii_lowercase().ends_with(":core:2.0:group") =>
        {
            urn
        }
        _ => &p.name,
    }
}

/// The part below the top-level key: the attribute of an extension, else the sub-attribute.
fn path_sub(p: &AttrPath) -> Option<&str> {
    if top_key(p) == p.name {
        p.sub.as_deref()
    } else {
        Some(&p.name)
    }
}

fn always(rt: &ResourceTypeDef, key: &str) -> bool {
    key == "id"
        || key == "schemas"
        || rt
            .schema
            .attribute(key)
            .is_some_and(|d| d.returned == Returned::Always)
}

fn retain_subs(value: &mut Value, keep: impl Fn(&str) -> bool) {
    match value {
        Value::Object(obj) => obj.retain(|k, _| keep(k)),
        Value::Array(items) => {
            for item in items {
                if let Value::Object(obj) = item {
                    obj.retain(|k, _| keep(k));
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::scim::filter::{parse_attr_path, parse_patch_path};
    use crate::scim::schema::USER_RESOURCE;

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

    fn user() -> Map<String, Value> {
        let Value::Object(doc) = json!({
            "schemas": [CORE, ENTERPRISE],
            "id": "1",
            "userName": "kim",
            "name": {"givenName": "Kim", "familyName": "Lee"},
            "emails": [{"value": "a@x", "type": "work"}, {"value": "b@x", "type": "home"}],
            ENTERPRISE: {"department": "D", "manager": {"value": "m"}},
            "meta": {"resourceType": "User", "version": "W/\"1\""},
        }) else {
            unreachable!()
        };
        doc
    }

    /// The projection as first written: every key compared with every path (the reference).
    fn apply_pairwise(
        p: &Projection,
        rt: &ResourceTypeDef,
        mut doc: Map<String, Value>,
    ) -> Map<String, Value> {
        let covers = |p: &AttrPath, key: &str| whole_schema(p).map(|s| schema_covers(s, key));
        for (path, filter) in &p.value_filters {
            let def = rt.schema.attribute(&path.name);
            let case_exact = |q: &AttrPath| {
                def.and_then(|d| d.sub_attribute(q.sub.as_deref().unwrap_or(&q.name)))
                    .is_some_and(|s| s.case_exact)
            };
            if let Some((_, Value::Array(items))) = doc
                .iter_mut()
                .find(|(k, _)| k.eq_ignore_ascii_case(&path.name))
            {
                items.retain(|item| matches(filter, item, &case_exact));
            }
        }
        if !p.attributes.is_empty() {
            let keep = |key: &str, sub: Option<&str>| {
                always(rt, key)
                    || p.attributes.iter().any(|q| {
                        covers(q, key).unwrap_or_else(|| {
                            top_key(q).eq_ignore_ascii_case(key)
                                && match (path_sub(q), sub) {
                                    (None, _) | (_, None) => true,
                                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                                }
                        })
                    })
            };
            doc.retain(|k, _| keep(k, None));
            for (key, value) in doc.iter_mut() {
                if always(rt, key) {
                    continue;
                }
                let key = key.clone();
                retain_subs(value, |sub| keep(&key, Some(sub)));
            }
        }
        for q in &p.excluded {
            if whole_schema(q).is_some() {
                doc.retain(|k, _| always(rt, k) || covers(q, k) != Some(true));
                continue;
            }
            let key = top_key(q);
            match path_sub(q) {
                None => doc.retain(|k, _| always(rt, k) || !k.eq_ignore_ascii_case(key)),
                Some(sub) => {
                    if let Some((k, value)) =
                        doc.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(key))
                        && !always(rt, k)
                    {
                        retain_subs(value, |s| !s.eq_ignore_ascii_case(sub));
                    }
                }
            }
        }
        doc
    }

    fn projection(attributes: &[&str], excluded: &[&str]) -> Projection {
        let mut named = Vec::new();
        let mut filters = Vec::new();
        for a in attributes {
            match parse_attr_path(a) {
                Ok(p) => named.push(p),
                Err(_) => {
                    let p = parse_patch_path(a).unwrap();
                    named.push(p.attr.clone());
                    filters.push((p.attr, p.value_filter.unwrap()));
                }
            }
        }
        let excluded = excluded
            .iter()
            .map(|e| parse_attr_path(e).unwrap())
            .collect();
        Projection::new(named, excluded, filters)
    }

    #[test]
    fn keeps_and_drops_what_the_parameters_name() {
        let cases: [(&[&str], &[&str], Value, &str); 5] = [
            (
                &["NAME.givenName", "emails"],
                &[],
                json!(["emails", "id", "name", "schemas"]),
                "attributes",
            ),
            (
                &[],
                &["emails", "name.familyName", "ID"],
                json!(["meta", "name", "schemas", ENTERPRISE, "userName", "id"]),
                "excluded; id stays",
            ),
            (
                &[ENTERPRISE],
                &[],
                json!(["id", "schemas", ENTERPRISE]),
                "a schema by its URN",
            ),
            (
                &[&format!("{ENTERPRISE}:department")],
                &[],
                json!(["id", "schemas", ENTERPRISE]),
                "an extension attribute",
            ),
            (
                &[r#"emails[type eq "WORK"]"#],
                &[],
                json!(["emails", "id", "schemas"]),
                "a value filter",
            ),
        ];
        for (attributes, excluded, keys, reason) in cases {
            let p = projection(attributes, excluded);
            let out = p.apply(&USER_RESOURCE, user());
            let mut got: Vec<&str> = out.keys().map(String::as_str).collect();
            let mut want: Vec<&str> = keys
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap())
                .collect();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{reason}");
        }
        let out = projection(&[r#"emails[type eq "WORK"]"#], &[]).apply(&USER_RESOURCE, user());
        assert_eq!(out["emails"], json!([{"value": "a@x", "type": "work"}]));
        let out =
            projection(&[&format!("{ENTERPRISE}:department")], &[]).apply(&USER_RESOURCE, user());
        assert_eq!(out[ENTERPRISE], json!({"department": "D"}));
    }

    fn path() -> impl Strategy<Value = String> {
        let names = prop::sample::select(vec![
            "userName",
            "USERNAME",
            "name",
            "name.givenName",
            "Name.FAMILYNAME",
            "emails",
            "emails.value",
            "emails.TYPE",
            "id",
            "ID",
            "schemas",
            "meta",
            "meta.version",
            "x",
            "x.y",
            "department",
            "manager.value",
        ]);
        let urn = prop::sample::select(vec![
            "",
            "urn:ietf:params:scim:schemas:core:2.0:User:",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:",
            "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:",
        ]);
        prop_oneof![
            4 => (urn, names).prop_map(|(u, n)| format!("{u}{n}")),
            1 => prop::sample::select(vec![CORE, ENTERPRISE, "urn:x:y"]).prop_map(str::to_owned),
            1 => prop::sample::select(vec![r#"emails[type eq "work"]"#, r#"emails[value pr]"#]).prop_map(str::to_owned),
        ]
    }

    proptest! {
        #![proptest_config(crate::scim::proptest_config())]

        #[test]
        fn compiled_lookups_agree_with_comparing_every_path(
            attributes in prop::collection::vec(path(), 0..5),
            excluded in prop::collection::vec(path(), 0..5),
        ) {
            let excluded: Vec<&str> = excluded.iter().map(String::as_str).filter(|e| !e.contains('[')).collect();
            let attributes: Vec<&str> = attributes.iter().map(String::as_str).collect();
            let p = projection(&attributes, &excluded);
            let fast = p.apply(&USER_RESOURCE, user());
            let reference = apply_pairwise(&p, &USER_RESOURCE, user());
            prop_assert_eq!(Value::Object(fast), Value::Object(reference));
        }
    }
}
