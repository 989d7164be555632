//! Test and benchmark data (`scimd dev seed`): inserts many users and groups straight through the
//! storage layer, in multi-row statements inside large transactions, which is orders of magnitude
//! faster than provisioning them over HTTP. It is the one writer that bypasses the service layer
//! and its unit of work, on purpose: seeded users and groups record no change events.
//!
//! Seeded rows must be indistinguishable from rows the server wrote itself. So each user starts
//! as the canonical attributes the service would hand to [`super::users::insert`], and goes
//! through the same column mapping (`user_row::split`, `users::column_values`). What `insert`
//! does around that mapping (ids, timestamps, `version`, the `user_values` rows, the group and
//! membership rows) is reproduced here; the unit tests compare seeded rows with rows written by
//! `users::insert` and `groups::insert` column by column, so the two cannot silently drift apart.
//!
//! The data is a pure function of the seed and the resource numbers, so the same command on two
//! fresh databases yields the same ids and attributes (only the timestamps differ). The rules:
//! - user number `i` (from 1 on a fresh database): `userName` and one work email
//!   `user{i}@example.com` (primary), `externalId` `ext-{i}`, a `name.givenName` and a
//!   `name.familyName` drawn from small lists, `displayName` "Given Family", a `title` and an
//!   enterprise `department` drawn from a small list of departments;
//! - `name.familyName` starts with "M" exactly when `i` is a multiple of 6 (no other family name
//!   starts with "M"), so `name.familyName sw "M"` matches ⌊N/6⌋ of N fresh users;
//! - `active` is `false` exactly when `i` is a multiple of 10;
//! - group number `j` is named `group-{j}` and has `group_size` distinct members drawn from the
//!   users seeded by the same run; the optional group named `large` likewise;
//! - with `events`, synthetic change events follow (see [`super::seed_events`]).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use super::db::{Arg, Db, Dialect, Tx, args};
use super::seed_events::{self, EventPlan};
use super::{StoreError, user_row, user_values, users};
use crate::scim::resource::now;
use crate::scim::schema::ENTERPRISE_USER;

/// Rows per `INSERT` statement. The widest row bound here (a user) has 20 values, so a statement
/// carries at most 10,000 parameters: well below SQLite's (32,766) and PostgreSQL's (65,535)
/// limits.
pub(super) const ROWS_PER_STATEMENT: usize = 500;

/// Rows per transaction. Ids are random, so each batch of users lands on pages all over the
/// primary-key indexes of `users` and `user_values`, and every commit writes each page it
/// touched to SQLite's write-ahead log once more: for a million users, committing every 10,000
/// rows wrote 17 GB of WAL in 58 s, every 100,000 rows 4.6 GB in 36 s. A transaction then holds
/// at most a few hundred megabytes of WAL (SQLite) or new rows (PostgreSQL).
const ROWS_PER_TRANSACTION: u64 = 100_000;

/// SQLite page cache of the seeding connection (`PRAGMA cache_size`, negative: KiB). The default
/// 2 MiB cannot hold the primary-key indexes being filled, so each insert would read pages back
/// from the file; 256 MiB holds them for a million users.
const SQLITE_CACHE_KIB: i64 = 256 * 1024;

/// How often progress is reported at most.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// The name of the optional large group.
pub const LARGE_GROUP: &str = "large";

/// Given names, drawn uniformly.
const GIVEN_NAMES: &[&str] = &[
    "Alice", "Benjamin", "Chloé", "Daniel", "Emma", "Felix", "Grace", "Hugo", "Isabel", "James",
    "Karin", "Liam", "Maya", "Noah", "Olivia", "Pedro", "Quinn", "Rosa", "Samuel", "Tara", "Umar",
    "Vera", "William", "Zoë",
];

/// Family names starting with "M": every sixth user gets one of these, nobody else does.
const FAMILY_NAMES_M: &[&str] = &["Martin", "Meyer", "Miller", "Moreau"];

/// The other 20 family names (none starts with "M").
const FAMILY_NAMES_OTHER: &[&str] = &[
    "Andersen", "Brown", "Chen", "Dubois", "Eriksson", "Fischer", "García", "Hansen", "Ivanova",
    "Johnson", "Kowalski", "Larsen", "Nakamura", "Okafor", "Petrov", "Rossi", "Schmidt", "Tanaka",
    "Wagner", "Yılmaz",
];

/// Departments with the titles found in each.
pub(super) const DEPARTMENTS: &[(&str, &[&str])] = &[
    (
        "Engineering",
        &[
            "Software Engineer",
            "Senior Software Engineer",
            "Engineering Manager",
        ],
    ),
    ("Product", &["Product Manager", "Product Designer"]),
    ("Sales", &["Account Executive", "Sales Engineer"]),
    ("Finance", &["Accountant", "Financial Analyst"]),
    ("Support", &["Support Specialist", "Support Lead"]),
    ("People", &["Recruiter", "HR Business Partner"]),
    ("Marketing", &["Marketing Manager", "Content Writer"]),
];

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// Users to insert.
    pub users: u64,
    /// Groups named `group-{j}` to insert.
    pub groups: u64,
    /// Members of each `group-{j}`.
    pub group_size: u64,
    /// Members of one extra group named [`LARGE_GROUP`], if any.
    pub large_group_size: Option<u64>,
    /// Seed of the generator: the same seed gives the same data.
    pub seed: u64,
    /// Allow a database that already holds users; numbering then continues after the highest
    /// existing `user{i}@example.com` and `group-{j}`.
    pub append: bool,
    /// Synthetic, already-sequenced change events to insert after the users and groups.
    pub events: u64,
    /// The directory to seed (it must exist).
    pub tenant: String,
    /// Gather planner statistics (PostgreSQL `ANALYZE`, SQLite `optimize`) after the first
    /// rows and at the end. Seeding many directories one after another needs them for the
    /// first and the last only: each `ANALYZE` samples the whole table again (on PostgreSQL
    /// about a second per directory at a million users).
    pub statistics: bool,
}

/// Why seeding did not start or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the database already holds users; pass --append to add more")]
    NotEmpty,
    #[error("a group named \"{LARGE_GROUP}\" already exists; leave out --large-group-size")]
    LargeGroupExists,
    #[error("a group of {size} members needs at least {size} seeded users, not {users}")]
    TooFewUsers { size: u64, users: u64 },
    #[error(
        "the event feed moved while seeding (last position {found}, expected {expected}): \
         seed events into a database no server is writing to"
    )]
    FeedMoved { expected: i64, found: i64 },
    #[error("the data generator failed: {0}")]
    Generator(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Rows inserted so far.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub users: u64,
    /// `user_values` rows (one email per user).
    pub values: u64,
    pub groups: u64,
    /// `group_members` rows.
    pub members: u64,
    /// `events` rows.
    pub events: u64,
    /// Time since seeding started (after migrations).
    pub elapsed: Duration,
}

impl Progress {
    /// Every row inserted, in all tables.
    pub fn rows(&self) -> u64 {
        self.users + self.values + self.groups + self.members + self.events
    }

    /// Rows inserted per second so far.
    pub fn rows_per_second(&self) -> f64 {
        self.rows() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// The outcome of a seeding run.
#[derive(Debug, Clone)]
pub struct SeedReport {
    /// Number of the first seeded user (`user{first_user}@example.com`).
    pub first_user: u64,
    /// Number of the first seeded `group-{j}`.
    pub first_group: u64,
    /// Feed position of the first seeded event.
    pub first_event: i64,
    pub totals: Progress,
}

/// Inserts the users, groups and events `options` asks for into the default tenant, calling
/// `on_progress` about once a second. Rows are committed every ~100,000, so a failure leaves
/// the rows committed before it in place.
///
/// This bypasses the service layer on purpose: the rows are built here and written with
/// multi-row statements, so a million of them take about a minute instead of hours.
pub async fn seed(
    db: &Db,
    options: &SeedOptions,
    on_progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<SeedReport, SeedError> {
    check_sizes(options)?;
    let (first_user, first_group, last_position) = numbering(db, options).await?;
    let plan = Plan {
        tenant: options.tenant.as_str().into(),
        seed: options.seed,
        first_user,
        first_group,
        users: options.users,
        origin: now() - millis(options.users + options.groups + 1),
    };
    let mut writer = Writer::new(db, options.statistics, on_progress);
    insert_users(&mut writer, &plan).await?;
    let groups = group_specs(&plan, options);
    insert_groups(&mut writer, &plan, &groups).await?;
    for group in &groups {
        insert_members(&mut writer, &plan, group).await?;
    }
    let events = EventPlan::new(
        options.seed,
        last_position + 1,
        options.events,
        first_user - 1 + options.users,
    );
    seed_events::insert(&mut writer, &events).await?;
    let totals = writer.finish().await?;
    Ok(SeedReport {
        first_user,
        first_group,
        first_event: last_position + 1,
        totals,
    })
}

fn check_sizes(options: &SeedOptions) -> Result<(), SeedError> {
    let sizes = [
        (options.groups > 0).then_some(options.group_size),
        options.large_group_size,
    ];
    match sizes.into_iter().flatten().find(|s| *s > options.users) {
        Some(size) => Err(SeedError::TooFewUsers {
            size,
            users: options.users,
        }),
        None => Ok(()),
    }
}

/// The numbers of the first user and first group to seed and the feed's last position,
/// refusing a database that already holds users unless appending, and a second large group.
async fn numbering(db: &Db, options: &SeedOptions) -> Result<(u64, u64, i64), SeedError> {
    let mut tx = db.read().await?;
    let any_user: Option<(String,)> = tx
        .fetch_optional(
            "SELECT id FROM users WHERE tenant_id = $1 LIMIT 1",
            args![options.tenant.as_str()],
        )
        .await?;
    if any_user.is_some() && !options.append {
        return Err(SeedError::NotEmpty);
    }
    if options.large_group_size.is_some() {
        let large: Option<(String,)> = tx
            .fetch_optional(
                "SELECT id FROM groups WHERE tenant_id = $1 AND display_name_norm = $2 LIMIT 1",
                args![options.tenant.as_str(), LARGE_GROUP],
            )
            .await?;
        if large.is_some() {
            return Err(SeedError::LargeGroupExists);
        }
    }
    let tenant = options.tenant.as_str();
    let users = highest_number(
        &mut tx,
        tenant,
        "users",
        "user_name_norm",
        "user",
        "@example.com",
    )
    .await?;
    let groups =
        highest_number(&mut tx, tenant, "groups", "display_name_norm", "group-", "").await?;
    let last_position = super::events::last_position(&mut tx).await?;
    tx.commit().await?;
    Ok((users + 1, groups + 1, last_position))
}

/// The highest `n` among values `{prefix}{n}{suffix}` of a lower-cased column, 0 if none.
async fn highest_number(
    tx: &mut Tx,
    tenant: &str,
    table: &'static str,
    column: &'static str,
    prefix: &str,
    suffix: &str,
) -> Result<u64, StoreError> {
    // Only reached with --append or on an empty table; one scan of the matching names is cheap
    // next to seeding, and parsing in Rust avoids dialect-specific casts.
    let sql = format!("SELECT {column} FROM {table} WHERE tenant_id = $1 AND {column} LIKE $2");
    let pattern = format!("{prefix}%{suffix}");
    let rows: Vec<(String,)> = tx.fetch_all(&sql, args![tenant, pattern]).await?;
    Ok(rows
        .iter()
        .filter_map(|(name,)| name.strip_prefix(prefix)?.strip_suffix(suffix))
        .filter(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|digits| digits.parse::<u64>().ok())
        .max()
        .unwrap_or(0))
}

/// What every generated row depends on.
#[derive(Debug, Clone)]
struct Plan {
    /// The directory seeded.
    tenant: std::sync::Arc<str>,
    seed: u64,
    first_user: u64,
    first_group: u64,
    users: u64,
    /// `created` of the first user; each later row is one millisecond younger, so the listing
    /// order (creation time, then id) follows the numbering and every timestamp is in the past.
    origin: DateTime<Utc>,
}

impl Plan {
    fn created(&self, offset: u64) -> DateTime<Utc> {
        self.origin + millis(offset)
    }
}

fn millis(n: u64) -> TimeDelta {
    TimeDelta::milliseconds(i64::try_from(n).unwrap_or(i64::MAX))
}

// ---------------------------------------------------------------------------------------------
// Users

/// Inserts the users, generating each batch on a blocking thread while the previous one is
/// being written: generation costs about a third of the database's time, so overlapping the two
/// keeps the database busy.
async fn insert_users(writer: &mut Writer<'_>, plan: &Plan) -> Result<(), SeedError> {
    let batches = user_batches(plan.users);
    let generate = |range| {
        let plan = plan.clone();
        tokio::task::spawn_blocking(move || user_batch(&plan, range))
    };
    let mut next = batches.clone().next().map(generate);
    let mut upcoming = batches.skip(1);
    while let Some(pending) = next.take() {
        let batch = pending.await?;
        next = upcoming.next().map(generate);
        writer.counts.users += batch.users.len() as u64;
        writer.counts.values += batch.values.len() as u64;
        writer.insert("users", batch.users).await?;
        writer.insert("user_values", batch.values).await?;
        // A user and its values always share a transaction.
        writer.unit_done().await?;
    }
    Ok(())
}

/// Offsets (0-based) of the users of each statement.
fn user_batches(users: u64) -> impl Iterator<Item = std::ops::Range<u64>> + Clone {
    (0..users)
        .step_by(ROWS_PER_STATEMENT)
        .map(move |start| start..(start + ROWS_PER_STATEMENT as u64).min(users))
}

/// The rows of one statement's users.
struct UserBatch {
    users: Vec<Vec<Cell>>,
    values: Vec<Vec<Cell>>,
}

fn user_batch(plan: &Plan, offsets: std::ops::Range<u64>) -> UserBatch {
    let mut batch = UserBatch {
        users: Vec::with_capacity(ROWS_PER_STATEMENT),
        values: Vec::with_capacity(ROWS_PER_STATEMENT),
    };
    for k in offsets {
        let (user, values) = user_rows_of(plan, plan.first_user + k, plan.created(k));
        batch.users.push(user);
        batch.values.extend(values);
    }
    batch
}

/// One column of a row to insert.
pub(super) type Cell = (&'static str, Arg);

/// The `users` row and `user_values` rows of user number `number`, as `users::create` and
/// `user_values::replace` would write them.
fn user_rows_of(plan: &Plan, number: u64, created: DateTime<Utc>) -> (Vec<Cell>, Vec<Vec<Cell>>) {
    let attrs = user_attributes(plan.seed, number);
    user_rows(&plan.tenant, &user_id(plan.seed, number), attrs, created)
}

/// The rows of a user with any canonical attributes (without `password` and `groups`).
fn user_rows(
    tenant: &str,
    id: &str,
    attrs: Map<String, Value>,
    created: DateTime<Utc>,
) -> (Vec<Cell>, Vec<Vec<Cell>>) {
    let cols = user_row::split(attrs);
    let mut row = vec![
        ("tenant_id", Arg::from(tenant)),
        ("id", Arg::from(id)),
        ("created", Arg::from(created)),
        ("last_modified", Arg::from(created)),
        ("version", Arg::from(1_i64)),
    ];
    row.extend(users::column_values(&cols));
    (
        row,
        user_values::rows(tenant, id, user_values::split(cols.values)),
    )
}

/// The id of user number `number`: a UUID v4 drawn from the seed.
pub fn user_id(seed: u64, number: u64) -> String {
    uuid_from(&mut stream(seed, Domain::UserId, number))
}

/// The canonical attributes of user number `number`, as the HTTP edge would pass them to
/// `users::create` after validating a POST.
pub fn user_attributes(seed: u64, number: u64) -> Map<String, Value> {
    let mut rng = stream(seed, Domain::UserAttributes, number);
    let given = rng.pick(GIVEN_NAMES);
    let family = if number.is_multiple_of(6) {
        rng.pick(FAMILY_NAMES_M)
    } else {
        rng.pick(FAMILY_NAMES_OTHER)
    };
    let (department, titles) = rng.pick(DEPARTMENTS);
    let title = rng.pick(titles);
    let email = format!("user{number}@example.com");
    let mut attrs = Map::new();
    attrs.insert("userName".into(), json!(email));
    attrs.insert("externalId".into(), json!(format!("ext-{number}")));
    attrs.insert(
        "name".into(),
        json!({"familyName": family, "givenName": given}),
    );
    attrs.insert("displayName".into(), json!(format!("{given} {family}")));
    attrs.insert("title".into(), json!(title));
    attrs.insert("active".into(), json!(!number.is_multiple_of(10)));
    attrs.insert(
        "emails".into(),
        json!([{"value": email, "type": "work", "primary": true}]),
    );
    attrs.insert(ENTERPRISE_USER.id.into(), json!({"department": department}));
    attrs
}

// ---------------------------------------------------------------------------------------------
// Groups

/// One group to seed.
struct GroupSpec {
    id: String,
    display_name: String,
    size: u64,
    /// Stream of the member draw.
    members: Rng,
}

/// The id of `group-{j}`.
pub(super) fn group_id(seed: u64, j: u64) -> String {
    uuid_from(&mut stream(seed, Domain::GroupId, j))
}

fn group_specs(plan: &Plan, options: &SeedOptions) -> Vec<GroupSpec> {
    let mut specs: Vec<GroupSpec> = (plan.first_group..plan.first_group + options.groups)
        .map(|j| GroupSpec {
            id: group_id(plan.seed, j),
            display_name: format!("group-{j}"),
            size: options.group_size,
            members: stream(plan.seed, Domain::GroupMembers, j),
        })
        .collect();
    if let Some(size) = options.large_group_size {
        // Keyed by the first user: appending runs seed different users, so different ids.
        specs.push(GroupSpec {
            id: uuid_from(&mut stream(
                plan.seed,
                Domain::LargeGroupId,
                plan.first_user,
            )),
            display_name: LARGE_GROUP.into(),
            size,
            members: stream(plan.seed, Domain::LargeGroupMembers, plan.first_user),
        });
    }
    specs
}

/// The `groups` rows, as `groups::create` writes them: `display_name_norm` lower-cased in Rust,
/// no `externalId`, `extra` `{}`, `version` 1.
async fn insert_groups(
    writer: &mut Writer<'_>,
    plan: &Plan,
    groups: &[GroupSpec],
) -> Result<(), StoreError> {
    for (n, chunk) in groups.chunks(ROWS_PER_STATEMENT).enumerate() {
        let rows: Vec<Vec<Cell>> = chunk
            .iter()
            .enumerate()
            .map(|(k, group)| {
                let created = plan.created(plan.users + (n * ROWS_PER_STATEMENT + k) as u64);
                vec![
                    ("tenant_id", Arg::from(&*plan.tenant)),
                    ("id", Arg::from(group.id.as_str())),
                    ("display_name", Arg::from(group.display_name.as_str())),
                    (
                        "display_name_norm",
                        Arg::from(group.display_name.to_lowercase()),
                    ),
                    ("extra", Arg::from(Value::Object(Map::new()))),
                    ("created", Arg::from(created)),
                    ("last_modified", Arg::from(created)),
                    ("version", Arg::from(1_i64)),
                ]
            })
            .collect();
        writer.counts.groups += rows.len() as u64;
        writer.insert("groups", rows).await?;
        writer.unit_done().await?;
    }
    Ok(())
}

/// The `group_members` rows of one group, as `memberships::apply` writes a user member.
async fn insert_members(
    writer: &mut Writer<'_>,
    plan: &Plan,
    group: &GroupSpec,
) -> Result<(), StoreError> {
    let mut picks = sample(&mut group.members.clone(), plan.users, group.size);
    picks.sort_unstable();
    for chunk in picks.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<Vec<Cell>> = chunk
            .iter()
            .map(|k| {
                let member = user_id(plan.seed, plan.first_user + k);
                vec![
                    ("tenant_id", Arg::from(&*plan.tenant)),
                    ("group_id", Arg::from(group.id.as_str())),
                    ("member_id", Arg::from(member.as_str())),
                    ("user_id", Arg::from(member)),
                ]
            })
            .collect();
        writer.counts.members += rows.len() as u64;
        writer.insert("group_members", rows).await?;
        writer.unit_done().await?;
    }
    Ok(())
}

/// `k` distinct numbers below `n` (Floyd's algorithm: `k` draws, whatever `k / n`).
fn sample(rng: &mut Rng, n: u64, k: u64) -> Vec<u64> {
    let mut chosen = HashSet::with_capacity(usize::try_from(k).unwrap_or(0));
    for j in n - k.min(n)..n {
        let t = rng.below(j + 1);
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    chosen.into_iter().collect()
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Batched inserts with a commit every [`ROWS_PER_TRANSACTION`] rows, counting and reporting
/// progress.
pub(super) struct Writer<'a> {
    db: &'a Db,
    tx: Option<Tx>,
    uncommitted: u64,
    /// Whether to gather planner statistics (see [`SeedOptions::statistics`]).
    statistics: bool,
    /// Tables already analyzed (PostgreSQL).
    analyzed: Vec<&'static str>,
    pub(super) counts: Progress,
    started: Instant,
    last_report: Instant,
    on_progress: &'a mut (dyn FnMut(&Progress) + Send),
}

impl<'a> Writer<'a> {
    fn new(
        db: &'a Db,
        statistics: bool,
        on_progress: &'a mut (dyn FnMut(&Progress) + Send),
    ) -> Self {
        let started = Instant::now();
        Writer {
            db,
            tx: None,
            uncommitted: 0,
            statistics,
            analyzed: Vec::new(),
            counts: Progress::default(),
            started,
            last_report: started,
            on_progress,
        }
    }

    /// Inserts `rows` (all with the same columns, in the same order) in one statement. Columns
    /// that are NULL in every row are left out: no seeded table has a column default, so the
    /// database stores NULL all the same, and statements stay small.
    pub(super) async fn insert(
        &mut self,
        table: &'static str,
        rows: Vec<Vec<Cell>>,
    ) -> Result<(), StoreError> {
        let Some(first) = rows.first() else {
            return Ok(());
        };
        let keep: Vec<bool> = (0..first.len())
            .map(|c| rows.iter().any(|row| !is_null(&row[c].1)))
            .collect();
        let columns: Vec<&str> = first
            .iter()
            .zip(&keep)
            .filter_map(|((name, _), keep)| keep.then_some(*name))
            .collect();
        let mut args = Vec::with_capacity(rows.len() * columns.len());
        for row in rows {
            let kept = row.into_iter().zip(&keep).filter(|(_, k)| **k);
            args.extend(kept.map(|((_, value), _)| value));
        }
        let sql = insert_sql(self.db.dialect(), table, &columns, args.len());
        self.uncommitted += (args.len() / columns.len()) as u64;
        let tx = self.transaction().await?;
        tx.execute(&sql, args).await?;
        self.analyze_once(table).await
    }

    /// Whether a transaction is open: the next statement otherwise starts one.
    pub(super) fn in_transaction(&self) -> bool {
        self.tx.is_some()
    }

    /// The open transaction, or a new one.
    pub(super) async fn transaction(&mut self) -> Result<&mut Tx, StoreError> {
        let tx = match self.tx.take() {
            Some(tx) => tx,
            None => begin(self.db).await?,
        };
        Ok(self.tx.insert(tx))
    }

    /// On PostgreSQL, gathers statistics on `users` and `groups` once they hold this run's first
    /// rows. Foreign-key checks plan their lookup once per connection; planned on a table that
    /// looked empty, the lookup into `users` used the `(tenant_id, created, id)` index with only
    /// `tenant_id` as a bound, i.e. a scan of every user per inserted row, and seeding slowed to
    /// a few hundred rows per second. `ANALYZE` invalidates that plan.
    async fn analyze_once(&mut self, table: &'static str) -> Result<(), StoreError> {
        let referenced = matches!(table, "users" | "groups");
        let wanted = self.statistics && referenced && !self.analyzed.contains(&table);
        if self.db.dialect() != Dialect::Postgres || !wanted {
            return Ok(());
        }
        self.analyzed.push(table);
        let sql = format!("ANALYZE {table}");
        self.transaction().await?.execute(&sql, Vec::new()).await?;
        Ok(())
    }

    /// Marks the end of rows that belong together; commits once enough rows are pending.
    pub(super) async fn unit_done(&mut self) -> Result<(), StoreError> {
        if self.uncommitted >= ROWS_PER_TRANSACTION {
            self.commit().await?;
        }
        if self.last_report.elapsed() >= PROGRESS_EVERY {
            self.last_report = Instant::now();
            self.counts.elapsed = self.started.elapsed();
            (self.on_progress)(&self.counts);
        }
        Ok(())
    }

    async fn commit(&mut self) -> Result<(), StoreError> {
        if let Some(tx) = self.tx.take() {
            tx.commit().await?;
        }
        self.uncommitted = 0;
        Ok(())
    }

    /// Commits what is pending, brings the planner statistics up to date and returns the
    /// totals. Without fresh statistics a server already running on the database would plan
    /// for the tables it saw before seeding until its next `Db::optimize` (SQLite) or autovacuum
    /// (PostgreSQL), and a benchmark started right after seeding would measure that.
    async fn finish(mut self) -> Result<Progress, StoreError> {
        if !self.statistics {
            self.commit().await?;
            self.counts.elapsed = self.started.elapsed();
            return Ok(self.counts);
        }
        self.commit().await?;
        // PostgreSQL: also VACUUM, as autovacuum would after such a load (and autovacuum may be
        // off): an index-only scan (a count from `users_family_name_active`, say) reads the
        // rows themselves unless the visibility map marks their pages all-visible.
        if self.db.dialect() == Dialect::Postgres && self.counts.rows() > 0 {
            let sql = if self.counts.events > 0 {
                "VACUUM (ANALYZE) users, user_values, groups, group_members, events"
            } else {
                "VACUUM (ANALYZE) users, user_values, groups, group_members"
            };
            self.db.autocommit().execute(sql, Vec::new()).await?;
        }
        self.db.optimize().await?;
        self.counts.elapsed = self.started.elapsed();
        Ok(self.counts)
    }
}

/// A write transaction with the seeding connection's settings.
async fn begin(db: &Db) -> Result<Tx, StoreError> {
    let mut tx = db.write().await?;
    if tx.dialect() == Dialect::Sqlite {
        // Per transaction, not per connection: the pool may have replaced the connection.
        let pragma = format!("PRAGMA cache_size = -{SQLITE_CACHE_KIB}");
        tx.execute(&pragma, Vec::new()).await?;
    }
    Ok(tx)
}

/// `INSERT INTO table (columns) VALUES (…), (…)` with one placeholder per argument, row by row.
///
/// On SQLite the placeholders are anonymous `?` rather than the store's usual `$n`: for numbered
/// parameters, sqlx looks up each parameter's name, which SQLite finds by a linear scan, so
/// binding a statement of several thousand `$n` parameters takes time quadratic in their number
/// (it made seeding ten times slower). `?` parameters are bound in order without a lookup.
fn insert_sql(dialect: Dialect, table: &str, columns: &[&str], n_args: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    for n in 1..=n_args {
        let opens_row = (n - 1) % columns.len() == 0;
        match (opens_row, n) {
            (true, 1) => sql.push('('),
            (true, _) => sql.push_str("), ("),
            (false, _) => sql.push_str(", "),
        }
        match dialect {
            Dialect::Sqlite => sql.push('?'),
            Dialect::Postgres => sql.push_str(&format!("${n}")),
        }
    }
    sql.push(')');
    sql
}

fn is_null(arg: &Arg) -> bool {
    matches!(arg, Arg::Text(None) | Arg::Bool(None) | Arg::Time(None))
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

/// Independent streams of the generator, so that e.g. a user's id can be computed without
/// drawing its attributes.
#[derive(Debug, Clone, Copy)]
pub(super) enum Domain {
    UserId = 1,
    UserAttributes = 2,
    GroupId = 3,
    GroupMembers = 4,
    LargeGroupId = 5,
    LargeGroupMembers = 6,
    EventType = 7,
    Event = 8,
    EventProfile = 9,
    EventActor = 10,
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for test data.
#[derive(Debug, Clone)]
pub(super) struct Rng(u64);

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

impl Rng {
    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN_GAMMA);
        mix(self.0)
    }

    /// A number below `n` (multiply-shift; the bias is negligible for these sizes).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    pub(super) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// The SplitMix64 output function: a bijective 64-bit mixer.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream for item `n` of `domain`: random access, so any user or group can be generated
/// on its own.
pub(super) fn stream(seed: u64, domain: Domain, n: u64) -> Rng {
    Rng(mix(
        seed ^ mix((domain as u64).wrapping_mul(GOLDEN_GAMMA) ^ mix(n))
    ))
}

/// A UUID v4 (version and variant bits set) from 128 generated bits, hyphenated.
pub(super) fn uuid_from(rng: &mut Rng) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&rng.next_u64().to_le_bytes());
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::USER_RESOURCE;
    use crate::scim::validate::{Mode, normalize};
    use crate::store::DEFAULT_TENANT;
    use crate::store::groups;

    #[test]
    fn the_same_seed_gives_the_same_users_and_another_seed_other_ones() {
        assert_eq!(user_attributes(7, 42), user_attributes(7, 42));
        assert_eq!(user_id(7, 42), user_id(7, 42));
        assert_ne!(user_id(7, 42), user_id(8, 42));
        assert_ne!(user_id(7, 42), user_id(7, 43));
        let draws = |seed| {
            (1..=50)
                .map(|i| user_attributes(seed, i)["displayName"].clone())
                .collect::<Vec<_>>()
        };
        assert_ne!(draws(1), draws(2));
    }

    #[test]
    fn ids_are_hyphenated_uuid_v4() {
        for i in 1..100 {
            let id = user_id(1, i);
            let parsed = uuid::Uuid::parse_str(&id).unwrap();
            assert_eq!(parsed.get_version_num(), 4, "{id}");
            assert_eq!(parsed.hyphenated().to_string(), id);
        }
    }

    #[test]
    fn generated_users_are_what_validation_makes_of_the_same_request() {
        for i in [1, 6, 10, 30, 12345] {
            let attrs = user_attributes(3, i);
            let mut body = attrs.clone();
            body.insert(
                "schemas".into(),
                json!([USER_RESOURCE.schema.id, ENTERPRISE_USER.id]),
            );

            let validated = normalize(&USER_RESOURCE, &Value::Object(body), Mode::Full).unwrap();

            assert_eq!(validated, attrs);
        }
    }

    #[test]
    fn family_names_start_with_m_exactly_for_every_sixth_user_and_every_tenth_is_inactive() {
        for i in 1..=600 {
            let attrs = user_attributes(11, i);
            let family = attrs["name"]["familyName"].as_str().unwrap();
            assert_eq!(
                family.to_lowercase().starts_with('m'),
                i.is_multiple_of(6),
                "{i}"
            );
            assert_eq!(attrs["active"], json!(!i.is_multiple_of(10)), "{i}");
            let given = attrs["name"]["givenName"].as_str().unwrap();
            assert_eq!(attrs["displayName"], json!(format!("{given} {family}")));
        }
    }

    #[test]
    fn insert_statements_have_one_placeholder_per_argument_row_by_row() {
        let cols = ["a", "b"];

        let sqlite = insert_sql(Dialect::Sqlite, "t", &cols, 4);
        let postgres = insert_sql(Dialect::Postgres, "t", &cols, 4);

        assert_eq!(sqlite, "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
        assert_eq!(postgres, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
    }

    #[test]
    fn samples_are_distinct_and_in_range() {
        for (n, k) in [(10, 10), (10, 0), (1000, 3), (1000, 999), (5, 7)] {
            let picks = sample(&mut stream(1, Domain::GroupMembers, n), n, k);
            let distinct: HashSet<_> = picks.iter().copied().collect();
            assert_eq!(picks.len() as u64, k.min(n));
            assert_eq!(distinct.len(), picks.len());
            assert!(picks.iter().all(|p| *p < n));
        }
    }

    fn temp_sqlite() -> String {
        let path = std::env::temp_dir().join(format!(
            "scimd-seed-unit-{}.db",
            uuid::Uuid::new_v4().simple()
        ));
        format!("sqlite://{}", path.display())
    }

    #[derive(Debug, sqlx::FromRow)]
    #[allow(dead_code)] // read through Debug
    struct StoredValue {
        attr: String,
        position: i64,
        value: Option<String>,
        value_norm: Option<String>,
        #[sqlx(rename = "type")]
        kind: Option<String>,
        type_norm: Option<String>,
        is_primary: Option<bool>,
        display: Option<String>,
        display_norm: Option<String>,
        extra: String,
    }

    /// Every column of a user's `users` and `user_values` rows except the ones that differ by
    /// construction (id, timestamps), as text.
    async fn stored_columns(db: &Db, user_name: &str) -> Vec<(String, Option<String>)> {
        let mut tx = db.read().await.unwrap();
        let mut out = Vec::new();
        let mut columns: Vec<&str> =
            ["active", "manager_id", "extra", "version", "password_hash"].into();
        for c in user_row::USER_TEXT_COLUMNS {
            columns.push(c.column);
            columns.extend(c.norm);
        }
        for c in columns {
            let sql = format!("SELECT CAST({c} AS TEXT) FROM users WHERE user_name_norm = $1");
            let (v,): (Option<String>,) = tx.fetch_one(&sql, args![user_name]).await.unwrap();
            out.push((c.to_owned(), v));
        }
        let values: Vec<StoredValue> = tx
            .fetch_all(
                "SELECT v.attr, v.position, v.value, v.value_norm, v.type, v.type_norm, v.is_primary, \
                 v.display, v.display_norm, v.extra FROM user_values v JOIN users u \
                 ON u.tenant_id = v.tenant_id AND u.id = v.user_id WHERE u.user_name_norm = $1 \
                 ORDER BY v.attr, v.position",
                args![user_name],
            )
            .await
            .unwrap();
        out.push(("user_values".into(), Some(format!("{values:?}"))));
        tx.commit().await.unwrap();
        out
    }

    /// A group's columns except id and timestamps, and whether every member row is a user
    /// member as `memberships` writes it.
    async fn stored_group(db: &Db, name: &str) -> (Vec<Option<String>>, i64) {
        let mut tx = db.read().await.unwrap();
        let mut out = Vec::new();
        for c in [
            "display_name",
            "display_name_norm",
            "external_id",
            "extra",
            "version",
        ] {
            let sql = format!("SELECT CAST({c} AS TEXT) FROM groups WHERE display_name = $1");
            let (v,): (Option<String>,) = tx.fetch_one(&sql, args![name]).await.unwrap();
            out.push(v);
        }
        let (odd,): (i64,) = tx
            .fetch_one(
                "SELECT COUNT(*) FROM group_members WHERE user_id IS NULL OR member_id <> user_id \
                 OR member_group_id IS NOT NULL",
                Vec::new(),
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        (out, odd)
    }

    /// A user written the way the service writes one.
    async fn insert_user(db: &Db, attrs: Map<String, Value>) -> crate::scim::resource::Resource {
        let mut w = db.begin_write().await.unwrap();
        let user = users::insert(&mut w, DEFAULT_TENANT, attrs, None, now())
            .await
            .unwrap();
        w.commit().await.unwrap();
        user
    }

    #[tokio::test]
    async fn seeded_rows_equal_rows_written_by_users_create() {
        let options = SeedOptions {
            statistics: true,
            tenant: "default".into(),
            users: 12,
            groups: 2,
            group_size: 5,
            large_group_size: Some(12),
            seed: 5,
            append: false,
            events: 0,
        };
        let seeded = crate::cli::open(&temp_sqlite(), &Default::default())
            .await
            .unwrap();
        let created = crate::cli::open(&temp_sqlite(), &Default::default())
            .await
            .unwrap();

        let report = seed(&seeded, &options, &mut |_| {}).await.unwrap();

        assert_eq!(report.totals.users, 12);
        assert_eq!(report.totals.members, 2 * 5 + 12);
        let mut members = Vec::new();
        for i in [6, 7, 10] {
            let attrs = user_attributes(5, i);
            let user = insert_user(&created, attrs).await;
            members.push(json!({"value": user.id}));
            let user_name = format!("user{i}@example.com");
            assert_eq!(
                stored_columns(&seeded, &user_name).await,
                stored_columns(&created, &user_name).await
            );
            let read = users::get(&seeded, DEFAULT_TENANT, &user_id(5, i))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(read.meta.version, 1);
            assert_eq!(read.attrs["emails"][0]["value"], json!(user_name));
        }
        let group = json!({"displayName": LARGE_GROUP, "members": members});
        let Value::Object(group) = group else {
            unreachable!()
        };
        let mut w = created.begin_write().await.unwrap();
        let change = groups::GroupChange::replace_all(group).unwrap();
        groups::insert(&mut w, DEFAULT_TENANT, change, now())
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert_eq!(
            stored_group(&seeded, LARGE_GROUP).await,
            stored_group(&created, LARGE_GROUP).await
        );
    }

    #[tokio::test]
    async fn rows_of_a_user_with_every_kind_of_value_equal_rows_written_by_users_create() {
        let attrs = json!({
            "userName": "Ünal@Example.com",
            "nickName": "Ü",
            "name": {"familyName": "Ünal", "formatted": "Ms. Ayşe Ünal"},
            "active": false,
            "emails": [
                {"value": "A@Example.com", "type": "Work", "primary": true},
                {"value": "b@example.com"}
            ],
            "phoneNumbers": [{"value": "+1 555 0100", "display": "Home Phone", "primary": false}],
            "addresses": [{"locality": "Paris", "type": "work", "country": "FR"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "E1"},
        });
        let Value::Object(attrs) = attrs else {
            unreachable!()
        };
        let seeded = crate::cli::open(&temp_sqlite(), &Default::default())
            .await
            .unwrap();
        let created = crate::cli::open(&temp_sqlite(), &Default::default())
            .await
            .unwrap();
        let (user, values) = user_rows(DEFAULT_TENANT, &user_id(1, 1), attrs.clone(), now());

        let mut progress = |_: &Progress| {};
        let mut writer = Writer::new(&seeded, true, &mut progress);
        writer.insert("users", vec![user]).await.unwrap();
        writer.insert("user_values", values).await.unwrap();
        writer.finish().await.unwrap();
        insert_user(&created, attrs).await;

        let user_name = "ünal@example.com";
        assert_eq!(
            stored_columns(&seeded, user_name).await,
            stored_columns(&created, user_name).await
        );
    }

    #[tokio::test]
    async fn a_database_with_users_is_refused_unless_appending_which_continues_the_numbering() {
        let db = crate::cli::open(&temp_sqlite(), &Default::default())
            .await
            .unwrap();
        let mut options = SeedOptions {
            statistics: true,
            tenant: "default".into(),
            users: 3,
            groups: 1,
            group_size: 2,
            large_group_size: Some(3),
            seed: 1,
            append: false,
            events: 0,
        };
        // On another task, which also checks that seeding is `Send`.
        let (pool, first) = (db.clone(), options.clone());
        tokio::spawn(async move { seed(&pool, &first, &mut |_| {}).await.map(|_| ()) })
            .await
            .unwrap()
            .unwrap();

        let again = seed(&db, &options, &mut |_| {}).await;
        options.append = true;
        let large_again = seed(&db, &options, &mut |_| {}).await;
        options.large_group_size = None;
        let appended = seed(&db, &options, &mut |_| {}).await.unwrap();

        assert!(matches!(again, Err(SeedError::NotEmpty)), "{again:?}");
        assert!(
            matches!(large_again, Err(SeedError::LargeGroupExists)),
            "{large_again:?}"
        );
        assert_eq!((appended.first_user, appended.first_group), (4, 2));
        let fourth = users::get(&db, DEFAULT_TENANT, &user_id(1, 4))
            .await
            .unwrap();
        assert_eq!(
            fourth.unwrap().attrs["userName"],
            json!("user4@example.com")
        );
    }
}
