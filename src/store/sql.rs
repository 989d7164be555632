//! Small helpers for building SQL text with numbered placeholders.

use super::db::Arg;

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
}
