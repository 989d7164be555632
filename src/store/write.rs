//! The unit of work every resource write goes through: one write transaction and the change
//! events it records, committed together. A resource write function takes a [`Write`], and the
//! only way to commit one is [`Write::commit`], which inserts the recorded events in the same
//! transaction: a rolled-back write leaves no event, a committed one always has its events.
//!
//! A unit of work may run several independent changes (the operations of a `/Bulk` request),
//! each after a [`Savepoint`]: rolling back to it undoes that change's statements and forgets
//! its events, and leaves the others.

use std::collections::HashMap;

use super::StoreError;
use super::db::{AnyRow, Arg, Db, Tx};
use super::events::{self, NewEvent};
use crate::scim::resource::Resource;

/// A point in a unit of work that [`Write::rollback_to`] returns to.
#[derive(Debug)]
pub struct Savepoint {
    /// How many events were recorded when it was set.
    events: usize,
}

/// How [`Write::release`] ended a change.
#[derive(Debug)]
pub enum Released {
    Kept,
    /// A statement of the change failed, and the change is undone.
    Undone(StoreError),
}

/// An open write transaction with the events recorded so far.
pub struct Write {
    tx: Tx,
    events: Vec<NewEvent>,
    /// Users read ahead of their loads (`users::lock_many`), by directory and id: each is as
    /// the unit of work would read it now, until a load takes it or a statement forgets it (see
    /// [`Write::tx`]).
    read_ahead: HashMap<(String, String), Resource>,
}

/// Where a read runs: on what is committed, or inside an open unit of work, which sees its own
/// writes (an import reads the users and groups that earlier rows of its chunk wrote).
pub enum Reader<'a> {
    Committed(&'a Db),
    Within(&'a mut Write),
}

impl Reader<'_> {
    /// The backend's dialect.
    pub(super) fn dialect(&self) -> super::Dialect {
        match self {
            Reader::Committed(db) => db.dialect(),
            Reader::Within(w) => w.tx.dialect(),
        }
    }

    /// Runs a query and decodes every row.
    pub(super) async fn fetch_all<T: AnyRow>(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<T>, StoreError> {
        match self {
            Reader::Committed(db) => db.autocommit().fetch_all(sql, args).await,
            Reader::Within(w) => w.tx.fetch_all(sql, args).await,
        }
    }
}

impl Db {
    /// Opens a unit of work (a write transaction; see [`Db::write`]).
    pub async fn begin_write(&self) -> Result<Write, StoreError> {
        Ok(Write {
            tx: self.write().await?,
            events: Vec::new(),
            read_ahead: HashMap::new(),
        })
    }
}

impl Write {
    /// Records a change event, inserted when the unit commits.
    pub fn record(&mut self, event: NewEvent) {
        self.events.push(event);
    }

    /// Records several change events.
    pub fn record_all(&mut self, events: impl IntoIterator<Item = NewEvent>) {
        self.events.extend(events);
    }

    /// Sets a savepoint. Each is released ([`Write::release`]) or rolled back
    /// ([`Write::rollback_to`]) before the next is set: SQLite journals every page a change
    /// modifies once for each open savepoint, so nesting them would make a long unit of work
    /// slower with every change.
    pub async fn savepoint(&mut self) -> Result<Savepoint, StoreError> {
        // Runs with the change's first statement (`Tx::queue`).
        self.tx.queue("SAVEPOINT change", Vec::new()).await?;
        Ok(Savepoint {
            events: self.events.len(),
        })
    }

    /// Keeps what was done since `savepoint`, as part of the unit of work, unless one of the
    /// change's statements that waited for this one fails for the client's reason (see
    /// `Tx::queue_unique`): then the change is undone and the unit of work goes on.
    pub async fn release(&mut self, savepoint: Savepoint) -> Result<Released, StoreError> {
        match self
            .tx
            .execute("RELEASE SAVEPOINT change", Vec::new())
            .await
        {
            Ok(_) => Ok(Released::Kept),
            Err(e @ StoreError::Uniqueness(_)) => {
                self.rollback_to(savepoint).await?;
                Ok(Released::Undone(e))
            }
            Err(e) => Err(e),
        }
    }

    /// Undoes everything since `savepoint`: its statements, and the events recorded since. The
    /// transaction stays usable (also on PostgreSQL after a failed statement).
    pub async fn rollback_to(&mut self, savepoint: Savepoint) -> Result<(), StoreError> {
        self.tx
            .execute("ROLLBACK TO SAVEPOINT change", Vec::new())
            .await?;
        self.tx
            .execute("RELEASE SAVEPOINT change", Vec::new())
            .await?;
        self.events.truncate(savepoint.events);
        self.read_ahead.clear();
        Ok(())
    }

    /// The transaction, for the store modules' statements. A statement may change how any user
    /// reads (a membership shows in `groups`, a manager's name in `manager`), so the users read
    /// ahead are forgotten; the user writes that know what they change use
    /// [`Write::tx_keeping_read_ahead`].
    pub(super) fn tx(&mut self) -> &mut Tx {
        self.read_ahead.clear();
        &mut self.tx
    }

    /// The transaction, keeping the users read ahead: for statements that change none of them
    /// but as their caller says (see `users::save`).
    pub(super) fn tx_keeping_read_ahead(&mut self) -> &mut Tx {
        &mut self.tx
    }

    /// Keeps users of a directory read ahead of their loads, replacing any kept before.
    pub(super) fn read_ahead(&mut self, tenant: &str, users: Vec<Resource>) {
        self.read_ahead = users
            .into_iter()
            .map(|u| ((tenant.to_owned(), u.id.clone()), u))
            .collect();
    }

    /// Takes a user, if it was read ahead and nothing forgot it since.
    pub(super) fn take_read_ahead(&mut self, tenant: &str, id: &str) -> Option<Resource> {
        self.read_ahead.remove(&(tenant.to_owned(), id.to_owned()))
    }

    /// Forgets the users read ahead for which `stale` holds.
    pub(super) fn forget_read_ahead(&mut self, stale: impl Fn(&Resource) -> bool) {
        self.read_ahead.retain(|_, user| !stale(user));
    }

    /// Inserts the recorded events and commits; returns how many events were committed (see
    /// `events` for how they get their feed positions).
    pub async fn commit(mut self) -> Result<usize, StoreError> {
        let n = self.events.len();
        if n > 0 {
            events::insert(&mut self.tx, &self.events).await?;
        }
        self.tx.commit().await?;
        Ok(n)
    }
}
