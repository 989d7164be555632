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

    /// Appends one row of a multi-row `VALUES` list, `(…)` after a comma unless it is the
    /// first: a placeholder for each argument, and `NULL` written into the text for `None`
    /// (where a bound null would not do, e.g. a JSON column, which would store JSON `null`).
    pub fn row(&mut self, first: bool, args: impl IntoIterator<Item = Option<Arg>>) -> &mut Self {
        self.push(if first { "(" } else { ", (" });
        for (n, arg) in args.into_iter().enumerate() {
            self.push(if n == 0 { "" } else { ", " });
            match arg {
                Some(arg) => self.bind(arg),
                None => self.push("NULL"),
            };
        }
        self.push(")")
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
    use super::{Arg, Dialect, SqlBuilder};

    #[test]
    fn rows_bind_their_values_and_write_null_for_none() {
        let mut sql = SqlBuilder::default();
        sql.push("VALUES ")
            .row(true, [Some(Arg::from(1_i64)), None])
            .row(false, [Some(Arg::from("a")), Some(Arg::from(true))]);
        assert_eq!(
            (sql.sql.as_str(), sql.args.len()),
            ("VALUES ($1, NULL), ($2, $3)", 3)
        );
    }

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
