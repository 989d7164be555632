//! The two steps of an import after its rows: the second pass, which sets the managers that
//! named users further down the file, and `--deactivate-missing`, which disables the directory's
//! active users that the file does not name.

use serde_json::json;

use super::import::{EXTERNAL, NAME, Rejection, UserImport};
use super::record::{self, Field, UserRecord};
use crate::scim::patch::PATCH_OP_SCHEMA;
use crate::service::{Attrs, Conditions, Kind, ServiceError, users};
use crate::store::user_export;
use crate::store::user_listing::State;
use crate::store::users::UserKey;

/// Users read per page while looking for those the file does not name.
const PAGE: i64 = 500;

/// What `--deactivate-missing` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deactivation {
    /// This many users were deactivated (in a dry run: would be).
    Done(u64),
    /// Nothing was deactivated, for this reason.
    Skipped(String),
}

impl UserImport {
    /// The second pass over a deferred row (see [`UserImport::is_deferred`]): sets its user's
    /// manager, now that every row's user exists. `Ok(Some(reason))` when the manager is still
    /// unknown; the rest of the row stays applied.
    pub async fn second_pass_row(
        &mut self,
        index: u64,
        record: &UserRecord,
    ) -> Result<Option<String>, ServiceError> {
        if !self.is_deferred(index) {
            return Ok(None);
        }
        // Rows of the second pass write on their own: the first pass's rows come first.
        self.commit().await?;
        let key = record.get(Field::Manager).unwrap_or_default().to_owned();
        let found = match self.set_manager(record, &key).await {
            Ok(found) => found,
            Err(Rejection::Fatal(e)) => return Err(e),
            Err(Rejection::Row(reason)) => return Ok(Some(reason)),
            Err(Rejection::Retry) => {
                return Ok(Some(format!(
                    "the user changed while its manager \"{key}\" was set; import the row again"
                )));
            }
        };
        if found {
            return Ok(None);
        }
        self.summary.managers_unresolved += 1;
        Ok(Some(format!(
            "manager \"{key}\" names no user of the directory or of the file; the rest of the row was applied"
        )))
    }

    /// Sets the row's user's manager to the user `key` names; `false` if it names none.
    async fn set_manager(&mut self, record: &UserRecord, key: &str) -> Result<bool, Rejection> {
        let Some(manager) = self.manager_id(key).await? else {
            // A dry run created nothing: a manager further down the file is one it accepted.
            let in_file = self.options.dry_run
                && (self
                    .accepted
                    .contains(&self.hash(NAME, &key.to_lowercase()))
                    || self.accepted.contains(&self.hash(EXTERNAL, key)));
            return Ok(in_file);
        };
        if self.options.dry_run {
            return Ok(true);
        }
        let own = match self.options.key {
            UserKey::UserName => record.get(Field::UserName),
            UserKey::ExternalId => record.get(Field::ExternalId),
        };
        let Some(user) = self.find(self.options.key, own.unwrap_or_default()).await? else {
            return Err(Rejection::Retry);
        };
        if record::read(&user.attrs, Field::Manager).as_deref() == Some(manager.as_str()) {
            return Ok(true);
        }
        let mut attrs = user.attrs.clone();
        record::set_manager(&mut attrs, Some(&manager));
        let body = serde_json::Value::Object(attrs);
        let etag = user.meta.etag();
        let conditions = Conditions {
            if_match: Some(&etag),
            if_none_match: None,
        };
        users::replace(&self.service, &self.ctx, &user.id, &body, conditions).await?;
        Ok(true)
    }

    /// `--deactivate-missing`: sets `active: false` (a PATCH, recording `user.deactivated`) on
    /// every user of the directory in state `active` whose key the file does not have. With
    /// `--key externalId`, users without an externalId are left alone: no row can name them.
    /// Skipped when rows could not be read, since their users are unknown. `progress` hears
    /// the count after each user.
    pub async fn deactivate_missing(
        &mut self,
        mut progress: impl FnMut(u64),
    ) -> Result<Deactivation, ServiceError> {
        if self.summary.unreadable > 0 {
            return Ok(Deactivation::Skipped(format!(
                "{} rows could not be read, so the users they name are unknown",
                self.summary.unreadable
            )));
        }
        // The users it pages through are those committed: the first pass's rows come first.
        self.commit().await?;
        let db = self.service.db.clone();
        let mut after = None;
        loop {
            let page = user_export::page(
                &db,
                &self.ctx.directory,
                Some(State::Active),
                None,
                after.as_ref(),
                PAGE,
            )
            .await?;
            let Some(last) = page.last() else {
                break;
            };
            after = Some((last.meta.created, last.id.clone()));
            for user in &page {
                if self.names_user(&user.attrs) {
                    continue;
                }
                if !self.options.dry_run && !self.deactivate(&user.id).await? {
                    continue;
                }
                self.summary.deactivated += 1;
                progress(self.summary.deactivated);
            }
        }
        Ok(Deactivation::Done(self.summary.deactivated))
    }

    /// Whether a row of the file had this user's key (or no row could name it).
    fn names_user(&self, attrs: &serde_json::Map<String, serde_json::Value>) -> bool {
        let text = |k: &str| attrs.get(k).and_then(|v| v.as_str());
        match self.options.key {
            UserKey::UserName => text("userName")
                .is_some_and(|n| self.names.contains(&self.hash(NAME, &n.to_lowercase()))),
            UserKey::ExternalId => match text("externalId") {
                None => true,
                Some(x) => self.external_ids.contains(&self.hash(EXTERNAL, x)),
            },
        }
    }

    /// PATCHes `active` to `false`; `false` if the user was deleted meanwhile.
    async fn deactivate(&self, id: &str) -> Result<bool, ServiceError> {
        let body = json!({
            "schemas": [PATCH_OP_SCHEMA],
            "Operations": [{"op": "replace", "path": "active", "value": false}]
        });
        let patched = self
            .service
            .patch(
                &self.ctx,
                Kind::User,
                id,
                &body,
                Attrs::default(),
                Conditions::default(),
            )
            .await;
        match patched {
            Ok(_) => Ok(true),
            Err(ServiceError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
