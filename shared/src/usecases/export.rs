//! Carrying out an export (the `files` function): the records of each instrument (or
//! calculated channel) asked for, a page at a time, into one CSV of the ZIP, streamed to
//! S3 in parts of [`PART_BYTES`] as the compressor hands them over. Memory holds a page
//! of records and a part, whatever the range.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use super::data_jobs::{save_state, Clock};
use super::series::locate;
use super::{history, Refused};
use crate::domain::codec::{decode_values, ChannelIndex};
use crate::domain::data_job::{
    export_key, export_percent, DataJob, ExportSpec, JobOutcome, JobState, MAX_EXPORT_RECORDS,
};
use crate::domain::export::{safe_base_name, ExportError, ExportSummary, ExportZip};
use crate::domain::files::PART_BYTES;
use crate::domain::record::Value;
use crate::domain::registry::InstrumentKey;
use crate::ports::{
    Apps, Bucket, CalculatedChannels, ChunkStore, DataJobs, Instruments, RecordStore, StoreError,
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

/// Carries out `job`, an export of `spec`, keeping its item up to date (`clock` says
/// when); its final state. A store or S3 failure is an error (the message comes back
/// and the export starts over); what no retry changes — a channel gone, too many
/// records, a file the ZIP cannot hold — fails it.
pub async fn run_export(
    store: &(impl Apps + Instruments + CalculatedChannels + DataJobs),
    record_store: &(impl RecordStore + ChunkStore),
    bucket: &impl Bucket,
    job: &DataJob,
    spec: &ExportSpec,
    clock: &Clock,
) -> Result<JobState, StoreError> {
    let sources = match sources(store, job, spec).await? {
        Ok(sources) => sources,
        Err(reason) => return Ok(JobState::Failed { reason }),
    };
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
    let written = write(store, record_store, &mut upload, job, spec, &sources, clock).await;
    let failed = |reason: String| async {
        upload
            .bucket
            .abort_multipart(&upload.key, &upload.id)
            .await?;
        Ok(JobState::Failed { reason })
    };
    let summary = match written? {
        Ok(summary) => summary,
        Err(reason) => return failed(reason).await,
    };
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

/// The CSVs of the export, each a source of records, under names unique in the ZIP; or
/// why there are none (a channel not found).
async fn sources(
    store: &(impl Apps + Instruments + CalculatedChannels),
    job: &DataJob,
    spec: &ExportSpec,
) -> Result<Result<Vec<Source>, String>, StoreError> {
    let mut by_key: BTreeMap<InstrumentKey, Source> = BTreeMap::new();
    for channel in &spec.channels {
        let (key, index, _) = match locate(store, &job.account, &job.group, channel).await {
            Ok(located) => located,
            Err(Refused::Store(error)) => return Err(error),
            Err(refused) => return Ok(Err(refused.to_string())),
        };
        let source = by_key.entry(key.clone()).or_insert_with(|| Source {
            key,
            name: file_name(&channel.to_string()),
            headings: Vec::new(),
            indexes: Vec::new(),
        });
        source.headings.push(channel.to_string());
        source.indexes.push(index);
    }
    // Names that differ only where the ZIP's names cannot (`/` and `_`, case) are told
    // apart by a number.
    let mut taken = HashSet::new();
    let mut sources: Vec<Source> = by_key.into_values().collect();
    for source in &mut sources {
        let base = match safe_base_name(&source.name) {
            Ok(base) => base,
            Err(error) => return Ok(Err(error.to_string())),
        };
        let mut name = base.clone();
        let mut n = 1;
        while !taken.insert(name.to_lowercase()) {
            n += 1;
            name = format!("{base}-{n}");
        }
        source.name = name;
    }
    Ok(Ok(sources))
}

/// Writes every source's records into the ZIP going to `upload`: what it wrote, or why
/// it could not.
async fn write<B: Bucket>(
    store: &impl DataJobs,
    record_store: &(impl RecordStore + ChunkStore),
    upload: &mut Upload<'_, B>,
    job: &DataJob,
    spec: &ExportSpec,
    sources: &[Source],
    clock: &Clock,
) -> Result<Result<ExportSummary, String>, StoreError> {
    let unwritable = |error: ExportError| format!("the ZIP could not be written: {error}");
    let buffer = PartBuffer::default();
    // The request's instant on every file: an export written again is the same ZIP.
    let mut zip = ExportZip::new(buffer.clone(), &spec.time_zone, job.requested);
    let (mut records_read, mut pages) = (0u64, 0usize);
    for (done, source) in sources.iter().enumerate() {
        if let Err(error) = zip.start_csv(&source.name, &source.headings) {
            return Ok(Err(unwritable(error)));
        }
        let mut from = spec.from;
        loop {
            let page =
                history::range(record_store, &source.key, from, spec.to, PAGE_RECORDS).await?;
            records_read += page.len() as u64;
            if records_read > MAX_EXPORT_RECORDS {
                return Ok(Err(format!(
                    "the export would read more than {MAX_EXPORT_RECORDS} records; ask for a shorter range or for channels of fewer instruments"
                )));
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
                    if let Err(error) = zip.row(record.t, &row) {
                        return Ok(Err(unwritable(error)));
                    }
                }
            }
            if buffer.len() as u64 >= PART_BYTES {
                upload.send(buffer.take()).await?;
            }
            pages += 1;
            let last = page.last().map(|r| r.t);
            if pages % PROGRESS_EVERY_PAGES == 0 {
                let percent = export_percent(spec, sources.len(), done, last.unwrap_or(spec.to));
                let rows = zip.progress().rows;
                save_state(store, job, JobState::Running { rows, percent }, clock()).await?;
            }
            match last {
                Some(t) if page.len() == PAGE_RECORDS => from = t.plus(1),
                _ => break,
            }
        }
    }
    let summary = match zip.finish() {
        Ok((_, summary)) => summary,
        Err(error) => return Ok(Err(unwritable(error))),
    };
    upload.send(buffer.take()).await?;
    Ok(Ok(summary))
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
