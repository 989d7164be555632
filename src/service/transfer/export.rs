//! Exports of a directory (`scimd export`, `GET /api/v1/directories/{d}/users.csv`): its users as
//! [`UserRecord`]s, the rows an import reads, and its groups, page after page in keyset order, so
//! an export of a million users holds one page at a time.

use std::collections::HashMap;

use serde_json::Value;

use super::record::{self, Field, UserRecord};
use crate::scim::resource::Resource;
use crate::service::user_views::search_prefix;
use crate::service::{Context, Service, ServiceError};
use crate::store::group_listing::{self, GroupQuery};
use crate::store::user_export::{self, After};
use crate::store::user_listing::State;

/// Users or groups read per page.
const PAGE: i64 = 500;

/// An export of users under way.
pub struct UserExport {
    service: Service,
    ctx: Context,
    state: Option<State>,
    /// A search prefix, matched as the admin listing's `q` matches.
    q: Option<String>,
    after: Option<After>,
    done: bool,
}

/// A group as an export lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub display_name: String,
    pub external_id: Option<String>,
    /// Its direct members (users and groups).
    pub members: i64,
}

/// An export of groups under way, alphabetically.
pub struct GroupExport {
    service: Service,
    ctx: Context,
    after: Option<(String, String)>,
    done: bool,
}

impl Service {
    /// Starts an export of `ctx`'s directory's users: those in `state` (`active`, `inactive`,
    /// `suspended`), or all of them without it, and with `q` only those the admin listing's
    /// search `q` finds. Archived users are not in the directory any more and cannot be
    /// exported.
    pub fn export_users(
        &self,
        ctx: &Context,
        state: Option<&str>,
        q: Option<&str>,
    ) -> Result<UserExport, ServiceError> {
        let state = match state {
            None | Some("") => None,
            Some("archived") => {
                return Err(ServiceError::invalid(
                    "invalidValue",
                    "archived users are not exported; restore them first",
                ));
            }
            Some(s) => Some(State::parse(s).ok_or_else(|| {
                ServiceError::invalid(
                    "invalidValue",
                    "state is one of active, inactive, suspended",
                )
            })?),
        };
        Ok(UserExport {
            service: self.clone(),
            ctx: ctx.clone(),
            state,
            q: search_prefix(q)?,
            after: None,
            done: false,
        })
    }

    /// Starts an export of `ctx`'s directory's groups.
    pub fn export_groups(&self, ctx: &Context) -> GroupExport {
        GroupExport {
            service: self.clone(),
            ctx: ctx.clone(),
            after: None,
            done: false,
        }
    }
}

impl UserExport {
    /// The next page of users in creation order; `None` after the last.
    pub async fn next_page(&mut self) -> Result<Option<Vec<UserRecord>>, ServiceError> {
        if self.done {
            return Ok(None);
        }
        let db = &self.service.db;
        let dir = self.ctx.directory.as_str();
        let page = user_export::page(
            db,
            dir,
            self.state,
            self.q.as_deref(),
            self.after.as_ref(),
            PAGE,
        )
        .await?;
        self.done = (page.len() as i64) < PAGE;
        let Some(last) = page.last() else {
            return Ok(None);
        };
        self.after = Some((last.meta.created, last.id.clone()));
        let manager_ids: Vec<String> = page
            .iter()
            .filter_map(|u| record::read(&u.attrs, Field::Manager))
            .collect();
        let ids: Vec<&str> = manager_ids.iter().map(String::as_str).collect();
        let managers: HashMap<String, String> = user_export::user_names(db, dir, &ids)
            .await?
            .into_iter()
            .collect();
        Ok(Some(page.iter().map(|u| to_record(u, &managers)).collect()))
    }
}

/// The row of a user: each column as [`record::read`] gives it, the manager by userName, the
/// groups by name.
fn to_record(user: &Resource, managers: &HashMap<String, String>) -> UserRecord {
    let mut row = UserRecord::default();
    for field in Field::ALL {
        match field {
            Field::Groups => row.set_groups(
                user.attrs
                    .get("groups")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|g| g.get("display").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect(),
            ),
            Field::Manager => {
                let id = record::read(&user.attrs, field);
                let name = id.and_then(|id| managers.get(&id));
                row.set(field, name.map_or("", String::as_str));
            }
            _ => row.set(field, &record::read(&user.attrs, field).unwrap_or_default()),
        }
    }
    row
}

impl GroupExport {
    /// The next page of groups by name; `None` after the last.
    pub async fn next_page(&mut self) -> Result<Option<Vec<GroupRecord>>, ServiceError> {
        if self.done {
            return Ok(None);
        }
        let query = GroupQuery {
            q: None,
            limit: PAGE,
            after: self.after.take(),
        };
        let mut page = group_listing::list(&self.service.db, &self.ctx.directory, &query).await?;
        self.done = page.len() as i64 <= PAGE;
        page.truncate(PAGE as usize);
        let Some(last) = page.last() else {
            return Ok(None);
        };
        self.after = Some((last.display_name_norm.clone(), last.id.clone()));
        Ok(Some(
            page.into_iter()
                .map(|g| GroupRecord {
                    display_name: g.display_name,
                    external_id: g.external_id,
                    members: g.members,
                })
                .collect(),
        ))
    }
}
