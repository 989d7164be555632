//! The host application's read model of a directory's groups: an alphabetical listing with
//! member counts and mapped roles, and one group with its members in pages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::resources::Kind;
use super::user_views::{DEFAULT_LIMIT, MAX_LIMIT};
use super::{Context, Service, ServiceError};
use crate::store::group_listing::{self, GroupQuery, ListedGroup, ListedMember};
use crate::store::roles;

/// A group as listings show it.
#[derive(Debug, Clone)]
pub struct GroupSummary {
    pub id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: i64,
    pub roles: Vec<String>,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
}

/// A page of groups.
#[derive(Debug, Clone)]
pub struct GroupPage {
    pub data: Vec<GroupSummary>,
    pub after: Option<String>,
}

/// One group with a page of its members.
#[derive(Debug, Clone)]
pub struct GroupDetail {
    pub summary: GroupSummary,
    pub members: Vec<ListedMember>,
    /// The `members_after` of the next page of members.
    pub members_after: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct GroupCursor {
    q: Option<String>,
    name: String,
    id: String,
}

impl Service {
    /// A page of `ctx`'s directory's groups, alphabetical, optionally by name prefix `q`.
    pub async fn list_groups(
        &self,
        ctx: &Context,
        q: Option<&str>,
        limit: Option<i64>,
        after: Option<&str>,
    ) -> Result<GroupPage, ServiceError> {
        let limit = checked_limit(limit)?;
        let q = q
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_lowercase);
        let after = match after.filter(|a| !a.is_empty()) {
            None => None,
            Some(sealed) => {
                let c: GroupCursor = self
                    .auth
                    .unseal(&ctx.directory, sealed)
                    .map_err(|e| invalid(format!("after is not a cursor of this listing: {e}")))?;
                if c.q != q {
                    return Err(invalid("after belongs to a listing with another q"));
                }
                Some((c.name, c.id))
            }
        };
        let query = GroupQuery {
            q: q.clone(),
            limit,
            after,
        };
        let mut rows = group_listing::list(&self.db, &ctx.directory, &query).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next = match (more, rows.last()) {
            (true, Some(last)) => Some(self.auth.seal(
                &ctx.directory,
                GroupCursor {
                    q,
                    name: last.display_name_norm.clone(),
                    id: last.id.clone(),
                },
                chrono::Duration::hours(24),
            )?),
            _ => None,
        };
        let mapped = self.role_mappings(ctx).await?;
        let data = rows
            .into_iter()
            .map(|g| {
                let roles = mapped
                    .iter()
                    .find(|m| m.group_id == g.id)
                    .map(|m| m.roles.clone())
                    .unwrap_or_default();
                summary(g, roles)
            })
            .collect();
        Ok(GroupPage { data, after: next })
    }

    /// One group of `ctx`'s directory with a page of its members (in id order).
    pub async fn group_detail(
        &self,
        ctx: &Context,
        id: &str,
        members_after: Option<&str>,
        members_limit: Option<i64>,
    ) -> Result<GroupDetail, ServiceError> {
        let limit = checked_limit(members_limit)?;
        let dir = ctx.directory.as_str();
        let group = group_listing::get(&self.db, dir, id)
            .await?
            .ok_or_else(|| Kind::Group.not_found(id))?;
        let mut members = group_listing::members(&self.db, dir, id, members_after, limit).await?;
        let more = members.len() as i64 > limit;
        members.truncate(limit as usize);
        let members_after = if more {
            members.last().map(|m| m.id.clone())
        } else {
            None
        };
        let roles = roles::mappings(&self.db, dir)
            .await?
            .into_iter()
            .filter(|m| m.group_id == id)
            .map(|m| m.role)
            .collect();
        Ok(GroupDetail {
            summary: summary(group, roles),
            members,
            members_after,
        })
    }
}

fn summary(g: ListedGroup, roles: Vec<String>) -> GroupSummary {
    GroupSummary {
        id: g.id,
        display_name: g.display_name,
        external_id: g.external_id,
        members: g.members,
        roles,
        created: g.created,
        last_modified: g.last_modified,
    }
}

fn checked_limit(limit: Option<i64>) -> Result<i64, ServiceError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(invalid(format!("limit is 1 to {MAX_LIMIT}")))
    }
}

fn invalid(detail: impl Into<String>) -> ServiceError {
    ServiceError::invalid("invalidValue", detail)
}
