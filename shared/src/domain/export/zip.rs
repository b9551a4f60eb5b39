//! A ZIP archive written front to back into a sink that cannot seek — the parts of an S3
//! multipart upload — in memory that does not grow with the data (APPNOTE 6.3.10).
//!
//! Since nothing written can be patched, each entry's local header leaves its CRC-32 and
//! sizes at zero and sets the data-descriptor flag; the descriptor after the DEFLATE data
//! gives them, and the central directory at the end repeats them with each header's
//! offset. ZIP64 records appear where a count, size or offset does not fit the classic
//! fields. An entry's local header is written before its size is known, so an entry that
//! may pass 4 GiB must say so up front ([`EntrySize::Large`]); one that did not and
//! passes it is refused rather than written wrong.

use std::io::{self, Write};

use flate2::write::DeflateEncoder;
use flate2::Compression;

use super::error::ExportError;
use crate::domain::record::Millis;

/// Level 3: on a year of 32 channels a minute (benches/export.rs) it is a quarter to a
/// third faster than zlib's default 6 for a ZIP 4.3% larger (36.3 MiB against 34.8);
/// level 1 (fixed Huffman codes) is a third faster still, but 66% larger (60.2 MiB).
/// Lambda bills the time.
const LEVEL: u32 = 3;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const END: u32 = 0x0605_4b50;

/// Bit 3: CRC-32 and sizes follow the data. Bit 11: the name is UTF-8 (`炉温.csv`).
const FLAGS: u16 = 0x0008 | 0x0800;
const DEFLATE: u16 = 8;
/// APPNOTE's version 2.0 reads DEFLATE; 4.5 reads ZIP64.
const VERSION_DEFLATE: u16 = 20;
const VERSION_ZIP64: u16 = 45;
const ZIP64_EXTRA: u16 = 0x0001;

/// A classic field holding this much or more moves to a ZIP64 record; the field itself
/// then holds all ones (so a value of exactly all ones moves too).
const MAX_32: u64 = u32::MAX as u64;
const MAX_16: u64 = u16::MAX as u64;

/// How large an entry may grow, said before its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntrySize {
    /// Under 4 GiB, compressed and not: classic headers, which every reader opens.
    Small,
    /// May pass 4 GiB: ZIP64 headers from the start (readers older than 2001 balk).
    Large,
}

/// An archive's entry's modification time as ZIP keeps it: local time, to two seconds,
/// 1980 to 2107.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DosTime {
    pub date: u16,
    pub time: u16,
}

impl DosTime {
    /// The local time of `t` in `zone`; before 1980 or after 2107 the nearest end.
    pub fn of(t: Millis, zone: chrono_tz::Tz) -> DosTime {
        use chrono::{Datelike, Timelike};
        let local = chrono::DateTime::from_timestamp_millis(t.0)
            .map(|utc| utc.with_timezone(&zone).naive_local())
            .unwrap_or_default();
        let (date, time) = match local.year() {
            ..1980 => ((1 << 5) | 1, 0),
            2108.. => ((127 << 9) | (12 << 5) | 31, (23 << 11) | (59 << 5) | 29),
            year => (
                ((year - 1980) as u16) << 9 | (local.month() as u16) << 5 | local.day() as u16,
                (local.hour() as u16) << 11
                    | (local.minute() as u16) << 5
                    | (local.second() / 2) as u16,
            ),
        };
        DosTime { date, time }
    }
}

/// What the archive holds, once written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipSummary {
    pub entries: usize,
    /// The whole archive, as handed to the sink.
    pub bytes: u64,
}

/// Bytes handed to the sink so far: the offsets the central directory names.
struct Counted<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.count += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// An entry as the central directory describes it. The archive keeps one per entry
/// (its name and some 40 bytes): memory grows with the number of files, not their size.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Written {
    name: String,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
    offset: u64,
    zip64_local: bool,
}

struct Open<W: Write> {
    encoder: DeflateEncoder<Counted<W>>,
    crc: crc32fast::Hasher,
    entry: Written,
    /// Where the compressed data starts.
    data_start: u64,
}

enum State<W: Write> {
    Between(Counted<W>),
    InEntry(Box<Open<W>>),
    /// A write failed or an entry outgrew its headers: the archive cannot be completed.
    Broken,
}

/// A ZIP archive being written: entries one after another, each DEFLATE-compressed,
/// then [`ZipStream::finish`] writes the central directory.
pub struct ZipStream<W: Write> {
    state: State<W>,
    modified: DosTime,
    written: Vec<Written>,
}

impl<W: Write> ZipStream<W> {
    /// An empty archive whose entries all carry `modified`.
    pub fn new(sink: W, modified: DosTime) -> ZipStream<W> {
        ZipStream {
            state: State::Between(Counted {
                inner: sink,
                count: 0,
            }),
            modified,
            written: Vec::new(),
        }
    }

    /// An archive whose first byte goes to `sink` as if `offset` bytes had gone before:
    /// offsets past 4 GiB, without writing 4 GiB.
    #[cfg(test)]
    pub(super) fn after(sink: W, modified: DosTime, offset: u64) -> ZipStream<W> {
        let mut zip = ZipStream::new(sink, modified);
        if let State::Between(out) = &mut zip.state {
            out.count = offset;
        }
        zip
    }

    /// Ends the entry being written, if any, and starts one named `name` (a path
    /// inside the archive, which the caller has made safe).
    pub fn start_entry(&mut self, name: &str, size: EntrySize) -> Result<(), ExportError> {
        let mut out = self.close_entry()?;
        let zip64_local = size == EntrySize::Large;
        let offset = out.count;
        let header = local_header(name, self.modified, zip64_local);
        if let Err(error) = out.write_all(&header) {
            return Err(error.into());
        }
        let data_start = out.count;
        self.state = State::InEntry(Box::new(Open {
            encoder: DeflateEncoder::new(out, Compression::new(LEVEL)),
            crc: crc32fast::Hasher::new(),
            entry: Written {
                name: name.to_owned(),
                crc: 0,
                compressed: 0,
                uncompressed: 0,
                offset,
                zip64_local,
            },
            data_start,
        }));
        Ok(())
    }

    /// Adds `data` to the entry being written; compressed bytes go to the sink as the
    /// compressor lets them out.
    ///
    /// # Panics
    /// With no entry started: a caller's bug, not an input's.
    pub fn write(&mut self, data: &[u8]) -> Result<(), ExportError> {
        let open = match &mut self.state {
            State::InEntry(open) => open,
            State::Between(_) => panic!("an entry is started before data is written to it"),
            State::Broken => return Err(ExportError::Broken),
        };
        let uncompressed = open.entry.uncompressed + data.len() as u64;
        if !open.entry.zip64_local && uncompressed >= MAX_32 {
            let name = open.entry.name.clone();
            self.state = State::Broken;
            return Err(ExportError::EntryTooLarge { name });
        }
        if let Err(error) = open.encoder.write_all(data) {
            self.state = State::Broken;
            return Err(error.into());
        }
        open.crc.update(data);
        open.entry.uncompressed = uncompressed;
        Ok(())
    }

    /// Bytes handed to the sink so far (the compressor holds some back until it has
    /// more); 0 once the archive is broken.
    pub fn bytes(&self) -> u64 {
        match &self.state {
            State::Between(out) => out.count,
            State::InEntry(open) => open.encoder.get_ref().count,
            State::Broken => 0,
        }
    }

    /// Ends the last entry, writes the central directory and returns the sink.
    pub fn finish(mut self) -> Result<(W, ZipSummary), ExportError> {
        let mut out = self.close_entry()?;
        let directory_start = out.count;
        let mut directory = Vec::new();
        for entry in &self.written {
            directory.extend(central_header(entry, self.modified));
        }
        let directory_size = directory.len() as u64;
        directory.extend(end_records(
            self.written.len() as u64,
            directory_size,
            directory_start,
        ));
        out.write_all(&directory)?;
        out.flush()?;
        let summary = ZipSummary {
            entries: self.written.len(),
            bytes: out.count,
        };
        Ok((out.inner, summary))
    }

    /// Ends the entry being written (its data and descriptor) and hands back the sink.
    /// Any failure leaves the archive broken.
    fn close_entry(&mut self) -> Result<Counted<W>, ExportError> {
        match std::mem::replace(&mut self.state, State::Broken) {
            State::Between(out) => Ok(out),
            State::Broken => Err(ExportError::Broken),
            State::InEntry(open) => {
                let Open {
                    encoder,
                    crc,
                    mut entry,
                    data_start,
                } = *open;
                let mut out = encoder.finish()?;
                entry.crc = crc.finalize();
                entry.compressed = out.count - data_start;
                if !entry.zip64_local && entry.compressed >= MAX_32 {
                    return Err(ExportError::EntryTooLarge { name: entry.name });
                }
                out.write_all(&data_descriptor(&entry))?;
                self.written.push(entry);
                Ok(out)
            }
        }
    }
}

fn local_header(name: &str, modified: DosTime, zip64: bool) -> Vec<u8> {
    let mut header = Vec::with_capacity(30 + name.len() + 20);
    put32(&mut header, LOCAL_HEADER);
    put16(
        &mut header,
        if zip64 {
            VERSION_ZIP64
        } else {
            VERSION_DEFLATE
        },
    );
    put16(&mut header, FLAGS);
    put16(&mut header, DEFLATE);
    put16(&mut header, modified.time);
    put16(&mut header, modified.date);
    // CRC-32 and sizes come in the data descriptor; with ZIP64 the sizes point to the
    // extra field, which must then hold both (as zeros, the descriptor has them).
    put32(&mut header, 0);
    let size = if zip64 { u32::MAX } else { 0 };
    put32(&mut header, size);
    put32(&mut header, size);
    put16(&mut header, name_length(name));
    put16(&mut header, if zip64 { 20 } else { 0 });
    header.extend_from_slice(name.as_bytes());
    if zip64 {
        put16(&mut header, ZIP64_EXTRA);
        put16(&mut header, 16);
        put64(&mut header, 0);
        put64(&mut header, 0);
    }
    header
}

/// The CRC-32 and sizes after an entry's data; sizes in 8 bytes when its local header
/// has a ZIP64 field, as readers then expect (APPNOTE 4.3.9.2).
fn data_descriptor(entry: &Written) -> Vec<u8> {
    let mut descriptor = Vec::with_capacity(24);
    put32(&mut descriptor, DATA_DESCRIPTOR);
    put32(&mut descriptor, entry.crc);
    if entry.zip64_local {
        put64(&mut descriptor, entry.compressed);
        put64(&mut descriptor, entry.uncompressed);
    } else {
        put32(&mut descriptor, entry.compressed as u32);
        put32(&mut descriptor, entry.uncompressed as u32);
    }
    descriptor
}

fn central_header(entry: &Written, modified: DosTime) -> Vec<u8> {
    // Both sizes move to the ZIP64 field if either must, as most writers do; the offset
    // moves on its own. The field lists what moved, in this order (APPNOTE 4.5.3).
    let sizes_move = entry.compressed >= MAX_32 || entry.uncompressed >= MAX_32;
    let offset_moves = entry.offset >= MAX_32;
    let mut extra = Vec::new();
    if sizes_move {
        put64(&mut extra, entry.uncompressed);
        put64(&mut extra, entry.compressed);
    }
    if offset_moves {
        put64(&mut extra, entry.offset);
    }
    let zip64 = !extra.is_empty();
    let version = if zip64 || entry.zip64_local {
        VERSION_ZIP64
    } else {
        VERSION_DEFLATE
    };
    let classic = |value: u64, moves: bool| if moves { u32::MAX } else { value as u32 };
    let mut header = Vec::with_capacity(46 + entry.name.len() + 4 + extra.len());
    put32(&mut header, CENTRAL_HEADER);
    put16(&mut header, version); // made by: MS-DOS attributes, this APPNOTE version
    put16(&mut header, version);
    put16(&mut header, FLAGS);
    put16(&mut header, DEFLATE);
    put16(&mut header, modified.time);
    put16(&mut header, modified.date);
    put32(&mut header, entry.crc);
    put32(&mut header, classic(entry.compressed, sizes_move));
    put32(&mut header, classic(entry.uncompressed, sizes_move));
    put16(&mut header, name_length(&entry.name));
    put16(&mut header, if zip64 { extra.len() as u16 + 4 } else { 0 });
    put16(&mut header, 0); // comment length
    put16(&mut header, 0); // disk number
    put16(&mut header, 0); // internal attributes
    put32(&mut header, 0); // external attributes
    put32(&mut header, classic(entry.offset, offset_moves));
    header.extend_from_slice(entry.name.as_bytes());
    if zip64 {
        put16(&mut header, ZIP64_EXTRA);
        put16(&mut header, extra.len() as u16);
        header.extend(extra);
    }
    header
}

/// The end of central directory record, preceded by the ZIP64 one and its locator when
/// the count, the directory's size or its offset does not fit.
fn end_records(entries: u64, directory_size: u64, directory_start: u64) -> Vec<u8> {
    let mut records = Vec::with_capacity(98);
    let zip64 = entries >= MAX_16 || directory_size >= MAX_32 || directory_start >= MAX_32;
    if zip64 {
        let zip64_end = directory_start + directory_size;
        put32(&mut records, ZIP64_END);
        put64(&mut records, 44); // the record's size after this field
        put16(&mut records, VERSION_ZIP64);
        put16(&mut records, VERSION_ZIP64);
        put32(&mut records, 0); // this disk
        put32(&mut records, 0); // the directory's disk
        put64(&mut records, entries); // on this disk
        put64(&mut records, entries);
        put64(&mut records, directory_size);
        put64(&mut records, directory_start);
        put32(&mut records, ZIP64_LOCATOR);
        put32(&mut records, 0); // the ZIP64 end record's disk
        put64(&mut records, zip64_end);
        put32(&mut records, 1); // disks
    }
    let count = if entries >= MAX_16 {
        u16::MAX
    } else {
        entries as u16
    };
    let classic = |value: u64| {
        if value >= MAX_32 {
            u32::MAX
        } else {
            value as u32
        }
    };
    put32(&mut records, END);
    put16(&mut records, 0); // this disk
    put16(&mut records, 0); // the directory's disk
    put16(&mut records, count); // on this disk
    put16(&mut records, count);
    put32(&mut records, classic(directory_size));
    put32(&mut records, classic(directory_start));
    put16(&mut records, 0); // comment length
    records
}

/// Names are made short by the caller (a file name of at most some hundred bytes).
fn name_length(name: &str) -> u16 {
    u16::try_from(name.len()).expect("entry names are far shorter than 64 KiB")
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}
