//! RFC 4180 records, read one physical line at a time: a Lambda reading an S3 object
//! hands over each line as it arrives and never holds more than one record, yet a quoted
//! field that spans lines still comes out whole.
//!
//! Lenient where the meaning is clear (LF or CRLF, a UTF-8 byte order mark), strict where
//! it is not: a quote inside an unquoted field, or text after a closing quote, is an error
//! at that column, reported once the record's end has been found, so a caller skipping
//! bad lines resumes at the right place.

/// One record (a spreadsheet row): its fields, unquoted, and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// 1-based, counting physical lines; equal to the spreadsheet's row number unless an
    /// earlier field held a line break.
    pub line: usize,
    pub fields: Vec<String>,
}

/// Why a record could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    /// 1-based; `None` when the whole record is at fault.
    pub column: Option<usize>,
    pub problem: SyntaxProblem,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxProblem {
    #[error("a quote inside an unquoted field; quote the whole field and double each quote in it (\"a\"\"b\")")]
    StrayQuote,
    #[error("text after a closing quote; a quoted field ends at its closing quote")]
    TextAfterQuote,
    #[error("the row is longer than {max} bytes; is a quote left open?")]
    TooLong { max: usize },
    #[error("a quoted field opened on this line is never closed")]
    UnclosedQuote,
}

impl SyntaxProblem {
    /// Whether reading can go on after it: the record's end is known for a stray or
    /// misplaced quote, but not for a row that never ends.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            SyntaxProblem::TooLong { .. } | SyntaxProblem::UnclosedQuote
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote seen inside a quoted field: either the first of a doubled quote or the end.
    QuoteInQuoted,
}

/// A record begun on an earlier line, waiting for its closing quote.
#[derive(Debug)]
struct Pending {
    line: usize,
    fields: Vec<String>,
    field: String,
    bytes: usize,
    first_error: Option<(usize, SyntaxProblem)>,
}

/// Reads records from lines fed in order (see the module comment).
#[derive(Debug)]
pub struct RecordReader {
    max_record_bytes: usize,
    lines_read: usize,
    pending: Option<Pending>,
}

impl RecordReader {
    /// A reader that refuses a record longer than `max_record_bytes`: an unclosed quote
    /// would otherwise gather the rest of the file into memory.
    pub fn new(max_record_bytes: usize) -> RecordReader {
        RecordReader {
            max_record_bytes,
            lines_read: 0,
            pending: None,
        }
    }

    /// Reads one physical line, without its line break (a trailing `\r` is dropped, so
    /// CRLF files read the same as LF files, and a line break inside a quoted field reads
    /// as LF). Returns a record when the line completes one; `None` when a quoted field
    /// goes on to the next line, or for a blank line, which holds no record (spreadsheets
    /// leave them at the end of files).
    pub fn push_line(&mut self, line: &str) -> Result<Option<RawRecord>, SyntaxError> {
        self.lines_read += 1;
        let mut line = line.strip_suffix('\r').unwrap_or(line);
        if self.lines_read == 1 {
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        let continues_quoted_field = self.pending.is_some();
        let mut record = match self.pending.take() {
            Some(mut pending) => {
                pending.field.push('\n');
                pending
            }
            None if line.is_empty() => return Ok(None),
            None => Pending {
                line: self.lines_read,
                fields: Vec::new(),
                field: String::new(),
                bytes: 0,
                first_error: None,
            },
        };
        record.bytes += line.len() + 1;
        if record.bytes > self.max_record_bytes {
            return Err(SyntaxError {
                line: record.line,
                column: None,
                problem: SyntaxProblem::TooLong {
                    max: self.max_record_bytes,
                },
            });
        }
        let mut state = if continues_quoted_field {
            State::Quoted
        } else {
            State::FieldStart
        };
        for c in line.chars() {
            let column = record.fields.len() + 1;
            state = match (state, c) {
                (State::FieldStart, '"') => State::Quoted,
                (State::FieldStart | State::Unquoted | State::QuoteInQuoted, ',') => {
                    record.fields.push(std::mem::take(&mut record.field));
                    State::FieldStart
                }
                (State::Quoted, '"') => State::QuoteInQuoted,
                (State::QuoteInQuoted, '"') => {
                    record.field.push('"');
                    State::Quoted
                }
                (State::Quoted, _) => {
                    record.field.push(c);
                    State::Quoted
                }
                (State::FieldStart | State::Unquoted, _) => {
                    if c == '"' {
                        record
                            .first_error
                            .get_or_insert((column, SyntaxProblem::StrayQuote));
                    }
                    record.field.push(c);
                    State::Unquoted
                }
                (State::QuoteInQuoted, _) => {
                    record
                        .first_error
                        .get_or_insert((column, SyntaxProblem::TextAfterQuote));
                    record.field.push(c);
                    State::Unquoted
                }
            };
        }
        if state == State::Quoted {
            self.pending = Some(record);
            return Ok(None);
        }
        record.fields.push(record.field);
        match record.first_error {
            Some((column, problem)) => Err(SyntaxError {
                line: record.line,
                column: Some(column),
                problem,
            }),
            None => Ok(Some(RawRecord {
                line: record.line,
                fields: record.fields,
            })),
        }
    }

    /// Ends the input: a record still waiting for its closing quote is an error.
    pub fn finish(&self) -> Result<(), SyntaxError> {
        match &self.pending {
            Some(pending) => Err(SyntaxError {
                line: pending.line,
                column: Some(pending.fields.len() + 1),
                problem: SyntaxProblem::UnclosedQuote,
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(lines: &[&str]) -> Vec<Result<Vec<String>, SyntaxError>> {
        let mut reader = RecordReader::new(1_000);
        let mut out = Vec::new();
        for line in lines {
            match reader.push_line(line) {
                Ok(Some(record)) => out.push(Ok(record.fields)),
                Ok(None) => {}
                Err(e) => out.push(Err(e)),
            }
        }
        if let Err(e) = reader.finish() {
            out.push(Err(e));
        }
        out
    }

    fn at(line: usize, column: usize, problem: SyntaxProblem) -> SyntaxError {
        SyntaxError {
            line,
            column: Some(column),
            problem,
        }
    }

    fn fields(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn quoted_fields_keep_commas_doubled_quotes_and_line_breaks() {
        assert_eq!(
            read(&[
                "\u{feff}time,\"a,b\",\"say \"\"hi\"\"\"\r",
                "1,\"two",
                "lines\",",
                ""
            ]),
            vec![
                Ok(fields(&["time", "a,b", "say \"hi\""])),
                Ok(fields(&["1", "two\nlines", ""])),
            ]
        );
    }

    #[test]
    fn blank_lines_hold_no_record_but_count_as_lines() {
        let mut reader = RecordReader::new(100);
        assert_eq!(
            reader.push_line("a"),
            Ok(Some(RawRecord {
                line: 1,
                fields: fields(&["a"])
            }))
        );
        assert_eq!(reader.push_line(""), Ok(None));
        assert_eq!(reader.push_line("\r"), Ok(None));
        assert_eq!(
            reader.push_line("b"),
            Ok(Some(RawRecord {
                line: 4,
                fields: fields(&["b"])
            }))
        );
    }

    #[test]
    fn misplaced_quotes_name_their_column_and_reading_goes_on() {
        assert_eq!(
            read(&["a,b\"c,d", "\"x\"y,z", "ok"]),
            vec![
                Err(at(1, 2, SyntaxProblem::StrayQuote)),
                Err(at(2, 1, SyntaxProblem::TextAfterQuote)),
                Ok(fields(&["ok"])),
            ]
        );
    }

    #[test]
    fn an_unclosed_quote_is_reported_at_its_line() {
        assert_eq!(
            read(&["a,b", "c,\"d", "e"]),
            vec![
                Ok(fields(&["a", "b"])),
                Err(at(2, 2, SyntaxProblem::UnclosedQuote))
            ]
        );
    }

    #[test]
    fn a_record_longer_than_the_bound_is_refused() {
        let mut reader = RecordReader::new(10);
        assert_eq!(reader.push_line("\"12345"), Ok(None));
        let err = reader.push_line("67890").unwrap_err();
        assert_eq!(err.line, 1);
        assert_eq!(err.problem, SyntaxProblem::TooLong { max: 10 });
        assert!(err.problem.is_fatal());
    }
}
