//! Carrying out an import (the `files` function): a CSV file of the drive read from S3
//! a range at a time into an instrument's time series, through ingest's own store
//! ([`super::ingest::store_imported`]). A strict import reads the file twice: first
//! only to check every line, and that every column's channel finds room on the
//! instrument, so that a bad file stores nothing; then to store.

use super::data_jobs::{save_state, Clock};
use super::ingest::{store_imported, IngestError, IngestReport, NewInstance};
use crate::domain::csv::{
    ChannelColumn, ImportLimits, ImportedRow, StreamedImport, MAX_REPORTED_SKIPS,
};
use crate::domain::data_job::{
    import_percent, DataJob, ImportSpec, JobOutcome, JobState, MAX_IMPORT_CHANNELS, MAX_IMPORT_ROWS,
};
use crate::domain::files::{object_key, FileEntry};
use crate::domain::ingest::channels_without_room;
use crate::domain::protocol::MAX_FUTURE_SKEW_MILLIS;
use crate::domain::record::{Millis, Record};
use crate::domain::registry::{Account, App, AppKind};
use crate::ports::{
    Accounts, Apps, Bucket, CalculatedChannels, ChunkStore, DataJobs, Files, GroupKey, Instruments,
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
        reason: shortened(reason.into()),
    }
}

/// The longest reason or skipped line kept: a refused cell is quoted whole, and a row
/// may be 64 KiB, but the job item must stay far below DynamoDB's 400 KB with 100 of
/// them.
const MAX_MESSAGE_CHARS: usize = 300;

fn shortened(message: String) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message,
    }
}

/// What the storing pass has done so far.
#[derive(Default)]
struct Tally {
    rows: u64,
    stored: u64,
    skipped: u64,
    skipped_lines: Vec<String>,
}

/// What an import stores into, found and checked as ingest checks a device's message.
struct Target<'a> {
    app: App,
    account: Account,
    spec: &'a ImportSpec,
    /// The acquired channels an instrument of the app may have, by the plan.
    channel_limit: u32,
}

/// Carries out `job`, an import of `spec`, keeping its item up to date (`clock` says
/// when); its final state.
pub async fn run_import(
    store: &(impl Accounts + Apps + Instruments + CalculatedChannels + Files + DataJobs),
    record_store: &(impl RecordStore + ChunkStore),
    bucket: &impl Bucket,
    job: &DataJob,
    spec: &ImportSpec,
    new_instance: &NewInstance,
    clock: &Clock,
) -> Result<JobState, IngestError> {
    let now = clock();
    let (file, target) = match target(store, job, spec, now).await? {
        Ok(found) => found,
        Err(reason) => return Ok(failed(reason)),
    };
    let latest = now.plus(MAX_FUTURE_SKEW_MILLIS);
    let key = object_key(&job.account, &job.group, &file.id);
    let file_size = file.size;

    if !spec.skip_bad_lines {
        let mut check = Reading::new(store, &target, latest);
        let mut offset = 0;
        while offset < file_size {
            let chunk = read(bucket, &key, offset).await?;
            offset += CHUNK_BYTES;
            let lines = match check.push(&chunk).await? {
                Ok(lines) => lines,
                Err(reason) => return Ok(failed(format!("{reason}; nothing was imported"))),
            };
            if let Some(Err(error)) = lines.into_iter().find(Result::is_err) {
                return Ok(failed(format!("{error}; nothing was imported")));
            }
        }
        if let Some(Err(error)) = check.finish().into_iter().find(Result::is_err) {
            return Ok(failed(format!("{error}; nothing was imported")));
        }
    }

    let mut reading = Some(Reading::new(store, &target, latest));
    let mut tally = Tally::default();
    let mut batch: Vec<Record> = Vec::with_capacity(BATCH_RECORDS);
    let store_batch = |batch: Vec<Record>| {
        let target = (&target.app, &target.account);
        async move {
            let serial = &spec.instrument;
            store_imported(
                store,
                record_store,
                target,
                serial,
                &batch,
                new_instance,
                now,
            )
            .await
        }
    };
    let mut offset = 0;
    while let Some(going) = reading.as_mut() {
        let (lines, channels) = if offset < file_size {
            let chunk = read(bucket, &key, offset).await?;
            offset += CHUNK_BYTES;
            match going.push(&chunk).await? {
                Ok(lines) => (lines, going.channels()),
                Err(reason) => return Ok(failed(format!("{reason}; nothing was imported"))),
            }
        } else {
            let going = reading.take().expect("the file is being read");
            let channels = going.channels();
            (going.finish(), channels)
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
                        tally.skipped_lines.push(shortened(error.to_string()));
                    }
                }
                Err(error) => {
                    // What came before it is stored (the import was told to skip bad
                    // lines, and only a fatal one stops it): say exactly how much.
                    let report = store_batch(std::mem::take(&mut batch)).await?;
                    if let Some(refusal) = tally.add(report) {
                        return Ok(failed(refusal));
                    }
                    return Ok(failed(format!(
                        "{error}; the {} records of the lines before it were stored",
                        tally.stored
                    )));
                }
            }
            if batch.len() >= BATCH_RECORDS {
                let report = store_batch(std::mem::take(&mut batch)).await?;
                if let Some(refusal) = tally.add(report) {
                    return Ok(failed(refusal));
                }
            }
        }
        if reading.is_some() {
            let running = JobState::Running {
                rows: tally.rows,
                percent: import_percent(offset.min(file_size), file_size),
            };
            save_state(store, job, running, clock()).await?;
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
        skipped_lines: tally.skipped_lines,
    }))
}

/// The file and what it is imported into, or why it cannot be: as the API checked when
/// the import was asked for, and as ingest checks an app's message (enabled, its kind
/// in the plan, the Trial not over).
async fn target<'a>(
    store: &(impl Accounts + Apps + Files),
    job: &DataJob,
    spec: &'a ImportSpec,
    now: Millis,
) -> Result<Result<(FileEntry, Target<'a>), String>, StoreError> {
    let group = GroupKey {
        account: &job.account,
        group: &job.group,
    };
    let Some(file) = store.file(group, &spec.file).await? else {
        return Ok(Err(format!(
            "file `{}` is no longer in the drive",
            spec.file
        )));
    };
    let Some(app) = store
        .app(&job.account, &spec.app)
        .await?
        .filter(|app| app.group == job.group)
    else {
        return Ok(Err(format!("app `{}` is no longer in the group", spec.app)));
    };
    if !app.enabled {
        return Ok(Err(format!("app `{}` is disabled", spec.app)));
    }
    let Some(account) = store.account(&job.account).await? else {
        return Ok(Err("the account is gone".into()));
    };
    if account.trial_over(now) {
        return Ok(Err("the account's Trial has ended".into()));
    }
    let plan = account.plan_at(now);
    let limits = plan.limits();
    if !limits.import_from_files {
        return Ok(Err(format!(
            "plan {plan} does not import measurement data from files"
        )));
    }
    if app.kind == AppKind::DirectLogger && limits.channels_per_direct_logger.is_none() {
        return Ok(Err(format!("plan {plan} has no direct-connected loggers")));
    }
    let channel_limit = app.kind.limits(&limits).channels_per_instrument;
    let target = Target {
        app,
        account,
        spec,
        channel_limit,
    };
    Ok(Ok((file, target)))
}

/// One read of the file: its lines, and, once the header is read, whether every column
/// finds room on the instrument.
struct Reading<'a, S> {
    store: &'a S,
    target: &'a Target<'a>,
    stream: StreamedImport,
    room_checked: bool,
}

impl<'a, S: Instruments> Reading<'a, S> {
    fn new(store: &'a S, target: &'a Target<'a>, latest: Millis) -> Self {
        Reading {
            store,
            target,
            stream: StreamedImport::new(LIMITS, latest),
            room_checked: false,
        }
    }

    /// The lines `chunk` completes; or, before any is handed over, why the header's
    /// channels cannot all be stored.
    async fn push(
        &mut self,
        chunk: &[u8],
    ) -> Result<Result<crate::domain::csv::Lines, String>, StoreError> {
        let lines = self.stream.push(chunk);
        if !self.room_checked {
            if let Some(columns) = self.stream.channels() {
                self.room_checked = true;
                if let Some(reason) = self.no_room(columns).await? {
                    return Ok(Err(reason));
                }
            }
        }
        Ok(Ok(lines))
    }

    async fn no_room(&self, columns: &[ChannelColumn]) -> Result<Option<String>, StoreError> {
        let Target {
            app,
            spec,
            channel_limit,
            ..
        } = self.target;
        let instrument = self
            .store
            .instrument(&app.account, &app.id, &spec.instrument)
            .await?
            // Of an earlier registration of the app: ingest renews it empty.
            .filter(|instrument| instrument.registration == app.registration);
        let names: Vec<_> = columns.iter().map(ChannelColumn::channel).collect();
        Ok(
            channels_without_room(instrument.as_ref(), &names, *channel_limit).map(
                |(position, why)| {
                    format!(
                        "line 1, column {} ({}): {why}",
                        position + 2,
                        columns[position]
                    )
                },
            ),
        )
    }

    fn channels(&self) -> Vec<ChannelColumn> {
        self.stream
            .channels()
            .map(<[_]>::to_vec)
            .unwrap_or_default()
    }

    fn finish(self) -> crate::domain::csv::Lines {
        self.stream.finish().0
    }
}

impl Tally {
    /// Counts what a batch stored; why the instrument took nothing, if it did not.
    fn add(&mut self, report: IngestReport) -> Option<String> {
        self.stored += report.stored as u64;
        report
            .rejected
            .into_iter()
            .chain(report.channels_over_limit)
            .next()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_quoting_a_long_cell_is_kept_short() {
        let long = format!(
            "line 3, column 2 (CH1): \"{}\" is not a number",
            "9".repeat(60_000)
        );
        let kept = shortened(long);
        assert_eq!(kept.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(kept.ends_with('…'));
        assert_eq!(shortened("line 2: short".into()), "line 2: short");
    }
}
