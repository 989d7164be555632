//! Users in and out of a directory as files: imports (`scimd import users`) and exports
//! (`scimd export`, `GET /api/v1/directories/{d}/users.csv`). Transport- and format-free: the
//! edges read and write CSV or NDJSON and hand over [`UserRecord`]s, one row at a time; every
//! write goes through the User and Group use cases, so each applied row records its events.

mod export;
mod groups;
mod import;
mod passes;
mod record;

pub use export::{GroupExport, GroupRecord, UserExport};
pub use import::{ImportOptions, ImportSummary, Outcome, UserImport};
pub use passes::Deactivation;
pub use record::{Field, UserRecord, join_groups, split_groups};
