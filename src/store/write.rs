//! The unit of work every resource write goes through: one write transaction and the change
//! events it records, committed together. A resource write function takes a [`Write`], and the
//! only way to commit one is [`Write::commit`], which inserts the recorded events in the same
//! transaction: a rolled-back write leaves no event, a committed one always has its events.

use super::StoreError;
use super::db::{Db, Tx};
use super::events::{self, NewEvent};

/// An open write transaction with the events recorded so far.
pub struct Write {
    tx: Tx,
    events: Vec<NewEvent>,
}

impl Db {
    /// Opens a unit of work (a write transaction; see [`Db::write`]).
    pub async fn begin_write(&self) -> Result<Write, StoreError> {
        Ok(Write {
            tx: self.write().await?,
            events: Vec::new(),
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

    /// The transaction, for the store modules' statements.
    pub(super) fn tx(&mut self) -> &mut Tx {
        &mut self.tx
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
