//! One operation of a bulk request, ready to run, and how it runs: through the same in-unit use
//! cases as the single requests (`users`, `groups`, `resources`), in the unit of work of its
//! chunk.

use serde_json::{Map, Value};

use crate::scim::resource::Resource;
use crate::service::resources::{Attempt, Kind, Patch};
use crate::service::{Conditions, Context, Service, ServiceError, groups, users};
use crate::store::Write;
use crate::store::users::Source;

/// An operation with its references resolved and its password hashed.
pub(super) enum Step {
    Create {
        kind: Kind,
        attrs: Map<String, Value>,
        hash: Option<String>,
    },
    Replace {
        kind: Kind,
        id: String,
        attrs: Map<String, Value>,
        hash: Option<String>,
        if_match: Option<String>,
    },
    Patch {
        kind: Kind,
        id: String,
        patch: Patch,
        if_match: Option<String>,
    },
    Delete {
        kind: Kind,
        id: String,
        if_match: Option<String>,
    },
}

impl Step {
    pub(super) fn kind(&self) -> Kind {
        match self {
            Step::Create { kind, .. }
            | Step::Replace { kind, .. }
            | Step::Patch { kind, .. }
            | Step::Delete { kind, .. } => *kind,
        }
    }
}

/// Why running a step stopped short of success.
pub(super) enum Stop {
    Failed(ServiceError),
    /// A user PATCH sets this password: hash it outside the transaction and run again.
    NeedsHash(String),
    /// A delete met a new membership: roll back and start again.
    Again,
}

impl From<ServiceError> for Stop {
    fn from(e: ServiceError) -> Self {
        Stop::Failed(e)
    }
}

/// RFC 7644 §3.7: an operation's `version` is what `If-Match` is to a single request.
fn if_match(version: &Option<String>) -> Conditions<'_> {
    Conditions {
        if_match: version.as_deref(),
        if_none_match: None,
    }
}

impl From<users::Pass> for Stop {
    fn from(p: users::Pass) -> Self {
        match p {
            users::Pass::NeedsHash(plain) => Stop::NeedsHash(plain),
            users::Pass::Failed(e) => Stop::Failed(e),
        }
    }
}

/// Runs `step` in `w`; `hashed` is the password a user PATCH sets and its hash, once a run
/// asked for it. A delete gives no resource.
pub(super) async fn apply(
    service: &Service,
    w: &mut Write,
    ctx: &Context,
    step: &Step,
    hashed: Option<&(String, String)>,
) -> Result<Option<Resource>, Stop> {
    Ok(Some(match step {
        Step::Create { kind, attrs, hash } => match kind {
            Kind::User => {
                users::create_in(service, w, ctx, attrs.clone(), hash.clone(), Source::Scim).await?
            }
            Kind::Group => groups::create_in(service, w, ctx, attrs.clone()).await?,
        },
        Step::Replace {
            kind,
            id,
            attrs,
            hash,
            if_match: v,
        } => match kind {
            Kind::User => {
                let (attrs, hash) = (attrs.clone(), hash.clone());
                users::replace_in(service, w, ctx, id, attrs, hash, if_match(v)).await?
            }
            Kind::Group => {
                groups::replace_in(service, w, ctx, id, attrs.clone(), if_match(v)).await?
            }
        },
        Step::Patch {
            kind,
            id,
            patch,
            if_match: v,
        } => match kind {
            Kind::User => users::patch_in(service, w, ctx, id, patch, hashed, if_match(v)).await?,
            // As a single Group PATCH without `attributes`, which answers without members.
            Kind::Group => groups::patch_in(service, w, ctx, id, patch, false, if_match(v)).await?,
        },
        Step::Delete {
            kind,
            id,
            if_match: v,
        } => {
            return match service.delete_in(w, ctx, *kind, id, if_match(v)).await? {
                Attempt::Done => Ok(None),
                Attempt::Again => Err(Stop::Again),
            };
        }
    }))
}
