//! Carrying out an import (the `files` function): a CSV file of the drive read from S3
//! a range at a time into an instrument's time series, through ingest's own store
//! ([`super::ingest::store_imported`]). A strict import reads the file twice: first
//! only to check every line, so that a bad line stores nothing; then to store.

use super::export::save_state;
use super::ingest::{store_imported, IngestError, NewInstance};
use crate::domain::csv::{
    ChannelColumn, ImportLimits, ImportedRow, StreamedImport, MAX_REPORTED_SKIPS,
};
use crate::domain::data_job::{
    import_percent, DataJob, ImportSpec, JobOutcome, JobState, MAX_IMPORT_CHANNELS, MAX_IMPORT_ROWS,
};
use crate::domain::files::object_key;
use crate::domain::protocol::MAX_FUTURE_SKEW_MILLIS;
use crate::domain::record::{Millis, Record};
use crate::ports::{
    Accounts, Apps, Bucket, CalculatedChannels, DataJobs, Files, GroupKey, Instruments,
    RecordStore, StoreError,
};

/// Bytes read from S3 at a time.
const CHUNK_BYTES: u64 = 4 * 1024 * 1024;

/// Records handed to the store at a time.
const BATCH_RECORDS: usize = 500;

const LIMITS: ImportLimits = ImportLimits {
    max_channels: MAX_IMPORT_CHANNELS,
    max_rows: MAX_IMPORT_ROWS,
};

fn failed(reason: impl Into<String>) -> JobState {
    JobState::Failed {
        reason: reason.into(),
    }
}

/// What the second pass has done so far.
#[derive(Default)]
struct Tally {
    rows: u64,
    stored: u64,
    skipped: u64,
    skipped_lines: Vec<String>,
    channels_over_limit: Vec<String>,
}

/// Carries out `job`, an import of `spec`, keeping its item up to date; its final state.
#[allow(clippy::too_many_arguments)]
pub async fn run_import(
    store: &(impl Accounts + Apps + Instruments + CalculatedChannels + Files + DataJobs),
    record_store: &impl RecordStore,
    bucket: &impl Bucket,
    job: &DataJob,
    spec: &ImportSpec,
    new_instance: &NewInstance,
    now: Millis,
) -> Result<JobState, IngestError> {
    let group = GroupKey {
        account: &job.account,
        group: &job.group,
    };
    let Some(file) = store.file(group, &spec.file).await? else {
        return Ok(failed(format!(
            "file `{}` is no longer in the drive",
            spec.file
        )));
    };
    let Some(app) = store
        .app(&job.account, &spec.app)
        .await?
        .filter(|app| app.group == job.group)
    else {
        return Ok(failed(format!(
            "app `{}` is no longer in the group",
            spec.app
        )));
    };
    let Some(account) = store.account(&job.account).await? else {
        return Ok(failed("the account is gone"));
    };
    let plan = account.plan_at(now);
    if !plan.limits().import_from_files {
        return Ok(failed(format!(
            "plan {plan} does not import measurement data from files"
        )));
    }
    let key = object_key(&job.account, &job.group, &file.id);
    let latest = now.plus(MAX_FUTURE_SKEW_MILLIS);

    if !spec.skip_bad_lines {
        let mut check = StreamedImport::new(LIMITS, latest);
        let mut offset = 0;
        while offset < file.size {
            let chunk = read(bucket, &key, offset).await?;
            offset += CHUNK_BYTES;
            if let Some(Err(error)) = check.push(&chunk).into_iter().find(Result::is_err) {
                return Ok(failed(format!("{error}; nothing was imported")));
            }
        }
        if let Some(Err(error)) = check.finish().0.into_iter().find(Result::is_err) {
            return Ok(failed(format!("{error}; nothing was imported")));
        }
    }

    let mut stream = Some(StreamedImport::new(LIMITS, latest));
    let mut tally = Tally::default();
    let mut batch: Vec<Record> = Vec::with_capacity(BATCH_RECORDS);
    let (app, account) = (&app, &account);
    let store_batch = |batch: Vec<Record>| async move {
        let target = (app, account);
        store_imported(
            store,
            record_store,
            target,
            &spec.instrument,
            &batch,
            new_instance,
            now,
        )
        .await
    };
    let mut offset = 0;
    while let Some(reading) = stream.as_mut() {
        let (lines, channels) = if offset < file.size {
            let chunk = read(bucket, &key, offset).await?;
            offset += CHUNK_BYTES;
            let lines = reading.push(&chunk);
            (
                lines,
                reading.channels().map(<[_]>::to_vec).unwrap_or_default(),
            )
        } else {
            stream.take().expect("the file is being read").finish()
        };
        for line in lines {
            match line {
                Ok(row) => {
                    tally.rows += 1;
                    batch.extend(record_of(spec, &channels, row));
                }
                Err(error) if spec.skip_bad_lines && !error.problem.is_fatal() => {
                    tally.skipped += 1;
                    if tally.skipped_lines.len() < MAX_REPORTED_SKIPS {
                        tally.skipped_lines.push(error.to_string());
                    }
                }
                Err(error) => {
                    return Ok(failed(format!(
                        "{error}; the {} lines before it were imported",
                        tally.rows
                    )))
                }
            }
            if batch.len() >= BATCH_RECORDS {
                let report = store_batch(std::mem::take(&mut batch)).await?;
                if let Some(refusal) = tally.add(report) {
                    return Ok(failed(refusal));
                }
            }
        }
        if stream.is_some() {
            let running = JobState::Running {
                rows: tally.rows,
                percent: import_percent(offset.min(file.size), file.size),
            };
            save_state(store, job, running, now).await?;
        }
    }
    if !batch.is_empty() {
        let report = store_batch(batch).await?;
        if let Some(refusal) = tally.add(report) {
            return Ok(failed(refusal));
        }
    }
    Ok(JobState::Done(JobOutcome {
        rows: tally.rows,
        files: Vec::new(),
        bytes: None,
        stored: Some(tally.stored),
        skipped: Some(tally.skipped),
        skipped_lines: tally
            .skipped_lines
            .into_iter()
            .chain(tally.channels_over_limit)
            .collect(),
    }))
}

impl Tally {
    /// Counts what a batch stored; why the instrument took nothing, if it did not.
    fn add(&mut self, report: super::ingest::IngestReport) -> Option<String> {
        self.stored += report.stored as u64;
        for note in report.channels_over_limit {
            if !self.channels_over_limit.contains(&note) {
                self.channels_over_limit.push(note);
            }
        }
        report.rejected.into_iter().next()
    }
}

async fn read(bucket: &impl Bucket, key: &str, offset: u64) -> Result<Vec<u8>, StoreError> {
    bucket
        .read_range(key, offset, CHUNK_BYTES)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("the drive's object {key} is missing")))
}

/// The record of a line: its values under the columns' channel names (a column's app
/// and instrument, as an export writes them, are not the target's); none for a line of
/// empty cells.
fn record_of(spec: &ImportSpec, channels: &[ChannelColumn], row: ImportedRow) -> Option<Record> {
    let values: Vec<_> = channels
        .iter()
        .zip(row.values)
        .filter_map(|(column, value)| value.map(|v| (column.channel().clone(), v)))
        .collect();
    (!values.is_empty()).then(|| Record {
        instrument: spec.instrument.clone(),
        t: row.t,
        values,
    })
}
