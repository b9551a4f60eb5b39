//! Recomputing a calculated channel over the history stored before its formula existed
//! (new records are computed by ingest).
//!
//! Each step is bounded — one page of the first source's records, from the job's `from`
//! on — and queues the next one. Progress is kept on the channel, so the API can report
//! it. Every step is idempotent (values are keyed by formula and time, and depend only
//! on the source records), so a redelivered step is harmless; a step for a formula that
//! is no longer current does nothing.

use serde::Serialize;

use super::calculation::{compute_and_store, SourceValues};
use super::history;
use crate::domain::calculated::{Backfill, RecomputeJob};
use crate::domain::record::Millis;
use crate::ports::{
    CalculatedChannels, ChunkStore, Instruments, JobQueue, RecordStore, StoreError,
};

/// Source records per step: bounds the time and memory of one invocation.
pub const PAGE_RECORDS: usize = 500;

/// What one step did.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct StepReport {
    /// Values computed and stored by this step.
    pub computed: usize,
    /// Where the next step starts, if there is one (and this step continued the chain).
    pub next: Option<Millis>,
    /// The channel is gone or has another formula: nothing was done.
    pub stale: bool,
}

/// Runs one step of `job`, reading at most `page` records of the first source.
pub async fn step(
    job: &RecomputeJob,
    store: &(impl Instruments + CalculatedChannels),
    record_store: &(impl RecordStore + ChunkStore),
    queue: &impl JobQueue,
    page: usize,
) -> Result<StepReport, StoreError> {
    let stale = StepReport {
        stale: true,
        ..StepReport::default()
    };
    let Some(channel) = store
        .calculated_channel(&job.account, &job.group, &job.id)
        .await?
    else {
        return Ok(stale);
    };
    if channel.formula != job.formula {
        return Ok(stale);
    }
    let program = channel
        .program()
        .map_err(|e| StoreError::Corrupt(format!("calculated channel {}: {e}", channel.id)))?;
    // Every value needs every source, so one source's records name all the instants
    // there can be a value at.
    let driver = &program.sources()[0];
    let driver = store
        .instrument(&channel.account, &driver.app, &driver.instrument)
        .await?
        .filter(|instrument| channel.computes_from(instrument));
    let records = match driver {
        Some(instrument) => {
            let records = history::range(
                record_store,
                &instrument.key(),
                job.from,
                Millis(i64::MAX),
                page,
            )
            .await?;
            Some((instrument, records))
        }
        None => {
            tracing::warn!(channel = %channel.id, "first source gone or registered again: nothing to backfill");
            None
        }
    };
    let (computed, last) = match &records {
        Some((instrument, records)) if !records.is_empty() => {
            let times: Vec<Millis> = records.iter().map(|r| r.t).collect();
            let mut values = SourceValues::default();
            values.add(instrument, records)?;
            values
                .fetch(
                    store,
                    record_store,
                    &channel,
                    program.sources(),
                    &times,
                    // A backfill reads history: any time may be in a chunk alone.
                    Millis(i64::MAX),
                )
                .await?;
            let computed =
                compute_and_store(record_store, &channel, &program, &times, &values).await?;
            (computed.newly.count(), times.last().copied())
        }
        _ => (0, None),
    };
    let done = records.as_ref().is_none_or(|(_, r)| r.len() < page);
    let next = (!done).then(|| last.map(|t| t.plus(1))).flatten();
    let progress = Backfill {
        through: last.or(channel.backfill.through),
        computed: channel.backfill.computed + computed as u64,
        done,
        chain: job.chain,
    };
    let recorded = store.record_backfill(&channel, progress).await?;
    let mut continued = None;
    if let Some(from) = next {
        // Only the step whose progress is the recorded one continues: a redelivered older
        // step, or a step of another chain over the same page, finds progress that is not
        // its own and stops, so work never doubles. A step redelivered after recording
        // (its queueing failed) finds its own and continues.
        let ours = recorded
            || store
                .calculated_channel(&job.account, &job.group, &job.id)
                .await?
                .is_some_and(|c| {
                    c.formula == job.formula
                        && c.backfill.through == last
                        && c.backfill.chain == job.chain
                });
        if ours {
            queue
                .enqueue(&RecomputeJob {
                    from,
                    ..job.clone()
                })
                .await?;
            continued = Some(from);
        }
    }
    tracing::info!(channel = %channel.id, computed, next = ?continued, "recompute step");
    Ok(StepReport {
        computed,
        next: continued,
        stale: false,
    })
}
