//! The run of one bulk request: chunks of operations sharing a transaction, `bulkId`s resolved
//! as their POSTs succeed, an outcome per operation.
//!
//! A chunk first runs **optimistically**, without savepoints (each costs SQLite a statement
//! and a journal of every page the operation changes). As long as every operation succeeds,
//! that is exact. When one fails after it may have written, the whole transaction is rolled
//! back and its operations run again **carefully**, each unit of the plan after its own
//! savepoint, so that the failure undoes only itself; the rest of the request stays careful,
//! so a request with many failures pays for one replay at most.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::step::{Step, Stop, apply};
use super::{CHUNK_OPERATIONS, OpOutcome};
use crate::scim::bulk::{
    Action, BulkError, BulkOperation, BulkRequest, Method, Target, Unit, bulk_id_of,
    canonical_refs, defer_canonical_refs, patch_refs,
};
use crate::scim::filter::TermBudget;
use crate::scim::patch::Operation;
use crate::scim::resource::Resource;
use crate::scim::schema::{ResourceTypeDef, USER_RESOURCE};
use crate::service::resources::{DELETE_ATTEMPTS, Kind, Patch, known_id, same_id};
use crate::service::{Context, Service, ServiceError, users};
use crate::store::{self, Released, Savepoint, StoreError, Write};

/// A transaction shared by consecutive units of the plan.
struct Chunk {
    w: Write,
    /// The index (in the plan) of the first unit run in it: a replay starts there.
    first_unit: usize,
    /// The operations whose outcome was recorded while it was open.
    ran: Vec<usize>,
    /// Those of them that succeeded: they fail after all if it cannot be committed.
    succeeded: Vec<usize>,
}

/// How a unit ended.
enum Ran {
    /// Its outcomes are recorded.
    Done,
    /// It failed in an optimistic chunk, which must be rolled back and run again carefully.
    Replay,
}

/// A POST of a cycle, ready to be created: its kind, attributes without the deferred
/// references, password hash, and the PATCH operations that add those references afterwards.
type CycleCreate = (
    usize,
    Kind,
    Map<String, Value>,
    Option<String>,
    Vec<Operation>,
);

/// The state of one bulk request's run.
pub(super) struct Run<'a> {
    service: &'a Service,
    ctx: &'a Context,
    ops: Vec<BulkOperation>,
    problems: Vec<Option<BulkError>>,
    fail_on_errors: Option<usize>,
    errors: usize,
    outcomes: Vec<Option<OpOutcome>>,
    /// The resource each successful POST created, by `bulkId`.
    created: HashMap<String, (Kind, String)>,
    /// Password hashes of POSTs and PUTs (or why hashing failed), by operation.
    hashes: HashMap<usize, Result<Option<String>, String>>,
    /// The password a PATCH sets and its hash, by operation, once a run asked for it.
    patch_hashes: HashMap<usize, (String, String)>,
    chunk: Option<Chunk>,
    /// Whether every unit runs after its own savepoint (after a first failure).
    careful: bool,
    /// The index of the unit running now.
    current_unit: usize,
    /// The users and the groups that the PUTs and PATCHes of the current chunk write, by id:
    /// locked as its transaction opens (see `store::users::lock_many`).
    to_lock: (Vec<String>, Vec<String>),
}

impl<'a> Run<'a> {
    pub(super) fn new(
        service: &'a Service,
        ctx: &'a Context,
        request: BulkRequest,
        problems: Vec<Option<BulkError>>,
    ) -> Self {
        let n = request.operations.len();
        Self {
            service,
            ctx,
            ops: request.operations,
            problems,
            fail_on_errors: request.fail_on_errors,
            errors: 0,
            outcomes: (0..n).map(|_| None).collect(),
            created: HashMap::new(),
            hashes: HashMap::new(),
            patch_hashes: HashMap::new(),
            chunk: None,
            careful: false,
            current_unit: 0,
            to_lock: (Vec::new(), Vec::new()),
        }
    }

    /// The outcomes of the operations that ran, in request order.
    pub(super) fn outcomes(self) -> Vec<OpOutcome> {
        self.outcomes.into_iter().flatten().collect()
    }

    /// Runs the units in order, about [`CHUNK_OPERATIONS`] operations per transaction, until all
    /// ran or `failOnErrors` stops the run.
    pub(super) async fn all(&mut self, units: &[Unit]) {
        let mut start = 0;
        while start < units.len() && !self.stopped() {
            let mut end = start;
            let mut size = 0;
            while end < units.len() && (size == 0 || size + len(&units[end]) <= CHUNK_OPERATIONS) {
                size += len(&units[end]);
                end += 1;
            }
            self.hash_passwords(&units[start..end]).await;
            self.to_lock = self.rows_written(&units[start..end]);
            let mut k = start;
            loop {
                while k < end && !self.stopped() {
                    // Operations whose statements wait for the commit do not wait on their own:
                    // this lets the runtime's other tasks (and a request timeout) in.
                    tokio::task::consume_budget().await;
                    self.current_unit = k;
                    let ran = match &units[k] {
                        Unit::One(i) => self.one(*i).await,
                        Unit::Cycle(members) => self.cycle(members).await,
                    };
                    match ran {
                        Ran::Done => k += 1,
                        Ran::Replay => k = self.abandon_chunk(),
                    }
                }
                match self.finish_chunk().await {
                    Some(replay_from) => k = replay_from,
                    None => break,
                }
            }
            start = end;
        }
    }

    /// The ids of the users and of the groups that the PUTs and PATCHes of `units` write, each
    /// list without repeats (the database locks them in its own order of ids, the same for
    /// every chunk).
    fn rows_written(&self, units: &[Unit]) -> (Vec<String>, Vec<String>) {
        let (mut users, mut groups) = (Vec::new(), Vec::new());
        for &i in units.iter().flat_map(members) {
            if let Ok(
                Action::Replace {
                    rt,
                    target: Target::Id(id),
                    ..
                }
                | Action::Patch {
                    rt,
                    target: Target::Id(id),
                    ..
                },
            ) = &self.ops[i].action
            {
                match kind(rt) {
                    Kind::User => users.push(id.clone()),
                    Kind::Group => groups.push(id.clone()),
                }
            }
        }
        for ids in [&mut users, &mut groups] {
            ids.sort_unstable();
            ids.dedup();
        }
        (users, groups)
    }

    fn stopped(&self) -> bool {
        self.fail_on_errors.is_some_and(|n| self.errors >= n)
    }

    /// Hashes the passwords that the POSTs and PUTs of `units` set, before their transaction.
    async fn hash_passwords(&mut self, units: &[Unit]) {
        for &i in units.iter().flat_map(members) {
            if let Ok(Action::Create { rt, attrs } | Action::Replace { rt, attrs, .. }) =
                &self.ops[i].action
                && std::ptr::eq(*rt, &USER_RESOURCE)
                && attrs.contains_key("password")
                && !self.hashes.contains_key(&i)
            {
                let hashed = users::hash_password(attrs).await.map_err(|e| e.to_string());
                self.hashes.insert(i, hashed);
            }
        }
    }

    /// Runs one operation.
    async fn one(&mut self, i: usize) -> Ran {
        let location = self.location_of(i);
        let step = match self.prepare(i) {
            Ok(step) => step,
            Err(e) => return self.fail(i, location, e),
        };
        let mut attempts = 1;
        let mut retried = false;
        loop {
            let hashed = self.patch_hashes.get(&i).cloned();
            match self.attempt(&step, hashed.as_ref()).await {
                Ok(resource) => return self.succeed(i, step.kind(), resource.as_ref(), location),
                Err(_) if !self.careful => return Ran::Replay,
                // Another writer got in the way (a PostgreSQL deadlock): commit what the chunk
                // did, so its row locks go, and try once more in a new transaction.
                // (Careful from here on: committing cannot ask for a replay.)
                Err(Stop::Failed(e)) if e.is_contention() && !retried => {
                    retried = true;
                    self.finish_chunk().await;
                }
                Err(Stop::Failed(e)) => return self.fail(i, location, e),
                // As a single PATCH: hash outside any transaction, then run again.
                Err(Stop::NeedsHash(plain)) if hashed.is_none() => {
                    self.finish_chunk().await;
                    match crate::password::hash(plain.clone()).await {
                        Ok(hash) => {
                            self.patch_hashes.insert(i, (plain, hash));
                        }
                        Err(e) => return self.fail(i, location, e.into()),
                    }
                }
                Err(Stop::NeedsHash(_)) => {
                    let e = StoreError::Corrupt("a PATCH set two different passwords".into());
                    return self.fail(i, location, e.into());
                }
                Err(Stop::Again) if attempts < DELETE_ATTEMPTS => attempts += 1,
                Err(Stop::Again) => {
                    return self.fail(i, location, StoreError::VersionConflict.into());
                }
            }
        }
    }

    /// Runs a step in the chunk's transaction; when careful, after a savepoint that it
    /// releases on success and rolls back to otherwise.
    async fn attempt(
        &mut self,
        step: &Step,
        hashed: Option<&(String, String)>,
    ) -> Result<Option<Resource>, Stop> {
        let savepoint = self.savepoint().await?;
        let (service, ctx) = (self.service, self.ctx);
        let outcome = match self.chunk.as_mut() {
            Some(chunk) => apply(service, &mut chunk.w, ctx, step, hashed).await,
            None => Err(Stop::Failed(no_transaction())),
        };
        match self.end_savepoint(savepoint, outcome.is_ok()).await? {
            Some(undone) => Err(Stop::Failed(undone)),
            None => outcome,
        }
    }

    /// Runs POSTs that refer to each other in a cycle as one unit: each is created without its
    /// references to those not created yet, which are then added (RFC 7644 §3.7.1).
    async fn cycle(&mut self, members: &[usize]) -> Ran {
        let mut creates: Vec<CycleCreate> = Vec::with_capacity(members.len());
        for (p, &i) in members.iter().enumerate() {
            let later: HashSet<String> = members[p..]
                .iter()
                .filter_map(|&j| self.ops[j].bulk_id.clone())
                .collect();
            match self.action(i) {
                Ok(Action::Create { rt, attrs }) => {
                    let mut attrs = attrs.clone();
                    let fixups = defer_canonical_refs(rt, &mut attrs, &|b| later.contains(b));
                    let hash = match self.hash_of(i) {
                        Ok(hash) => hash,
                        Err(e) => return self.fail_cycle(members, i, e),
                    };
                    creates.push((i, kind(rt), attrs, hash, fixups));
                }
                Ok(_) => {
                    let e = BulkError::Conflict("only POSTs can form a reference cycle".into());
                    return self.fail_cycle(members, i, e.into());
                }
                Err(e) => return self.fail_cycle(members, i, e),
            }
        }
        let savepoint = match self.savepoint().await {
            Ok(s) => s,
            Err(e) => return self.fail_cycle(members, members[0], e),
        };
        let mut outcome = self.create_cycle(creates).await;
        match self.end_savepoint(savepoint, outcome.is_ok()).await {
            Err(e) => return self.fail_cycle(members, members[0], e),
            Ok(Some(undone)) => outcome = Err((members[0], undone)),
            Ok(None) => {}
        }
        match outcome {
            Ok(done) => {
                for (i, kind, resource) in done {
                    self.succeed(i, kind, Some(&resource), None);
                }
                Ran::Done
            }
            Err((i, e)) => {
                for &j in members {
                    if let Some(b) = &self.ops[j].bulk_id {
                        self.created.remove(b);
                    }
                }
                if self.careful {
                    self.fail_cycle(members, i, e)
                } else {
                    Ran::Replay
                }
            }
        }
    }

    /// Creates the members of a cycle, then fills in their deferred references.
    async fn create_cycle(
        &mut self,
        creates: Vec<CycleCreate>,
    ) -> Result<Vec<(usize, Kind, Resource)>, (usize, ServiceError)> {
        let mut done = Vec::with_capacity(creates.len());
        let mut later = Vec::new();
        for (i, kind, mut attrs, hash, fixups) in creates {
            self.substitute_canonical(kind.rt(), &mut attrs)
                .map_err(|e| (i, e))?;
            let step = Step::Create { kind, attrs, hash };
            let resource = self.apply_within(&step).await.map_err(|e| (i, e))?;
            if let Some(b) = self.ops[i].bulk_id.clone() {
                self.created.insert(b, (kind, resource.id.clone()));
            }
            later.push((done.len(), fixups));
            done.push((i, kind, resource));
        }
        for (p, mut fixups) in later.into_iter().filter(|(_, f)| !f.is_empty()) {
            let (i, kind, id) = (done[p].0, done[p].1, done[p].2.id.clone());
            self.substitute_patch(kind.rt(), &mut fixups)
                .map_err(|e| (i, e))?;
            // Generated here, without filters: a budget is needed only for their type.
            let patch = Patch {
                ops: fixups,
                terms: TermBudget::new(self.service.limits.max_filter_terms),
            };
            let step = Step::Patch {
                kind,
                id,
                patch,
                if_match: None,
            };
            done[p].2 = self.apply_within(&step).await.map_err(|e| (i, e))?;
        }
        Ok(done)
    }

    /// Runs a create, or a PATCH that sets no password, in the chunk's transaction.
    async fn apply_within(&mut self, step: &Step) -> Result<Resource, ServiceError> {
        let (service, ctx) = (self.service, self.ctx);
        let Some(chunk) = self.chunk.as_mut() else {
            return Err(no_transaction());
        };
        match apply(service, &mut chunk.w, ctx, step, None).await {
            Ok(Some(resource)) => Ok(resource),
            Ok(None) | Err(Stop::Again) => Err(StoreError::RowMissing.into()),
            Err(Stop::Failed(e)) => Err(e),
            Err(Stop::NeedsHash(_)) => {
                Err(StoreError::Corrupt("a deferred reference set a password".into()).into())
            }
        }
    }

    /// Fails every member of a cycle: `failed` with `e`, the others because of it.
    fn fail_cycle(&mut self, members: &[usize], failed: usize, e: ServiceError) -> Ran {
        for &j in members.iter().filter(|&&j| j != failed) {
            let detail = format!(
                "Operations[{j}] is in a reference cycle with Operations[{failed}], which failed; \
                 the operations of a cycle succeed or fail together (RFC 7644 §3.7.1)"
            );
            self.fail(j, None, BulkError::Conflict(detail).into());
        }
        self.fail(failed, None, e)
    }

    /// Resolves an operation's references and makes the checks the single request makes
    /// before its transaction.
    fn prepare(&self, i: usize) -> Result<Step, ServiceError> {
        if let Some(problem) = &self.problems[i] {
            return Err(problem.clone().into());
        }
        let action = self.action(i)?;
        let kind = kind(action.rt());
        let if_match = self.ops[i].version.clone();
        let id = match action.target() {
            Some(target) => {
                let id = self.target_id(target)?;
                known_id(kind, &id)?;
                id
            }
            None => String::new(),
        };
        Ok(match action {
            Action::Create { rt, attrs } => {
                let mut attrs = attrs.clone();
                self.substitute_canonical(rt, &mut attrs)?;
                let hash = self.hash_of(i)?;
                Step::Create { kind, attrs, hash }
            }
            Action::Replace {
                rt, attrs, body_id, ..
            } => {
                let body_id = match body_id.as_deref().and_then(bulk_id_of) {
                    Some(b) => Some(self.resolve(b)?),
                    None => body_id.clone(),
                };
                same_id(body_id.as_deref(), &id)?;
                let mut attrs = attrs.clone();
                self.substitute_canonical(rt, &mut attrs)?;
                let hash = self.hash_of(i)?;
                Step::Replace {
                    kind,
                    id,
                    attrs,
                    hash,
                    if_match,
                }
            }
            Action::Patch { rt, ops, terms, .. } => {
                let mut ops = ops.clone();
                self.substitute_patch(rt, &mut ops)?;
                Step::Patch {
                    kind,
                    id,
                    patch: Patch { ops, terms: *terms },
                    if_match,
                }
            }
            Action::Delete { .. } => Step::Delete { kind, id, if_match },
        })
    }

    /// The operation's action, or why it cannot run.
    fn action(&self, i: usize) -> Result<&Action, ServiceError> {
        self.ops[i]
            .action
            .as_ref()
            .map_err(|e| ServiceError::from(e.clone()))
    }

    /// The password hash a POST or PUT sets, computed before its chunk.
    fn hash_of(&self, i: usize) -> Result<Option<String>, ServiceError> {
        match self.hashes.get(&i) {
            Some(Ok(hash)) => Ok(hash.clone()),
            Some(Err(e)) => Err(StoreError::Corrupt(e.clone()).into()),
            None => Ok(None),
        }
    }

    /// The resource id a target names.
    fn target_id(&self, target: &Target) -> Result<String, ServiceError> {
        match target {
            Target::Id(id) => Ok(id.clone()),
            Target::BulkId(b) => self.resolve(b),
        }
    }

    /// The id of the resource the POST with `bulkId` `b` created; 409 if it failed.
    fn resolve(&self, b: &str) -> Result<String, ServiceError> {
        if let Some((_, id)) = self.created.get(b) {
            return Ok(id.clone());
        }
        let by = self
            .ops
            .iter()
            .position(|op| op.bulk_id.as_deref() == Some(b));
        let detail = match by {
            Some(j) => format!(
                "\"bulkId:{b}\" refers to Operations[{j}], which failed, so there is no resource \
                 to refer to"
            ),
            None => format!("\"bulkId:{b}\" refers to no operation of this request"),
        };
        Err(BulkError::Conflict(detail).into())
    }

    /// Replaces the references in canonical attributes with the ids they stand for.
    fn substitute_canonical(
        &self,
        rt: &ResourceTypeDef,
        attrs: &mut Map<String, Value>,
    ) -> Result<(), ServiceError> {
        let mut failed = None;
        canonical_refs(rt, attrs, &mut |s| self.substitute(s, &mut failed));
        failed.map_or(Ok(()), Err)
    }

    /// Replaces the references in PATCH operations with the ids they stand for.
    fn substitute_patch(
        &self,
        rt: &ResourceTypeDef,
        ops: &mut [Operation],
    ) -> Result<(), ServiceError> {
        let mut failed = None;
        patch_refs(rt, ops, &mut |s| self.substitute(s, &mut failed));
        failed.map_or(Ok(()), Err)
    }

    fn substitute(&self, s: &mut String, failed: &mut Option<ServiceError>) {
        if failed.is_some() {
            return;
        }
        if let Some(b) = bulk_id_of(s) {
            match self.resolve(b) {
                Ok(id) => *s = id,
                Err(e) => *failed = Some(e),
            }
        }
    }

    /// The URL of the resource a PUT, PATCH or DELETE names, if it is known yet.
    fn location_of(&self, i: usize) -> Option<String> {
        let action = self.ops[i].action.as_ref().ok()?;
        let id = match action.target()? {
            Target::Id(id) => id.clone(),
            Target::BulkId(b) => self.created.get(b)?.1.clone(),
        };
        Some(self.service.location(self.ctx, kind(action.rt()), &id))
    }

    /// Opens the chunk's transaction if needed and, when careful, sets a savepoint in it.
    async fn savepoint(&mut self) -> Result<Option<Savepoint>, ServiceError> {
        if self.chunk.is_none() {
            let mut w = self.service.db.begin_write().await?;
            let dir = self.ctx.directory.as_str();
            store::users::lock_many(&mut w, dir, &self.to_lock.0).await?;
            store::groups::lock_many(&mut w, dir, &self.to_lock.1).await?;
            self.chunk = Some(Chunk {
                w,
                first_unit: self.current_unit,
                ran: Vec::new(),
                succeeded: Vec::new(),
            });
        }
        match (self.careful, self.chunk.as_mut()) {
            (false, _) => Ok(None),
            (true, Some(chunk)) => Ok(Some(chunk.w.savepoint().await?)),
            (true, None) => Err(no_transaction()),
        }
    }

    /// Releases `savepoint` after a success, or rolls back to it. A success can still fail
    /// then, since its statements may run with the release (see `Write::release`): the
    /// failure is returned, and its work is undone. If ending the savepoint fails, the
    /// transaction is lost, and with it the operations that had succeeded in it.
    async fn end_savepoint(
        &mut self,
        savepoint: Option<Savepoint>,
        succeeded: bool,
    ) -> Result<Option<ServiceError>, ServiceError> {
        let (Some(savepoint), Some(chunk)) = (savepoint, self.chunk.as_mut()) else {
            return Ok(None);
        };
        let ended = if succeeded {
            chunk
                .w
                .release(savepoint)
                .await
                .map(|released| match released {
                    Released::Kept => None,
                    Released::Undone(e) => Some(e.into()),
                })
        } else {
            chunk.w.rollback_to(savepoint).await.map(|()| None)
        };
        ended.map_err(|e| {
            tracing::error!(error = %e, "a bulk chunk could not end a savepoint");
            if let Some(chunk) = self.chunk.take() {
                self.revoke(chunk.succeeded, false);
            }
            e.into()
        })
    }

    /// Rolls back the optimistic chunk after a failure and forgets what its operations did;
    /// from now on every unit runs carefully. Returns the unit to run again from.
    fn abandon_chunk(&mut self) -> usize {
        match self.chunk.take() {
            Some(chunk) => {
                // Dropping the unit of work rolls it back.
                drop(chunk.w);
                self.forget(chunk.first_unit, chunk.ran)
            }
            None => {
                self.careful = true;
                self.current_unit
            }
        }
    }

    /// Forgets what the operations `ran` of a chunk that was not committed did; from now on
    /// every unit runs carefully. Returns the chunk's first unit, to run again from.
    fn forget(&mut self, first_unit: usize, ran: Vec<usize>) -> usize {
        self.careful = true;
        for i in ran {
            if let Some(outcome) = self.outcomes[i].take()
                && outcome.result.is_err()
            {
                self.errors -= 1;
            }
            if let Some(b) = &self.ops[i].bulk_id {
                self.created.remove(b);
            }
        }
        first_unit
    }

    /// Commits the open chunk. An optimistic chunk's statements may fail only now (they wait
    /// for the commit, see `Tx::queue`): then it is run again carefully, from the unit this
    /// returns. If a careful chunk's commit fails, its operations fail after all.
    async fn finish_chunk(&mut self) -> Option<usize> {
        let chunk = self.chunk.take()?;
        let first_unit = chunk.first_unit;
        let (ran, succeeded) = (chunk.ran, chunk.succeeded);
        match chunk.w.commit().await {
            Ok(events) => {
                self.service.announce(events);
                None
            }
            Err(_) if !self.careful => Some(self.forget(first_unit, ran)),
            Err(e) => {
                tracing::error!(error = %e, "a bulk chunk could not be committed");
                self.revoke(succeeded, e.is_contention());
                None
            }
        }
    }

    /// Turns the outcomes of operations whose transaction was lost into failures.
    fn revoke(&mut self, succeeded: Vec<usize>, contention: bool) {
        for i in succeeded {
            if let Some(b) = &self.ops[i].bulk_id {
                self.created.remove(b);
            }
            let location = match self.ops[i].method {
                Some(Method::Post) => None,
                _ => self.outcomes[i].as_mut().and_then(|o| o.location.take()),
            };
            let e = if contention {
                BulkError::Conflict(
                    "the operation collided with concurrent changes and was not applied; send it again"
                        .into(),
                )
            } else {
                BulkError::NotCommitted
            };
            self.outcomes[i] = None;
            self.fail(i, location, e.into());
        }
    }

    /// Records a success: `location` is the target's URL, for a DELETE (which leaves no
    /// resource to take it from).
    fn succeed(
        &mut self,
        i: usize,
        kind: Kind,
        resource: Option<&Resource>,
        location: Option<String>,
    ) -> Ran {
        let op = &self.ops[i];
        if let (Some(Method::Post), Some(b), Some(r)) = (op.method, &op.bulk_id, resource) {
            self.created.insert(b.clone(), (kind, r.id.clone()));
        }
        let status = match (op.method, kind) {
            (Some(Method::Post), _) => 201,
            (Some(Method::Patch), Kind::Group) | (Some(Method::Delete), _) => 204,
            _ => 200,
        };
        self.outcomes[i] = Some(OpOutcome {
            method: op.method_name(),
            bulk_id: op.bulk_id.clone(),
            location: resource
                .map(|r| self.service.location(self.ctx, kind, &r.id))
                .or(location),
            version: resource.map(|r| r.meta.etag()),
            result: Ok(status),
        });
        if let Some(chunk) = self.chunk.as_mut() {
            chunk.ran.push(i);
            chunk.succeeded.push(i);
        }
        Ran::Done
    }

    fn fail(&mut self, i: usize, location: Option<String>, e: ServiceError) -> Ran {
        let op = &self.ops[i];
        self.errors += 1;
        self.outcomes[i] = Some(OpOutcome {
            method: op.method_name(),
            bulk_id: op.bulk_id.clone(),
            location,
            version: None,
            result: Err(e),
        });
        if let Some(chunk) = self.chunk.as_mut() {
            chunk.ran.push(i);
        }
        Ran::Done
    }
}

fn no_transaction() -> ServiceError {
    StoreError::Corrupt("a bulk operation ran without its transaction".into()).into()
}

/// The operations of a unit.
fn members(unit: &Unit) -> &[usize] {
    match unit {
        Unit::One(i) => std::slice::from_ref(i),
        Unit::Cycle(members) => members,
    }
}

fn len(unit: &Unit) -> usize {
    members(unit).len()
}

fn kind(rt: &ResourceTypeDef) -> Kind {
    if std::ptr::eq(rt, &USER_RESOURCE) {
        Kind::User
    } else {
        Kind::Group
    }
}
