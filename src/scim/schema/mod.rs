//! The schema registry: the one description of the SCIM resources this server offers.
//!
//! It holds the RFC 7643 definitions of the User (§4.1), Enterprise User (§4.3) and Group
//! (§4.2) schemas with every attribute's characteristics (§2.2) and description, the
//! common attributes `id`/`externalId`/`meta` (§3.1), and the User and Group resource
//! types (§6). The same definitions drive request validation (types, `required`,
//! `mutability`), filtering and sorting (attribute resolution, `caseExact`), response
//! projection (`returned`), and discovery (`/Schemas` via [`schema_json`],
//! `/ResourceTypes` via [`resource_type_json`]), so those can never disagree.
//!
//! Everything here is static data and pure functions: this module must not depend on the
//! HTTP server, the database or the async runtime (no poem, sqlx or tokio).

mod builders;
mod common;
mod enterprise_user;
mod group;
mod registry;
mod render;
pub mod types;
mod user;
mod user_subs;

pub use common::{COMMON_ATTRIBUTES, common_attribute};
pub use enterprise_user::ENTERPRISE_USER;
pub use group::GROUP;
pub use registry::{
    AttributeOrigin, GROUP_RESOURCE, RESOURCE_TYPES, ResolvedAttribute, SCHEMAS, USER_RESOURCE,
    resource_type, schema_by_id,
};
pub use render::{RESOURCE_TYPE_SCHEMA_URN, SCHEMA_SCHEMA_URN, resource_type_json, schema_json};
pub use types::{
    AttrType, AttributeDef, Mutability, ResourceTypeDef, Returned, SchemaDef, Uniqueness,
};
pub use user::USER;
