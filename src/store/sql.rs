//! Small helpers for building SQL text with numbered placeholders.

use super::db::{Arg, Dialect};

/// `$start, $start+1, …` for `n` parameters.
pub fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// SQL text under construction together with its bound arguments; `bind` appends the next
/// `$n` placeholder so a value can never end up inside the text.
#[derive(Debug, Default)]
pub struct SqlBuilder {
    pub sql: String,
    pub args: Vec<Arg>,
}

impl SqlBuilder {
    /// Appends fixed SQL text.
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends a placeholder for `arg`.
    pub fn bind(&mut self, arg: impl Into<Arg>) -> &mut Self {
        self.args.push(arg.into());
        self.sql.push('$');
        self.sql.push_str(&self.args.len().to_string());
        self
    }

    /// Appends ` LIMIT n`. On SQLite the number is written into the text (a Rust integer, not
    /// a client's text): measured on SQLite 3.51, a statement whose `LIMIT` is a bound
    /// parameter is prepared anew on every run. PostgreSQL keeps it bound: with the number in
    /// the text it planned `familyName sw … and active eq true` at a million users 10× slower.
    /// (An `OFFSET` stays bound everywhere: it differs from page to page, and each text is a
    /// prepared statement in every connection's cache.)
    pub fn limit(&mut self, dialect: Dialect, n: i64) -> &mut Self {
        self.push(" LIMIT ");
        match dialect {
            Dialect::Sqlite => self.push(&n.to_string()),
            Dialect::Postgres => self.bind(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Dialect, SqlBuilder};

    #[test]
    fn a_limit_is_written_into_sqlite_text_and_bound_on_postgres() {
        let mut sqlite = SqlBuilder::default();
        sqlite.push("SELECT 1").limit(Dialect::Sqlite, 101);
        assert_eq!(
            (sqlite.sql.as_str(), sqlite.args.len()),
            ("SELECT 1 LIMIT 101", 0)
        );
        let mut postgres = SqlBuilder::default();
        postgres.push("SELECT 1").limit(Dialect::Postgres, 101);
        assert_eq!(
            (postgres.sql.as_str(), postgres.args.len()),
            ("SELECT 1 LIMIT $1", 1)
        );
    }
}
