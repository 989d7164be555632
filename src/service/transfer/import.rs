//! An import of users, one row at a time (`scimd import users`): each row is matched to a user
//! by its key (`userName`, or `externalId`), compared with it, and applied through the User and
//! Group use cases — create, replace (with `If-Match`, so a concurrent change is never
//! overwritten), group PATCH — so every applied row records its change events and a row that
//! changes nothing writes nothing. The session remembers only hashes of the keys it has seen
//! (duplicates, `--deactivate-missing`) and one bit per row (managers to set in a second pass),
//! so a million rows take a few megabytes.
//!
//! **Chunks.** Rows share a unit of work, [`CHUNK_ROWS`] or [`CHUNK_TIME`] at a time, each row
//! after a savepoint that a refused row rolls back to, so a row is applied whole or not at all.
//! A row reads users and groups inside the chunk and so sees what earlier rows wrote (a manager
//! a few lines up). Sharing the transaction saves each row its commits: one disk flush for the
//! user and one for each group it joined. The time bound caps how long the import holds
//! SQLite's write lock, or a large group's row lock on PostgreSQL, from other writers.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::groups::{self, GroupNames, Slot};
use super::record::{self, Field, UserRecord};
use crate::scim::resource::Resource;
use crate::scim::schema::USER_RESOURCE;
use crate::scim::validate::{self, Mode};
use crate::service::{Conditions, Context, Service, ServiceError, users};
use crate::store::users::{Source, UserKey, find_by_key};
use crate::store::{Reader, Released, Savepoint, StoreError, Write};

/// How often a row is tried again when its user changed between reading and writing.
const ATTEMPTS: usize = 3;
/// Rows that share a transaction at most.
pub const CHUNK_ROWS: usize = 200;
/// How long a chunk stays open at most before it commits.
pub const CHUNK_TIME: Duration = Duration::from_millis(200);
/// Rows written before the first refresh of the planner's statistics; each next one comes at
/// four times as many (a few refreshes in all, each sampling a bounded number of rows).
const STATISTICS_FIRST: u64 = 1_000;
/// Manager keys kept resolved before the cache starts over.
const MANAGER_CACHE_LIMIT: usize = 10_000;
/// Tags that keep userName and externalId hashes apart.
pub(super) const NAME: u8 = b'n';
pub(super) const EXTERNAL: u8 = b'x';

/// How an import runs.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// What matches a row to a user.
    pub key: UserKey,
    /// Decide and count everything, write nothing.
    pub dry_run: bool,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows refused, each with its line and reason in the error report.
    pub rejected: u64,
    /// Of the rejected rows, those that could not be read at all (no key is known for them).
    pub unreadable: u64,
    pub deactivated: u64,
    pub groups_created: u64,
    /// Rows applied without their manager, who is neither in the directory nor in the file.
    pub managers_unresolved: u64,
}

/// What became of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    /// Refused, with the reason; the row changed nothing.
    Rejected(String),
}

/// Why a row was not applied.
#[derive(Debug)]
pub enum Rejection {
    /// The row is refused (reported; the import goes on).
    Row(String),
    /// The user or a group changed while the row was applied: try the row again.
    Retry,
    /// The import cannot go on (the database failed).
    Fatal(ServiceError),
}

impl From<ServiceError> for Rejection {
    /// The use cases' refusals are about the row; anything else stops the import.
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Protocol(_)
            | ServiceError::Filter(_)
            | ServiceError::Invalid { .. }
            | ServiceError::Conflict(_)
            | ServiceError::Store(StoreError::Uniqueness(_))
            | ServiceError::Store(StoreError::InvalidReference(_)) => Rejection::Row(e.to_string()),
            ServiceError::PreconditionFailed { .. } | ServiceError::NotFound { .. } => {
                Rejection::Retry
            }
            other => Rejection::Fatal(other),
        }
    }
}

fn reject<T>(reason: impl Into<String>) -> Result<T, Rejection> {
    Err(Rejection::Row(reason.into()))
}

/// The manager a row asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Manager {
    /// No `manager` column: leave it.
    Keep,
    /// An empty cell: remove it.
    Clear,
    Set(String),
    /// Names no user yet (perhaps one further down the file): leave it for the second pass.
    Deferred,
}

/// The transaction that the rows being applied share.
struct Chunk {
    w: Write,
    rows: usize,
    opened: Instant,
}

/// One import, row after row.
pub struct UserImport {
    pub(super) service: Service,
    pub(super) ctx: Context,
    pub(super) options: ImportOptions,
    hasher: RandomState,
    /// Hashes of the lower-cased userName of every row read.
    pub(super) names: HashSet<u64>,
    /// With `--key externalId`: hashes of the externalId of every row read.
    pub(super) external_ids: HashSet<u64>,
    /// In a dry run: userName and externalId hashes of the rows accepted, which the second
    /// pass takes as existing managers.
    pub(super) accepted: HashSet<u64>,
    /// One bit per row: its manager is set in the second pass.
    deferred: Vec<u64>,
    groups: GroupNames,
    /// Manager keys resolved to user ids.
    managers: HashMap<String, String>,
    pub(super) summary: ImportSummary,
    /// The open chunk (never in a dry run).
    chunk: Option<Chunk>,
    /// Rows written at which the planner's statistics are refreshed next.
    next_statistics: u64,
}

impl Service {
    /// Starts an import into `ctx`'s directory.
    pub fn import_users(&self, ctx: &Context, options: ImportOptions) -> UserImport {
        UserImport {
            service: self.clone(),
            ctx: ctx.clone(),
            options,
            hasher: RandomState::new(),
            names: HashSet::new(),
            external_ids: HashSet::new(),
            accepted: HashSet::new(),
            deferred: Vec::new(),
            groups: GroupNames::default(),
            managers: HashMap::new(),
            summary: ImportSummary::default(),
            chunk: None,
            next_statistics: STATISTICS_FIRST,
        }
    }
}

impl UserImport {
    /// The counts so far.
    pub fn summary(&self) -> &ImportSummary {
        &self.summary
    }

    /// Counts a row the edge could not read (bad quoting, wrong number of cells, not UTF-8).
    pub fn unreadable(&mut self) {
        self.summary.rejected += 1;
        self.summary.unreadable += 1;
    }

    pub(super) fn hash(&self, tag: u8, text: &str) -> u64 {
        self.hasher.hash_one((tag, text))
    }

    /// Whether the row with this index waits for the second pass.
    pub fn is_deferred(&self, index: u64) -> bool {
        let (word, bit) = ((index / 64) as usize, index % 64);
        self.deferred.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    /// Whether any row waits for the second pass.
    pub fn has_deferred(&self) -> bool {
        self.deferred.iter().any(|w| *w != 0)
    }

    fn defer(&mut self, index: u64) {
        let (word, bit) = ((index / 64) as usize, index % 64);
        if self.deferred.len() <= word {
            self.deferred.resize(word + 1, 0);
        }
        self.deferred[word] |= 1 << bit;
    }

    /// Applies one row (the `index`-th of the file, from 0). `Err` only when the import cannot
    /// go on; a refused row is an [`Outcome::Rejected`].
    pub async fn row(&mut self, index: u64, record: &UserRecord) -> Result<Outcome, ServiceError> {
        let outcome = match self.try_row(index, record).await {
            Ok(outcome) => outcome,
            Err(Rejection::Row(reason)) => Outcome::Rejected(reason),
            Err(Rejection::Retry) => Outcome::Rejected(
                "the user changed while it was imported, again and again; import the row again"
                    .into(),
            ),
            Err(Rejection::Fatal(e)) => return Err(e),
        };
        if self
            .chunk
            .as_ref()
            .is_some_and(|c| c.rows >= CHUNK_ROWS || c.opened.elapsed() >= CHUNK_TIME)
        {
            self.commit().await?;
        }
        let s = &mut self.summary;
        match &outcome {
            Outcome::Created => s.created += 1,
            Outcome::Updated => s.updated += 1,
            Outcome::Unchanged => s.unchanged += 1,
            Outcome::Rejected(_) => s.rejected += 1,
        }
        Ok(outcome)
    }

    async fn try_row(&mut self, index: u64, record: &UserRecord) -> Result<Outcome, Rejection> {
        let user_name = record.get(Field::UserName).unwrap_or_default();
        let external_id = record.get(Field::ExternalId).unwrap_or_default();
        let key = match self.options.key {
            UserKey::UserName => user_name,
            UserKey::ExternalId => external_id,
        };
        // The keys are remembered before anything can refuse the row: a refused row still
        // names a user the file has (`--deactivate-missing` leaves it be), and a later row
        // with the same key is still a duplicate.
        let name_hash = self.hash(NAME, &user_name.to_lowercase());
        let new_name = user_name.is_empty() || self.names.insert(name_hash);
        let new_key = match self.options.key {
            UserKey::ExternalId if !key.is_empty() => {
                let h = self.hash(EXTERNAL, key);
                self.external_ids.insert(h)
            }
            _ => true,
        };
        if user_name.is_empty() {
            return reject("userName is empty");
        }
        if key.is_empty() {
            return reject("externalId is empty, and it is the key (--key externalId)");
        }
        if !new_key {
            return reject(format!("externalId \"{key}\" is on an earlier row too"));
        }
        if !new_name {
            return reject(format!("userName \"{user_name}\" is on an earlier row too"));
        }
        let mut created = false;
        for _ in 0..ATTEMPTS {
            let savepoint = self.begin_row().await?;
            let groups_created = self.summary.groups_created;
            let mut result = self
                .upsert(index, record, user_name, key, &mut created)
                .await;
            if !matches!(result, Err(Rejection::Fatal(_))) {
                match self.end_row(savepoint, result.is_ok()).await {
                    Err(Rejection::Fatal(e)) => return Err(Rejection::Fatal(e)),
                    Err(refused) => result = Err(refused),
                    Ok(()) => {}
                }
            }
            if result.is_err() {
                // The groups it created are rolled back with it.
                self.summary.groups_created = groups_created;
                created = false;
            }
            match result {
                Err(Rejection::Retry) => continue,
                Ok(outcome) => {
                    if self.options.dry_run {
                        self.accepted.insert(name_hash);
                        if !external_id.is_empty() {
                            let h = self.hash(EXTERNAL, external_id);
                            self.accepted.insert(h);
                        }
                    }
                    return Ok(if created { Outcome::Created } else { outcome });
                }
                Err(other) => return Err(other),
            }
        }
        Err(Rejection::Retry)
    }

    /// Reads the row's user, decides what changes, and (unless a dry run) applies it.
    async fn upsert(
        &mut self,
        index: u64,
        record: &UserRecord,
        user_name: &str,
        key: &str,
        created: &mut bool,
    ) -> Result<Outcome, Rejection> {
        let current = self.find(self.options.key, key).await?;
        if self.options.key == UserKey::ExternalId
            && let Some(owner) = self.find(UserKey::UserName, user_name).await?
            && current.as_ref().map(|c| &c.id) != Some(&owner.id)
        {
            return reject(format!(
                "userName \"{user_name}\" belongs to another user (externalId {})",
                owner.attrs.get("externalId").unwrap_or(&Value::Null)
            ));
        }
        let manager = self.manager(record).await?;
        let mut attrs = current
            .as_ref()
            .map(|c| c.attrs.clone())
            .unwrap_or_default();
        for field in Field::ALL {
            if let Some(text) = record.get(field) {
                record::apply(&mut attrs, field, text).map_err(Rejection::Row)?;
            }
        }
        match &manager {
            Manager::Set(id) => record::set_manager(&mut attrs, Some(id)),
            Manager::Clear => record::set_manager(&mut attrs, None),
            Manager::Keep | Manager::Deferred => {}
        }
        let wanted = canonical(&attrs)?;
        let changes_attrs = match &current {
            None => true,
            Some(c) => canonical(&c.attrs)? != wanted,
        };
        let (joins, leaves) = self.membership_changes(record, current.as_ref()).await?;
        let outcome = match &current {
            None => Outcome::Created,
            Some(_) if changes_attrs || !joins.is_empty() || !leaves.is_empty() => Outcome::Updated,
            Some(_) => Outcome::Unchanged,
        };
        if manager == Manager::Deferred {
            self.defer(index);
        }
        if self.options.dry_run {
            for (name, slot) in &joins {
                if *slot == Slot::Missing {
                    self.groups.remember(name, Slot::Planned);
                    self.summary.groups_created += 1;
                }
            }
            return Ok(outcome);
        }
        let body = Value::Object(wanted);
        let (service, ctx) = (&self.service, &self.ctx);
        let w = self.chunk.as_mut().map(|c| &mut c.w).ok_or_else(no_chunk)?;
        let id = match current {
            None => {
                let user = users::create_body_in(service, w, ctx, &body, Source::Local).await?;
                *created = true;
                user.id
            }
            Some(c) if changes_attrs => {
                let etag = c.meta.etag();
                let conditions = Conditions {
                    if_match: Some(&etag),
                    if_none_match: None,
                };
                users::replace_body_in(service, w, ctx, &c.id, &body, conditions).await?;
                c.id
            }
            Some(c) => c.id,
        };
        self.apply_memberships(&id, joins, leaves).await?;
        Ok(outcome)
    }

    /// The one user whose `key` attribute is `value`; refuses an ambiguous externalId.
    pub(super) async fn find(
        &mut self,
        key: UserKey,
        value: &str,
    ) -> Result<Option<Resource>, Rejection> {
        let reader = reader(&mut self.chunk, &self.service);
        let mut found = find_by_key(reader, &self.ctx.directory, key, value)
            .await
            .map_err(ServiceError::from)?;
        if found.len() > 1 {
            return reject(format!("externalId \"{value}\" names more than one user"));
        }
        Ok(found.pop())
    }

    async fn manager(&mut self, record: &UserRecord) -> Result<Manager, Rejection> {
        match record.get(Field::Manager) {
            None => Ok(Manager::Keep),
            Some("") => Ok(Manager::Clear),
            Some(key) => Ok(match self.manager_id(key).await? {
                Some(id) => Manager::Set(id),
                None => Manager::Deferred,
            }),
        }
    }

    /// The id of the user a `manager` cell names: by userName, else by externalId.
    pub(super) async fn manager_id(&mut self, key: &str) -> Result<Option<String>, Rejection> {
        if let Some(id) = self.managers.get(key) {
            return Ok(Some(id.clone()));
        }
        let found = match self.find(UserKey::UserName, key).await? {
            Some(user) => Some(user),
            None => self
                .find(UserKey::ExternalId, key)
                .await
                .map_err(|e| match e {
                    Rejection::Row(_) => Rejection::Row(format!(
                        "manager \"{key}\" names more than one user by externalId"
                    )),
                    other => other,
                })?,
        };
        let Some(user) = found else {
            return Ok(None);
        };
        if self.managers.len() >= MANAGER_CACHE_LIMIT {
            self.managers.clear();
        }
        self.managers.insert(key.to_owned(), user.id.clone());
        Ok(Some(user.id))
    }

    /// The groups the user joins (by name, with what the name stands for) and the ids of those
    /// it leaves, for the row's `groups` cell.
    async fn membership_changes(
        &mut self,
        record: &UserRecord,
        current: Option<&Resource>,
    ) -> Result<(Vec<(String, Slot)>, Vec<String>), Rejection> {
        let Some(names) = record.groups() else {
            return Ok((Vec::new(), Vec::new()));
        };
        let have = current
            .map(|c| groups::direct_groups(&c.attrs))
            .unwrap_or_default();
        let mut joins = Vec::new();
        let mut kept = HashSet::new();
        for name in names {
            let reader = reader(&mut self.chunk, &self.service);
            let slot = self.groups.resolve(reader, &self.ctx, name).await?;
            match &slot {
                Slot::Existing(id) if have.contains(id) => {
                    kept.insert(id.clone());
                }
                _ => joins.push((name.clone(), slot)),
            }
        }
        let leaves = have.into_iter().filter(|id| !kept.contains(id)).collect();
        Ok((joins, leaves))
    }

    async fn apply_memberships(
        &mut self,
        user: &str,
        joins: Vec<(String, Slot)>,
        leaves: Vec<String>,
    ) -> Result<(), Rejection> {
        let (service, ctx) = (&self.service, &self.ctx);
        let w = self.chunk.as_mut().map(|c| &mut c.w).ok_or_else(no_chunk)?;
        for (name, slot) in joins {
            match slot {
                Slot::Existing(group) => {
                    if let Err(e) = groups::join(service, w, ctx, &group, user).await {
                        // Deleted since it was looked up: look it up again on the next try.
                        self.groups.forget(&name);
                        return Err(e.into());
                    }
                }
                Slot::Missing | Slot::Planned => {
                    let group = groups::create_with(service, w, ctx, &name, user).await?;
                    self.groups.remember(&name, Slot::Existing(group));
                    self.summary.groups_created += 1;
                }
            }
        }
        for group in leaves {
            match groups::leave(service, w, ctx, &group, user).await {
                // A group deleted meanwhile has no members left to lose.
                Err(ServiceError::NotFound { .. }) => {}
                other => other?,
            }
        }
        Ok(())
    }
}

impl UserImport {
    /// Opens a chunk if none is open and sets the row's savepoint in it; nothing in a dry run.
    async fn begin_row(&mut self) -> Result<Option<Savepoint>, Rejection> {
        if self.options.dry_run {
            return Ok(None);
        }
        if self.chunk.is_none() {
            self.chunk = Some(Chunk {
                w: self
                    .service
                    .db
                    .begin_write()
                    .await
                    .map_err(ServiceError::from)?,
                rows: 0,
                opened: Instant::now(),
            });
        }
        let chunk = self.chunk.as_mut().ok_or_else(no_chunk)?;
        chunk.rows += 1;
        Ok(Some(chunk.w.savepoint().await.map_err(ServiceError::from)?))
    }

    /// Keeps the row's changes in the chunk, or undoes them. Keeping them can still refuse
    /// the row: its statements may run with the release (see `Write::release`).
    async fn end_row(&mut self, savepoint: Option<Savepoint>, keep: bool) -> Result<(), Rejection> {
        let (Some(savepoint), Some(chunk)) = (savepoint, self.chunk.as_mut()) else {
            return Ok(());
        };
        let fatal = |e: StoreError| Rejection::Fatal(e.into());
        if !keep {
            return chunk.w.rollback_to(savepoint).await.map_err(fatal);
        }
        match chunk.w.release(savepoint).await.map_err(fatal)? {
            Released::Kept => Ok(()),
            Released::Undone(e) => Err(ServiceError::from(e).into()),
        }
    }

    /// Commits the rows applied so far. The import commits as it goes; its edge calls this
    /// after the last row (a chunk dropped open is rolled back).
    ///
    /// As the tables grow, it refreshes the planner's statistics (`Db::optimize`): a plan made
    /// while they were nearly empty scans them, and on PostgreSQL a prepared statement keeps
    /// that plan until the next `ANALYZE`; without autovacuum each row then cost more than the
    /// one before (an import into an empty PostgreSQL database fell from 300 to 20 rows/s).
    pub async fn commit(&mut self) -> Result<(), ServiceError> {
        if let Some(chunk) = self.chunk.take() {
            let events = chunk.w.commit().await?;
            self.service.announce(events);
        }
        let written = self.summary.created + self.summary.updated;
        if !self.options.dry_run && written >= self.next_statistics {
            self.service.db.optimize().await?;
            self.next_statistics = written.saturating_mul(4);
        }
        Ok(())
    }
}

/// Where a row reads: inside the open chunk, so it sees what earlier rows wrote.
fn reader<'a>(chunk: &'a mut Option<Chunk>, service: &'a Service) -> Reader<'a> {
    match chunk {
        Some(c) => Reader::Within(&mut c.w),
        None => Reader::Committed(&service.db),
    }
}

fn no_chunk() -> Rejection {
    Rejection::Fatal(StoreError::Corrupt("an import row ran without its transaction".into()).into())
}

/// Canonical attributes as the User schema validates them (read-only ones such as `groups` and
/// the manager's `displayName` dropped), so a row and a stored user compare like for like.
fn canonical(attrs: &Map<String, Value>) -> Result<Map<String, Value>, Rejection> {
    validate::normalize(&USER_RESOURCE, &Value::Object(attrs.clone()), Mode::Full)
        .map_err(|e| Rejection::Row(e.to_string()))
}
