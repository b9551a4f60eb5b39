//! The [`DataUsage`] port.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::ids::AccountId;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
#[cfg(doc)]
use crate::domain::usage::MARKS_A_DELIVERY;
use crate::domain::usage::{KeyPending, PendingHour, StreamPosition, Tally};

/// Where a backlog's walk leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BacklogStep {
    /// On at this hour, the next to walk.
    MoveTo(Millis),
    /// Off, its hours still open marked like any other (at most the few hours not
    /// closed yet).
    TakeOff { open_hours: Vec<Millis> },
}

/// What [`DataUsage::count_data`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counted {
    /// Counted, and the tally's hours marked: every hour of the key now marked, oldest
    /// first.
    Counted(Vec<PendingHour>),
    /// Nothing: the key was counted through this position already, at or past the
    /// tally's first change (its delivery, or part of it, was seen before).
    Already(StreamPosition),
}

/// Each account's measurement data in bytes, per instrument key (measured instruments
/// and calculated channels alike), with how far the records table's stream was counted.
#[async_trait]
pub trait DataUsage: Send + Sync {
    /// Adds `tally.bytes` to the bytes of `key` (of `account`), marks it counted
    /// through `tally.last` and marks the oldest [`MARKS_A_DELIVERY`] of
    /// `tally.stored_hours` pending as of `tally.last`, in one write, unless it was
    /// counted through `tally.first` or later already; the first hour past those
    /// becomes the key's backlog start unless an earlier one is kept (see
    /// [`Tally::marks`]), and the oldest hour marked the time the key is rolled up from
    /// unless it has one.
    async fn count_data(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        tally: &Tally,
    ) -> Result<Counted, StoreError>;
    /// The bytes of the account's measurement data: the chunks and the records kept raw
    /// (see [`crate::domain::usage::DataItem`]); not the rollups (an account's items
    /// counted before they were free may still hold their bytes).
    async fn data_bytes(&self, account: &AccountId) -> Result<u64, StoreError>;
    /// The account's instrument keys that ever had a record counted: where its
    /// measurement data is, for the sweep that deletes it.
    async fn data_keys(&self, account: &AccountId) -> Result<Vec<InstrumentKey>, StoreError>;
    /// The account's keys with hours marked pending or a backlog, each with its marks
    /// oldest first.
    async fn pending_hours(
        &self,
        account: &AccountId,
    ) -> Result<Vec<(InstrumentKey, Vec<PendingHour>)>, StoreError>;
    /// `key`'s marked hours, oldest first, read consistently; `None` for a key never
    /// counted.
    async fn key_marks(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
    ) -> Result<Option<Vec<PendingHour>>, StoreError>;
    /// What is known of `key`'s rollups: its marks, where its backlog starts, from when
    /// it is rolled up (nothing for a key never counted).
    async fn key_pending(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
    ) -> Result<KeyPending, StoreError>;
    /// Moves the start of `key`'s backlog from `from` to `to`, or takes it off marking
    /// `open_hours` pending (each unless marked, as of [`StreamPosition::before_any`]),
    /// if it is still `from` at `version` ([`KeyPending::backlog_version`]); whether it
    /// did.
    async fn advance_backlog(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        read: (Millis, u64),
        to: BacklogStep,
    ) -> Result<bool, StoreError>;
    /// Moves the time `key` is rolled up from on to `from` if it was earlier
    /// ([`crate::domain::usage::NEVER`]: the key is rolled up no more); a key never
    /// rolled up stays so.
    async fn keep_rollups_from(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        from: Millis,
    ) -> Result<(), StoreError>;
    /// Takes the marks off `hours` of `key`, all in one write, unless one of them
    /// changed since it was read (an hour marked again); whether this call took them
    /// off.
    async fn unmark_hours(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        hours: &[PendingHour],
    ) -> Result<bool, StoreError>;
    /// Takes the mark off `pending.hour` of `key` unless the hour was marked again since
    /// it was read; whether this call took it off.
    async fn unmark_hour(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        pending: &PendingHour,
    ) -> Result<bool, StoreError> {
        self.unmark_hours(account, key, std::slice::from_ref(pending))
            .await
    }
    /// Marks `pending.hour` of `key` compacted ([`crate::domain::usage::Mark::compacted`]) unless it was marked again
    /// since it was read; whether this call did.
    async fn mark_compacted(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        pending: &PendingHour,
    ) -> Result<bool, StoreError>;
}
