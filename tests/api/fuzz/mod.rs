//! Property-based tests on generated input (proptest, stable Rust): the filter parser and SQL
//! compiler, PATCH paths and operations, and POST/PUT bodies, each on 100,000 generated cases
//! in process, none of which may panic or fail otherwise than with the SCIM error a client
//! would get; then a sample of each through the real server or database, none of which may be
//! a `500`. A failing case is shrunk, recorded beside its target (`filters.regressions`, …)
//! and replayed first on the next run: commit those files.

mod bodies;
mod filters;
mod generate;
mod patch;

use proptest::test_runner::{Config, FileFailurePersistence};

/// proptest's configuration for these targets: failing cases persisted beside the source file
/// (its default would put them in a directory of its own next to `tests/api`).
fn config() -> Config {
    Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..Config::default()
    }
}
