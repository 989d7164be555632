//! The host application's read model of a directory's users: listings by state, search and
//! order (`store::user_listing`), and one user with its SCIM representation, groups (direct and
//! inherited), effective roles with their sources, suspension and recent events.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::archive::Archived;
use super::feed::event_json;
use super::resources::Kind;
use super::{Context, Service, ServiceError};
use crate::store::events;
use crate::store::roles::{self, EffectiveRoles, RoleSource};
use crate::store::user_listing::{self, After, ListedUser, SortKey, State, UserQuery};
use crate::store::users::{self, Suspension};

/// Page size when the request names none, and the largest one.
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;
/// Events shown with a user.
const RECENT_EVENTS: i64 = 20;
/// How long a listing cursor stays valid.
const CURSOR_TTL: Duration = Duration::hours(24);
/// The longest search prefix.
const MAX_Q_LENGTH: usize = 200;

/// A listing request as sent.
#[derive(Debug, Clone, Default)]
pub struct UserListRequest {
    pub state: Option<String>,
    pub q: Option<String>,
    /// `name` (default), `userName`, `created`, `lastModified`.
    pub sort: Option<String>,
    /// `asc` (default) or `desc`.
    pub order: Option<String>,
    pub limit: Option<i64>,
    pub after: Option<String>,
}

/// A user as listings show it.
#[derive(Debug, Clone)]
pub struct UserSummary {
    pub id: String,
    pub user_name: String,
    pub display_name: String,
    pub email: Option<String>,
    pub state: String,
    pub source: String,
    pub roles: Vec<String>,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
}

/// A page of users and the `after` of the next one.
#[derive(Debug, Clone)]
pub struct UserPage {
    pub data: Vec<UserSummary>,
    pub after: Option<String>,
}

/// A role and where it comes from: `scim` or the groups that map it.
#[derive(Debug, Clone)]
pub struct RoleGrant {
    pub role: String,
    pub from_scim: bool,
    pub groups: Vec<String>,
}

/// A group a user is in, directly or through the group `via`.
#[derive(Debug, Clone)]
pub struct Membership {
    pub id: String,
    pub display_name: String,
    pub direct: bool,
}

/// One user with everything the admin products show about it.
#[derive(Debug, Clone)]
pub struct UserDetail {
    pub summary: UserSummary,
    /// The SCIM representation (as it was, for an archived user).
    pub scim: Value,
    pub groups: Vec<Membership>,
    pub roles: Vec<RoleGrant>,
    pub suspension: Option<Suspension>,
    /// For an archived user: when it was deleted, by whom, until when it can be restored.
    pub archived: Option<(DateTime<Utc>, Value, DateTime<Utc>)>,
    /// Its newest events, newest first.
    pub events: Vec<Value>,
}

/// What a listing cursor carries: the query it belongs to and where the next page starts.
#[derive(Serialize, Deserialize)]
struct ListCursor {
    query: String,
    after: After,
}

impl Service {
    /// A page of `ctx`'s directory's users.
    pub async fn list_users(
        &self,
        ctx: &Context,
        req: &UserListRequest,
    ) -> Result<UserPage, ServiceError> {
        let state =
            match req.state.as_deref() {
                None | Some("") => None,
                Some(s) => Some(State::parse(s).ok_or_else(|| {
                    invalid("state is one of active, inactive, suspended, archived")
                })?),
            };
        let sort = match req.sort.as_deref() {
            None | Some("") | Some("name") => SortKey::Name,
            Some("userName") => SortKey::UserName,
            Some("created") => SortKey::Created,
            Some("lastModified") => SortKey::LastModified,
            Some(_) => {
                return Err(invalid(
                    "sort is one of name, userName, created, lastModified",
                ));
            }
        };
        let descending = match req.order.as_deref() {
            None | Some("") | Some("asc") => false,
            Some("desc") => true,
            Some(_) => return Err(invalid("order is asc or desc")),
        };
        let limit = req.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(invalid(format!("limit is 1 to {MAX_LIMIT}")));
        }
        let q = search_prefix(req.q.as_deref())?;
        let fingerprint = format!("{state:?}|{q:?}|{sort:?}|{descending}");
        let after = match req.after.as_deref().filter(|a| !a.is_empty()) {
            None => None,
            Some(sealed) => {
                let cursor: ListCursor = self
                    .auth
                    .unseal(&ctx.directory, sealed)
                    .map_err(|e| invalid(format!("after is not a cursor of this listing: {e}")))?;
                if cursor.query != fingerprint {
                    return Err(invalid("after belongs to a listing with other parameters"));
                }
                Some(cursor.after)
            }
        };
        let query = UserQuery {
            state,
            q,
            sort,
            descending,
            limit,
            after,
        };
        let mut rows = user_listing::list(&self.db, &ctx.directory, &query).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next = match (more, rows.last()) {
            (true, Some(last)) => Some(self.auth.seal(
                &ctx.directory,
                ListCursor {
                    query: fingerprint,
                    after: last.after(),
                },
                CURSOR_TTL,
            )?),
            _ => None,
        };
        let ids: HashSet<String> = rows
            .iter()
            .filter(|r| r.state != State::Archived.as_str())
            .map(|r| r.id.clone())
            .collect();
        let roles = roles::effective_now(&self.db, &ctx.directory, &ids).await?;
        Ok(UserPage {
            data: rows.into_iter().map(|r| summary(r, &roles)).collect(),
            after: next,
        })
    }

    /// One user of `ctx`'s directory, present or archived.
    pub async fn user_detail(&self, ctx: &Context, id: &str) -> Result<UserDetail, ServiceError> {
        let dir = ctx.directory.as_str();
        if uuid::Uuid::try_parse(id).is_err() {
            return Err(Kind::User.not_found(id));
        }
        // Committed events get their feed positions first (PostgreSQL numbers them after commit).
        events::sequence(&self.db).await?;
        let events: Vec<Value> = events::recent_of(&self.db, dir, id, RECENT_EVENTS)
            .await?
            .iter()
            .map(event_json)
            .collect();
        let Some(user) = users::get(&self.db, dir, id).await? else {
            let archived = self.archived(ctx, Kind::User, id).await?;
            return Ok(archived_detail(archived, events));
        };
        let listed = user_listing::get(&self.db, dir, id)
            .await?
            .ok_or_else(|| Kind::User.not_found(id))?;
        let effective =
            roles::effective_now(&self.db, dir, &HashSet::from([id.to_owned()])).await?;
        let groups = roles::groups_of(&self.db, dir, id).await?;
        let names: std::collections::HashMap<&str, &str> = groups
            .iter()
            .map(|g| (g.0.as_str(), g.1.as_str()))
            .collect();
        let grants = effective
            .get(id)
            .into_iter()
            .flatten()
            .map(|(role, sources)| RoleGrant {
                role: role.clone(),
                from_scim: sources.contains(&RoleSource::Scim),
                groups: sources
                    .iter()
                    .filter_map(|s| match s {
                        RoleSource::Group(g) => {
                            Some(names.get(g.as_str()).map_or(g.clone(), |n| (*n).to_owned()))
                        }
                        RoleSource::Scim => None,
                    })
                    .collect(),
            })
            .collect();
        Ok(UserDetail {
            summary: summary(listed, &effective),
            scim: Value::Object(self.document(ctx, Kind::User, &user)),
            groups: groups
                .into_iter()
                .map(|(id, display_name, direct)| Membership {
                    id,
                    display_name,
                    direct,
                })
                .collect(),
            roles: grants,
            suspension: users::suspension(&self.db, dir, id).await?,
            archived: None,
            events,
        })
    }
}

fn summary(r: ListedUser, roles: &EffectiveRoles) -> UserSummary {
    let display_name = r
        .display_name
        .clone()
        .or_else(|| {
            let parts: Vec<&str> = [r.given_name.as_deref(), r.family_name.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        })
        .unwrap_or_else(|| r.user_name.clone());
    UserSummary {
        roles: roles::names(roles, &r.id),
        id: r.id,
        user_name: r.user_name,
        display_name,
        email: r.email,
        state: r.state,
        source: r.source,
        created: r.created,
        last_modified: r.last_modified,
    }
}

fn archived_detail(a: Archived, events: Vec<Value>) -> UserDetail {
    let text = |k: &str| a.attrs.get(k).and_then(Value::as_str).map(str::to_owned);
    let email = a
        .attrs
        .get("emails")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
        .and_then(|e| e.get("value"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut scim = a.attrs.clone();
    scim.insert("id".into(), Value::String(a.id.clone()));
    UserDetail {
        summary: UserSummary {
            display_name: text("displayName").unwrap_or_else(|| a.name.clone()),
            id: a.id,
            user_name: a.name,
            email,
            state: State::Archived.as_str().into(),
            source: "scim".into(),
            roles: Vec::new(),
            created: a.created,
            last_modified: a.deleted_at,
        },
        scim: Value::Object(scim),
        groups: Vec::new(),
        roles: Vec::new(),
        suspension: None,
        archived: Some((a.deleted_at, a.deleted_by, a.purge_after)),
        events,
    }
}

/// A search `q` as listings and exports match it: trimmed, lower-cased, `None` when blank.
pub(super) fn search_prefix(q: Option<&str>) -> Result<Option<String>, ServiceError> {
    let q = q
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_lowercase);
    if q.as_ref().is_some_and(|q| q.chars().count() > MAX_Q_LENGTH) {
        return Err(invalid(format!("q is at most {MAX_Q_LENGTH} characters")));
    }
    Ok(q)
}

fn invalid(detail: impl Into<String>) -> ServiceError {
    ServiceError::invalid("invalidValue", detail)
}
