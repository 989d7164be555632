//! The SCIM protocol model (RFC 7643 schemas, RFC 7644 filters and PATCH), pure: nothing here
//! may depend on poem, sqlx or tokio, so every rule can be unit-tested without I/O.

/// The SCIM base path (RFC 7644 §3.13 leaves it to the service provider).
pub const BASE_PATH: &str = "/scim/v2";

pub mod bulk;
pub mod elements;
pub mod error;
pub mod etag;
pub mod filter;
pub mod idp_forms;
pub mod limits;
pub mod member_patch;
pub mod patch;
pub mod projection;
pub mod render;
pub mod resource;
pub mod schema;
pub mod validate;

/// The settings of the unit proptests: a failing case is kept beside its test's source file
/// (`<file>.regressions`), not in a `proptest-regressions/` folder at the top of the repository.
#[cfg(test)]
pub(crate) fn proptest_config() -> proptest::test_runner::Config {
    use proptest::test_runner::{Config, FileFailurePersistence};
    Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..Config::default()
    }
}
