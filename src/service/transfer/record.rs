//! One user as a row of a user file: the columns an export writes and an import reads (the same
//! set, so export → edit → import round-trips), and how each maps onto a User's SCIM attributes
//! (RFC 7643 §4.1 and the Enterprise User extension, §4.3). Pure: no I/O.

use serde_json::{Map, Value, json};

use crate::scim::schema::ENTERPRISE_USER;

/// A column of a user file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    UserName,
    ExternalId,
    /// The primary email (else the first one).
    Email,
    GivenName,
    FamilyName,
    DisplayName,
    Title,
    EmployeeNumber,
    Department,
    /// `true` or `false`; empty when the user has no `active`.
    Active,
    /// The manager's userName (an import also takes an externalId).
    Manager,
    /// The names of the groups the user is directly in.
    Groups,
}

/// Fields with a text cell, i.e. all but [`Field::Groups`].
const TEXT_FIELDS: usize = 11;

impl Field {
    /// Every column, in the order an export writes them.
    pub const ALL: [Field; 12] = [
        Field::UserName,
        Field::ExternalId,
        Field::Email,
        Field::GivenName,
        Field::FamilyName,
        Field::DisplayName,
        Field::Title,
        Field::EmployeeNumber,
        Field::Department,
        Field::Active,
        Field::Manager,
        Field::Groups,
    ];

    /// The column's name in a header.
    pub fn name(self) -> &'static str {
        match self {
            Field::UserName => "userName",
            Field::ExternalId => "externalId",
            Field::Email => "email",
            Field::GivenName => "givenName",
            Field::FamilyName => "familyName",
            Field::DisplayName => "displayName",
            Field::Title => "title",
            Field::EmployeeNumber => "employeeNumber",
            Field::Department => "department",
            Field::Active => "active",
            Field::Manager => "manager",
            Field::Groups => "groups",
        }
    }

    /// The field called `name` (case-insensitive).
    pub fn parse(name: &str) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

/// One user as a row has it: the text of each column the file has (empty unassigns the
/// attribute) and, if it has a `groups` column, the group names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserRecord {
    text: [Option<String>; TEXT_FIELDS],
    groups: Option<Vec<String>>,
}

impl UserRecord {
    /// Sets a column's text; for `groups`, a list in the text form of [`split_groups`].
    pub fn set(&mut self, field: Field, text: &str) {
        match field {
            Field::Groups => self.groups = Some(split_groups(text)),
            _ => self.text[field as usize] = Some(text.to_owned()),
        }
    }

    /// Sets the group names (duplicates and empty names are dropped).
    pub fn set_groups(&mut self, names: Vec<String>) {
        let mut out: Vec<String> = Vec::with_capacity(names.len());
        for name in names {
            let name = name.trim();
            if !name.is_empty() && !out.iter().any(|n| n.to_lowercase() == name.to_lowercase()) {
                out.push(name.to_owned());
            }
        }
        self.groups = Some(out);
    }

    /// A text column's value, `None` when the file has no such column (or for `groups`).
    pub fn get(&self, field: Field) -> Option<&str> {
        match field {
            Field::Groups => None,
            _ => self.text[field as usize].as_deref(),
        }
    }

    /// The group names, `None` when the file has no `groups` column.
    pub fn groups(&self) -> Option<&[String]> {
        self.groups.as_deref()
    }

    /// A column as text, as a CSV cell shows it (`groups` joined by [`join_groups`]).
    pub fn text(&self, field: Field) -> Option<String> {
        match field {
            Field::Groups => self.groups.as_deref().map(join_groups),
            _ => self.get(field).map(str::to_owned),
        }
    }
}

/// The group names of a `groups` cell: separated by `;`, each trimmed, empty ones dropped;
/// `\;` is a `;` inside a name and `\\` a backslash.
pub fn split_groups(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.push(chars.next().unwrap_or('\\')),
            ';' => names.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    names.push(current);
    let mut record = UserRecord::default();
    record.set_groups(names);
    record.groups.unwrap_or_default()
}

/// The `groups` cell of these names: the inverse of [`split_groups`].
pub fn join_groups(names: &[String]) -> String {
    names
        .iter()
        .map(|n| n.replace('\\', "\\\\").replace(';', "\\;"))
        .collect::<Vec<_>>()
        .join(";")
}

/// Where a plain text field lives in the canonical attributes.
enum Place {
    Top(&'static str),
    Name(&'static str),
    Enterprise(&'static str),
}

fn place(field: Field) -> Option<Place> {
    Some(match field {
        Field::UserName => Place::Top("userName"),
        Field::ExternalId => Place::Top("externalId"),
        Field::DisplayName => Place::Top("displayName"),
        Field::Title => Place::Top("title"),
        Field::GivenName => Place::Name("givenName"),
        Field::FamilyName => Place::Name("familyName"),
        Field::EmployeeNumber => Place::Enterprise("employeeNumber"),
        Field::Department => Place::Enterprise("department"),
        Field::Email | Field::Active | Field::Manager | Field::Groups => return None,
    })
}

/// The object under `key` of `attrs`, if there is one.
fn object<'a>(attrs: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    attrs.get(key).and_then(Value::as_object)
}

/// A field's text from canonical attributes (for an export). `manager` gives the manager's
/// id, which the export turns into a userName; `groups` is not a text field (`None`).
pub fn read(attrs: &Map<String, Value>, field: Field) -> Option<String> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    match field {
        Field::Email => primary_email(attrs)
            .and_then(|i| attrs.get("emails")?.get(i)?.get("value"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        Field::Active => attrs
            .get("active")
            .and_then(Value::as_bool)
            .map(|b| b.to_string()),
        Field::Manager => text(
            object(attrs, ENTERPRISE_USER.id)
                .and_then(|e| e.get("manager"))
                .and_then(|m| m.get("value")),
        ),
        Field::Groups => None,
        _ => match place(field)? {
            Place::Top(k) => text(attrs.get(k)),
            Place::Name(k) => text(object(attrs, "name")?.get(k)),
            Place::Enterprise(k) => text(object(attrs, ENTERPRISE_USER.id)?.get(k)),
        },
    }
}

/// Sets a text field's attribute to `text`, or removes it when `text` is empty. `manager`
/// (an id the import resolves) goes through [`set_manager`]; `groups` are memberships.
pub fn apply(attrs: &mut Map<String, Value>, field: Field, text: &str) -> Result<(), String> {
    match field {
        Field::Email => set_email(attrs, text),
        Field::Active => {
            match parse_bool(text)? {
                Some(b) => attrs.insert("active".into(), Value::Bool(b)),
                None => attrs.remove("active"),
            };
            Ok(())
        }
        Field::Manager | Field::Groups => Ok(()),
        _ => {
            let (container, key) = match place(field) {
                Some(Place::Top(k)) => (None, k),
                Some(Place::Name(k)) => (Some("name"), k),
                Some(Place::Enterprise(k)) => (Some(ENTERPRISE_USER.id), k),
                None => return Ok(()),
            };
            set_text(attrs, container, key, text);
            Ok(())
        }
    }
}

/// Sets (or with `None` removes) the enterprise `manager` to the user with this id.
pub fn set_manager(attrs: &mut Map<String, Value>, id: Option<&str>) {
    let ext = attrs
        .entry(ENTERPRISE_USER.id)
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(ext) = ext {
        match id {
            Some(id) => {
                ext.insert("manager".into(), json!({"value": id}));
            }
            None => {
                ext.remove("manager");
            }
        }
    }
    drop_if_empty(attrs, ENTERPRISE_USER.id);
}

fn set_text(attrs: &mut Map<String, Value>, container: Option<&str>, key: &str, text: &str) {
    let value = (!text.is_empty()).then(|| Value::String(text.to_owned()));
    let target = match container {
        None => &mut *attrs,
        Some(c) => match attrs.entry(c).or_insert_with(|| Value::Object(Map::new())) {
            Value::Object(o) => o,
            _ => return,
        },
    };
    match value {
        Some(v) => target.insert(key.to_owned(), v),
        None => target.remove(key),
    };
    if let Some(c) = container {
        drop_if_empty(attrs, c);
    }
}

fn drop_if_empty(attrs: &mut Map<String, Value>, key: &str) {
    if object(attrs, key).is_some_and(Map::is_empty) {
        attrs.remove(key);
    }
}

/// The index of the email the `email` column stands for: the primary one, else the first.
fn primary_email(attrs: &Map<String, Value>) -> Option<usize> {
    let emails = attrs.get("emails")?.as_array()?;
    emails
        .iter()
        .position(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
        .or((!emails.is_empty()).then_some(0))
}

/// Sets the value of the email the column stands for (a new work email, primary, when the
/// user has none), or removes that email when `text` is empty; other emails stay.
fn set_email(attrs: &mut Map<String, Value>, text: &str) -> Result<(), String> {
    if !text.is_empty() && !valid_email(text) {
        return Err(format!("\"{text}\" is not an email address"));
    }
    let index = primary_email(attrs);
    let emails = attrs
        .entry("emails")
        .or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(items) = emails else {
        return Ok(());
    };
    match (index, text.is_empty()) {
        (Some(i), false) => {
            if let Some(Value::Object(item)) = items.get_mut(i) {
                item.insert("value".into(), Value::String(text.to_owned()));
            }
        }
        (None, false) => items.push(json!({"value": text, "type": "work", "primary": true})),
        (Some(i), true) => {
            items.remove(i);
        }
        (None, true) => {}
    }
    if items.is_empty() {
        attrs.remove("emails");
    }
    Ok(())
}

/// `true`/`false` (also `yes`/`no`, `1`/`0`, any case); empty is unassigned.
fn parse_bool(text: &str) -> Result<Option<bool>, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "true" | "yes" | "1" => Ok(Some(true)),
        "false" | "no" | "0" => Ok(Some(false)),
        _ => Err(format!("active is true or false, not \"{text}\"")),
    }
}

/// An email address as the WHATWG HTML standard defines a valid one (§4.10.5.1.5, the rule
/// browsers apply to `<input type=email>`): `local@domain`, the local part of letters, digits
/// and ``.!#$%&'*+/=?^_`{|}~-``, the domain dot-separated labels of letters, digits and inner
/// hyphens, at most 63 characters each. Letters beyond ASCII are allowed too, for
/// internationalized addresses (RFC 6531).
pub fn valid_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c));
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.chars().count() <= 63
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    text.len() <= 254 && local_ok && domain.split('.').all(label_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record_of(attrs: &Map<String, Value>) -> UserRecord {
        let mut r = UserRecord::default();
        for f in Field::ALL {
            if f != Field::Groups {
                r.set(f, &read(attrs, f).unwrap_or_default());
            }
        }
        r
    }

    #[test]
    fn every_field_read_from_attributes_applies_back_to_the_same_attributes() {
        let attrs = json!({
            "userName": "bjensen", "externalId": "e-1", "displayName": "Babs", "title": "Boss",
            "name": {"givenName": "Barbara", "familyName": "Jensen", "middleName": "J"},
            "emails": [{"value": "home@example.com", "type": "home"},
                       {"value": "b@example.com", "type": "work", "primary": true}],
            "active": false,
            ENTERPRISE_USER.id: {"department": "Sales", "employeeNumber": "7"}
        });
        let Value::Object(attrs) = attrs else {
            unreachable!()
        };
        let record = record_of(&attrs);
        assert_eq!(
            record.get(Field::Email),
            Some("b@example.com"),
            "the primary email"
        );
        let mut rebuilt = attrs.clone();
        for f in Field::ALL {
            if let Some(text) = record.get(f) {
                apply(&mut rebuilt, f, text).expect("applies");
            }
        }
        assert_eq!(rebuilt, attrs);
    }

    #[test]
    fn empty_cells_unassign_and_leave_no_empty_containers() {
        let Value::Object(mut attrs) = json!({
            "userName": "u", "name": {"givenName": "G"}, "emails": [{"value": "u@example.com"}],
            "active": true, ENTERPRISE_USER.id: {"department": "D", "manager": {"value": "m"}}
        }) else {
            unreachable!()
        };
        for f in [
            Field::GivenName,
            Field::Email,
            Field::Active,
            Field::Department,
        ] {
            apply(&mut attrs, f, "").expect("applies");
        }
        set_manager(&mut attrs, None);
        assert_eq!(Value::Object(attrs), json!({"userName": "u"}));
    }

    #[test]
    fn a_new_email_is_a_primary_work_email() {
        let mut attrs = Map::new();
        apply(&mut attrs, Field::Email, "a@example.com").expect("applies");
        assert_eq!(
            attrs["emails"],
            json!([{"value": "a@example.com", "type": "work", "primary": true}])
        );
    }

    #[test]
    fn email_addresses_follow_the_html_rule() {
        let cases = [
            ("a@example.com", true, "plain"),
            ("first.last+tag@sub.example.co", true, "dots and plus"),
            ("jürgen@müller.de", true, "internationalized"),
            ("user@localhost", true, "one label"),
            ("", false, "empty"),
            ("no-at.example.com", false, "no @"),
            ("a@b@example.com", false, "two @"),
            ("a b@example.com", false, "space"),
            ("@example.com", false, "no local part"),
            ("a@", false, "no domain"),
            ("a@-example.com", false, "label starts with a hyphen"),
            ("a@example..com", false, "empty label"),
        ];
        for (text, valid, reason) in cases {
            assert_eq!(valid_email(text), valid, "{text}: {reason}");
        }
    }

    #[test]
    fn group_lists_split_on_semicolons_with_escapes_and_join_back() {
        assert_eq!(split_groups("Sales; Eng ;;"), vec!["Sales", "Eng"]);
        assert_eq!(split_groups(r"R\;D;a\\b"), vec!["R;D", r"a\b"]);
        assert_eq!(
            split_groups("A;a"),
            vec!["A"],
            "duplicates, case-insensitively"
        );
        assert!(split_groups("").is_empty());
        let names = vec!["R;D".to_owned(), r"a\b".to_owned(), "Sales".to_owned()];
        assert_eq!(split_groups(&join_groups(&names)), names);
    }

    #[test]
    fn active_takes_the_usual_spellings_of_true_and_false() {
        let mut attrs = Map::new();
        for (text, expected) in [
            ("TRUE", json!(true)),
            ("no", json!(false)),
            ("1", json!(true)),
        ] {
            apply(&mut attrs, Field::Active, text).expect("applies");
            assert_eq!(attrs["active"], expected, "{text}");
        }
        assert!(apply(&mut attrs, Field::Active, "maybe").is_err());
    }
}
