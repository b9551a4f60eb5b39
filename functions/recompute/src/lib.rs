//! The `recompute` Lambda: computes a calculated channel over the history stored before
//! its formula existed (new records are computed by `ingest`).
//!
//! Each SQS message is one bounded step — one page of the first source's records, from
//! the job's `from` on — and the step queues the next one. Progress is kept on the
//! channel, so the route can report it. Every step is idempotent (values are keyed by
//! formula and time, and depend only on the source records), so a redelivered message
//! is harmless; a step for a formula that is no longer current does nothing.

use fieldcloud::calculation::{compute_and_store, SourceValues};
use fieldcloud::domain::calculated::{Backfill, RecomputeJob};
use fieldcloud::domain::record::Millis;
use fieldcloud::ports::{CalculatedChannels, Instruments, JobQueue, RecordStore, StoreError};
use serde::Serialize;

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

/// A failure a retry can fix (the message is redelivered).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct RecomputeError(#[from] StoreError);

impl From<RecomputeError> for lambda_runtime::Diagnostic {
    fn from(error: RecomputeError) -> Self {
        let error_type = match &error.0 {
            StoreError::Unavailable(_) => "Retryable.StoreUnavailable",
            StoreError::Corrupt(_) => "StoreCorrupt",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: error.to_string(),
        }
    }
}

/// Handles one message of the recompute queue: a step of a job, [`PAGE_RECORDS`] source
/// records at most. A message that is not a job never will be: it is logged and dropped
/// (`Ok`), not retried. What Lambda runs, and the local cloud's queue worker too.
pub async fn handle_message(
    body: &str,
    registry: &(impl Instruments + CalculatedChannels),
    store: &impl RecordStore,
    queue: &impl JobQueue,
) -> Result<(), RecomputeError> {
    match serde_json::from_str::<RecomputeJob>(body) {
        Ok(job) => handle(&job, registry, store, queue, PAGE_RECORDS)
            .await
            .map(drop),
        Err(error) => {
            tracing::error!(%error, %body, "not a recompute job; dropped");
            Ok(())
        }
    }
}

/// Runs one step of `job`, reading at most `page` records of the first source.
pub async fn handle(
    job: &RecomputeJob,
    registry: &(impl Instruments + CalculatedChannels),
    store: &impl RecordStore,
    queue: &impl JobQueue,
    page: usize,
) -> Result<StepReport, RecomputeError> {
    let stale = StepReport {
        stale: true,
        ..StepReport::default()
    };
    let Some(channel) = registry
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
    let driver = registry
        .instrument(&channel.account, &driver.app, &driver.instrument)
        .await?
        .filter(|instrument| channel.computes_from(instrument));
    let records = match driver {
        Some(instrument) => {
            let records = store
                .range(&instrument.key(), job.from, Millis(i64::MAX), page)
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
                .fetch(registry, store, &channel, program.sources(), &times)
                .await?;
            let computed = compute_and_store(store, &channel, &program, &times, &values).await?;
            (computed, times.last().copied())
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
    let recorded = registry.record_backfill(&channel, progress).await?;
    let mut continued = None;
    if let Some(from) = next {
        // Only the step whose progress is the recorded one continues: a redelivered older
        // step, or a step of another chain over the same page, finds progress that is not
        // its own and stops, so work never doubles. A step redelivered after recording
        // (its queueing failed) finds its own and continues.
        let ours = recorded
            || registry
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
