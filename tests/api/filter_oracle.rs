//! Property-style agreement between the SQL filter compiler (`store::filter_sql`) and the
//! in-memory evaluator (`scim::filter::matches`, RFC 7644 §3.4.2.2 semantics): several hundred
//! generated filters, each answered once by the server over HTTP and once by the evaluator on the
//! JSON of every listed resource. A deterministic PRNG drives both the data and the filters, so
//! every run builds the same users and groups and the same filters, up to the ids and timestamps
//! the server assigns (a failure names its filter in full).

use std::collections::BTreeSet;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use reqwest::StatusCode;
use scimd::scim::filter::{AttrPath, CompValue, Filter, matches, parse_filter};
use scimd::scim::schema::{AttrType, AttributeDef, GROUP_RESOURCE, ResourceTypeDef, USER_RESOURCE};
use serde_json::{Value, json};

use crate::helpers::{ENTERPRISE, GROUP_SCHEMA, PATCH_OP, TestApp, USER_SCHEMA, id, scim_json};

// ---------------------------------------------------------------------------------------------
// A tiny deterministic PRNG (SplitMix64): no crate, and the same sequence on every run.
// ---------------------------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// `text` with each letter's case chosen at random (Unicode-aware, so `ß` may become `SS`).
    fn mix_case(&mut self, text: &str) -> String {
        text.chars()
            .map(|c| {
                if self.chance(50) {
                    c.to_uppercase().collect::<String>()
                } else {
                    c.to_lowercase().collect::<String>()
                }
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------

const FIRST: [&str; 12] = [
    "Ärger",
    "émile",
    "Barbara",
    "JOHN",
    "zoë",
    "Łukasz",
    "Ωmega",
    "o'Brien",
    "Straße",
    "ÉLODIE",
    "mike",
    "Ana-María",
];
const LAST: [&str; 10] = [
    "Jensen",
    "smith",
    "MÜLLER",
    "Dupont",
    "ÖZTÜRK",
    "van der Berg",
    "Nguyễn",
    "Jones",
    "ΟΔΥΣΣΕΥΣ",
    "Ng",
];
const DOMAINS: [&str; 5] = [
    "Example.COM",
    "example.org",
    "ärger.de",
    "mail.EXAMPLE.com",
    "home.net",
];
const EMAIL_TYPES: [&str; 5] = ["work", "home", "other", "Work", "HOME"];
// Quotes and backslashes check that filter literals are escaped and bound, not spliced.
const TITLES: [&str; 7] = [
    "Tour Guide",
    "tour guide",
    "Chef de Cuisine",
    "Ärztin",
    "VP",
    r#"The "Boss""#,
    r"C:\Ops",
];
const USER_TYPES: [&str; 4] = ["Employee", "employee", "Contractor", "INTERN"];
const DEPARTMENTS: [&str; 5] = ["Sales", "sales", "Engineering", "R&D", "Ärztliche Leitung"];
const COST_CENTERS: [&str; 4] = ["CC-1", "cc-1", "CC-20", "Ω-9"];
const ORGANIZATIONS: [&str; 3] = ["Universal Studios", "ACME", "acme"];
const GROUP_NAMES: [&str; 10] = [
    "Admins",
    "admins-eu",
    "Équipe",
    "Staff",
    "STAFF Europe",
    "Ärzte",
    "Empty",
    "Tour Guides",
    "Ωmega Team",
    "nested",
];

/// The body of user `i`: every optional attribute present or not at random, strings in mixed
/// case and with non-ASCII letters, booleans sometimes sent as strings (as Entra ID does).
fn user_body(rng: &mut Rng, i: usize, earlier_ids: &[String]) -> Value {
    let first = *rng.pick(&FIRST);
    let last = *rng.pick(&LAST);
    let mut user = json!({
        "schemas": [USER_SCHEMA],
        "userName": format!("{}.{}{i:02}", rng.mix_case(first), last.replace(' ', "_")),
    });
    if rng.chance(70) {
        // Case-exact: pairs differing only in case are distinct values.
        let prefix = rng.pick(&["EXT", "ext", "Ext", "hr"]);
        user["externalId"] = json!(format!("{prefix}-{}", rng.below(12)));
    }
    let mut name = serde_json::Map::new();
    if rng.chance(75) {
        name.insert("givenName".into(), json!(first));
    }
    if rng.chance(75) {
        name.insert("familyName".into(), json!(rng.mix_case(last)));
    }
    if !name.is_empty() {
        user["name"] = Value::Object(name);
    }
    if rng.chance(80) {
        user["displayName"] = json!(format!("{first} {last}"));
    }
    if rng.chance(60) {
        user["title"] = json!(rng.pick(&TITLES));
    }
    if rng.chance(70) {
        user["userType"] = json!(rng.pick(&USER_TYPES));
    }
    match rng.below(6) {
        0 => {}
        1 => user["active"] = json!(false),
        2 => user["active"] = json!(rng.pick(&["False", "false", "FALSE"])),
        3 => user["active"] = json!("True"),
        _ => user["active"] = json!(true),
    }
    let email_count = rng.below(4);
    let primary = rng.below(email_count + 2);
    let emails: Vec<Value> = (0..email_count)
        .map(|e| {
            let local = rng.mix_case(&first.to_lowercase().replace(' ', ""));
            let mut email = json!({
                "value": format!("{local}{e}@{}", rng.pick(&DOMAINS)),
            });
            if rng.chance(85) {
                email["type"] = json!(rng.pick(&EMAIL_TYPES));
            }
            if e == primary {
                email["primary"] = json!(true);
            } else if rng.chance(30) {
                email["primary"] = json!(false);
            }
            email
        })
        .collect();
    if !emails.is_empty() {
        user["emails"] = Value::Array(emails);
    }
    if rng.chance(50) {
        let phones: Vec<Value> = (0..1 + rng.below(2))
            .map(|p| {
                json!({
                    "value": format!("+49 30 555-{:04}", rng.below(10_000)),
                    "type": if p == 0 { "work" } else { "Mobile" },
                })
            })
            .collect();
        user["phoneNumbers"] = Value::Array(phones);
    }
    let mut enterprise = serde_json::Map::new();
    if rng.chance(65) {
        enterprise.insert("department".into(), json!(rng.pick(&DEPARTMENTS)));
    }
    if rng.chance(50) {
        enterprise.insert("costCenter".into(), json!(rng.pick(&COST_CENTERS)));
    }
    if rng.chance(40) {
        enterprise.insert("organization".into(), json!(rng.pick(&ORGANIZATIONS)));
    }
    if !earlier_ids.is_empty() && rng.chance(25) {
        enterprise.insert("manager".into(), json!({"value": rng.pick(earlier_ids)}));
    }
    if !enterprise.is_empty() {
        user["schemas"] = json!([USER_SCHEMA, ENTERPRISE]);
        user[ENTERPRISE] = Value::Object(enterprise);
    }
    user
}

/// Creates the users and groups, a few ms apart in places so that `meta.created` splits them,
/// and modifies some afterwards so that `meta.lastModified` differs from `meta.created`.
async fn seed(app: &TestApp, rng: &mut Rng) {
    let mut user_ids = Vec::new();
    for i in 0..40 {
        let body = user_body(rng, i, &user_ids);
        let resp = app.post("/Users", body.clone()).await;
        assert_eq!(resp.status(), StatusCode::CREATED, "creating {body}");
        user_ids.push(id(&scim_json(resp).await));
        if rng.chance(40) {
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
    }
    let mut group_ids: Vec<String> = Vec::new();
    for (g, name) in GROUP_NAMES.iter().enumerate() {
        let mut members: Vec<Value> = (0..rng.below(7))
            .map(|_| json!({"value": rng.pick(&user_ids)}))
            .collect();
        if !group_ids.is_empty() && rng.chance(30) {
            members.push(json!({"value": rng.pick(&group_ids)}));
        }
        members.sort_by_key(Value::to_string);
        members.dedup();
        if *name == "Empty" {
            members.clear();
        }
        let mut body = json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": members});
        if rng.chance(60) {
            body["externalId"] = json!(format!("{}-{g}", rng.pick(&["G", "g"])));
        }
        let resp = app.post("/Groups", body.clone()).await;
        assert_eq!(resp.status(), StatusCode::CREATED, "creating {body}");
        group_ids.push(id(&scim_json(resp).await));
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    for user in user_ids.iter().step_by(7) {
        let patch = json!({
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "path": "title", "value": "Patched"}],
        });
        let resp = app.patch(&format!("/Users/{user}"), patch).await;
        assert_eq!(resp.status(), StatusCode::OK, "patching {user}");
    }
}

// ---------------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------------

/// How an attribute is compared, which decides the operators and values to try.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Bool,
    Time,
    /// A singular complex attribute (`name`, `meta`): present when any sub-attribute is.
    Complex,
}

/// A filterable attribute: its spelling in the filter, its kind, and where its values sit in
/// the JSON (to draw comparison values from the actual data).
struct Attribute {
    path: String,
    kind: Kind,
    json: Vec<&'static str>,
}

fn attribute(path: &str, kind: Kind, json: &[&'static str]) -> Attribute {
    Attribute {
        path: path.to_owned(),
        kind,
        json: json.to_vec(),
    }
}

fn user_attributes() -> Vec<Attribute> {
    use Kind::{Bool, Complex, Text, Time};
    let ent = |name: &str| format!("{ENTERPRISE}:{name}");
    vec![
        attribute("name", Complex, &[]),
        attribute(&format!("{USER_SCHEMA}:Name"), Complex, &[]),
        attribute("meta", Complex, &[]),
        attribute("userName", Text, &["userName"]),
        attribute(&format!("{USER_SCHEMA}:userName"), Text, &["userName"]),
        attribute("externalId", Text, &["externalId"]),
        attribute("id", Text, &["id"]),
        attribute("displayName", Text, &["displayName"]),
        attribute("title", Text, &["title"]),
        attribute("userType", Text, &["userType"]),
        attribute("name.givenName", Text, &["name", "givenName"]),
        attribute("Name.FamilyName", Text, &["name", "familyName"]),
        attribute("active", Bool, &["active"]),
        attribute("emails", Text, &["emails", "value"]),
        attribute("emails.value", Text, &["emails", "value"]),
        attribute("emails.type", Text, &["emails", "type"]),
        attribute("emails.primary", Bool, &["emails", "primary"]),
        attribute("phoneNumbers.value", Text, &["phoneNumbers", "value"]),
        attribute("phoneNumbers.type", Text, &["phoneNumbers", "type"]),
        attribute(&ent("department"), Text, &[ENTERPRISE, "department"]),
        attribute("department", Text, &[ENTERPRISE, "department"]),
        attribute("costCenter", Text, &[ENTERPRISE, "costCenter"]),
        attribute(&ent("organization"), Text, &[ENTERPRISE, "organization"]),
        attribute(
            &ent("manager.value"),
            Text,
            &[ENTERPRISE, "manager", "value"],
        ),
        attribute("meta.created", Time, &["meta", "created"]),
        attribute("meta.lastModified", Time, &["meta", "lastModified"]),
        attribute("groups.value", Text, &["groups", "value"]),
        attribute("groups.display", Text, &["groups", "display"]),
    ]
}

fn group_attributes() -> Vec<Attribute> {
    use Kind::{Complex, Text, Time};
    vec![
        attribute("meta", Complex, &[]),
        attribute("displayName", Text, &["displayName"]),
        attribute("externalId", Text, &["externalId"]),
        attribute("id", Text, &["id"]),
        attribute("members", Text, &["members", "value"]),
        attribute("members.value", Text, &["members", "value"]),
        attribute("members.type", Text, &["members", "type"]),
        attribute("meta.created", Time, &["meta", "created"]),
        attribute("meta.lastModified", Time, &["meta", "lastModified"]),
    ]
}

/// Every string at `path` in `value`, arrays flattened at any step.
fn strings_at<'v>(value: &'v Value, path: &[&str], out: &mut Vec<&'v str>) {
    match (value, path.split_first()) {
        (Value::Array(items), _) => items.iter().for_each(|v| strings_at(v, path, out)),
        (Value::String(s), None) => out.push(s),
        (_, Some((key, rest))) => {
            if let Some(v) = value.get(*key) {
                strings_at(v, rest, out);
            }
        }
        _ => {}
    }
}

/// Up to `n` distinct values at the JSON path `json` across `resources`, chosen at random.
fn samples(rng: &mut Rng, resources: &[Value], json: &[&str], n: usize) -> Vec<String> {
    let mut all = Vec::new();
    for r in resources {
        strings_at(r, json, &mut all);
    }
    let mut all: Vec<String> = all.into_iter().map(str::to_owned).collect();
    all.sort();
    all.dedup();
    let mut picked = Vec::new();
    while picked.len() < n && !all.is_empty() {
        picked.push(all.swap_remove(rng.below(all.len())));
    }
    picked
}

/// A filter string literal (JSON syntax, so quotes and backslashes are escaped).
fn quote(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// A substring of `text` by characters: `[start, start + len)`, clamped.
fn chars(text: &str, start: usize, len: usize) -> String {
    text.chars().skip(start).take(len).collect()
}

/// Filters the server must answer, and filters it must reject with 400 invalidFilter.
#[derive(Default)]
struct Filters {
    valid: Vec<String>,
    invalid: Vec<String>,
}

fn text_filters(rng: &mut Rng, path: &str, values: &[String], out: &mut Filters) {
    let v = |text: &str| quote(text);
    out.valid.push(format!("{path} pr"));
    out.valid.push(format!("{path} eq null"));
    out.valid.push(format!("{path} ne null"));
    out.valid.push(format!("{path} eq {}", v("no such value")));
    out.valid.push(format!("{path} ne {}", v("no such value")));
    out.valid.push(format!("{path} co {}", v("")));
    for s in values {
        let n = s.chars().count();
        let mixed = rng.mix_case(s);
        let prefix_len = 1 + rng.below(n.clamp(1, 4));
        let prefix = rng.mix_case(&chars(s, 0, prefix_len));
        let suffix_len = 1 + rng.below(n.clamp(1, 4));
        let suffix = rng.mix_case(&chars(s, n.saturating_sub(suffix_len), suffix_len));
        let middle = rng.mix_case(&chars(s, n / 3, 1 + n / 3));
        for (op, value) in [
            ("eq", s.clone()),
            ("eq", mixed.clone()),
            ("ne", s.clone()),
            ("ne", mixed.clone()),
            ("co", middle),
            ("co", format!("{s}!")),
            ("sw", prefix),
            ("sw", s.clone()),
            ("ew", suffix),
            ("gt", s.clone()),
            ("ge", mixed.clone()),
            ("lt", mixed),
            ("le", s.clone()),
        ] {
            out.valid.push(format!("{path} {op} {}", v(&value)));
        }
    }
    out.invalid.push(format!("{path} eq 5"));
    out.invalid.push(format!("{path} ne true"));
    out.invalid.push(format!("{path} gt null"));
}

fn bool_filters(path: &str, out: &mut Filters) {
    out.valid.push(format!("{path} pr"));
    for value in ["true", "false", r#""True""#, r#""false""#, r#""FALSE""#] {
        out.valid.push(format!("{path} eq {value}"));
        out.valid.push(format!("{path} ne {value}"));
    }
    for bad in ["gt true", "le false", r#"co "tr""#, "eq 1", r#"eq "maybe""#] {
        out.invalid.push(format!("{path} {bad}"));
    }
}

/// RFC 7644 §3.4.2.2 allows `pr` on any attribute; a complex one has no value of its own to
/// compare, so only presence and `eq`/`ne null` apply.
fn complex_filters(path: &str, out: &mut Filters) {
    out.valid.push(format!("{path} pr"));
    out.valid.push(format!("{path} eq null"));
    out.valid.push(format!("{path} ne null"));
    for bad in [r#"eq "Kim""#, r#"co "a""#, "gt null"] {
        out.invalid.push(format!("{path} {bad}"));
    }
}

fn time_filters(path: &str, values: &[String], out: &mut Filters) {
    out.valid.push(format!("{path} pr"));
    let mut instants = vec![
        "2000-01-01T00:00:00Z".to_owned(),
        "2999-12-31T23:59:59.999Z".to_owned(),
    ];
    for s in values {
        let t = chrono::DateTime::parse_from_rfc3339(s).expect("RFC 3339");
        let plus_two = chrono::FixedOffset::east_opt(2 * 3600).expect("offset");
        instants.push(s.clone());
        // The same instant written with another offset, and half a millisecond later.
        instants.push(t.with_timezone(&plus_two).to_rfc3339());
        instants.push((t + chrono::Duration::microseconds(500)).to_rfc3339());
    }
    for t in &instants {
        for op in ["eq", "ne", "gt", "ge", "lt", "le"] {
            out.valid.push(format!("{path} {op} {}", quote(t)));
        }
    }
    for bad in [
        r#"co "20""#,
        r#"sw "2""#,
        r#"ew "Z""#,
        r#"eq "yesterday""#,
        "gt 5",
        "eq true",
    ] {
        out.invalid.push(format!("{path} {bad}"));
    }
}

/// The simple filters on every attribute of `attributes`, with values from `resources`.
fn simple_filters(rng: &mut Rng, resources: &[Value], attributes: &[Attribute]) -> Filters {
    let mut out = Filters::default();
    for attr in attributes {
        match attr.kind {
            Kind::Text => {
                let values = samples(rng, resources, &attr.json, 2);
                text_filters(rng, &attr.path, &values, &mut out);
            }
            Kind::Bool => bool_filters(&attr.path, &mut out),
            Kind::Complex => complex_filters(&attr.path, &mut out),
            Kind::Time => {
                let values = samples(rng, resources, &attr.json, 2);
                time_filters(&attr.path, &values, &mut out);
            }
        }
    }
    out
}

/// A random filter of depth ≤ `depth` over `leaves`: `and`, `or`, `not`, with or without
/// parentheses (both sides parse the same text, so precedence is tested too).
fn combine(rng: &mut Rng, leaves: &[String], depth: usize) -> String {
    if depth == 0 || rng.chance(25) {
        return rng.pick(leaves).clone();
    }
    let a = combine(rng, leaves, depth - 1);
    match rng.below(6) {
        0 => format!("not ({a})"),
        1 => format!("{a} and {}", combine(rng, leaves, depth - 1)),
        2 => format!("{a} or {}", combine(rng, leaves, depth - 1)),
        3 => format!("({a}) and ({})", combine(rng, leaves, depth - 1)),
        4 => format!("({a}) or ({})", combine(rng, leaves, depth - 1)),
        _ => format!("not ({a}) and ({})", combine(rng, leaves, depth - 1)),
    }
}

/// Value filters `attr[...]` whose inner filters combine `inner` at random.
fn value_path_filters(rng: &mut Rng, attr: &str, inner: &[String], n: usize) -> Vec<String> {
    (0..n)
        .map(|_| format!("{attr}[{}]", combine(rng, inner, 2)))
        .collect()
}

fn user_filters(rng: &mut Rng, users: &[Value]) -> Filters {
    let mut filters = simple_filters(rng, users, &user_attributes());
    let mut email_inner: Vec<String> = [
        r#"type eq "work""#,
        r#"type eq "HOME""#,
        r#"type ne "other""#,
        r#"value co "@""#,
        r#"value ew ".com""#,
        r#"value sw "a""#,
        "primary eq true",
        "primary eq false",
        "primary pr",
        "type pr",
        "display pr",
        "value eq null",
    ]
    .map(str::to_owned)
    .to_vec();
    let emails = samples(rng, users, &["emails", "value"], 3);
    email_inner.extend(emails.iter().map(|e| format!("value eq {}", quote(e))));
    let phone_inner = [
        r#"type eq "mobile""#,
        r#"type eq "work""#,
        r#"value sw "+49""#,
        r#"value co "555-0""#,
    ]
    .map(str::to_owned);
    let groups = samples(rng, users, &["groups", "value"], 3);
    let mut group_inner: Vec<String> = groups
        .iter()
        .flat_map(|g| {
            [
                format!("value eq {}", quote(g)),
                format!("value eq {}", quote(&g.to_uppercase())),
            ]
        })
        .collect();
    group_inner
        .extend([r#"display sw "a""#, r#"display co "staff""#, "value pr"].map(str::to_owned));
    let mut value_paths = value_path_filters(rng, "emails", &email_inner, 40);
    value_paths.extend(value_path_filters(rng, "phoneNumbers", &phone_inner, 8));
    value_paths.extend(value_path_filters(rng, "groups", &group_inner, 12));
    value_paths.push(r#"emails[type eq "work" and value co "@"]"#.to_owned());
    let leaves: Vec<String> = filters.valid.iter().chain(&value_paths).cloned().collect();
    let compound: Vec<String> = (0..200).map(|_| combine(rng, &leaves, 3)).collect();
    filters.valid.extend(value_paths);
    filters.valid.extend(compound);
    add_invalid_compounds(rng, &mut filters);
    filters
}

fn group_filters(rng: &mut Rng, groups: &[Value]) -> Filters {
    let mut filters = simple_filters(rng, groups, &group_attributes());
    let members = samples(rng, groups, &["members", "value"], 4);
    let mut inner: Vec<String> = members
        .iter()
        .flat_map(|m| {
            [
                format!("value eq {}", quote(m)),
                format!("value eq {}", quote(&m.to_uppercase())),
            ]
        })
        .collect();
    inner.extend(
        [
            r#"type eq "User""#,
            r#"type eq "group""#,
            r#"type ne "User""#,
            "value pr",
            "type pr",
        ]
        .map(str::to_owned),
    );
    let value_paths = value_path_filters(rng, "members", &inner, 30);
    let leaves: Vec<String> = filters.valid.iter().chain(&value_paths).cloned().collect();
    let compound: Vec<String> = (0..100).map(|_| combine(rng, &leaves, 3)).collect();
    filters.valid.extend(value_paths);
    filters.valid.extend(compound);
    add_invalid_compounds(rng, &mut filters);
    filters
}

/// One invalid leaf anywhere in a compound filter makes the whole filter invalid.
fn add_invalid_compounds(rng: &mut Rng, filters: &mut Filters) {
    let compounds: Vec<String> = (0..20)
        .map(|_| {
            let valid = rng.pick(&filters.valid).clone();
            let invalid = rng.pick(&filters.invalid).clone();
            match rng.below(3) {
                0 => format!("{valid} or {invalid}"),
                1 => format!("not ({invalid}) and ({valid})"),
                _ => format!("({invalid}) or {valid}"),
            }
        })
        .collect();
    filters.invalid.extend(compounds);
}

// ---------------------------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------------------------

/// The definition of `path` in `rt` (a sub-attribute if it names one). A complex attribute
/// without a sub-attribute stands for its `value` (RFC 7644 §3.4.2.2 `emails co …`), so its
/// characteristics are those of `value`.
fn definition(rt: &ResourceTypeDef, path: &AttrPath) -> Option<&'static AttributeDef> {
    let attr = rt
        .find_attribute(path.urn.as_deref(), &path.name)?
        .attribute;
    match &path.sub {
        Some(sub) => attr.sub_attribute(sub),
        None if attr.is_complex() => attr.sub_attribute("value"),
        None => Some(attr),
    }
}

/// The registry's `caseExact` for `path` (RFC 7643 §2.2); unknown paths compare ignoring case.
fn case_exact(rt: &ResourceTypeDef, path: &AttrPath) -> bool {
    definition(rt, path).is_some_and(|def| def.case_exact)
}

/// The filter as the JSON-only evaluator must see it to answer what the server's filter means.
/// Two resolutions need the schema, which the evaluator does not have:
/// - a bare extension attribute (`department`) gets its URN: RFC 7644 §3.10 lets clients omit
///   it and the registry resolves it, but in the JSON the value sits under the URN member;
/// - a boolean attribute compared with the string `"true"` or `"false"` (any case) compares
///   with the boolean: a deliberate leniency of the server (Entra ID sends such strings).
fn for_evaluator(rt: &ResourceTypeDef, filter: &Filter) -> Filter {
    let top = |path: &AttrPath| {
        let mut path = path.clone();
        if path.urn.is_none()
            && let Some(found) = rt.find_attribute(None, &path.name)
            && let Some(schema) = found
                .origin
                .schema()
                .filter(|_| found.origin.is_extension())
        {
            path.urn = Some(schema.id.to_owned());
        }
        let def = definition(rt, &path);
        (path, def)
    };
    rewrite(filter, &top, rt)
}

type Resolve<'a> = dyn Fn(&AttrPath) -> (AttrPath, Option<&'static AttributeDef>) + 'a;

fn rewrite(filter: &Filter, resolve: &Resolve, rt: &ResourceTypeDef) -> Filter {
    match filter {
        Filter::Compare { path, op, value } => {
            let (path, def) = resolve(path);
            let value = match value {
                CompValue::String(s) if def.is_some_and(|d| d.attr_type == AttrType::Boolean) => {
                    match s.to_ascii_lowercase().as_str() {
                        "true" => CompValue::Bool(true),
                        "false" => CompValue::Bool(false),
                        _ => value.clone(),
                    }
                }
                _ => value.clone(),
            };
            Filter::Compare {
                path,
                op: *op,
                value,
            }
        }
        Filter::Present(path) => Filter::Present(resolve(path).0),
        Filter::And(a, b) => Filter::And(
            Box::new(rewrite(a, resolve, rt)),
            Box::new(rewrite(b, resolve, rt)),
        ),
        Filter::Or(a, b) => Filter::Or(
            Box::new(rewrite(a, resolve, rt)),
            Box::new(rewrite(b, resolve, rt)),
        ),
        Filter::Not(inner) => Filter::Not(Box::new(rewrite(inner, resolve, rt))),
        Filter::ValuePath { path, filter } => {
            let (path, _) = resolve(path);
            let parent = rt
                .find_attribute(path.urn.as_deref(), &path.name)
                .map(|found| found.attribute);
            let inner = |relative: &AttrPath| {
                let def = parent.and_then(|p| p.sub_attribute(&relative.name));
                (relative.clone(), def)
            };
            Filter::ValuePath {
                filter: Box::new(rewrite(filter, &inner, rt)),
                path,
            }
        }
    }
}

/// The ids of the resources in `all` that the evaluator says match `filter`.
fn oracle(rt: &ResourceTypeDef, filter: &str, all: &[Value]) -> BTreeSet<String> {
    let parsed = parse_filter(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
    let parsed = for_evaluator(rt, &parsed);
    let exact = |path: &AttrPath| case_exact(rt, path);
    all.iter()
        .filter(|r| matches(&parsed, r, &exact))
        .map(id)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Running the comparison
// ---------------------------------------------------------------------------------------------

/// What the server answered to one filter.
enum Answer {
    Ids(BTreeSet<String>),
    Rejected(u16, Value),
}

async fn ask(app: &TestApp, endpoint: &str, filter: &str) -> Answer {
    let resp = app
        .client
        .get(format!("{}{endpoint}", app.base))
        .query(&[("filter", filter), ("count", "1000")])
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("request");
    let status = resp.status();
    let body: Value = resp.json().await.expect("json body");
    if status != StatusCode::OK {
        return Answer::Rejected(status.as_u16(), body);
    }
    let ids: BTreeSet<String> = body["Resources"]
        .as_array()
        .map(|rs| rs.iter().map(id).collect())
        .unwrap_or_default();
    // The total comes from a separate COUNT query; it must agree with the rows.
    assert_eq!(
        body["totalResults"],
        json!(ids.len()),
        "totalResults for {filter}"
    );
    Answer::Ids(ids)
}

/// Every resource at `endpoint`, unfiltered.
async fn list_all(app: &TestApp, endpoint: &str) -> Vec<Value> {
    let resp = app
        .client
        .get(format!("{}{endpoint}", app.base))
        .query(&[("count", "1000")])
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    let body = scim_json(resp).await;
    body["Resources"].as_array().cloned().unwrap_or_default()
}

/// The userName or displayName of the resource `id` in `all`, to make messages readable.
fn label(all: &[Value], wanted: &str) -> String {
    let resource = all.iter().find(|r| id(r) == wanted);
    resource
        .and_then(|r| r.get("userName").or_else(|| r.get("displayName")))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Asks the server every filter (a few at a time) and compares with the oracle; panics with
/// every unexplained difference.
async fn compare_all(app: &TestApp, endpoint: &str, rt: &ResourceTypeDef, filters: &Filters) {
    let all = list_all(app, endpoint).await;
    let everyone: BTreeSet<String> = all.iter().map(id).collect();
    let answers: Vec<(&String, Answer)> = stream::iter(&filters.valid)
        .map(|f| async move { (f, ask(app, endpoint, f).await) })
        .buffered(8)
        .collect()
        .await;
    let mut failures = Vec::new();
    let mut distinct_sizes = BTreeSet::new();
    for (filter, answer) in answers {
        let sql = match answer {
            Answer::Ids(ids) => ids,
            Answer::Rejected(status, body) => {
                failures.push(format!("{filter}: rejected with {status}: {body}"));
                continue;
            }
        };
        let expected = oracle(rt, filter, &all);
        distinct_sizes.insert(expected.len());
        if sql == expected {
            continue;
        }
        let differing = sql
            .symmetric_difference(&expected)
            .next()
            .expect("the sets differ");
        let detail = format!(
            "{filter}: SQL {} vs evaluator {}, e.g. {differing} ({}) only in {}",
            sql.len(),
            expected.len(),
            label(&all, differing),
            if sql.contains(differing) {
                "SQL"
            } else {
                "evaluator"
            },
        );
        failures.push(detail);
    }
    let rejections: Vec<(&String, Answer)> = stream::iter(&filters.invalid)
        .map(|f| async move { (f, ask(app, endpoint, f).await) })
        .buffered(8)
        .collect()
        .await;
    for (filter, answer) in rejections {
        match answer {
            Answer::Rejected(400, body) if body["scimType"] == json!("invalidFilter") => {}
            Answer::Rejected(status, body) => failures.push(format!(
                "{filter}: expected 400 invalidFilter, got {status} {body}"
            )),
            Answer::Ids(ids) => failures.push(format!(
                "{filter}: expected 400 invalidFilter, got {} resources",
                ids.len()
            )),
        }
    }
    // Printed for `--nocapture`: how much was compared.
    println!(
        "{endpoint}: {} resources, {} filters compared ({} distinct result sizes), {} rejected as expected",
        everyone.len(),
        filters.valid.len(),
        distinct_sizes.len(),
        filters.invalid.len(),
    );
    // A generator that made every filter match nothing (or everything) would prove little.
    assert!(
        distinct_sizes.len() > everyone.len() / 2,
        "the filters on {endpoint} give only {} different result sizes",
        distinct_sizes.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} filters on {endpoint} disagree:\n{}",
        failures.len(),
        filters.valid.len() + filters.invalid.len(),
        failures.join("\n")
    );
}

/// A server seeded with the generated users and groups, and the PRNG to draw filters from.
async fn seeded() -> (TestApp, Rng) {
    let app = TestApp::spawn().await;
    let mut rng = Rng(0x5C1D_F11E);
    seed(&app, &mut rng).await;
    (app, rng)
}

#[tokio::test]
async fn sql_filters_agree_with_the_in_memory_evaluator_on_users() {
    // Arrange
    let (app, mut rng) = seeded().await;
    let users = list_all(&app, "/Users").await;
    let filters = user_filters(&mut rng, &users);

    // Act and assert
    compare_all(&app, "/Users", &USER_RESOURCE, &filters).await;
}

#[tokio::test]
async fn sql_filters_agree_with_the_in_memory_evaluator_on_groups() {
    // Arrange
    let (app, mut rng) = seeded().await;
    let groups = list_all(&app, "/Groups").await;
    let filters = group_filters(&mut rng, &groups);

    // Act and assert
    compare_all(&app, "/Groups", &GROUP_RESOURCE, &filters).await;
}

// ---------------------------------------------------------------------------------------------
// Edge cases the comparison found once, each pinned by a small case
// ---------------------------------------------------------------------------------------------

/// The sorted userNames (or group displayNames) that `filter` lists at `endpoint`.
async fn names(app: &TestApp, endpoint: &str, filter: &str) -> Vec<String> {
    let key = if endpoint == "/Users" {
        "userName"
    } else {
        "displayName"
    };
    let list = app.list(endpoint, filter).await;
    let mut names: Vec<String> = list["Resources"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .map(|r| r[key].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

async fn post_user(app: &TestApp, body: Value) -> Value {
    let resp = app.post("/Users", body.clone()).await;
    assert_eq!(resp.status(), StatusCode::CREATED, "creating {body}");
    scim_json(resp).await
}

#[tokio::test]
async fn ids_in_references_compare_as_case_sensitively_as_the_schema_declares() {
    // Arrange
    let app = TestApp::spawn().await;
    let alice = id(&app.create_user("alice").await);
    post_user(
        &app,
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "userName": "bob",
            ENTERPRISE: {"manager": {"value": alice}},
        }),
    )
    .await;
    let staff = id(&app.create_group("Staff", &[&alice]).await);
    let (alice_upper, staff_upper) = (alice.to_uppercase(), staff.to_uppercase());
    // /Schemas publishes caseExact false for all three (as RFC 7643 §8.7.1 and §8.7.2 do); the
    // filter must follow what is published, whichever of the two is changed.
    let declared = |rt: &ResourceTypeDef, path: &str| {
        let parsed = parse_filter(&format!("{path} pr")).expect("path");
        let Filter::Present(path) = parsed else {
            unreachable!("a presence test")
        };
        case_exact(rt, &path)
    };
    let manager = format!("{ENTERPRISE}:manager.value");
    let cases = [
        (
            "/Groups",
            format!(r#"members[value eq "{alice_upper}"]"#),
            declared(&GROUP_RESOURCE, "members.value"),
            vec!["Staff"],
        ),
        (
            "/Groups",
            format!(r#"members.value eq "{alice_upper}""#),
            declared(&GROUP_RESOURCE, "members.value"),
            vec!["Staff"],
        ),
        (
            "/Users",
            format!(r#"groups.value eq "{staff_upper}""#),
            declared(&USER_RESOURCE, "groups.value"),
            vec!["alice"],
        ),
        (
            "/Users",
            format!(r#"{manager} eq "{alice_upper}""#),
            declared(&USER_RESOURCE, &manager),
            vec!["bob"],
        ),
    ];

    for (endpoint, filter, case_exact, if_case_insensitive) in cases {
        // Act
        let listed = names(&app, endpoint, &filter).await;

        // Assert
        let expected: Vec<&str> = if case_exact {
            vec![]
        } else {
            if_case_insensitive
        };
        assert_eq!(listed, expected, "{filter} (caseExact {case_exact})");
    }
}

#[tokio::test]
async fn ne_and_eq_null_on_a_multi_valued_attribute_match_resources_without_values() {
    // Arrange
    let app = TestApp::spawn().await;
    post_user(
        &app,
        json!({
            "schemas": [USER_SCHEMA],
            "userName": "mailed",
            "emails": [{"value": "a@example.com", "type": "work"}],
        }),
    )
    .await;
    app.create_user("bare").await;
    app.create_group("Empty", &[]).await;
    let both = vec!["bare", "mailed"];
    let cases = [
        (
            "/Users",
            r#"title ne "x""#,
            both.clone(),
            "the rule for a missing single value, for comparison",
        ),
        (
            "/Users",
            r#"emails.value ne "b@example.com""#,
            both.clone(),
            "bare has no value equal to it",
        ),
        (
            "/Users",
            r#"emails ne "b@example.com""#,
            both.clone(),
            "emails stands for emails.value",
        ),
        (
            "/Users",
            r#"emails.type ne "home""#,
            both.clone(),
            "a sub-attribute",
        ),
        (
            "/Users",
            r#"phoneNumbers.value ne "1""#,
            both.clone(),
            "nobody has phone numbers",
        ),
        (
            "/Users",
            r#"groups.value ne "x""#,
            both,
            "nobody is in a group",
        ),
        (
            "/Users",
            "emails eq null",
            vec!["bare"],
            "no emails is null",
        ),
        (
            "/Users",
            "emails.value eq null",
            vec!["bare"],
            "no email value is null",
        ),
        (
            "/Groups",
            r#"members ne "x""#,
            vec!["Empty"],
            "a group without members",
        ),
        (
            "/Groups",
            "members.value eq null",
            vec!["Empty"],
            "no member is null",
        ),
    ];

    for (endpoint, filter, expected, reason) in cases {
        // Act
        let listed = names(&app, endpoint, filter).await;

        // Assert
        assert_eq!(listed, expected, "{reason}: {filter}");
    }
}

#[tokio::test]
async fn ne_and_eq_null_on_a_sub_attribute_look_at_the_values_it_has() {
    // Arrange: the values of `emails.type` are ["work"]; the second email has none.
    let app = TestApp::spawn().await;
    post_user(
        &app,
        json!({
            "schemas": [USER_SCHEMA],
            "userName": "mixed",
            "emails": [{"value": "a@example.com", "type": "work"}, {"value": "b@example.com"}],
        }),
    )
    .await;
    let cases = [
        (r#"emails.type ne "work""#, vec![], "its only type is work"),
        ("emails.type eq null", vec![], "it has a type"),
        (
            r#"emails[not (type eq "work")]"#,
            vec!["mixed"],
            "a value filter asks about each email",
        ),
    ];

    for (filter, expected, reason) in cases {
        // Act
        let listed = names(&app, "/Users", filter).await;

        // Assert
        assert_eq!(listed, expected, "{reason}: {filter}");
    }
}

#[tokio::test]
async fn an_unassigned_primary_is_neither_present_nor_false_but_an_explicit_false_is_kept() {
    // Arrange
    let app = TestApp::spawn().await;
    let plain = post_user(
        &app,
        json!({"schemas": [USER_SCHEMA], "userName": "plain", "emails": [{"value": "a@example.com"}]}),
    )
    .await;
    let explicit = post_user(
        &app,
        json!({
            "schemas": [USER_SCHEMA],
            "userName": "explicit",
            "emails": [{"value": "b@example.com", "primary": false}],
        }),
    )
    .await;
    post_user(
        &app,
        json!({
            "schemas": [USER_SCHEMA],
            "userName": "primary",
            "emails": [{"value": "c@example.com", "primary": true}],
        }),
    )
    .await;
    // What the filters are judged against: an unassigned primary stays unassigned, an explicit
    // `false` is kept as sent.
    assert!(plain["emails"][0].get("primary").is_none(), "{plain}");
    assert_eq!(explicit["emails"][0]["primary"], json!(false), "{explicit}");
    let cases = [
        (
            "emails.primary pr",
            vec!["explicit", "primary"],
            "two emails have a primary value",
        ),
        (
            "emails[primary pr]",
            vec!["explicit", "primary"],
            "the same in a value filter",
        ),
        (
            "emails.primary eq false",
            vec!["explicit"],
            "only the explicit false is false",
        ),
        (
            "emails[primary eq false]",
            vec!["explicit"],
            "the same in a value filter",
        ),
        (
            "emails.primary eq true",
            vec!["primary"],
            "true is stored as true",
        ),
    ];

    for (filter, expected, reason) in cases {
        // Act
        let listed = names(&app, "/Users", filter).await;

        // Assert
        assert_eq!(listed, expected, "{reason}: {filter}");
    }
}
