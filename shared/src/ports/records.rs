//! The [`RecordStore`] port.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;

/// A stored record: the item the records table holds per (instrument, time).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    pub instrument: InstrumentKey,
    pub t: Millis,
    pub values: Vec<u8>,
}

/// What a [`RecordStore::put`] did with each record, in the order given: `true` where it
/// was newly stored, `false` where a record was stored under its key already (and stays).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewlyStored(pub Vec<bool>);

impl NewlyStored {
    /// How many records were newly stored.
    pub fn count(&self) -> usize {
        self.0.iter().filter(|newly| **newly).count()
    }
}

/// What one [`RecordStore::delete_before`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeletedRecords {
    pub deleted: usize,
    /// Whether records before the instant may remain. Not "fewer than the limit were
    /// deleted": DynamoDB ends a page at 1 MB read, so big records come fewer a page.
    pub more: bool,
}

/// The time series.
#[async_trait]
pub trait RecordStore: Send + Sync {
    /// Stores each record unless one is stored under its key already (the first write
    /// stays, so a redelivery changes nothing); which were newly stored. Each is stored
    /// to expire [`crate::usecases::compaction::RAW_RECORDS_KEPT`] from now: a record
    /// sent again after its own expired is stored again (counted, and compacted again,
    /// where the chunk's first value stays — readers prefer chunks).
    async fn put(&self, records: &[StoredRecord]) -> Result<NewlyStored, StoreError>;
    /// The records stored under these (instrument, time) keys, read consistently, in no
    /// particular order; keys with no record are left out. The keys have no repeats.
    async fn get_many(
        &self,
        keys: &[(InstrumentKey, Millis)],
    ) -> Result<Vec<StoredRecord>, StoreError>;
    /// The newest `limit` records of one instrument, newest first; `limit` is at least 1.
    async fn newest(
        &self,
        instrument: &InstrumentKey,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError>;
    /// Deletes the oldest records of one instrument stamped before `before`, at most
    /// `limit` (at least 1). Deleting what is gone already is no error.
    async fn delete_before(
        &self,
        instrument: &InstrumentKey,
        before: Millis,
        limit: usize,
    ) -> Result<DeletedRecords, StoreError>;
    /// [`Self::range`], read consistently: what compaction reads, so that a record
    /// stored just before it is among them.
    async fn range_consistently(
        &self,
        instrument: &InstrumentKey,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError>;
    /// Takes the records of one instrument with `from <= t < to` off expiry: records
    /// are stored to expire once their hour is compacted (see
    /// [`crate::usecases::compaction::RAW_RECORDS_KEPT`]), and these are the only copy
    /// of an hour that cannot be. How many were found expiring and taken off (one gone
    /// meanwhile counts: nothing is left of it to keep), at most `limit` (at least 1;
    /// fewer: none is left expiring); records kept already are not written again.
    async fn keep_raw(
        &self,
        instrument: &InstrumentKey,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<usize, StoreError>;
    /// Records of one instrument with `from <= t < to`, oldest first, at most `limit`.
    async fn range(
        &self,
        instrument: &InstrumentKey,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError>;
}
