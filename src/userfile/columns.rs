//! Which column of an import file holds which field: the export's own names, common other names
//! for them (`email`, `mail`, `E-Mail Address`, `first_name`, `Last Name`, …), and the
//! operator's `--map COLUMN=FIELD` before both.

use std::collections::HashMap;

use crate::service::transfer::Field;

/// One `--map COLUMN=FIELD`: the column (as the header spells it, any case) and its field, or
/// `None` (`COLUMN=` or `COLUMN=-`) to leave the column out.
pub type ColumnMap = (String, Option<Field>);

/// Parses a `--map` argument.
pub fn parse_map(arg: &str) -> Result<ColumnMap, String> {
    let (column, field) = arg
        .rsplit_once('=')
        .ok_or_else(|| format!("--map takes COLUMN=FIELD, not \"{arg}\""))?;
    let column = column.trim();
    if column.is_empty() {
        return Err(format!("--map \"{arg}\" names no column"));
    }
    let field = match field.trim() {
        "" | "-" => None,
        name => Some(Field::parse(name).ok_or_else(|| {
            let known: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
            format!(
                "--map \"{arg}\": \"{name}\" is none of {} (or - to leave the column out)",
                known.join(", ")
            )
        })?),
    };
    Ok((column.to_owned(), field))
}

/// The field a column name stands for without a `--map`: compared lower-cased and without
/// spaces, `_`, `-` and `.`, so `Given Name`, `given_name` and `givenName` are one.
pub fn default_field(column: &str) -> Option<Field> {
    let key: String = column
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    Some(match key.as_str() {
        "username" | "login" | "userprincipalname" | "upn" => Field::UserName,
        "externalid" => Field::ExternalId,
        "email" | "mail" | "emailaddress" | "primaryemail" | "workemail" => Field::Email,
        "givenname" | "firstname" => Field::GivenName,
        "familyname" | "lastname" | "surname" => Field::FamilyName,
        "displayname" | "fullname" | "name" => Field::DisplayName,
        "title" | "jobtitle" => Field::Title,
        "employeenumber" | "employeeid" => Field::EmployeeNumber,
        "department" | "dept" => Field::Department,
        "active" | "enabled" => Field::Active,
        "manager" => Field::Manager,
        "groups" => Field::Groups,
        _ => return None,
    })
}

/// How a file's columns map onto fields.
#[derive(Debug, Clone)]
pub struct Columns {
    /// `--map` entries, by lower-cased column name.
    maps: HashMap<String, Option<Field>>,
}

impl Columns {
    pub fn new(maps: &[ColumnMap]) -> Self {
        Self {
            maps: maps.iter().map(|(c, f)| (c.to_lowercase(), *f)).collect(),
        }
    }

    /// The field of one column (a `--map` first, else the default), `None` to leave it out.
    pub fn field(&self, column: &str) -> Option<Field> {
        match self.maps.get(&column.trim().to_lowercase()) {
            Some(mapped) => *mapped,
            None => default_field(column.trim()),
        }
    }

    /// The field of each column of a CSV header. Refuses a `--map` naming a column the header
    /// does not have, two columns for one field, and a header without `userName` (or without
    /// `externalId` when it is the key).
    pub fn of_header(
        &self,
        header: &[String],
        key: Field,
    ) -> Result<(Vec<Option<Field>>, Vec<String>), String> {
        let lower: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
        for column in self.maps.keys() {
            if !lower.contains(column) {
                return Err(format!(
                    "--map names the column \"{column}\", which the header does not have"
                ));
            }
        }
        let fields: Vec<Option<Field>> = header.iter().map(|h| self.field(h)).collect();
        for (i, field) in fields.iter().enumerate() {
            let Some(field) = field else { continue };
            if let Some(j) = fields[..i].iter().position(|f| f == &Some(*field)) {
                return Err(format!(
                    "the columns \"{}\" and \"{}\" are both {}; leave one out with --map \"{}=-\"",
                    header[j],
                    header[i],
                    field.name(),
                    header[i]
                ));
            }
        }
        for required in [Field::UserName, key] {
            if !fields.contains(&Some(required)) {
                return Err(format!(
                    "the header has no {} column; name it with --map COLUMN={}",
                    required.name(),
                    required.name()
                ));
            }
        }
        let ignored = header
            .iter()
            .zip(&fields)
            .filter(|(_, f)| f.is_none())
            .map(|(h, _)| h.clone())
            .collect();
        Ok((fields, ignored))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn common_column_names_find_their_fields() {
        let cases = [
            ("userName", Some(Field::UserName)),
            ("User Name", Some(Field::UserName)),
            ("E-Mail Address", Some(Field::Email)),
            ("first_name", Some(Field::GivenName)),
            ("Last Name", Some(Field::FamilyName)),
            ("Employee ID", Some(Field::EmployeeNumber)),
            ("notes", None),
        ];
        for (column, field) in cases {
            assert_eq!(default_field(column), field, "{column}");
        }
        for f in Field::ALL {
            assert_eq!(default_field(f.name()), Some(f), "the export's own name");
        }
    }

    #[test]
    fn a_map_comes_before_the_defaults_and_can_leave_a_column_out() {
        let maps = [
            parse_map("Login=email").unwrap(),
            parse_map("mail=-").unwrap(),
            parse_map("id=userName").unwrap(),
        ];
        let columns = Columns::new(&maps);
        let (fields, ignored) = columns
            .of_header(&header(&["ID", "login", "Mail", "x"]), Field::UserName)
            .unwrap();
        assert_eq!(
            fields,
            vec![Some(Field::UserName), Some(Field::Email), None, None]
        );
        assert_eq!(ignored, header(&["Mail", "x"]));
    }

    #[test]
    fn headers_that_cannot_be_imported_are_refused() {
        let none = Columns::new(&[]);
        let cases = [
            (
                none.clone(),
                header(&["email"]),
                Field::UserName,
                "no userName",
            ),
            (
                none.clone(),
                header(&["userName", "email"]),
                Field::ExternalId,
                "no externalId for the key",
            ),
            (
                none.clone(),
                header(&["userName", "email", "mail"]),
                Field::UserName,
                "two emails",
            ),
            (
                Columns::new(&[parse_map("nope=email").unwrap()]),
                header(&["userName"]),
                Field::UserName,
                "a map of a missing column",
            ),
        ];
        for (columns, header, key, reason) in cases {
            assert!(columns.of_header(&header, key).is_err(), "{reason}");
        }
        assert!(parse_map("mail=emails").is_err(), "unknown field");
        assert!(parse_map("mail").is_err(), "no =");
    }
}
