//! The `usage` Lambda: counts the records table's changes into each account's storage
//! used, and compacts the hours of records they stored once those hours close. Its event
//! source is the table's stream; a batch that fails (storage unavailable) is handed over
//! again, which counts nothing twice (see `fieldcloud::domain::usage`) and compacts
//! nothing twice (`fieldcloud::usecases::compact_pending`).

use fieldcloud::adapters::dynamodb::stream::StreamEvent;
use fieldcloud::domain::record::Millis;
use fieldcloud::ports::{ChunkStore, DataUsage, RecordStore, StoreError};
use fieldcloud::usecases::usage::{count_changes, UsageReport};

/// Counts one batch of the stream and compacts its keys' hours closed by `now`. A change
/// that is not one of a records-table item cannot become one on a retry: it is logged
/// and left out.
pub async fn handle_batch(
    event: &StreamEvent,
    store: &impl DataUsage,
    records: &(impl RecordStore + ChunkStore),
    now: Millis,
) -> Result<UsageReport, StoreError> {
    let mut changes = Vec::with_capacity(event.records.len());
    let mut unreadable = 0;
    for record in &event.records {
        match record.data_change() {
            Ok(change) => changes.push(change),
            Err(error) => {
                // An operator searches the logs for this: the storage used is short.
                tracing::error!(%error, "a stream record not counted");
                unreadable += 1;
            }
        }
    }
    let report = UsageReport {
        unreadable,
        ..count_changes(store, records, &changes, now).await?
    };
    tracing::info!(
        changes = changes.len(),
        keys = report.keys,
        bytes = report.bytes,
        seen_before = report.seen_before,
        ignored = report.ignored,
        unreadable = report.unreadable,
        hours_compacted = report.hours.stored,
        hours_up_to_date = report.hours.up_to_date,
        hours_left_raw = report.hours.left_raw,
        hours_pending = report.hours.still_pending,
        objects_deleted = report.objects_deleted,
        "counted"
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `events/usage.json` is a stream batch as Lambda hands it over: one record stored.
    #[test]
    fn the_sample_event_is_one_record_inserted() {
        let event: StreamEvent =
            serde_json::from_str(include_str!("../../../events/usage.json")).unwrap();
        let change = event.records[0].data_change().unwrap();
        assert_eq!(change.key.account().unwrap().as_str(), "demo");
        assert!(change.bytes > 0);
    }
}
