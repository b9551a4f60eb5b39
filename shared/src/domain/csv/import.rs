//! Reads a CSV measurement file into rows of (time, one value per channel), line by
//! line, so a Lambda can stream an S3 object of any size in bounded memory.
//!
//! [`Importer`] is the streaming form: the caller feeds lines and decides what to do with
//! each row or error, e.g. a first pass that only validates (so a strict import stores
//! nothing when a line is bad) and a second that stores. [`import`] runs it over lines in
//! memory in either mode.

use std::collections::HashMap;
use std::fmt;

use super::error::{Column, ImportError, ImportProblem};
use super::reader::{RecordReader, SyntaxError};
use super::time::parse_time;
use super::value::parse_value;
use crate::domain::channel::ChannelRef;
use crate::domain::ids::ChannelName;
use crate::domain::record::{Millis, Value};

/// The longest row accepted, in bytes: far more than a header of 100 full channel
/// references or a line of 100 numbers needs, and what bounds the memory an unclosed
/// quote can take. A caller reading lines from a stream should refuse a longer line
/// before it has read it all.
pub const MAX_ROW_BYTES: usize = 64 * 1024;

/// At most this many skipped lines are kept for the report; the rest are counted.
pub const MAX_REPORTED_SKIPS: usize = 100;

/// What one import may hold, from the plan and the caller's memory budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    pub max_channels: usize,
    pub max_rows: usize,
}

/// What a bad data line does to the import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnBadLine {
    /// The first bad line fails the import, and nothing is stored.
    Abort,
    /// Bad lines are left out and reported; the good ones are imported.
    Skip,
}

/// A channel column's heading: a channel name (`CH1`), or a measured channel's full
/// reference (`gw-1/LR8450-1/CH1`) as an export writes it, so an export imports back.
/// Which channel a column is stored under is the caller's choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelColumn {
    Name(ChannelName),
    Measured(ChannelRef),
}

impl ChannelColumn {
    /// A reference has slashes, which a channel name may not.
    pub fn parse(heading: &str) -> Result<ChannelColumn, String> {
        if heading.contains('/') {
            ChannelRef::parse(heading).map(ChannelColumn::Measured)
        } else {
            ChannelName::parse(heading)
                .map(ChannelColumn::Name)
                .map_err(|e| e.to_string())
        }
    }

    /// The channel's own name, without app and instrument.
    pub fn channel(&self) -> &ChannelName {
        match self {
            ChannelColumn::Name(name) => name,
            ChannelColumn::Measured(reference) => &reference.channel,
        }
    }
}

impl fmt::Display for ChannelColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChannelColumn::Name(name) => name.fmt(f),
            ChannelColumn::Measured(reference) => reference.fmt(f),
        }
    }
}

/// One data line: its instant and a value (or none) per channel, in header order.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedRow {
    pub line: usize,
    pub t: Millis,
    pub values: Vec<Option<Value>>,
}

#[derive(Debug)]
struct Header {
    line: usize,
    time_heading: String,
    channels: Vec<ChannelColumn>,
}

impl Header {
    /// Column `number` (1-based) with its heading, for an error message.
    fn column(&self, number: usize) -> Column {
        let heading = match number {
            1 => Some(self.time_heading.clone()).filter(|h| !h.is_empty()),
            _ => self.channels.get(number - 2).map(|c| c.to_string()),
        };
        Column { number, heading }
    }
}

/// Reads a file fed line by line (see the module comment). After an error that
/// [`ImportProblem::is_fatal`] says is fatal, stop feeding it.
#[derive(Debug)]
pub struct Importer {
    limits: ImportLimits,
    reader: RecordReader,
    header: Option<Header>,
    /// Kept to refuse a second line at the same instant (and say where the first is);
    /// bounded by the row limit.
    first_line_at: HashMap<Millis, usize>,
    data_lines: usize,
}

impl Importer {
    pub fn new(limits: ImportLimits) -> Importer {
        Importer {
            limits,
            reader: RecordReader::new(MAX_ROW_BYTES),
            header: None,
            first_line_at: HashMap::new(),
            data_lines: 0,
        }
    }

    /// Reads one physical line without its line break (an optional `\r` is dropped).
    /// Returns a row when the line completes a data line; `None` for the header, a blank
    /// line, or a quoted field that goes on.
    pub fn push_line(&mut self, line: &str) -> Result<Option<ImportedRow>, ImportError> {
        let record = match self.reader.push_line(line) {
            Ok(Some(record)) => record,
            Ok(None) => return Ok(None),
            Err(error) => return Err(self.syntax_error(error)),
        };
        let Some(header) = &self.header else {
            self.header = Some(self.read_header(record.line, record.fields)?);
            return Ok(None);
        };
        if self.data_lines == self.limits.max_rows {
            return Err(ImportError {
                line: record.line,
                column: None,
                problem: ImportProblem::TooManyRows {
                    max: self.limits.max_rows,
                },
            });
        }
        self.data_lines += 1;
        let line = record.line;
        let expected = header.channels.len() + 1;
        if record.fields.len() != expected {
            return Err(ImportError {
                line,
                column: None,
                problem: ImportProblem::ColumnCount {
                    expected,
                    found: record.fields.len(),
                },
            });
        }
        let mut fields = record.fields.into_iter();
        let time_cell = fields.next().expect("the column count was checked");
        let at_column = |number: usize, problem: ImportProblem| ImportError {
            line,
            column: Some(header.column(number)),
            problem,
        };
        let time_text = time_cell.trim_matches([' ', '\t']);
        let t = parse_time(time_text).map_err(|problem| at_column(1, problem.into()))?;
        let values = fields
            .enumerate()
            .map(|(index, cell)| {
                parse_value(&cell).map_err(|problem| at_column(index + 2, problem.into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(&first_line) = self.first_line_at.get(&t) {
            return Err(at_column(
                1,
                ImportProblem::DuplicateTime {
                    time: time_text.to_owned(),
                    first_line,
                },
            ));
        }
        self.first_line_at.insert(t, line);
        Ok(Some(ImportedRow { line, t, values }))
    }

    /// The channel columns, once the header has been read.
    pub fn channels(&self) -> Option<&[ChannelColumn]> {
        self.header.as_ref().map(|h| h.channels.as_slice())
    }

    /// Ends the input: an unclosed quote, an empty file or a header alone is an error.
    pub fn finish(&self) -> Result<(), ImportError> {
        self.reader.finish().map_err(|e| self.syntax_error(e))?;
        match &self.header {
            None => Err(ImportError {
                line: 1,
                column: None,
                problem: ImportProblem::Empty,
            }),
            Some(header) if self.data_lines == 0 => Err(ImportError {
                line: header.line + 1,
                column: None,
                problem: ImportProblem::NoData,
            }),
            Some(_) => Ok(()),
        }
    }

    fn syntax_error(&self, error: SyntaxError) -> ImportError {
        match &self.header {
            Some(header) => ImportError {
                line: error.line,
                column: error.column.map(|number| header.column(number)),
                problem: ImportProblem::Syntax(error.problem),
            },
            None => ImportError {
                line: error.line,
                column: error.column.map(|number| Column {
                    number,
                    heading: None,
                }),
                problem: ImportProblem::HeaderSyntax(error.problem),
            },
        }
    }

    fn read_header(&self, line: usize, fields: Vec<String>) -> Result<Header, ImportError> {
        let at = |number: usize, problem: ImportProblem| ImportError {
            line,
            column: Some(Column {
                number,
                heading: None,
            }),
            problem,
        };
        let mut fields = fields.into_iter();
        let time_heading = fields.next().expect("a record has at least one field");
        if parse_time(time_heading.trim_matches([' ', '\t'])).is_ok() {
            return Err(at(1, ImportProblem::HeaderMissing(time_heading)));
        }
        let headings: Vec<String> = fields.collect();
        if headings.is_empty() {
            return Err(ImportError {
                line,
                column: None,
                problem: ImportProblem::NoChannels,
            });
        }
        if headings.len() > self.limits.max_channels {
            return Err(ImportError {
                line,
                column: None,
                problem: ImportProblem::TooManyChannels {
                    count: headings.len(),
                    max: self.limits.max_channels,
                },
            });
        }
        let mut channels: Vec<ChannelColumn> = Vec::with_capacity(headings.len());
        for (index, heading) in headings.iter().enumerate() {
            let number = index + 2;
            let channel = ChannelColumn::parse(heading)
                .map_err(|reason| at(number, ImportProblem::ChannelName(reason)))?;
            // By the channel's own name: `CH1` and `gw-2/B/CH1` land in the same
            // channel of the one instrument imported into.
            if let Some(first) = channels
                .iter()
                .position(|c| c.channel() == channel.channel())
            {
                return Err(at(
                    number,
                    ImportProblem::DuplicateChannel {
                        channel: heading.clone(),
                        first_column: first + 2,
                    },
                ));
            }
            channels.push(channel);
        }
        Ok(Header {
            line,
            time_heading,
            channels,
        })
    }
}

/// A whole file's rows, and in a skipping import the lines left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub channels: Vec<ChannelColumn>,
    pub rows: Vec<ImportedRow>,
    /// The first [`MAX_REPORTED_SKIPS`] lines left out, in order.
    pub skipped: Vec<ImportError>,
    pub skipped_count: usize,
}

/// Imports lines held in memory (each without its line break, as [`str::lines`] gives
/// them). In [`OnBadLine::Abort`] mode the first bad line is the error; in
/// [`OnBadLine::Skip`] mode only a fatal one is.
pub fn import<'a>(
    lines: impl IntoIterator<Item = &'a str>,
    limits: ImportLimits,
    on_bad_line: OnBadLine,
) -> Result<Imported, ImportError> {
    let mut importer = Importer::new(limits);
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    let mut skipped_count = 0;
    for line in lines {
        match importer.push_line(line) {
            Ok(row) => rows.extend(row),
            Err(error) if on_bad_line == OnBadLine::Skip && !error.problem.is_fatal() => {
                skipped_count += 1;
                if skipped.len() < MAX_REPORTED_SKIPS {
                    skipped.push(error);
                }
            }
            Err(error) => return Err(error),
        }
    }
    importer.finish()?;
    Ok(Imported {
        channels: importer.channels().unwrap_or_default().to_vec(),
        rows,
        skipped,
        skipped_count,
    })
}
