//! User writes (RFC 7644 §3.3, §3.5; deletes are in `resources`): validate, hash a new password
//! before the unit of work opens, then lock, check preconditions, save, record the change events
//! and commit.

use serde_json::{Map, Value};

use super::changes;
use super::resources::{Conditions, Kind, Patch, apply_ops};
use super::{Context, Service, ServiceError};
use crate::password;
use crate::scim::limits;
use crate::scim::resource::Resource;
use crate::scim::schema::USER_RESOURCE;
use crate::scim::validate::{self, Mode};
use crate::store::{Intent, users};

/// Creates a user from a request body.
pub(super) async fn create(
    service: &Service,
    ctx: &Context,
    body: &Value,
) -> Result<Resource, ServiceError> {
    limits::check_arrays(body, service.limits.max_values)?;
    let attrs = validate::normalize(&USER_RESOURCE, body, Mode::Full)?;
    let hash = hash_password(&attrs).await?;
    let mut w = service.db.begin_write().await?;
    let ctx = &ctx.pinned();
    let user = users::insert(&mut w, &ctx.directory, attrs, hash, ctx.now()).await?;
    let doc = service.document(Kind::User, &user);
    w.record(changes::created(ctx, Kind::User, &user.id, doc));
    service.announce(w.commit().await?);
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
    limits::check_arrays(body, service.limits.max_values)?;
    let attrs = validate::normalize(&USER_RESOURCE, body, Mode::Full)?;
    let hash = hash_password(&attrs).await?;
    save(service, ctx, id, conditions, move |current| {
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
        let outcome = save(service, ctx, id, conditions, |current| {
            let attrs = apply_ops(&USER_RESOURCE, current, &patch.ops, patch.terms)?;
            limits::check_grown(&current.attrs, &attrs, service.limits.max_values)
                .map_err(ServiceError::from)?;
            match (attrs.get("password").and_then(Value::as_str), &hashed) {
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
        .await;
        match outcome {
            Err(Pass::NeedsHash(plain)) => {
                let hash = password::hash(plain.clone()).await?;
                hashed = Some((plain, hash));
            }
            Err(Pass::Failed(e)) => return Err(e),
            Ok(user) => return Ok(user),
        }
    }
}

/// Why one pass of a PATCH stopped.
enum Pass {
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
/// attributes and password hash, saves, records the update event and commits.
async fn save<E>(
    service: &Service,
    ctx: &Context,
    id: &str,
    conditions: Conditions<'_>,
    change: impl FnOnce(&Resource) -> Result<(Map<String, Value>, Option<String>), E>,
) -> Result<Resource, E>
where
    E: From<ServiceError>,
{
    let dir = ctx.directory.as_str();
    let mut w = service.db.begin_write().await.map_err(lift)?;
    let current = users::load_locked(&mut w, dir, id, Intent::Update)
        .await
        .map_err(lift)?
        .ok_or_else(|| E::from(Kind::User.not_found(id)))?;
    conditions.check(&current.meta)?;
    let ctx = &ctx.pinned();
    let (attrs, hash) = change(&current)?;
    let saved = users::save(&mut w, dir, &current, attrs, hash, ctx.now())
        .await
        .map_err(lift)?;
    let before = service.document(Kind::User, &current);
    let after = service.document(Kind::User, &saved);
    if let Some(e) = changes::updated(ctx, Kind::User, id, before, after) {
        w.record(e);
    }
    service.announce(w.commit().await.map_err(lift)?);
    Ok(saved)
}

fn lift<E: From<ServiceError>>(e: impl Into<ServiceError>) -> E {
    E::from(e.into())
}

/// The hash of the password a body sets, computed before any transaction opens.
async fn hash_password(attrs: &Map<String, Value>) -> Result<Option<String>, ServiceError> {
    match attrs.get("password").and_then(Value::as_str) {
        Some(plain) => Ok(Some(password::hash(plain.to_owned()).await?)),
        None => Ok(None),
    }
}
