//! User writes (RFC 7644 §3.3, §3.5; deletes are in `resources`): validate, hash a new password
//! before the unit of work opens, then lock, check preconditions, save, record the change events
//! and commit.

use serde_json::{Map, Value};

use super::changes;
use super::resources::{Conditions, Kind, Patch, apply_ops};
use super::roles::{RoleWatch, scim_roles};
use super::{Context, Service, ServiceError};
use crate::password;
use crate::scim::limits;
use crate::scim::resource::Resource;
use crate::scim::schema::USER_RESOURCE;
use crate::scim::validate::{self, Mode};
use crate::store::users::{self, Source};
use crate::store::{Intent, Write};

/// Creates a user from a request body.
pub(super) async fn create(
    service: &Service,
    ctx: &Context,
    body: &Value,
) -> Result<Resource, ServiceError> {
    create_from(service, ctx, body, Source::Scim).await
}

/// Creates a user from a request body, recording where it comes from: `Local` for the
/// operator's imports, which the admin API shows as `source: "local"`.
pub(super) async fn create_from(
    service: &Service,
    ctx: &Context,
    body: &Value,
    source: Source,
) -> Result<Resource, ServiceError> {
    let (attrs, hash) = prepare(service, body).await?;
    let mut w = service.db.begin_write().await?;
    let user = create_in(service, &mut w, ctx, attrs, hash, source).await?;
    service.announce(w.commit().await?);
    Ok(user)
}

/// [`create_from`] in the caller's unit of work (an import's chunk of rows). A password in the
/// body would be hashed while the unit holds the write lock: for bodies without one.
pub(super) async fn create_body_in(
    service: &Service,
    w: &mut Write,
    ctx: &Context,
    body: &Value,
    source: Source,
) -> Result<Resource, ServiceError> {
    let (attrs, hash) = prepare(service, body).await?;
    create_in(service, w, ctx, attrs, hash, source).await
}

/// A POST or PUT body as canonical attributes, with the hash of the password it sets.
async fn prepare(
    service: &Service,
    body: &Value,
) -> Result<(Map<String, Value>, Option<String>), ServiceError> {
    limits::check_arrays(body, service.limits.max_values)?;
    let attrs = validate::normalize(&USER_RESOURCE, body, Mode::Full)?;
    let hash = hash_password(&attrs).await?;
    Ok((attrs, hash))
}

/// Inserts a user from canonical attributes (the password already hashed) and records its
/// event, in the caller's unit of work.
pub(super) async fn create_in(
    service: &Service,
    w: &mut Write,
    ctx: &Context,
    attrs: Map<String, Value>,
    hash: Option<String>,
    source: Source,
) -> Result<Resource, ServiceError> {
    let ctx = &ctx.pinned();
    let user = users::insert_from(w, &ctx.directory, attrs, hash, ctx.now(), source).await?;
    let doc = service.document(ctx, Kind::User, &user);
    w.record(changes::created(ctx, Kind::User, &user.id, doc));
    Ok(user)
}

/// Replaces a user (PUT).
pub(super) async fn replace(
    service: &Service,
    ctx: &Context,
    id: &str,
    body: &Value,
    conditions: Conditions<'_>,
) -> Result<Resource, ServiceError> {
    let (attrs, hash) = prepare(service, body).await?;
    let mut w = service.db.begin_write().await?;
    let user = replace_in(service, &mut w, ctx, id, attrs, hash, conditions).await?;
    service.announce(w.commit().await?);
    Ok(user)
}

/// [`replace`] in the caller's unit of work (an import's chunk of rows); for bodies without a
/// password, as [`create_body_in`].
pub(super) async fn replace_body_in(
    service: &Service,
    w: &mut Write,
    ctx: &Context,
    id: &str,
    body: &Value,
    conditions: Conditions<'_>,
) -> Result<Resource, ServiceError> {
    let (attrs, hash) = prepare(service, body).await?;
    replace_in(service, w, ctx, id, attrs, hash, conditions).await
}

/// Replaces a user with canonical attributes (a new password already hashed), in the caller's
/// unit of work.
pub(super) async fn replace_in(
    service: &Service,
    w: &mut Write,
    ctx: &Context,
    id: &str,
    attrs: Map<String, Value>,
    hash: Option<String>,
    conditions: Conditions<'_>,
) -> Result<Resource, ServiceError> {
    save(service, w, ctx, id, conditions, move |current| {
        validate::check_immutable(&USER_RESOURCE, &current.attrs, &attrs)?;
        Ok((attrs, hash))
    })
    .await
}

/// Applies PATCH operations to a user. A PATCH that sets a password is run twice: the first
/// pass finds the new password and is rolled back, the hash is computed outside any
/// transaction (20–40 ms of CPU that would otherwise hold the write lock), and the second pass
/// writes it.
pub(super) async fn patch(
    service: &Service,
    ctx: &Context,
    id: &str,
    patch: &Patch,
    conditions: Conditions<'_>,
) -> Result<Resource, ServiceError> {
    let mut hashed: Option<(String, String)> = None;
    loop {
        let mut w = service.db.begin_write().await?;
        match patch_in(service, &mut w, ctx, id, patch, hashed.as_ref(), conditions).await {
            Ok(user) => {
                service.announce(w.commit().await?);
                return Ok(user);
            }
            Err(Pass::NeedsHash(plain)) => {
                drop(w);
                let hash = password::hash(plain.clone()).await?;
                hashed = Some((plain, hash));
            }
            Err(Pass::Failed(e)) => return Err(e),
        }
    }
}

/// One pass of a PATCH in the caller's unit of work: `hashed` is the password the operations set
/// and its hash, once a pass asked for it with [`Pass::NeedsHash`] (the caller then rolls back,
/// hashes outside the transaction and runs the pass again).
pub(super) async fn patch_in(
    service: &Service,
    w: &mut Write,
    ctx: &Context,
    id: &str,
    patch: &Patch,
    hashed: Option<&(String, String)>,
    conditions: Conditions<'_>,
) -> Result<Resource, Pass> {
    save(service, w, ctx, id, conditions, |current| {
        let attrs = apply_ops(&USER_RESOURCE, current, &patch.ops, patch.terms)?;
        limits::check_grown(&current.attrs, &attrs, service.limits.max_values)
            .map_err(ServiceError::from)?;
        match (attrs.get("password").and_then(Value::as_str), hashed) {
            (None, _) => Ok((attrs, None)),
            (Some(plain), Some((p, hash))) if plain == p => {
                let hash = Some(hash.clone());
                Ok((attrs, hash))
            }
            // The password depends on the operations alone, so the second pass finds the
            // one the first pass found.
            (Some(plain), None) => Err(Pass::NeedsHash(plain.to_owned())),
            (Some(_), Some(_)) => Err(Pass::Failed(ServiceError::Store(
                crate::store::StoreError::Corrupt("a PATCH set two different passwords".into()),
            ))),
        }
    })
    .await
}

/// Why one pass of a PATCH stopped.
pub(super) enum Pass {
    /// The operations set this password; hash it and run again.
    NeedsHash(String),
    Failed(ServiceError),
}

impl From<ServiceError> for Pass {
    fn from(e: ServiceError) -> Self {
        Pass::Failed(e)
    }
}

/// Locks and loads the user, checks the preconditions, lets `change` compute the new
/// attributes and password hash, saves and records the update event, in the caller's unit of
/// work.
async fn save<E>(
    service: &Service,
    w: &mut Write,
    ctx: &Context,
    id: &str,
    conditions: Conditions<'_>,
    change: impl FnOnce(&Resource) -> Result<(Map<String, Value>, Option<String>), E>,
) -> Result<Resource, E>
where
    E: From<ServiceError>,
{
    let dir = ctx.directory.as_str();
    let current = users::load_locked(w, dir, id, Intent::Update)
        .await
        .map_err(lift)?
        .ok_or_else(|| E::from(Kind::User.not_found(id)))?;
    conditions.check(&current.meta)?;
    let ctx = &ctx.pinned();
    let (attrs, hash) = change(&current)?;
    // A write that changes nothing (an identity provider re-sending `active: true`, a PUT of the
    // same user) writes nothing: the version, `meta.lastModified` and the feed stay as they
    // were (RFC 7644 §3.14: the version changes when the resource does).
    if hash.is_none() && same_attributes(&current.attrs, &attrs) {
        return Ok(current);
    }
    // A change of its own SCIM `roles` changes its effective roles.
    let watch = if scim_roles(&current.attrs) == scim_roles(&attrs) {
        None
    } else {
        let user = std::collections::HashSet::from([id.to_owned()]);
        Some(RoleWatch::users(w, dir, user).await.map_err(lift)?)
    };
    let saved = users::save(w, dir, &current, attrs, hash, ctx.now())
        .await
        .map_err(lift)?;
    let before = service.document(ctx, Kind::User, &current);
    let after = service.document(ctx, Kind::User, &saved);
    if let Some(e) = changes::updated(ctx, Kind::User, id, before, after) {
        w.record(e);
    }
    if let Some(watch) = watch {
        let events = watch.finish(w, ctx, None).await.map_err(lift)?;
        w.record_all(events);
    }
    Ok(saved)
}

/// Whether `new` holds the stored attributes of `current`: the same attributes with the same
/// values, in any order of names. `groups` is left out (read-only, kept by memberships).
fn same_attributes(current: &Map<String, Value>, new: &Map<String, Value>) -> bool {
    let stored = |m: &Map<String, Value>| m.keys().filter(|k| *k != "groups").count();
    stored(current) == stored(new)
        && new
            .iter()
            .filter(|(k, _)| *k != "groups")
            .all(|(k, v)| current.get(k) == Some(v))
}

fn lift<E: From<ServiceError>>(e: impl Into<ServiceError>) -> E {
    E::from(e.into())
}

/// The hash of the password a body sets, computed before any transaction opens.
pub(super) async fn hash_password(
    attrs: &Map<String, Value>,
) -> Result<Option<String>, ServiceError> {
    match attrs.get("password").and_then(Value::as_str) {
        Some(plain) => Ok(Some(password::hash(plain.to_owned()).await?)),
        None => Ok(None),
    }
}
