//! Local suspension: an admin of the host application suspends a user, whatever its identity
//! provider says. It is the application's own state, so SCIM keeps showing `active` as the
//! provider sent it and the provider's next update does not lift it. The user's state is
//! `suspended` until an admin unsuspends it; `user.suspended` / `user.unsuspended` tell the host
//! application at once.

use serde_json::Value;

use super::resources::Kind;
use super::{Context, Service, ServiceError, changes};
use crate::store::Intent;
use crate::store::users::{self, Suspension};

/// The longest reason kept.
const MAX_REASON_LENGTH: usize = 1000;

impl Service {
    /// Suspends the user with `reason`; suspending a suspended user changes nothing.
    pub async fn suspend(&self, ctx: &Context, id: &str, reason: &str) -> Result<(), ServiceError> {
        let reason = reason.trim();
        if reason.chars().count() > MAX_REASON_LENGTH {
            return Err(ServiceError::invalid(
                "invalidValue",
                format!("a reason is at most {MAX_REASON_LENGTH} characters"),
            ));
        }
        self.set_suspended(ctx, id, Some(reason)).await
    }

    /// Lifts the user's suspension; unsuspending a user that is not suspended changes nothing.
    pub async fn unsuspend(&self, ctx: &Context, id: &str) -> Result<(), ServiceError> {
        self.set_suspended(ctx, id, None).await
    }

    async fn set_suspended(
        &self,
        ctx: &Context,
        id: &str,
        reason: Option<&str>,
    ) -> Result<(), ServiceError> {
        let dir = ctx.directory.as_str();
        if uuid::Uuid::try_parse(id).is_err() {
            return Err(Kind::User.not_found(id));
        }
        let mut w = self.db.begin_write().await?;
        let current = users::load_locked(&mut w, dir, id, Intent::Update)
            .await?
            .ok_or_else(|| Kind::User.not_found(id))?;
        let ctx = &ctx.pinned();
        let was_suspended = users::suspension_in(&mut w, dir, id).await?.is_some();
        if was_suspended == reason.is_some() {
            return Ok(());
        }
        let suspension = reason.map(|r| Suspension {
            at: ctx.now(),
            reason: r.to_owned(),
            by: ctx.actor.to_json(),
        });
        users::set_suspension(&mut w, dir, id, suspension.as_ref()).await?;
        let state = match (reason, current.attrs.get("active")) {
            (Some(_), _) => "suspended",
            (None, Some(Value::Bool(false))) => "inactive",
            (None, _) => "active",
        };
        w.record(changes::suspension(
            ctx,
            id,
            reason.is_some(),
            reason,
            state,
        ));
        self.announce(w.commit().await?);
        Ok(())
    }
}
