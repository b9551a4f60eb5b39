//! Carrying out an export (the `files` function): the records of each instrument (or
//! calculated channel) asked for, a page at a time, into one CSV of the ZIP, streamed to
//! S3 in parts of [`PART_BYTES`] as the compressor hands them over. Memory holds a page
//! of records and a part, whatever the range.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use super::series::locate;
use crate::domain::codec::{decode_values, ChannelIndex};
use crate::domain::data_job::{
    export_key, export_percent, DataJob, ExportSpec, JobOutcome, JobState, MAX_EXPORT_RECORDS,
};
use crate::domain::export::ExportZip;
use crate::domain::files::PART_BYTES;
use crate::domain::record::{Millis, Value};
use crate::domain::registry::InstrumentKey;
use crate::ports::{
    Apps, Bucket, CalculatedChannels, DataJobs, Instruments, RecordStore, StoreError,
};

/// Records read per request: about 300 KB of a 32-channel instrument.
const PAGE_RECORDS: usize = 1_000;

/// The job item is brought up to date every this many pages (one write each).
const PROGRESS_EVERY_PAGES: usize = 25;

/// The compressor's output, shared with the loop that sends it to S3 a part at a time:
/// the ZIP writer owns its sink, and parts must be sent between its writes.
#[derive(Clone, Default)]
struct PartBuffer(Arc<Mutex<Vec<u8>>>);

impl PartBuffer {
    fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Write for PartBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An upload in parts under way.
struct Upload<'a, B: Bucket> {
    bucket: &'a B,
    key: String,
    id: String,
    parts: Vec<(u32, String)>,
}

impl<B: Bucket> Upload<'_, B> {
    async fn send(&mut self, bytes: Vec<u8>) -> Result<(), StoreError> {
        let number = self.parts.len() as u32 + 1;
        let etag = self
            .bucket
            .upload_part(&self.key, &self.id, number, bytes)
            .await?;
        self.parts.push((number, etag));
        Ok(())
    }
}

/// One CSV of the export: the records under one key, the channels of it asked for.
struct Source {
    key: InstrumentKey,
    name: String,
    headings: Vec<String>,
    indexes: Vec<ChannelIndex>,
}

/// Carries out `job`, an export of `spec`, keeping its item up to date; its final
/// state. A store or S3 failure is an error (the message comes back and the export
/// starts over); what no retry changes — a channel gone, too many records — fails it.
pub async fn run_export(
    store: &(impl Apps + Instruments + CalculatedChannels + DataJobs),
    record_store: &impl RecordStore,
    bucket: &impl Bucket,
    job: &DataJob,
    spec: &ExportSpec,
    now: Millis,
) -> Result<JobState, StoreError> {
    let mut sources: BTreeMap<InstrumentKey, Source> = BTreeMap::new();
    for channel in &spec.channels {
        let (key, index, _) = match locate(store, &job.account, &job.group, channel).await {
            Ok(located) => located,
            Err(refused) => {
                return Ok(JobState::Failed {
                    reason: refused.to_string(),
                })
            }
        };
        let source = sources.entry(key.clone()).or_insert_with(|| Source {
            key,
            name: file_name(&channel.to_string()),
            headings: Vec::new(),
            indexes: Vec::new(),
        });
        source.headings.push(channel.to_string());
        source.indexes.push(index);
    }
    let key = export_key(&job.account, &job.group, &job.id);
    // An attempt that stopped after completing its ZIP left it there; S3 completes no
    // second one over it.
    bucket.delete(&key).await?;
    let mut upload = Upload {
        bucket,
        id: bucket.start_multipart(&key, "application/zip").await?,
        key,
        parts: Vec::new(),
    };
    let buffer = PartBuffer::default();
    let mut zip = ExportZip::new(buffer.clone(), &spec.time_zone, now);
    let (mut records_read, mut pages) = (0u64, 0usize);
    let count = sources.len();
    for (done, source) in sources.values().enumerate() {
        zip.start_csv(&source.name, &source.headings)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut from = spec.from;
        loop {
            let page = record_store
                .range(&source.key, from, spec.to, PAGE_RECORDS)
                .await?;
            records_read += page.len() as u64;
            if records_read > MAX_EXPORT_RECORDS {
                upload
                    .bucket
                    .abort_multipart(&upload.key, &upload.id)
                    .await?;
                return Ok(JobState::Failed {
                    reason: format!(
                        "the export would read more than {MAX_EXPORT_RECORDS} records; ask for a shorter range or for channels of fewer instruments"
                    ),
                });
            }
            for record in &page {
                let stored = decode_values(&record.values)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let row: Vec<Option<Value>> = source
                    .indexes
                    .iter()
                    .map(|index| stored.iter().find(|(i, _)| i == index).map(|(_, v)| *v))
                    .collect();
                // A record without any of the channels (they were not measured then).
                if row.iter().any(Option::is_some) {
                    zip.row(record.t, &row)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                }
            }
            if buffer.len() as u64 >= PART_BYTES {
                upload.send(buffer.take()).await?;
            }
            pages += 1;
            let last = page.last().map(|r| r.t);
            if pages % PROGRESS_EVERY_PAGES == 0 {
                let percent = export_percent(spec, count, done, last.unwrap_or(spec.to));
                let rows = zip.progress().rows;
                save_state(store, job, JobState::Running { rows, percent }, now).await?;
            }
            match last {
                Some(t) if page.len() == PAGE_RECORDS => from = t.plus(1),
                _ => break,
            }
        }
    }
    let (_, summary) = zip
        .finish()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    upload.send(buffer.take()).await?;
    if !bucket
        .complete_multipart(&upload.key, &upload.id, &upload.parts)
        .await?
    {
        return Err(StoreError::Unavailable(
            "S3 refused to complete the export's ZIP; it is written again".into(),
        ));
    }
    Ok(JobState::Done(JobOutcome {
        rows: summary.rows,
        files: summary.files,
        bytes: Some(summary.bytes),
        stored: None,
        skipped: None,
        skipped_lines: Vec::new(),
    }))
}

/// Keeps `job` in `state`.
pub(crate) async fn save_state(
    store: &impl DataJobs,
    job: &DataJob,
    state: JobState,
    now: Millis,
) -> Result<(), StoreError> {
    let job = DataJob {
        state,
        updated: now,
        ..job.clone()
    };
    store.save_job(&job).await
}

/// A CSV's name from its first channel: `gw-1/LR8450-1/CH1` → `gw-1_LR8450-1`, a
/// calculated channel's → `calc_power`.
fn file_name(channel: &str) -> String {
    let source = channel
        .rsplit_once('/')
        .map_or(channel, |(instrument, _)| instrument);
    source.replace(['/', ':'], "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_is_named_after_its_instrument_or_calculated_channel() {
        assert_eq!(file_name("gw-1/LR8450-1/CH1"), "gw-1_LR8450-1");
        assert_eq!(file_name("calc:power"), "calc_power");
    }

    #[test]
    fn the_part_buffer_hands_over_what_was_written_once() {
        let buffer = PartBuffer::default();
        let mut writer = buffer.clone();
        writer.write_all(b"abc").unwrap();
        assert_eq!(buffer.len(), 3);
        assert_eq!(buffer.take(), b"abc");
        assert_eq!(buffer.len(), 0);
    }
}
