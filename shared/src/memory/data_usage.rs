//! Measurement data bytes in memory.

use async_trait::async_trait;

use super::store::{DataCount, MemoryStore};
use crate::domain::ids::AccountId;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::domain::usage::{KeyPending, Mark, PendingHour, StreamPosition, Tally};
use crate::ports::{BacklogStep, Counted, DataUsage, StoreError};

fn pending_of(count: &DataCount) -> Vec<PendingHour> {
    count
        .pending
        .iter()
        .map(|(hour, marked)| PendingHour {
            hour: *hour,
            marked: marked.clone(),
        })
        .collect()
}

#[async_trait]
impl DataUsage for MemoryStore {
    async fn count_data(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        tally: &Tally,
    ) -> Result<Counted, StoreError> {
        let mut tables = self.tables();
        let id = (account.clone(), key.clone());
        let (hours, past) = tally.marks();
        if let Some(count) = tables.data_usage.get_mut(&id) {
            // Kept before the count is checked, as in DynamoDB.
            if let Some(past) = past {
                count.backlog_from = Some(count.backlog_from.map_or(past, |kept| kept.min(past)));
                count.backlog_version += 1;
            }
            if count.through >= tally.first {
                return Ok(Counted::Already(count.through.clone()));
            }
        }
        let count = tables.data_usage.entry(id).or_insert_with(|| DataCount {
            bytes: 0,
            through: tally.last.clone(),
            pending: Default::default(),
            backlog_from: past,
            backlog_version: u64::from(past.is_some()),
            rolled_from: None,
        });
        if count.rolled_from.is_none() {
            count.rolled_from = hours.first().copied();
        }
        count.bytes += tally.bytes;
        count.through = tally.last.clone();
        for hour in hours {
            count.pending.insert(hour, Mark::Stored(tally.last.clone()));
        }
        Ok(Counted::Counted(pending_of(count)))
    }

    async fn data_bytes(&self, account: &AccountId) -> Result<u64, StoreError> {
        let total: i64 = self
            .tables()
            .data_usage
            .iter()
            .filter(|((holder, _), _)| holder == account)
            .map(|(_, count)| count.bytes)
            .sum();
        // Below zero only if deletions were counted before the writes they undo.
        Ok(u64::try_from(total).unwrap_or(0))
    }

    async fn data_keys(&self, account: &AccountId) -> Result<Vec<InstrumentKey>, StoreError> {
        Ok(self
            .tables()
            .data_usage
            .keys()
            .filter(|(holder, _)| holder == account)
            .map(|(_, key)| key.clone())
            .collect())
    }

    async fn pending_hours(
        &self,
        account: &AccountId,
    ) -> Result<Vec<(InstrumentKey, Vec<PendingHour>)>, StoreError> {
        Ok(self
            .tables()
            .data_usage
            .iter()
            .filter(|((holder, _), count)| {
                holder == account && (!count.pending.is_empty() || count.backlog_from.is_some())
            })
            .map(|((_, key), count)| (key.clone(), pending_of(count)))
            .collect())
    }

    async fn key_marks(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
    ) -> Result<Option<Vec<PendingHour>>, StoreError> {
        let tables = self.tables();
        Ok(tables
            .data_usage
            .get(&(account.clone(), key.clone()))
            .map(pending_of))
    }

    async fn key_pending(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
    ) -> Result<KeyPending, StoreError> {
        let tables = self.tables();
        let Some(count) = tables.data_usage.get(&(account.clone(), key.clone())) else {
            return Ok(KeyPending::default());
        };
        Ok(KeyPending {
            hours: count.pending.keys().copied().collect(),
            backlog_from: count.backlog_from,
            backlog_version: count.backlog_version,
            rolled_from: count.rolled_from,
        })
    }

    async fn advance_backlog(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        (from, version): (Millis, u64),
        to: BacklogStep,
    ) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        match tables.data_usage.get_mut(&(account.clone(), key.clone())) {
            Some(count) if count.backlog_from == Some(from) && count.backlog_version == version => {
                match to {
                    BacklogStep::MoveTo(to) => count.backlog_from = Some(to),
                    BacklogStep::TakeOff { open_hours } => {
                        count.backlog_from = None;
                        for hour in open_hours {
                            count
                                .pending
                                .entry(hour)
                                .or_insert_with(|| Mark::Stored(StreamPosition::before_any()));
                        }
                    }
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn keep_rollups_from(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        from: Millis,
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if let Some(count) = tables.data_usage.get_mut(&(account.clone(), key.clone())) {
            if let Some(rolled_from) = &mut count.rolled_from {
                *rolled_from = (*rolled_from).max(from);
            }
        }
        Ok(())
    }

    async fn unmark_hours(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        hours: &[PendingHour],
    ) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let Some(count) = tables.data_usage.get_mut(&(account.clone(), key.clone())) else {
            return Ok(hours.is_empty());
        };
        if hours
            .iter()
            .any(|pending| count.pending.get(&pending.hour) != Some(&pending.marked))
        {
            return Ok(false);
        }
        for pending in hours {
            count.pending.remove(&pending.hour);
        }
        Ok(true)
    }

    async fn mark_compacted(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        pending: &PendingHour,
    ) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let Some(count) = tables.data_usage.get_mut(&(account.clone(), key.clone())) else {
            return Ok(false);
        };
        match count.pending.get_mut(&pending.hour) {
            Some(marked) if *marked == pending.marked => {
                *marked = pending.marked.compacted();
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_keeps_the_data_usage_contract() {
        crate::contract::data_usage(&MemoryStore::new(), "memory").await;
    }
}
