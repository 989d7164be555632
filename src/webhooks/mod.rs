//! Webhook delivery: every registered endpoint receives the event feed, in feed order, one
//! signed `POST` per event, retried on its own schedule, with its cursor, failures and lease in
//! the database so that a restart resumes and several instances share the work without
//! delivering an event twice. Endpoints are managed through `service::webhooks`; this module
//! only delivers. Depends on `service` and `store`, never on `http` or poem.

mod delivery;
mod dispatcher;
pub mod schedule;
mod signature;
mod worker;

pub use dispatcher::{Dispatcher, Running};
pub use schedule::RetrySchedule;
