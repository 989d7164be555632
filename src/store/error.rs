//! Errors of the storage layer. The HTTP edge maps them to SCIM errors in `crate::error`.

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique index refused the write (RFC 7644 §3.12 `uniqueness`).
    #[error("{0}")]
    Uniqueness(String),
    /// A value refers to a resource that does not exist (e.g. an unknown group member).
    #[error("{0}")]
    InvalidReference(String),
    /// A filter that cannot be evaluated (RFC 7644 §3.12 `invalidFilter`).
    #[error("{0}")]
    InvalidFilter(String),
    /// A `sortBy` that names no sortable attribute (RFC 7644 §3.12 `invalidValue`).
    #[error("{0}")]
    InvalidSort(String),
    /// The resource does not exist (or is not visible to this tenant).
    #[error("resource not found")]
    NotFound,
    /// The row changed between reading and writing it (a conditional write lost a race).
    #[error("the resource was modified concurrently")]
    VersionConflict,
    /// A query that must return a row returned none.
    #[error("a row that must exist was not found")]
    RowMissing,
    /// The database URL names no supported backend.
    #[error("unsupported database URL: use sqlite://PATH or postgres://…")]
    UnsupportedUrl,
    /// A write's transaction ended without committing (its commit failed, or the process is
    /// closing the database).
    #[error("the write was not committed: {0}")]
    NotCommitted(String),
    /// Data in the database could not be decoded.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The SQLite database file could not be created or protected.
    #[error("{path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

impl StoreError {
    /// Whether the database gave up on the transaction because of concurrent ones (PostgreSQL
    /// deadlock `40P01` or serialization failure `40001`): retrying the request can succeed.
    pub fn is_contention(&self) -> bool {
        match self {
            StoreError::Database(e) => e
                .as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| c == "40P01" || c == "40001"),
            _ => false,
        }
    }

    /// Turns a foreign-key violation into [`StoreError::InvalidReference`] with `detail` (a
    /// referenced row was deleted by a concurrent transaction); passes every other error through.
    pub fn on_foreign_key(self, detail: impl FnOnce() -> String) -> Self {
        match &self {
            StoreError::Database(e)
                if e.as_database_error()
                    .is_some_and(|d| d.is_foreign_key_violation()) =>
            {
                StoreError::InvalidReference(detail())
            }
            _ => self,
        }
    }

    /// Turns a unique-constraint violation into [`StoreError::Uniqueness`] with `detail`;
    /// passes every other error through.
    pub fn on_unique(self, detail: impl FnOnce() -> String) -> Self {
        match &self {
            StoreError::Database(e)
                if e.as_database_error()
                    .is_some_and(|d| d.is_unique_violation()) =>
            {
                StoreError::Uniqueness(detail())
            }
            _ => self,
        }
    }
}
