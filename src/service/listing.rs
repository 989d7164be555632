//! Lists and searches (RFC 7644 §3.4.2, §3.4.3; cursors per RFC 9865): parameters to a store
//! query, the page to a ListResponse.

use serde_json::{Map, Value, json};

use super::list_params::{ListInput, list_query, next_cursor, projection};
use super::resources::{Attrs, Kind, render_body};
use super::{Context, Service, ServiceError, walks};
use crate::scim::filter::TermBudget;
use crate::scim::projection::Projection;
use crate::scim::resource::Resource;
use crate::store::{ListQuery, Page, Paging, Position, RowKey, StoreError, groups, users};

/// The ListResponse message schema (RFC 7644 §3.4.2).
const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// A ListResponse (RFC 7644 §3.4.2) of `total` matches around a page of rendered resources,
/// with its paging member (`startIndex`, or `nextCursor` when another page follows). The page
/// is moved in: `json!` would serialize it into a second tree (a deep copy of every resource).
pub fn list_response(total: i64, paging: Option<(&str, Value)>, resources: Vec<Value>) -> Value {
    let mut body = Map::new();
    body.insert("schemas".into(), json!([LIST_RESPONSE_SCHEMA]));
    body.insert("totalResults".into(), json!(total));
    body.insert("itemsPerPage".into(), json!(resources.len()));
    if let Some((name, value)) = paging {
        body.insert(name.into(), value);
    }
    body.insert("Resources".into(), Value::Array(resources));
    Value::Object(body)
}

/// Pages of more resources than this are rendered off the async worker threads.
const RENDER_INLINE: usize = 100;

/// The parameters of a list or search request.
pub struct ListParams<'a> {
    pub input: ListInput<'a>,
    pub attrs: Attrs<'a>,
}

impl Service {
    /// RFC 7644 §3.4.2 (and §3.4.3 for `.search`): lists resources as a ListResponse.
    pub async fn list(
        &self,
        ctx: &Context,
        kind: Kind,
        params: ListParams<'_>,
    ) -> Result<Value, ServiceError> {
        let tenant = ctx.directory.as_str();
        let name = kind.rt().name;
        let mut terms = TermBudget::new(self.limits.max_filter_terms);
        let mut query = list_query(
            &params.input,
            name,
            self.max_page_size,
            &self.cursor_key(ctx),
            &mut terms,
        )?;
        let projection = projection(
            params.attrs.attributes,
            params.attrs.excluded,
            &self.limits,
            &mut terms,
        )?;
        // A page that follows one just served continues after its last row (`walks`).
        let walk = walks::walk_of(ctx, name, &query);
        let mut continued = None;
        if let (
            Some(walk),
            Paging::Index {
                start_index, after, ..
            },
        ) = (&walk, &mut query.paging)
        {
            continued = self.walks.take(walk, *start_index);
            if let Some(c) = &continued {
                *after = Some(c.after.clone());
                query.known_total = c.known_total;
            }
        }
        let page = self.fetch(tenant, kind, &query, &projection).await?;
        if let (Some(walk), Paging::Index { start_index, .. }, Some(last)) =
            (walk, &query.paging, page.resources.last())
        {
            let after = RowKey {
                created: last.meta.created,
                id: last.id.clone(),
            };
            let next_start = start_index + page.resources.len() as i64;
            self.walks
                .remember(walk, next_start, after, page.total, continued.as_ref());
        }
        let next = match (&query.paging, page.more, page.resources.last()) {
            (Paging::Cursor { after, .. }, true, Some(last)) => {
                let position = match (&query.sort, after) {
                    (None, _) => Position::After {
                        created: last.meta.created,
                        id: last.id.clone(),
                    },
                    (Some(_), Some(Position::Offset(n))) => {
                        Position::Offset(n + page.resources.len() as i64)
                    }
                    (Some(_), _) => Position::Offset(page.resources.len() as i64),
                };
                Some(next_cursor(
                    name,
                    &query,
                    position,
                    page.total,
                    &self.cursor_key(ctx),
                )?)
            }
            _ => None,
        };
        let resources = self
            .render_page(ctx, kind, page.resources, &projection)
            .await?;
        let paging = match (&query.paging, next) {
            (Paging::Index { start_index, .. }, _) => Some(("startIndex", json!(start_index))),
            (Paging::Cursor { .. }, Some(cursor)) => Some(("nextCursor", json!(cursor))),
            (Paging::Cursor { .. }, None) => None,
        };
        Ok(list_response(page.total, paging, resources))
    }

    /// Renders a page. Large pages are rendered on the blocking pool: a page of 1,000 users,
    /// projected, is milliseconds of CPU that an async worker thread would otherwise spend away
    /// from every other request it serves.
    async fn render_page(
        &self,
        ctx: &Context,
        kind: Kind,
        resources: Vec<Resource>,
        projection: &Projection,
    ) -> Result<Vec<Value>, ServiceError> {
        let scim_base = self.scim_base(&ctx.directory);
        let render_all = move |resources: Vec<Resource>, projection: &Projection| {
            resources
                .into_iter()
                .map(|r| render_body(&scim_base, kind, r, projection))
                .collect::<Vec<_>>()
        };
        if resources.len() <= RENDER_INLINE {
            return Ok(render_all(resources, projection));
        }
        let projection = projection.clone();
        tokio::task::spawn_blocking(move || render_all(resources, &projection))
            .await
            .map_err(|e| StoreError::Corrupt(format!("rendering a page failed: {e}")).into())
    }

    async fn fetch(
        &self,
        tenant: &str,
        kind: Kind,
        query: &ListQuery,
        projection: &Projection,
    ) -> Result<Page, ServiceError> {
        Ok(match kind {
            Kind::User => users::list(&self.db, tenant, query).await?,
            Kind::Group => {
                groups::list(&self.db, tenant, query, projection.wants("members")).await?
            }
        })
    }

    /// RFC 7644 §3.4.3: a search at the root, over Users then Groups. The filter is applied to each
    /// type, an attribute a type lacks matching nothing there. Paging is by index over the
    /// concatenated results.
    pub async fn search_all(
        &self,
        ctx: &Context,
        params: ListParams<'_>,
    ) -> Result<Value, ServiceError> {
        let tenant = ctx.directory.as_str();
        if params.input.cursor.is_some() {
            return Err(ServiceError::invalid(
                "invalidValue",
                "cursor paging is offered per resource type: use /Users/.search or /Groups/.search",
            ));
        }
        let mut terms = TermBudget::new(self.limits.max_filter_terms);
        let projection = projection(
            params.attrs.attributes,
            params.attrs.excluded,
            &self.limits,
            &mut terms,
        )?;
        let (mut start, mut count) = (params.input.start_index.unwrap_or(1).max(1), None);
        let mut total = 0;
        let mut resources = Vec::new();
        for kind in [Kind::User, Kind::Group] {
            // The same filter, parsed for each type: each parse may use what the projection left.
            let mut query = list_query(
                &params.input,
                kind.rt().name,
                self.max_page_size,
                &self.cursor_key(ctx),
                &mut terms.clone(),
            )?;
            let wanted = *count.get_or_insert(query.count());
            query.paging = Paging::Index {
                start_index: start,
                count: wanted - resources.len() as i64,
                after: None,
            };
            query.across_types = true;
            let page = self.fetch(tenant, kind, &query, &projection).await?;
            total += page.total;
            resources.extend(
                self.render_page(ctx, kind, page.resources, &projection)
                    .await?,
            );
            // The next type's window starts where this type's results ended.
            start = (start - page.total).max(1);
        }
        let start_index = params.input.start_index.unwrap_or(1).max(1);
        Ok(list_response(
            total,
            Some(("startIndex", json!(start_index))),
            resources,
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::list_response;

    #[test]
    fn a_list_response_counts_its_page_and_carries_its_paging_member() {
        let page = vec![json!({"id": "a"}), json!({"id": "b"})];
        let body = list_response(7, Some(("startIndex", json!(3))), page);
        assert_eq!(
            body,
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": 7,
                "itemsPerPage": 2,
                "startIndex": 3,
                "Resources": [{"id": "a"}, {"id": "b"}],
            })
        );
        let last = list_response(0, None, Vec::new());
        assert_eq!(last["itemsPerPage"], 0);
        assert!(last.get("nextCursor").is_none() && last.get("startIndex").is_none());
    }
}
