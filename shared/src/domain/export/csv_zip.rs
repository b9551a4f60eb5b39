//! An export's files: CSVs in a ZIP, each split into parts Excel opens whole, under names
//! that are safe to unpack, with at most [`MAX_CHANNELS`] channels in all.

use std::collections::{BTreeSet, HashSet};
use std::io::Write;

use super::error::ExportError;
use super::name::safe_base_name;
use super::zip::{DosTime, EntrySize, ZipStream};
use crate::domain::csv::{ChannelColumn, CsvExport};
use crate::domain::record::{Millis, Value};
use crate::domain::settings::TimeZone;

/// What one export may hold (issue 12); a channel in two files counts once.
pub const MAX_CHANNELS: usize = 32;

/// Data rows per CSV file: Excel shows at most 1,048,576 lines of a sheet and drops the
/// rest without a word, so a longer CSV goes on in `{name}-part2.csv` and so on.
pub const MAX_ROWS_PER_PART: usize = 1_000_000;

/// CSV text is handed to the compressor in chunks of about this size: few calls, little
/// memory.
const CHUNK_BYTES: usize = 64 * 1024;

/// The longest cells the CSV layer writes: a time with milliseconds and an offset
/// (`2026-03-29T06:30:00.007+05:30`), and a number with 17 digits, a sign and a
/// three-digit exponent (`-2.2250738585072014e-308`). They bound a part's size.
pub(super) const MAX_TIME_BYTES: u64 = 29;
pub(super) const MAX_VALUE_BYTES: u64 = 24;

/// How far an export has come, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub rows: u64,
    /// Compressed bytes handed to the sink.
    pub bytes: u64,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    /// The files in the ZIP, in order (`plant.csv`, `plant-part2.csv`, …).
    pub files: Vec<String>,
    pub rows: u64,
    /// The ZIP's size.
    pub bytes: u64,
}

/// The CSV being written and where it is in its current part.
struct CsvFile {
    base: String,
    headings: Vec<String>,
    csv: CsvExport,
    part: usize,
    rows_in_part: usize,
    size: EntrySize,
}

/// An export being written: `start_csv`, its rows, maybe another `start_csv` and its
/// rows, then `finish`.
pub struct ExportZip<W: Write> {
    zip: ZipStream<W>,
    zone: TimeZone,
    rows_per_part: usize,
    /// The distinct channels of all files so far, at most [`MAX_CHANNELS`].
    channels: BTreeSet<String>,
    /// Names in the ZIP so far, lowercased: Windows and macOS would unpack `A.csv` over
    /// `a.csv`.
    taken: HashSet<String>,
    files: Vec<String>,
    file: Option<CsvFile>,
    /// CSV text not yet handed to the compressor.
    chunk: String,
    rows: u64,
}

impl<W: Write> ExportZip<W> {
    /// An export into `sink` with times in `zone`; the files carry `created` (the
    /// request's instant) as their modification time.
    pub fn new(sink: W, zone: &TimeZone, created: Millis) -> ExportZip<W> {
        ExportZip::with_rows_per_part(sink, zone, created, MAX_ROWS_PER_PART)
    }

    /// As [`ExportZip::new`], with parts of `rows_per_part` rows (at least one).
    pub fn with_rows_per_part(
        sink: W,
        zone: &TimeZone,
        created: Millis,
        rows_per_part: usize,
    ) -> ExportZip<W> {
        ExportZip {
            zip: ZipStream::new(sink, DosTime::of(created, zone.tz())),
            zone: zone.clone(),
            rows_per_part: rows_per_part.max(1),
            channels: BTreeSet::new(),
            taken: HashSet::new(),
            files: Vec::new(),
            file: None,
            chunk: String::with_capacity(CHUNK_BYTES + 4096),
            rows: 0,
        }
    }

    /// Starts a CSV file named after `name` (made safe, see [`safe_base_name`]) with a
    /// column per channel, headed as given (`gw-1/LR8450-1/CH1`, `calc:power`). Ends the
    /// file before it. A refused name or channel list leaves the export as it was.
    pub fn start_csv<S: AsRef<str>>(
        &mut self,
        name: &str,
        channels: &[S],
    ) -> Result<(), ExportError> {
        let base = safe_base_name(name)?;
        let headings: Vec<String> = channels.iter().map(|c| c.as_ref().to_owned()).collect();
        self.check_channels(&headings)?;
        let file_name = format!("{base}.csv");
        if self.taken.contains(&file_name.to_lowercase()) {
            return Err(ExportError::DuplicateFile(file_name));
        }
        let size = entry_size(self.rows_per_part, &headings);
        self.channels.extend(headings.iter().cloned());
        let csv = self.start_part(file_name, &headings, size)?;
        self.file = Some(CsvFile {
            base,
            headings,
            csv,
            part: 1,
            rows_in_part: 0,
            size,
        });
        Ok(())
    }

    /// Writes a line of the current file: the instant and a value (or none) per channel,
    /// in the order of its header. Starts the file's next part when this one is full.
    pub fn row(&mut self, t: Millis, values: &[Option<Value>]) -> Result<(), ExportError> {
        let file = self.file.as_ref().ok_or(ExportError::NoFile)?;
        if values.len() != file.headings.len() {
            return Err(ExportError::RowWidth {
                expected: file.headings.len(),
                found: values.len(),
            });
        }
        if file.rows_in_part == self.rows_per_part {
            self.next_part()?;
        }
        let file = self
            .file
            .as_mut()
            .expect("a file was started, as checked above");
        file.csv.row(t, values, &mut self.chunk);
        file.rows_in_part += 1;
        self.rows += 1;
        if self.chunk.len() >= CHUNK_BYTES {
            self.write_chunk()?;
        }
        Ok(())
    }

    /// Rows written so far and compressed bytes handed to the sink, for a progress bar.
    pub fn progress(&self) -> Progress {
        Progress {
            rows: self.rows,
            bytes: self.zip.bytes(),
        }
    }

    /// Ends the last file and the ZIP; returns the sink and what was written.
    pub fn finish(mut self) -> Result<(W, ExportSummary), ExportError> {
        self.write_chunk()?;
        let (sink, zip) = self.zip.finish()?;
        Ok((
            sink,
            ExportSummary {
                files: self.files,
                rows: self.rows,
                bytes: zip.bytes,
            },
        ))
    }

    /// Ends the current file's part and starts its next, `{base}-part{n}.csv`.
    fn next_part(&mut self) -> Result<(), ExportError> {
        let file = self.file.as_ref().expect("only a file going has parts");
        let part = file.part + 1;
        let name = format!("{}-part{part}.csv", file.base);
        if self.taken.contains(&name.to_lowercase()) {
            return Err(ExportError::DuplicateFile(name));
        }
        // At most 32 headings, once per million rows.
        let (headings, size) = (file.headings.clone(), file.size);
        let csv = self.start_part(name, &headings, size)?;
        let file = self.file.as_mut().expect("only a file going has parts");
        file.csv = csv;
        file.part = part;
        file.rows_in_part = 0;
        Ok(())
    }

    fn check_channels(&self, headings: &[String]) -> Result<(), ExportError> {
        if headings.is_empty() {
            return Err(ExportError::NoChannels);
        }
        let mut seen = BTreeSet::new();
        for heading in headings {
            ChannelColumn::parse(heading).map_err(|reason| ExportError::Channel {
                heading: heading.clone(),
                reason,
            })?;
            if !seen.insert(heading) {
                return Err(ExportError::DuplicateChannel(heading.clone()));
            }
        }
        let count =
            self.channels.len() + seen.iter().filter(|h| !self.channels.contains(**h)).count();
        if count > MAX_CHANNELS {
            return Err(ExportError::TooManyChannels { count });
        }
        Ok(())
    }

    /// Ends the entry before (its last text included) and starts `name` with its header.
    fn start_part(
        &mut self,
        name: String,
        headings: &[String],
        size: EntrySize,
    ) -> Result<CsvExport, ExportError> {
        self.write_chunk()?;
        self.zip.start_entry(&name, size)?;
        self.taken.insert(name.to_lowercase());
        self.files.push(name);
        Ok(CsvExport::start(&self.zone, headings, &mut self.chunk))
    }

    fn write_chunk(&mut self) -> Result<(), ExportError> {
        if !self.chunk.is_empty() {
            self.zip.write(self.chunk.as_bytes())?;
            self.chunk.clear();
        }
        Ok(())
    }
}

/// Whether a part of `rows` lines of these channels could pass 4 GiB, by the longest
/// cells the CSV layer writes; with a million rows of 32 channels it is under 1 GiB.
fn entry_size(rows: usize, headings: &[String]) -> EntrySize {
    // The header: BOM, `time`, and each heading quoted with every character doubled.
    let header: u64 = 3 + 4 + 2 + headings.iter().map(|h| 3 + 2 * h.len() as u64).sum::<u64>();
    let row = MAX_TIME_BYTES + headings.len() as u64 * (1 + MAX_VALUE_BYTES) + 2;
    if header + rows as u64 * row >= u64::from(u32::MAX) {
        EntrySize::Large
    } else {
        EntrySize::Small
    }
}
