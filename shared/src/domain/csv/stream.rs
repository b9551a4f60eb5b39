//! An import read from byte chunks as they come (ranges of an S3 object): cut into lines
//! at `\n`, which never falls inside a UTF-8 character, so a chunk may end anywhere.
//! Memory holds one chunk and one unfinished line, whatever the file's size.

use super::error::{Column, ImportError, ImportProblem};
use super::import::{ChannelColumn, ImportLimits, ImportedRow, Importer, MAX_ROW_BYTES};
use crate::domain::record::Millis;

/// What one chunk (or the end) gave: rows and errors, in line order.
pub type Lines = Vec<Result<ImportedRow, ImportError>>;

/// A file being read: see the module comment.
#[derive(Debug)]
pub struct StreamedImport {
    importer: Importer,
    /// Bytes after the last line break so far.
    unfinished: Vec<u8>,
    /// Physical lines cut so far.
    lines: usize,
    /// The latest instant a line may have (the import's time and the skew devices are
    /// allowed, as in ingest).
    latest: Millis,
}

impl StreamedImport {
    pub fn new(limits: ImportLimits, latest: Millis) -> StreamedImport {
        StreamedImport {
            importer: Importer::new(limits),
            unfinished: Vec::new(),
            lines: 0,
            latest,
        }
    }

    /// Reads the lines `chunk` completes. After a fatal error (see
    /// [`ImportProblem::is_fatal`]) stop pushing.
    pub fn push(&mut self, chunk: &[u8]) -> Lines {
        let mut out = Vec::new();
        let mut start = 0;
        while let Some(end) = chunk[start..].iter().position(|b| *b == b'\n') {
            let line = if self.unfinished.is_empty() {
                self.read_line(&chunk[start..start + end])
            } else {
                self.unfinished
                    .extend_from_slice(&chunk[start..start + end]);
                let line = std::mem::take(&mut self.unfinished);
                self.read_line(&line)
            };
            out.extend(line);
            start += end + 1;
        }
        self.unfinished.extend_from_slice(&chunk[start..]);
        // A line longer than any row may be: the reader refuses it as it is, without
        // waiting for the rest (which could be the whole file).
        if self.unfinished.len() > MAX_ROW_BYTES + 1 {
            let line = std::mem::take(&mut self.unfinished);
            // Cut anywhere, maybe inside a character: what matters is its length.
            let text = String::from_utf8_lossy(&line);
            out.extend(self.read_text(&text));
        }
        out
    }

    /// Reads the last line (one without a line break) and ends the file.
    pub fn finish(mut self) -> (Lines, Vec<ChannelColumn>) {
        let mut out = Vec::new();
        if !self.unfinished.is_empty() {
            let line = std::mem::take(&mut self.unfinished);
            out.extend(self.read_line(&line));
        }
        if let Err(error) = self.importer.finish() {
            out.push(Err(error));
        }
        let channels = self.importer.channels().unwrap_or_default().to_vec();
        (out, channels)
    }

    /// The channel columns, once the header has been read.
    pub fn channels(&self) -> Option<&[ChannelColumn]> {
        self.importer.channels()
    }

    fn read_line(&mut self, bytes: &[u8]) -> Option<Result<ImportedRow, ImportError>> {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.read_text(text),
            Err(_) => {
                self.lines += 1;
                Some(Err(ImportError {
                    line: self.lines,
                    column: None,
                    problem: ImportProblem::NotUtf8,
                }))
            }
        }
    }

    fn read_text(&mut self, text: &str) -> Option<Result<ImportedRow, ImportError>> {
        self.lines += 1;
        match self.importer.push_line(text) {
            Ok(Some(row)) if row.t > self.latest => Some(Err(ImportError {
                line: row.line,
                column: Some(Column {
                    number: 1,
                    heading: None,
                }),
                problem: ImportProblem::AheadOfNow {
                    max_seconds: crate::domain::protocol::MAX_FUTURE_SKEW_MILLIS / Millis::SECOND,
                },
            })),
            Ok(row) => row.map(Ok),
            Err(error) => Some(Err(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::record::Value;

    const LIMITS: ImportLimits = ImportLimits {
        max_channels: 10,
        max_rows: 100,
    };
    const LATEST: Millis = Millis(1_800_000_000_000);

    fn read_in_chunks(bytes: &[u8], chunk: usize) -> (Lines, Vec<ChannelColumn>) {
        let mut stream = StreamedImport::new(LIMITS, LATEST);
        let mut out = Vec::new();
        for piece in bytes.chunks(chunk) {
            out.extend(stream.push(piece));
        }
        let (last, channels) = stream.finish();
        out.extend(last);
        (out, channels)
    }

    #[test]
    fn chunks_cut_anywhere_read_as_the_whole_file() {
        let file =
            "\u{feff}time,炉温,CH2\r\n1700000000000,21.5,\r\n\r\n2023-11-14T22:13:21Z,\"-0\",+OVER";
        let (whole, channels) = read_in_chunks(file.as_bytes(), file.len());
        assert_eq!(channels.len(), 2);
        assert_eq!(whole.len(), 2);
        for size in 1..file.len() {
            let (pieces, _) = read_in_chunks(file.as_bytes(), size);
            assert_eq!(pieces, whole, "chunks of {size} bytes");
        }
        let second = whole[1].as_ref().unwrap();
        assert_eq!(second.line, 4);
        assert!(
            matches!(second.values[0], Some(Value::Number(n)) if n.to_bits() == (-0.0f64).to_bits())
        );
    }

    #[test]
    fn a_line_that_is_not_utf8_is_named() {
        let mut file = b"time,CH1\n1700000000000,1\n".to_vec();
        file.extend_from_slice(b"1700000001000,\xff\n");
        let (out, _) = read_in_chunks(&file, 7);
        let error = out.last().unwrap().as_ref().unwrap_err();
        assert_eq!((error.line, &error.problem), (3, &ImportProblem::NotUtf8));
        assert!(error.problem.is_fatal());
    }

    #[test]
    fn a_time_ahead_of_the_import_is_a_bad_line() {
        let file = format!("time,CH1\n{},1\n{},2\n", LATEST.0, LATEST.0 + 1);
        let (out, _) = read_in_chunks(file.as_bytes(), 5);
        assert!(out[0].is_ok());
        let error = out[1].as_ref().unwrap_err();
        assert_eq!(error.line, 3);
        assert!(error
            .to_string()
            .starts_with("line 3, column 1: the time is more than 600 s ahead"));
        assert!(!error.problem.is_fatal());
    }

    #[test]
    fn an_endless_line_is_refused_before_it_is_read_whole() {
        let mut stream = StreamedImport::new(LIMITS, LATEST);
        assert!(stream.push(b"time,CH1\n").is_empty());
        let out = stream.push(&vec![b'1'; MAX_ROW_BYTES + 2]);
        let error = out[0].as_ref().unwrap_err();
        assert!(error.problem.is_fatal(), "{error}");
        assert_eq!(error.line, 2);

        // Cut inside a character: still too long, not "not UTF-8".
        let mut stream = StreamedImport::new(LIMITS, LATEST);
        assert!(stream.push(b"time,CH1\n").is_empty());
        let mut long = "é".repeat(MAX_ROW_BYTES / 2 + 1).into_bytes();
        long.push(0xc3);
        let out = stream.push(&long);
        let error = out[0].as_ref().unwrap_err();
        assert!(error.to_string().contains("longer than"), "{error}");
    }
}
