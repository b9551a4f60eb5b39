//! The [`DataUsage`] port.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::ids::AccountId;
use crate::domain::registry::InstrumentKey;
use crate::domain::usage::{StreamPosition, Tally};

/// What [`DataUsage::count_data`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counted {
    Counted,
    /// Nothing: the key was counted through this position already, at or past the
    /// tally's first change (its delivery, or part of it, was seen before).
    Already(StreamPosition),
}

/// Each account's measurement data in bytes, per instrument key (measured instruments
/// and calculated channels alike), with how far the records table's stream was counted.
#[async_trait]
pub trait DataUsage: Send + Sync {
    /// Adds `tally.bytes` to the bytes of `key` (of `account`) and marks it counted
    /// through `tally.last`, in one write, unless it was counted through `tally.first`
    /// or later already.
    async fn count_data(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        tally: &Tally,
    ) -> Result<Counted, StoreError>;
    /// The bytes of the account's measurement data.
    async fn data_bytes(&self, account: &AccountId) -> Result<u64, StoreError>;
    /// The account's instrument keys that ever had a record counted: where its
    /// measurement data is, for the sweep that deletes it.
    async fn data_keys(&self, account: &AccountId) -> Result<Vec<InstrumentKey>, StoreError>;
}
